"""``skmnist export``: a fitted pipeline as one ONNX model, built from its NumPy weights.

The graph repeats, operation for operation, what the pipeline computes in
NumPy (``PixelScaler._scale`` and ``_inference.forward``): cast the uint8
images to float32 and flatten them, divide by 255 (and subtract 0.5 when
``center=True``), then each Dense layer's matrix product and bias, the hidden
activation, and a softmax; the label is the class of the largest probability.
It is written with ``onnx.helper`` alone: neither TensorFlow nor tf2onnx is
involved, and the file runs in onnxruntime or any ONNX runtime.
"""

import os

import numpy as np

from ._model_parts import MNIST_PIXELS, model_parts

__all__ = ["export_onnx"]

#: The ONNX operator set used: supported by onnxruntime 1.12 and later.
OPSET = 17
#: The ONNX file format version written (readable by onnxruntime 1.10 and later).
IR_VERSION = 8


def _onnx():
    try:
        import onnx
    except ImportError as exc:
        raise ImportError(
            f"skmnist export needs the onnx package, which is not installed ({exc}). Install "
            'it with pip install "skmnist[onnx]" (onnxruntime, to run the file, comes with it).'
        ) from None
    return onnx


class _Graph:
    """Nodes and constants added one at a time, each output named after its step."""

    def __init__(self, onnx):
        self.onnx, self.nodes, self.constants = onnx, [], []

    def constant(self, name, array):
        self.constants.append(self.onnx.numpy_helper.from_array(np.asarray(array), name))
        return name

    def node(self, op, inputs, output, **attributes):
        self.nodes.append(self.onnx.helper.make_node(op, inputs, [output], name=output,
                                                     **attributes))
        return output


def _activation(graph, activation, z, name):
    """The Keras activation `activation` of tensor `z`, as ``_inference.ACTIVATIONS`` computes it."""
    if activation == "linear":
        return z
    if activation == "relu":
        return graph.node("Relu", [z], name)
    if activation == "tanh":
        return graph.node("Tanh", [z], name)
    if activation == "sigmoid":
        return graph.node("Sigmoid", [z], name)
    if activation == "elu":  # expm1 of the negative part, identity elsewhere (alpha 1)
        return graph.node("Elu", [z], name, alpha=1.0)
    if activation == "gelu":  # the exact GELU: 0.5 * z * (1 + erf(z * sqrt(0.5)))
        half = graph.constant(f"{name}_half", np.float32(0.5))
        one = graph.constant(f"{name}_one", np.float32(1.0))
        root = graph.constant(f"{name}_sqrt_half", np.float32(np.sqrt(0.5)))
        erf = graph.node("Erf", [graph.node("Mul", [z, root], f"{name}_scaled")], f"{name}_erf")
        return graph.node("Mul", [graph.node("Mul", [half, z], f"{name}_halfz"),
                                  graph.node("Add", [one, erf], f"{name}_1p")], name)
    raise ValueError(
        f"skmnist export cannot write the hidden activation {activation!r} to ONNX; it "
        "writes linear (identity), relu, tanh, sigmoid (logistic), elu and gelu. Fit the "
        "model with one of them to export it."
    )


def _classes(onnx, classes):
    """The classes as an ONNX constant: int64 for whole numbers, text, or booleans."""
    classes = np.asarray(classes)
    if classes.dtype.kind in "iu":
        if classes.dtype.kind == "u" and classes.max() > np.iinfo(np.int64).max:
            raise ValueError("skmnist export writes labels as int64; these are larger.")
        return classes.astype(np.int64), onnx.TensorProto.INT64
    if classes.dtype.kind == "b":
        return classes, onnx.TensorProto.BOOL
    if classes.dtype.kind == "U":
        return classes.astype(object), onnx.TensorProto.STRING
    raise ValueError(
        f"skmnist export writes integer, text or boolean class labels, not {classes.dtype} "
        f"(this model's classes: {classes.tolist()[:10]}). Refit the pipeline on whole-number "
        "labels (y.astype(int)) or text labels (y.astype(str)), then export it again."
    )


def build_onnx(model):
    """The ONNX model of a fitted pipeline (an ``onnx.ModelProto``); see :func:`export_onnx`."""
    onnx = _onnx()
    from ._facts import ACTIVATIONS

    helper, TensorProto = onnx.helper, onnx.TensorProto
    scalers, classifier = model_parts(model, "skmnist export")
    activation = ACTIVATIONS.get(classifier.activation)
    if activation is None:
        raise ValueError(
            f"skmnist export does not know the activation {classifier.activation!r}; "
            f"expected one of {sorted(ACTIVATIONS)}."
        )
    graph = _Graph(onnx)
    x = graph.node("Cast", ["images"], "pixels_float", to=TensorProto.FLOAT)
    x = graph.node("Reshape", [x, graph.constant("flat_shape", np.array([-1, MNIST_PIXELS],
                                                                        dtype=np.int64))], "flat")
    for i, scaler in enumerate(scalers):  # PixelScaler._scale: X / 255 (- 0.5)
        x = graph.node("Div", [x, graph.constant(f"scale{i}_max", np.float32(255.0))],
                       f"scale{i}_scaled")
        if scaler.center:
            x = graph.node("Sub", [x, graph.constant(f"scale{i}_half", np.float32(0.5))],
                           f"scale{i}_centred")
    coefs, intercepts = classifier.coefs_, classifier.intercepts_
    for i, (coef, intercept) in enumerate(zip(coefs, intercepts)):
        w = graph.constant(f"dense{i}_kernel", np.asarray(coef, dtype=np.float32))
        b = graph.constant(f"dense{i}_bias", np.asarray(intercept, dtype=np.float32))
        x = graph.node("Add", [graph.node("MatMul", [x, w], f"dense{i}_product"), b],
                       f"dense{i}_z")
        if i < len(coefs) - 1:
            x = _activation(graph, activation, x, f"dense{i}_{activation}")
    graph.node("Softmax", [x], "probabilities", axis=1)
    labels, label_type = _classes(onnx, classifier.classes_)
    best = graph.node("ArgMax", ["probabilities"], "best_index", axis=1, keepdims=0)
    graph.node("Gather", [graph.constant("classes", labels), best], "label", axis=0)
    n_classes = len(labels)
    onnx_graph = helper.make_graph(
        graph.nodes,
        "skmnist_pipeline",
        [helper.make_tensor_value_info("images", TensorProto.UINT8, ["n", 28, 28])],
        [helper.make_tensor_value_info("label", label_type, ["n"]),
         helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["n", n_classes])],
        initializer=graph.constants,
    )
    from . import __version__

    proto = helper.make_model(
        onnx_graph,
        producer_name="skmnist",
        producer_version=__version__,
        opset_imports=[helper.make_opsetid("", OPSET)],
        doc_string=(
            "skmnist pipeline: images uint8 (n, 28, 28), white digit on black as MNIST -> "
            f"label (n,) and probabilities (n, {n_classes}) in the order of the classes "
            "in the metadata."
        ),
    )
    proto.ir_version = IR_VERSION
    helper.set_model_props(proto, {
        "classes": ",".join(str(c) for c in classifier.classes_.tolist()),
        "hidden_layer_sizes": ",".join(str(c.shape[1]) for c in coefs[:-1]),
        "activation": str(classifier.activation),
    })
    onnx.checker.check_model(proto, full_check=True)
    return proto


def export_onnx(model, path):
    """Write a fitted skmnist pipeline as an ONNX model.

    The file takes raw images, as ``load_mnist`` returns them, and computes
    what the pipeline's ``predict_proba`` and ``predict`` do, from the same
    weights: the pixel scaling (``center`` included), every Dense layer and
    its activation, the softmax and the most probable class. It needs no
    Python skmnist, scikit-learn or TensorFlow to run, only an ONNX runtime.

    Parameters
    ----------
    model : Pipeline
        A fitted ``PixelScaler`` then ``DenseMLPClassifier`` pipeline on 28x28
        images, as :func:`skmnist.load` returns it for a file written by
        ``skmnist train``.
    path : str or path-like
        Where to write the ``.onnx`` file (replaced if it exists).

    Returns
    -------
    path : str
        The file written. Its input is ``images``, uint8 of shape
        ``(n, 28, 28)``; its outputs ``label``, shape ``(n,)`` (int64 for
        whole-number classes), and ``probabilities``, float32 of shape
        ``(n, n_classes)`` in the order of ``model.classes_``.

    Raises
    ------
    TypeError
        If `model` is not a pipeline of the two skmnist steps.
    ValueError
        If it is not fitted, not fitted on 28x28 images, or uses an option
        the export cannot write.
    ImportError
        If onnx is not installed (``pip install "skmnist[onnx]"``).

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> import onnxruntime as ort
    >>> from skmnist import export_onnx, make_mlp_pipeline
    >>> rng = np.random.RandomState(0)
    >>> images = rng.randint(0, 256, size=(60, 28, 28)).astype(np.uint8)
    >>> pipe = make_mlp_pipeline(hidden_layer_sizes=(16,), epochs=1, random_state=0)
    >>> pipe = pipe.fit(images, np.repeat([3, 5, 8], 20))
    >>> path = export_onnx(pipe, os.path.join(tempfile.mkdtemp(), "mlp.onnx"))
    >>> session = ort.InferenceSession(path)
    >>> label, proba = session.run(None, {"images": images[:4]})
    >>> bool((label == pipe.predict(images[:4])).all())
    True
    >>> bool(np.abs(proba - pipe.predict_proba(images[:4])).max() < 1e-5)
    True

    From a file written by ``skmnist train`` (the same as ``skmnist export``):

    >>> from skmnist import load
    >>> export_onnx(load("skmnist-mlp.skmnist"), "skmnist-mlp.onnx")  # doctest: +SKIP
    'skmnist-mlp.onnx'
    """
    proto = build_onnx(model)
    path = os.fspath(path)
    with open(path, "wb") as file:
        file.write(proto.SerializeToString())
    return path

"""``skmnist export``: the ONNX file computes what the pipeline computes, in onnxruntime."""

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

from skmnist._facts import ACTIVATIONS  # noqa: E402

#: What the issue asks: probabilities within this of predict_proba.
TOLERANCE = 1e-5


def _run(path, X):
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    label, proba = session.run(["label", "probabilities"], {"images": X})
    return label, proba


def _small_fit(mnist, **params):
    """A quick fit on 3,000 training images, one epoch: enough to have real weights."""
    from skmnist import make_mlp_pipeline

    X_train, _, y_train, _ = mnist
    pipe = make_mlp_pipeline(epochs=1, random_state=0, **params)
    return pipe.fit(X_train[:3000], y_train[:3000])


def test_the_trained_model_runs_in_onnxruntime_as_in_numpy(trained_model_file, mnist, tmp_path,
                                                           capsys):
    from skmnist import load
    from skmnist._cli import main

    out = tmp_path / "mnist.onnx"
    assert main(["export", str(trained_model_file), str(out)]) == 0
    assert "Wrote" in capsys.readouterr().out
    model = load(trained_model_file)
    _, X_test, _, _ = mnist
    assert X_test.shape == (10_000, 28, 28) and X_test.dtype == np.uint8
    label, proba = _run(out, X_test)
    difference = np.abs(proba - model.predict_proba(X_test)).max()
    print(f"ONNX vs predict_proba on 10,000 test images: max difference {difference:.3g}")
    assert difference <= TOLERANCE
    np.testing.assert_array_equal(label, model.predict(X_test))
    assert proba.dtype == np.float32 and label.dtype == np.int64


def test_the_file_is_plain_onnx_of_the_pipeline(trained_model_file, tmp_path):
    from skmnist import export_onnx, load

    path = export_onnx(load(trained_model_file), tmp_path / "m.onnx")
    proto = onnx.load(path)
    onnx.checker.check_model(proto, full_check=True)
    (image_input,) = proto.graph.input
    assert image_input.name == "images"
    assert image_input.type.tensor_type.elem_type == onnx.TensorProto.UINT8
    dims = [d.dim_value or d.dim_param for d in image_input.type.tensor_type.shape.dim]
    assert dims == ["n", 28, 28]
    assert [o.name for o in proto.graph.output] == ["label", "probabilities"]
    ops = {node.op_type for node in proto.graph.node}
    assert ops <= {"Cast", "Reshape", "Div", "Sub", "MatMul", "Add", "Relu", "Softmax",
                   "ArgMax", "Gather"}
    assert {p.key: p.value for p in proto.metadata_props}["classes"] == "0,1,2,3,4,5,6,7,8,9"


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_every_activation_is_reproduced_with_and_without_centring(mnist, tmp_path, activation):
    from skmnist import export_onnx

    pipe = _small_fit(mnist, hidden_layer_sizes=(48, 24), activation=activation)
    _, X_test, _, _ = mnist
    for center in (False, True):  # the scaling is read when transforming: no refit needed
        pipe[0].set_params(center=center)
        label, proba = _run(export_onnx(pipe, tmp_path / f"{activation}-{center}.onnx"), X_test)
        assert np.abs(proba - pipe.predict_proba(X_test)).max() <= TOLERANCE, center
        np.testing.assert_array_equal(label, pipe.predict(X_test))


def test_text_class_labels_come_out_as_text(mnist, tmp_path):
    from skmnist import export_onnx, make_mlp_pipeline

    X_train, X_test, y_train, _ = mnist
    names = np.array(["zero", "one", "two", "three", "four", "five", "six", "seven", "eight",
                      "nine"])
    pipe = make_mlp_pipeline(hidden_layer_sizes=(32,), epochs=1, random_state=0)
    pipe.fit(X_train[:2000], names[y_train[:2000]])
    label, _ = _run(export_onnx(pipe, tmp_path / "names.onnx"), X_test[:500])
    np.testing.assert_array_equal(label.astype(str), pipe.predict(X_test[:500]))


def test_what_cannot_be_exported_is_refused_plainly(mnist, tmp_path):
    from sklearn.pipeline import Pipeline

    from skmnist import DenseMLPClassifier, PixelScaler, export_onnx

    with pytest.raises(TypeError, match="pipeline of PixelScaler then DenseMLPClassifier"):
        export_onnx(PixelScaler().fit(np.zeros((2, 28, 28))), tmp_path / "x.onnx")
    with pytest.raises(ValueError, match="not fitted"):
        export_onnx(Pipeline([("scale", PixelScaler()), ("mlp", DenseMLPClassifier())]),
                    tmp_path / "x.onnx")
    pipe = _small_fit(mnist, hidden_layer_sizes=(8,))
    pipe[-1].activation = "swish"  # as if a newer skmnist had written the file
    with pytest.raises(ValueError, match="does not know the activation 'swish'"):
        export_onnx(pipe, tmp_path / "x.onnx")
    pipe[-1].activation = "relu"
    pipe[-1].classes_ = pipe[-1].classes_.astype(float)  # fitted on y as floats
    with pytest.raises(ValueError, match=r"not float64.*Refit the pipeline on whole-number"):
        export_onnx(pipe, tmp_path / "x.onnx")
    X_train, _, y_train, _ = mnist
    from skmnist import make_mlp_pipeline

    small = make_mlp_pipeline(hidden_layer_sizes=(8,), epochs=1, random_state=0)
    small.fit(X_train[:200, :8, :8], y_train[:200])
    with pytest.raises(ValueError, match="28x28 = 784 pixel images"):
        export_onnx(small, tmp_path / "x.onnx")
    assert not (tmp_path / "x.onnx").exists()


def test_export_of_a_missing_file_is_one_plain_line(tmp_path, capsys):
    from skmnist._cli import main

    assert main(["export", str(tmp_path / "none.skmnist"), str(tmp_path / "o.onnx")]) == 1
    err = capsys.readouterr().err
    assert "none.skmnist" in err and "Traceback" not in err

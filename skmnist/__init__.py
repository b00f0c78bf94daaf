"""skmnist: a scikit-learn MNIST classifier built on Keras.

``PixelScaler`` flattens and scales raw images, ``DenseMLPClassifier`` is a
Dense network trained by Keras behind the scikit-learn API, and
``make_mlp_pipeline`` chains the two; ``load_mnist`` reads the data set;
``save`` and ``load`` store fitted models in a file that never runs code;
``create_app`` serves one on the web and ``export_onnx`` writes it as ONNX;
``warm_workers`` starts the worker processes of parallel searches ahead of time.

Names are imported on first use, so that ``import skmnist`` (and the command
line's ``--help``) does not pay for importing TensorFlow.
"""

import importlib

__version__ = "0.1.0"

_SUBMODULES = {
    "load_mnist": "._datasets",
    "PixelScaler": "._scaler",
    "DenseMLPClassifier": "._classifier",
    "make_mlp_pipeline": "._pipeline",
    "fit_grid_search": "._grid",
    "save": "._persistence",
    "load": "._persistence",
    "prepare_digit_image": "._images",
    "create_app": "._serve_app",
    "export_onnx": "._onnx_export",
    "warm_workers": "._workers",
}

__all__ = [
    "DenseMLPClassifier",
    "PixelScaler",
    "create_app",
    "export_onnx",
    "fit_grid_search",
    "load",
    "load_mnist",
    "make_mlp_pipeline",
    "prepare_digit_image",
    "save",
    "warm_workers",
]


def __getattr__(name):
    if name in _SUBMODULES:
        value = getattr(importlib.import_module(_SUBMODULES[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))

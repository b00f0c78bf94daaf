"""Check what a user passes to the classifier, in plain words, before TensorFlow sees it."""

from numbers import Integral

import numpy as np
from sklearn.utils.multiclass import check_classification_targets, unique_labels
from sklearn.utils.validation import validate_data

from ._private_api import _check_sample_weight, _num_samples

__all__ = ["check_hidden_layer_sizes", "encode_labels", "validate_X", "validate_X_y"]


#: The most hidden layers a network may have (a Dense MLP rarely needs more than 6).
MAX_HIDDEN_LAYERS = 128


def check_hidden_layer_sizes(owner, sizes):
    """``sizes`` as a tuple of positive ints, or ValueError with an example.

    ``owner`` is the estimator (or its class name) the error names.
    """
    name = owner if isinstance(owner, str) else type(owner).__name__
    given = sizes
    sizes = [sizes] if isinstance(sizes, Integral) else list(sizes)
    if len(sizes) > MAX_HIDDEN_LAYERS:
        raise ValueError(
            f"The 'hidden_layer_sizes' parameter of {name} has {len(sizes)} "
            f"layers, more than the {MAX_HIDDEN_LAYERS} skmnist builds. Use fewer, wider layers."
        )
    if not all(isinstance(s, Integral) and not isinstance(s, bool) and s > 0 for s in sizes):
        raise ValueError(
            f"The 'hidden_layer_sizes' parameter of {name} must hold "
            f"positive integers (units per hidden layer); got {given!r}. "
            "Use for example (128,) for one hidden layer of 128 units, or (512, 256) "
            "for two."
        )
    return tuple(int(s) for s in sizes)


def _check_not_images(owner, X):
    shape = getattr(X, "shape", None)
    if shape is not None and len(shape) > 2:
        raise ValueError(
            f"{type(owner).__name__} expects a 2-D array of shape (n_samples, "
            f"n_features); got an array of shape {tuple(shape)}. Flatten the images "
            "first: skmnist.make_mlp_pipeline() puts a PixelScaler in front of the "
            "classifier to do it."
        )


def _check_same_length(owner, X, y):
    try:
        n_X, n_y = _num_samples(X), _num_samples(y)
    except TypeError:
        return  # not array-like: scikit-learn's validation says so
    if n_X != n_y:
        raise ValueError(
            f"X has {n_X} samples but y has {n_y} labels (inconsistent numbers of "
            f"samples: [{n_X}, {n_y}]). {type(owner).__name__} needs exactly one label "
            "per sample: check that X and y hold the same rows."
        )


def _validated(owner, *args, reset):
    """scikit-learn's validate_data, with a plain message for non-numeric X."""
    try:
        return validate_data(owner, *args, reset=reset, dtype=np.float32)
    except ValueError as exc:
        if not str(exc).startswith("could not convert"):
            raise
        raise ValueError(
            f"{type(owner).__name__} expects numeric features, but X holds values that "
            f"are not numbers ({exc}). Convert them to numbers first; for raw images, "
            "skmnist.make_mlp_pipeline() puts a PixelScaler in front of the classifier."
        ) from exc


def validate_X(owner, X, *, reset):
    """X as float32, validated the scikit-learn way (features counted and named)."""
    _check_not_images(owner, X)
    return _validated(owner, X, reset=reset)


def validate_X_y(owner, X, y, sample_weight, *, reset):
    """X as float32, class labels y, and float32 sample weights (or None)."""
    _check_not_images(owner, X)
    if y is not None:
        _check_same_length(owner, X, y)
    X, y = _validated(owner, X, y, reset=reset)
    check_classification_targets(y)
    if sample_weight is not None:
        sample_weight = _check_sample_weight(
            sample_weight, X, dtype=np.float32, ensure_non_negative=True
        )
    return X, y, sample_weight


def encode_labels(classes, y):
    """Map labels to their index in ``classes``, refusing unknown ones."""
    encoded = np.searchsorted(classes, y)
    encoded = np.minimum(encoded, len(classes) - 1)
    unknown = classes[encoded] != y
    if np.any(unknown):
        raise ValueError(
            f"y contains labels not seen in the first call to fit or partial_fit: "
            f"{unique_labels(np.asarray(y)[unknown]).tolist()}. Pass every label "
            "of the problem as `classes` in the first call to partial_fit, or fit "
            "without warm_start."
        )
    return encoded.astype(np.int32)

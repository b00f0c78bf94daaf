"""Predict with a trained Dense network in NumPy, without calling TensorFlow.

``keras.Model.predict`` costs tens of milliseconds per call whatever the batch
(it builds a dataset, an iterator and callbacks each time). A Dense network is
a few matrix products, which NumPy runs in microseconds for one image and
without TensorFlow's per-call overhead for ten thousand.
"""

import numpy as np
from scipy.special import erf, expit, softmax

__all__ = ["ACTIVATIONS", "forward"]

_SQRT_HALF = np.float32(np.sqrt(0.5))


def _relu(z):
    return np.maximum(z, 0, out=z)


def _elu(z):
    return np.where(z > 0, z, np.expm1(np.minimum(z, 0)))


def _gelu(z):
    return 0.5 * z * (1.0 + erf(z * _SQRT_HALF))


#: NumPy twins of the Keras hidden-layer activations, by Keras' names.
ACTIVATIONS = {
    "linear": lambda z: z,
    "sigmoid": expit,
    "tanh": np.tanh,
    "relu": _relu,
    "elu": _elu,
    "gelu": _gelu,
}

#: Rows per matrix product: bounds the memory of the hidden activations.
CHUNK_ROWS = 4096


def forward(X, coefs, intercepts, activation):
    """Class probabilities of a Dense network with a softmax output.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), float32
    coefs, intercepts : lists of ndarray
        Kernel and bias of each Dense layer, first to last.
    activation : str
        Keras name of the hidden layers' activation, a key of
        :data:`ACTIVATIONS`.

    Returns
    -------
    proba : ndarray of shape (n_samples, n_classes), float32
    """
    act = ACTIVATIONS[activation]
    proba = np.empty((X.shape[0], coefs[-1].shape[1]), dtype=np.float32)
    for start in range(0, X.shape[0], CHUNK_ROWS):
        z = X[start : start + CHUNK_ROWS]
        for coef, intercept in zip(coefs[:-1], intercepts[:-1]):
            z = act(z @ coef + intercept)
        proba[start : start + CHUNK_ROWS] = softmax(z @ coefs[-1] + intercepts[-1], axis=1)
    return proba

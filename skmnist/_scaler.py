"""Reshape and scale raw pixel images for a dense network."""

import math
from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils.validation import (
    _check_feature_names_in,
    check_is_fitted,
    validate_data,
)

__all__ = ["PixelScaler"]

#: The largest intensity of an 8-bit grey-scale pixel.
MAX_PIXEL = 255.0


def _flatten_images(X):
    """Return ``X`` as a 2-D array-like, remembering the 2-D image shape.

    DataFrames and 2-D inputs pass through untouched (so that scikit-learn can
    record feature names); 3-D ``(n, h, w)`` and 4-D ``(n, h, w, 1)`` image stacks
    are reshaped to ``(n, h * w)``.
    """
    if hasattr(X, "iloc") or (hasattr(X, "shape") and len(X.shape) <= 2):
        return X, None
    if not hasattr(X, "shape"):
        try:
            X = np.asarray(X)
        except ValueError as exc:
            raise ValueError(
                "PixelScaler could not turn the input into an array of images: "
                f"{exc}. Pass an array of shape (n_samples, height, width) or "
                "(n_samples, n_pixels) with every image of the same size."
            ) from exc
        if X.ndim <= 2:
            return X, None
    if X.ndim == 4 and X.shape[-1] == 1:
        X = X[..., 0]
    if X.ndim != 3:
        raise ValueError(
            f"PixelScaler expects images of shape (n_samples, height, width), "
            f"(n_samples, height, width, 1) or (n_samples, n_pixels); got an array "
            f"of shape {X.shape}. Colour images are not supported: convert them "
            "to grey-scale first."
        )
    n_samples, height, width = X.shape
    return np.reshape(X, (n_samples, height * width)), (height, width)


def _square_shape(n_pixels):
    """Guess the 2-D shape of flattened images: square when possible."""
    side = math.isqrt(n_pixels)
    return (side, side) if side * side == n_pixels else (1, n_pixels)


class PixelScaler(TransformerMixin, BaseEstimator):
    """Flatten grey-scale images and scale their pixels from [0, 255] to [0, 1].

    The first step of the skmnist pipeline: it turns raw 8-bit images, as MNIST
    and the Keras tutorials ship them, into the ``float32`` matrix of shape
    ``(n_samples, height * width)`` that a dense network expects. Pixels are
    divided by 255, so intensities stay comparable across images (a fixed
    scale, unlike :class:`~sklearn.preprocessing.MinMaxScaler`, which would
    stretch each pixel column by its own range in the training set).

    Parameters
    ----------
    center : bool, default=False
        If True, subtract 0.5 after scaling, so that outputs lie in
        ``[-0.5, 0.5]`` as in the Keras "MNIST with centred inputs" tutorial.

    Attributes
    ----------
    image_shape_ : tuple of (int, int)
        ``(height, width)`` of the images seen in :meth:`fit`. Flat inputs of
        ``n`` pixels are taken to be square when ``n`` is a perfect square
        (784 -> ``(28, 28)``), else ``(1, n)``.

    n_features_in_ : int
        Number of pixels per image seen in :meth:`fit`.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the features seen in :meth:`fit`. Defined only when `X` has
        feature names that are all strings (a pandas DataFrame).

    See Also
    --------
    DenseMLPClassifier : The classifier that follows this step.
    make_mlp_pipeline : Chain both steps.

    Notes
    -----
    Inputs may be ``(n, h, w)`` or ``(n, h, w, 1)`` image stacks, ``(n, h*w)``
    matrices, DataFrames or nested lists, of any integer or float dtype, as long
    as every pixel lies in ``[0, 255]``. Inputs already scaled to ``[0, 1]`` are
    not detected: they would be scaled a second time, so pass raw intensities.
    Any image layout accepted by :meth:`fit` is accepted by :meth:`transform`
    as long as the number of pixels per image is the same.

    Examples
    --------
    >>> import numpy as np
    >>> from skmnist import PixelScaler
    >>> images = np.array([[[0, 255], [51, 102]]], dtype=np.uint8)  # one 2x2 image
    >>> scaler = PixelScaler().fit(images)
    >>> scaler.transform(images)
    array([[0. , 1. , 0.2, 0.4]], dtype=float32)
    >>> scaler.image_shape_
    (2, 2)
    >>> centred = PixelScaler(center=True).fit_transform(images)
    >>> float(centred.min()), float(centred.max())
    (-0.5, 0.5)
    """

    _parameter_constraints: dict = {"center": ["boolean"]}

    def __init__(self, center=False):
        self.center = center

    def _validate_pixels(self, X, *, reset):
        X, image_shape = _flatten_images(X)
        X = validate_data(
            self,
            X,
            reset=reset,
            # uint8 images (MNIST's own type) are kept as they are: no copy, and
            # no need to look for NaN or out-of-range values.
            dtype=[np.float32, np.float64, np.uint8],
            ensure_all_finite=True,
        )
        if X.dtype == np.uint8:
            return X, image_shape
        if X.size:
            low, high = X.min(), X.max()
            if low < 0:
                raise ValueError(
                    f"Negative values in data passed to PixelScaler (minimum {low:g}): "
                    "pixel intensities must lie in [0, 255]. Pass the raw grey levels "
                    "of the images, not data that has already been centred or "
                    "standardised."
                )
            if high > MAX_PIXEL:
                raise ValueError(
                    f"Values above 255 in data passed to PixelScaler (maximum "
                    f"{high:g}): pixel intensities must lie in [0, 255]. Pass 8-bit "
                    "grey levels; rescale images of another bit depth to 0-255 first."
                )
        return X, image_shape

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Check the images and remember their shape.

        Parameters
        ----------
        X : array-like of shape (n_samples, height, width), \
                (n_samples, height, width, 1) or (n_samples, n_pixels)
            Grey-scale images with intensities in ``[0, 255]``.

        y : None
            Ignored; present for API consistency.

        Returns
        -------
        self : PixelScaler
            The fitted transformer.
        """
        X, image_shape = self._validate_pixels(X, reset=True)
        self.image_shape_ = image_shape or _square_shape(X.shape[1])
        return self

    def transform(self, X):
        """Flatten the images and scale them to ``[0, 1]`` (or ``[-0.5, 0.5]``).

        Parameters
        ----------
        X : array-like of shape (n_samples, height, width), \
                (n_samples, height, width, 1) or (n_samples, n_pixels)
            Grey-scale images with intensities in ``[0, 255]``, with as many
            pixels as the images seen in :meth:`fit`.

        Returns
        -------
        X_scaled : ndarray of shape (n_samples, n_pixels), dtype float32
            The scaled pixels, one row per image.
        """
        check_is_fitted(self)
        X, _ = self._validate_pixels(X, reset=False)
        X_scaled = np.divide(X, np.float32(MAX_PIXEL), dtype=np.float32)
        if self.center:
            X_scaled -= np.float32(0.5)
        return X_scaled

    def get_feature_names_out(self, input_features=None):
        """Names of the output pixels.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Input feature names. If None, the names seen in :meth:`fit` are used
            when there were any, else OpenML's MNIST names ``pixel1`` ...
            ``pixel<n>``.

        Returns
        -------
        feature_names_out : ndarray of str objects
            One name per output column.
        """
        check_is_fitted(self, "n_features_in_")
        names = _check_feature_names_in(self, input_features, generate_names=False)
        if names is None:
            names = np.asarray(
                [f"pixel{i}" for i in range(1, self.n_features_in_ + 1)], dtype=object
            )
        return names

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.positive_only = True
        tags.transformer_tags.preserves_dtype = ["float32"]
        return tags

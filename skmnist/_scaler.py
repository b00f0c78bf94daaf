"""Reshape and scale raw pixel images for a dense network."""

import math
import warnings

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.callback import CallbackSupportMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from ._files import user_stacklevel
from ._private_api import _check_feature_names_in, _fit_context
from ._shared_memory import aligned_empty

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


def _check_numeric(X):
    """Refuse text and arbitrary objects in plain words."""
    dtypes = list(X.dtypes) if hasattr(X, "dtypes") else [getattr(X, "dtype", None)]
    kinds = {getattr(dtype, "kind", None) for dtype in dtypes}
    if kinds & {"U", "S"}:  # (complex numbers are refused by scikit-learn)
        raise ValueError(
            f"PixelScaler expects numeric pixel intensities in [0, 255], but the data "
            f"holds text (dtype {dtypes[0] if len(dtypes) == 1 else sorted(map(str, dtypes))}). "
            "Convert the pixels to numbers first, for example with X.astype(np.uint8)."
        )
    if "O" in kinds:  # Python objects, pandas string columns: look at the values
        values = np.asarray(X, dtype=object).ravel()
        text = next((v for v in values if isinstance(v, (str, bytes))), None)
        if text is not None:
            raise ValueError(
                f"PixelScaler expects numeric pixel intensities in [0, 255], but the data "
                f"holds text (for example {text!r}). Convert the pixels to numbers first, "
                "for example with X.astype(np.uint8)."
            )
        try:
            np.asarray(X, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise type(exc)(
                f"PixelScaler expects numeric pixel intensities in [0, 255], but the data "
                f"holds values that are not numbers ({exc}). Convert the pixels to numbers "
                "first, for example with X.astype(np.uint8)."
            ) from exc


def _check_2d(X):
    """Refuse a single 1-D array or a scalar before scikit-learn's generic advice."""
    ndim = np.ndim(X) if not hasattr(X, "iloc") else len(X.shape)
    if ndim < 2:
        raise ValueError(
            f"PixelScaler expects a stack of images: an array of shape (n_samples, height, "
            f"width), (n_samples, height, width, 1) or (n_samples, n_pixels); got a "
            f"{ndim}-D input of shape {np.shape(X)}. Reshape your data: for a single "
            "flattened image, pass X.reshape(1, -1); for a single 2-D image, pass "
            "X[np.newaxis]."
        )


def _describe_images(image_shape, n_pixels):
    if image_shape is None:
        return f"{n_pixels} pixels"
    return f"{image_shape[0]}x{image_shape[1]} = {n_pixels} pixels"


def _square_shape(n_pixels):
    """Guess the 2-D shape of flattened images: square when possible."""
    side = math.isqrt(n_pixels)
    return (side, side) if side * side == n_pixels else (1, n_pixels)


class PixelScaler(CallbackSupportMixin, TransformerMixin, BaseEstimator):
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
    matrices, DataFrames or nested lists, of any integer, float or boolean
    dtype, as long as every pixel lies in ``[0, 255]``. Any image layout
    accepted by :meth:`fit` is accepted by :meth:`transform` as long as the
    number of pixels per image is the same.

    Bad inputs raise, before any scaling, a ``ValueError`` (or ``TypeError``)
    saying what was wrong and what is expected: NaN, ``inf`` or ``-inf``
    pixels; negative pixels or pixels above 255; text, complex numbers or other
    non-numeric values; sparse matrices (``TypeError``: pass ``X.toarray()``);
    a 1-D array or a scalar; colour images ``(n, h, w, c)`` with ``c > 1`` and
    arrays of 5 or more dimensions; 0 images or 0 pixels; and, in
    :meth:`transform`, images with another number of pixels than in
    :meth:`fit` (the message gives both sizes). :meth:`transform` before
    :meth:`fit` raises :class:`~sklearn.exceptions.NotFittedError`.

    Inputs that look already scaled are warned about, not refused: floating
    point pixels all in ``[0, 1]`` with at least one that is not a whole
    number raise a ``UserWarning`` (in :meth:`fit` and :meth:`transform`),
    since dividing them by 255 again makes the images almost black. They are
    still scaled, because such values are not impossible grey levels (and
    0/1 binary images, which are whole numbers, are not warned about). Turn
    the warning into an error with ``warnings.filterwarnings("error",
    message="PixelScaler received pixel values in")``.

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

    def _check_pixel_count(self, X, image_shape):
        """At transform: the same number of pixels as in fit, said in image terms."""
        n_pixels, expected = X.shape[1], getattr(self, "n_features_in_", None)
        if expected is None or n_pixels == expected:
            return
        fitted = _describe_images(getattr(self, "image_shape_", None), expected)
        raise ValueError(
            f"X has {n_pixels} features, but PixelScaler is expecting {expected} features "
            f"as input: the images have {_describe_images(image_shape, n_pixels)}, but "
            f"PixelScaler was fitted on images of {fitted}. Resize, crop or pad the images "
            "to the size used in fit, or fit the pipeline again on images of this size."
        )

    def _validate_pixels(self, X, *, reset):
        X, image_shape = _flatten_images(X)
        _check_2d(X)
        _check_numeric(X)
        if not reset:
            self._check_pixel_count(X, image_shape)
        X = validate_data(
            self,
            X,
            reset=reset,
            # uint8 images (MNIST's own type) are kept as they are: no copy, and
            # no need to look for NaN or out-of-range values.
            dtype=[np.float32, np.float64, np.uint8],
            ensure_all_finite=False,  # checked below, in pixel terms
        )
        if X.dtype == np.uint8:
            return X, image_shape
        if X.size:
            n_nan = int(np.count_nonzero(np.isnan(X)))
            if n_nan:
                raise ValueError(
                    f"NaN (missing) values in data passed to PixelScaler ({n_nan:,} of "
                    f"{X.size:,} pixels): pixel intensities must be numbers in [0, 255]. Fill "
                    "the missing pixels first, for example with 0 (the background)."
                )
            n_inf = int(np.count_nonzero(np.isinf(X)))
            if n_inf:
                raise ValueError(
                    f"Infinite values (inf or -inf) in data passed to PixelScaler ({n_inf:,} "
                    f"of {X.size:,} pixels): pixel intensities must be finite numbers in "
                    "[0, 255]. Check how the images were computed."
                )
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
            if high <= 1 and np.any(X != np.round(X)):
                warnings.warn(
                    f"PixelScaler received pixel values in [0, 1] that are not whole numbers "
                    f"(maximum {high:.4g}): the images look already scaled. PixelScaler "
                    "expects raw grey levels in [0, 255] and divides them by 255, so these "
                    "images become almost black. Pass the raw images (for example X * 255, "
                    "or the uint8 arrays load_mnist returns), or leave PixelScaler out and "
                    "give the scaled data to DenseMLPClassifier directly.",
                    UserWarning,
                    stacklevel=user_stacklevel(),
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
        self._fit(X, y)
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def fit_transform(self, X, y=None):
        """Fit to the images, then flatten and scale them, checking them once.

        Parameters
        ----------
        X : array-like of shape (n_samples, height, width), \
                (n_samples, height, width, 1) or (n_samples, n_pixels)
            Grey-scale images with intensities in ``[0, 255]``.

        y : None
            Ignored; present for API consistency.

        Returns
        -------
        X_scaled : ndarray of shape (n_samples, n_pixels), dtype float32
            The scaled pixels, one row per image.
        """
        return self._scale(self._fit(X, y))

    def _fit(self, X, y):
        """Check the images (warning at most once), remember their shape; the checked X."""
        callback_ctx = self._init_callback_context()
        callback_ctx.call_on_fit_task_begin(estimator=self, X=X, y=y)
        X_checked, image_shape = self._validate_pixels(X, reset=True)
        self.image_shape_ = image_shape or _square_shape(X_checked.shape[1])
        callback_ctx.call_on_fit_task_end(estimator=self, X=X, y=y)
        return X_checked

    def _scale(self, X):
        # into memory the training loop can read in place (_shared_memory)
        X_scaled = np.divide(X, np.float32(MAX_PIXEL), dtype=np.float32,
                             out=aligned_empty(np.shape(X), np.float32))
        if self.center:
            X_scaled -= np.float32(0.5)
        return X_scaled

    def _get_fitted_state(self):
        """The fitted attributes as plain values (for skmnist.save)."""
        check_is_fitted(self)
        state = {"n_features_in_": int(self.n_features_in_),
                 "image_shape_": [int(v) for v in self.image_shape_]}
        if hasattr(self, "feature_names_in_"):
            state["feature_names_in_"] = [str(v) for v in self.feature_names_in_]
        return state

    def _set_fitted_state(self, state):
        """Become fitted from :meth:`_get_fitted_state`'s values (for skmnist.load)."""
        self._validate_params()
        n_features, shape = state["n_features_in_"], state["image_shape_"]
        if not (
            isinstance(n_features, int) and not isinstance(n_features, bool) and n_features > 0
            and isinstance(shape, list) and len(shape) == 2
            and all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in shape)
            and shape[0] * shape[1] == n_features
        ):
            raise ValueError(
                f"n_features_in_ and image_shape_ must be a positive number of pixels and "
                f"the (height, width) holding them; got {n_features!r} and {shape!r}."
            )
        self.n_features_in_ = n_features
        self.image_shape_ = tuple(shape)
        if "feature_names_in_" in state:
            self.feature_names_in_ = np.asarray([str(v) for v in state["feature_names_in_"]],
                                                dtype=object)
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
        return self._scale(X)

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

"""Pictures of digits, mistakes, training curves, networks, confusion matrices and grid searches.

Every function returns a :class:`matplotlib.figure.Figure` built with
matplotlib's object API: nothing is shown and pyplot's global state is left
alone. Save a figure with ``fig.savefig("name.png")``; in Jupyter, a figure
returned by the last line of a cell is displayed.

matplotlib is an optional dependency: install it with
``pip install "skmnist[plot]"``. The figures of a fitted classifier itself
(:func:`plot_history`, :func:`plot_network`) live in ``_plot_classifier``,
the confusion matrix (:func:`plot_confusion_matrix`) in ``_plot_confusion``,
the grid search's heatmap (:func:`plot_grid_search`) in ``_plot_grid``; all
are imported from here.
"""

import math

import numpy as np

try:
    from matplotlib.figure import Figure
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "skmnist.plotting needs matplotlib, which is not installed. Install it with "
        "pip install \"skmnist[plot]\" (or pip install matplotlib)."
    ) from exc

from ._plot_classifier import plot_history, plot_network  # noqa: E402  (after the check)
from ._plot_confusion import plot_confusion_matrix  # noqa: E402
from ._plot_grid import plot_grid_search  # noqa: E402

__all__ = [
    "plot_confusion_matrix",
    "plot_digits",
    "plot_grid_search",
    "plot_history",
    "plot_misclassified",
    "plot_network",
]

#: Colours: ink on paper for digits, near-black titles, a dark red for mistakes.
_DIGIT_CMAP = "binary"
_TITLE_COLOUR = "#111111"
_WRONG_COLOUR = "#c62828"
#: Size of the titles above the images, in points.
_TITLE_SIZE = 12


# -- helpers ---------------------------------------------------------------


def _images(X, name="X"):
    """``X`` as an array of 2-D images ``(n, h, w)``; flat rows are taken as square."""
    X = np.asarray(X.to_numpy() if hasattr(X, "to_numpy") else X)
    if X.ndim == 4 and X.shape[-1] == 1:
        X = X[..., 0]
    if X.ndim == 2:
        side = math.isqrt(X.shape[1])
        if side * side != X.shape[1]:
            raise ValueError(
                f"{name} has {X.shape[1]} pixels per row, which is not a square image. "
                "Pass images of shape (n_samples, height, width)."
            )
        X = X.reshape(len(X), side, side)
    if X.ndim != 3:
        raise ValueError(
            f"{name} should hold grey-scale images of shape (n_samples, height, width) or "
            f"(n_samples, height * width); got an array of shape {X.shape}."
        )
    return X


def _check_n(n):
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a positive integer, the number of images to show; got {n!r}.")
    return int(n)


def _grid(n):
    """Rows and columns of a near-square grid of ``n`` cells (36 -> 6x6)."""
    cols = math.ceil(math.sqrt(n))
    return math.ceil(n / cols), cols


def _vmax(images):
    """Pixels in [0, 255] for raw images, [0, 1] for scaled ones."""
    return 255 if images.size and images.max() > 1 else 1


def _image_grid(images, titles, colours, suptitle=None):
    rows, cols = _grid(len(images))
    fig = Figure(figsize=(1.45 * cols, 1.65 * rows + (0.6 if suptitle else 0)), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False)
    vmax = _vmax(images)
    for ax in axes.flat:
        ax.set_axis_off()
    for ax, image, title, colour in zip(axes.flat, images, titles, colours):
        ax.imshow(image, cmap=_DIGIT_CMAP, vmin=0, vmax=vmax, interpolation="nearest")
        ax.set_title(title, fontsize=_TITLE_SIZE, color=colour, pad=3)
    if suptitle:
        fig.suptitle(suptitle, fontsize=13)
    return fig


# -- digits ----------------------------------------------------------------


def plot_digits(X, y=None, n=36, *, y_pred=None):
    """Show the first `n` images in a grid, each titled with its label.

    Parameters
    ----------
    X : array-like of shape (n_samples, height, width) or (n_samples, n_pixels)
        Grey-scale images (raw 0-255 or scaled 0-1); flat rows must be square
        images, such as MNIST's 784 pixels.

    y : array-like of shape (n_samples,), default=None
        Labels shown above the images; None shows no titles.

    n : int, default=36
        How many images to show, from the first; 36 gives the tutorials' 6x6
        grid.

    y_pred : array-like of shape (n_samples,), default=None
        Predicted labels. A correct prediction is titled with its label; a
        wrong one reads ``label → prediction`` in red, as in
        :func:`plot_misclassified` (``pred prediction`` when `y` is None).

    Returns
    -------
    fig : matplotlib.figure.Figure
        One axes per image, titled as above.

    Examples
    --------
    >>> import numpy as np
    >>> from skmnist.plotting import plot_digits
    >>> images = np.random.RandomState(0).randint(0, 256, size=(10, 28, 28))
    >>> fig = plot_digits(images, y=np.arange(10), n=9)
    >>> [ax.get_title() for ax in fig.axes if ax.images][:3]
    ['0', '1', '2']
    >>> fig = plot_digits(images, y=[7, 2, 1], n=3, y_pred=[7, 2, 7])
    >>> [ax.get_title() for ax in fig.axes if ax.images]
    ['7', '2', '1 → 7']
    >>> fig.savefig("digits.png")  # doctest: +SKIP
    """
    images = _images(X)
    n = min(_check_n(n), len(images))
    titles, colours = [""] * n, [_TITLE_COLOUR] * n
    if y is not None:
        titles = [str(label) for label in np.asarray(y)[:n]]
    if y_pred is not None:
        y_pred = np.asarray(y_pred)[:n]
        if y is None:
            titles = [f"pred {p}" for p in y_pred]
        else:
            truth = np.asarray(y)[:n]
            titles = [str(t) if t == p else f"{t} → {p}" for t, p in zip(truth, y_pred)]
            colours = [_TITLE_COLOUR if t == p else _WRONG_COLOUR for t, p in zip(truth, y_pred)]
    return _image_grid(images[:n], titles, colours)


def plot_misclassified(estimator, X, y, n=25):
    """Show the images that `estimator` gets wrong, most confident mistakes first.

    Parameters
    ----------
    estimator : fitted classifier with ``predict_proba`` and ``classes_``
        Such as a fitted pipeline from :func:`skmnist.make_mlp_pipeline`; it
        is given `X` as is.

    X : array-like of shape (n_samples, height, width) or (n_samples, n_pixels)
        Images the estimator accepts.

    y : array-like of shape (n_samples,)
        True labels.

    n : int, default=25
        The most mistakes to show.

    Returns
    -------
    fig : matplotlib.figure.Figure
        One axes per mistake, titled ``true → predicted (confidence%)``, under
        a title counting all mistakes. With no mistake, a single axes says so.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.dummy import DummyClassifier
    >>> from skmnist.plotting import plot_misclassified
    >>> X = np.zeros((4, 784))
    >>> clf = DummyClassifier(strategy="prior").fit(X, [1, 1, 1, 7])
    >>> fig = plot_misclassified(clf, X, [1, 1, 7, 7])
    >>> print(fig.get_suptitle())
    2 of 4 images misclassified (50.00%)
    true → predicted (confidence), most confident first
    >>> [ax.get_title() for ax in fig.axes]
    ['7 → 1 (75%)', '7 → 1 (75%)']
    """
    images = _images(X)
    n = _check_n(n)
    y = np.asarray(y)
    proba = np.asarray(estimator.predict_proba(X))
    best = proba.argmax(axis=1)
    y_pred = np.asarray(estimator.classes_)[best]
    confidence = proba[np.arange(len(best)), best]
    wrong = np.flatnonzero(y_pred != y)
    wrong = wrong[np.argsort(-confidence[wrong], kind="stable")]
    count = f"{len(wrong):,} of {len(y):,} images misclassified ({len(wrong) / len(y):.2%})"
    if len(wrong):
        count += "\ntrue → predicted (confidence), most confident first"
    if not len(wrong):
        fig = Figure(figsize=(4, 1.5), layout="constrained")
        ax = fig.subplots()
        ax.set_axis_off()
        ax.text(0.5, 0.5, "No misclassified image", ha="center", va="center", fontsize=12)
        fig.suptitle(count)
        return fig
    shown = wrong[:n]
    # Confidence rounded down, so that 0.9996 reads 99%, not a certain-looking 100%.
    titles = [f"{y[i]} → {y_pred[i]} ({math.floor(100 * confidence[i])}%)" for i in shown]
    return _image_grid(images[shown], titles, [_WRONG_COLOUR] * len(shown), suptitle=count)

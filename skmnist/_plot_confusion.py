"""The confusion matrix as a figure, and its most confused pairs as rows.

Part of :mod:`skmnist.plotting`, which re-exports
:func:`plot_confusion_matrix`; ``skmnist report`` saves it as
``confusion_matrix.png`` and lists :func:`confused_pairs` under it.

The correct predictions (the diagonal) outnumber any mistake a hundred to one
on MNIST, so one colour scale for all cells leaves every mistake the same pale
shade. Here the diagonal is drawn grey, outside the scale, and the mistakes
have a scale of their own: the few pairs that matter (a 7 read as a 2, a 9 as
a 4) stand out at a glance. Zero cells are left blank.
"""

import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, PercentFormatter

__all__ = ["confused_pairs", "plot_confusion_matrix"]

#: The mistakes' colour scale, and the grey of the correct predictions.
_MISTAKE_CMAP = "Reds"
_DIAGONAL_COLOUR = "#d9d9d9"
#: How many confused pairs the title names.
_PAIRS_IN_TITLE = 3


def _matrix(y, y_pred, labels):
    from sklearn.metrics import confusion_matrix

    return confusion_matrix(y, y_pred, labels=labels)


def confused_pairs(y_true, y_pred, *, labels=None, n=10):
    """The most frequent mistakes: one row per (true, predicted) pair, most first.

    Each row is a dict with ``true``, ``predicted``, ``count`` (images of
    label ``true`` predicted as ``predicted``) and ``share`` (that count
    divided by the number of images of label ``true``). Ties are broken by
    the larger share, then by the order of `labels`. At most `n` rows, none
    with a count of zero.
    """
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if labels is None:
        labels = np.unique(np.concatenate([y_true, y_pred]))
    labels = list(labels)
    matrix = _matrix(y_true, y_pred, labels)
    support = matrix.sum(axis=1)
    rows = [
        {"true": labels[i], "predicted": labels[j], "count": int(matrix[i, j]),
         "share": matrix[i, j] / support[i]}
        for i in range(len(labels)) for j in range(len(labels)) if i != j and matrix[i, j]
    ]
    rows.sort(key=lambda row: (-row["count"], -row["share"]))  # stable: labels' order on ties
    return rows[:n]


def _percent(rate):
    """A rate as a percentage for a cell: one decimal; '<0.1%' rather than a false '0.0%'."""
    if 0 < rate < 0.0005:
        return "<0.1%"
    return f"{100 * rate:.1f}%"


def _draw(ax, values, texts, labels, title, scale_label, fig, scale_format=None):
    """One panel: grey diagonal, mistakes on their own scale, zero cells blank."""
    k = len(labels)
    diagonal = np.eye(k, dtype=bool)
    off = np.ma.masked_where(diagonal | (values == 0), values)
    vmax = float(off.max()) if off.count() else 1.0
    ax.imshow(np.ma.masked_where(~diagonal, np.ones((k, k))),
              cmap=ListedColormap([_DIAGONAL_COLOUR]), vmin=0, vmax=1)
    image = ax.imshow(off, cmap=_MISTAKE_CMAP, vmin=0, vmax=vmax)
    for i in range(k):
        for j in range(k):
            if values[i, j] == 0:
                continue
            dark = i != j and values[i, j] > 0.6 * vmax
            ax.text(j, i, texts[i][j], ha="center", va="center", fontsize=9,
                    color="white" if dark else "black",
                    fontweight="bold" if i == j else "normal")
    ax.set_xticks(range(k), [str(label) for label in labels])
    ax.set_yticks(range(k), [str(label) for label in labels])
    ax.set_xticks(np.arange(k + 1) - 0.5, minor=True)
    ax.set_yticks(np.arange(k + 1) - 0.5, minor=True)
    ax.grid(which="minor", color="#e6e6e6", linewidth=0.8)
    ax.tick_params(which="minor", length=0)
    ax.set_xlabel("Predicted label", fontsize=11)
    ax.set_ylabel("True label", fontsize=11)
    ax.set_title(title, fontsize=12)
    bar = fig.colorbar(image, ax=ax, shrink=0.8, label=scale_label, format=scale_format)
    if scale_format is None:  # counts: whole numbers only
        bar.locator = MaxNLocator(integer=True)
        bar.update_ticks()


def plot_confusion_matrix(estimator, X, y, *, labels=None):
    """Show the confusion matrix as counts and as row percentages, mistakes on their own scale.

    The correct predictions (the diagonal) are drawn grey, outside the colour
    scale; the mistakes are coloured on a scale that runs to the largest
    mistake, so that the pairs that matter stand out. Zero cells are blank.

    Parameters
    ----------
    estimator : fitted classifier
        Such as a fitted pipeline from :func:`skmnist.make_mlp_pipeline`.

    X : array-like
        Samples the estimator accepts.

    y : array-like of shape (n_samples,)
        True labels.

    labels : array-like, default=None
        Labels to show, in order; None takes the estimator's ``classes_``.

    Returns
    -------
    fig : matplotlib.figure.Figure
        Two panels, "Counts" and "% of each true label": the number of images
        of each true label (row) given each prediction (column), and the same
        as a percentage of the row, whose diagonal is each label's recall.
        Each has a colour bar for the mistakes. The title gives the accuracy
        and the most confused pairs, written ``true → predicted (count)``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.dummy import DummyClassifier
    >>> from skmnist.plotting import plot_confusion_matrix
    >>> X = np.zeros((4, 1))
    >>> clf = DummyClassifier(strategy="prior").fit(X, [0, 0, 0, 1])
    >>> fig = plot_confusion_matrix(clf, X, [0, 0, 1, 1])
    >>> counts, rates = [ax for ax in fig.axes if ax.images]
    >>> counts.get_title(), rates.get_title()
    ('Counts', '% of each true label')
    >>> [t.get_text() for t in counts.texts], [t.get_text() for t in rates.texts]
    (['2', '2'], ['100.0%', '100.0%'])
    >>> print(fig.get_suptitle())
    Confusion matrix on 4 images, accuracy 50.00%
    most confused (true → predicted): 1 → 0 (2)
    """
    y = np.asarray(y)
    y_pred = np.asarray(estimator.predict(X))
    if labels is None:
        labels = getattr(estimator, "classes_", None)
    if labels is None:
        labels = np.unique(np.concatenate([y, y_pred]))
    labels = list(labels)
    counts = _matrix(y, y_pred, labels)
    support = counts.sum(axis=1, keepdims=True)
    rates = np.divide(counts, support, out=np.zeros(counts.shape), where=support > 0)

    fig = Figure(figsize=(14, 6.4), layout="constrained")
    axes = fig.subplots(1, 2)
    _draw(axes[0], counts, [[f"{c:,}" for c in row] for row in counts], labels, "Counts",
          "mistakes (images)", fig)
    _draw(axes[1], rates, [[_percent(r) for r in row] for row in rates], labels,
          "% of each true label", "mistakes (% of the true label)", fig,
          PercentFormatter(xmax=1))
    accuracy = float(np.mean(y_pred == y)) if len(y) else 0.0
    title = f"Confusion matrix on {len(y):,} images, accuracy {accuracy:.2%}"
    pairs = confused_pairs(y, y_pred, labels=labels, n=_PAIRS_IN_TITLE)
    if pairs:
        title += "\nmost confused (true → predicted): " + ", ".join(
            f"{row['true']} → {row['predicted']} ({row['count']:,})" for row in pairs
        )
    fig.suptitle(title, fontsize=13)
    return fig

"""The heatmap of a grid search's scores: hidden layer sizes x learning rate.

Part of :mod:`skmnist.plotting`, which re-exports :func:`plot_grid_search`;
``skmnist grid`` saves it as ``heatmap.png``.
"""

import math
from collections.abc import Mapping

import numpy as np
from matplotlib.figure import Figure

__all__ = ["plot_grid_search"]


def _cv_results(search_or_cv_results):
    if hasattr(search_or_cv_results, "cv_results_"):
        return search_or_cv_results.cv_results_
    if isinstance(search_or_cv_results, Mapping) or hasattr(search_or_cv_results, "columns"):
        return search_or_cv_results
    raise TypeError(
        "plot_grid_search expects a fitted search (such as GridSearchCV) or its cv_results_ "
        f"dict; got {type(search_or_cv_results).__name__}. Fit the search first, then pass it "
        "or its cv_results_."
    )


def _param_key(params, name):
    """The key of `params` for parameter `name`: ``name`` itself, or ``step__name``."""
    keys = [key for key in params if key == name or key.endswith(f"__{name}")]
    if len(keys) != 1:
        raise ValueError(
            f"The search's candidates should have one parameter named {name!r} (or "
            f"'<step>__{name}'); they have {sorted(params)}. Name two of them with rows= "
            "and columns=."
        )
    return keys[0]


def _value(value):
    """A grid value as a key: sequences as tuples, so that (128,) and [128] are one row."""
    if isinstance(value, (list, tuple, np.ndarray)):
        return tuple(np.asarray(value).ravel().tolist())
    return value


def _label(value):
    if isinstance(value, tuple):
        return ",".join(map(str, value))
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _sorted(values):
    try:
        return sorted(values)
    except TypeError:  # mixed types, such as None and floats: keep the grid's order
        return list(values)


def plot_grid_search(
    search_or_cv_results, *, rows="hidden_layer_sizes", columns="learning_rate"
):
    """Draw a grid search's mean test scores as a heatmap, one cell per candidate.

    Parameters
    ----------
    search_or_cv_results : fitted search or dict
        A fitted :class:`~sklearn.model_selection.GridSearchCV` (or any search
        with ``cv_results_``), or its ``cv_results_``. Its ``params`` and
        ``mean_test_score`` are drawn.

    rows : str, default="hidden_layer_sizes"
        The parameter on the rows, in the grid's order; a pipeline's
        ``mlp__hidden_layer_sizes`` is found by its name without the step.

    columns : str, default="learning_rate"
        The parameter on the columns, in increasing order.

    Returns
    -------
    fig : matplotlib.figure.Figure
        One axes titled "Mean cross-validated accuracy", with each cell's
        score written in it, and a colour bar. When other parameters vary too,
        each cell shows the best of its candidates and the title says so;
        a cell without a candidate (or whose fits failed) is left blank.

    Raises
    ------
    TypeError
        If `search_or_cv_results` is neither a fitted search nor a dict.
    ValueError
        If `rows` or `columns` does not name one parameter of the candidates,
        or there is no ``mean_test_score`` (a search with several metrics).

    Examples
    --------
    >>> from skmnist.plotting import plot_grid_search
    >>> cv_results = {
    ...     "params": [{"mlp__hidden_layer_sizes": (32,), "mlp__learning_rate": 0.01},
    ...                {"mlp__hidden_layer_sizes": (32,), "mlp__learning_rate": 0.001},
    ...                {"mlp__hidden_layer_sizes": (64, 32), "mlp__learning_rate": 0.01},
    ...                {"mlp__hidden_layer_sizes": (64, 32), "mlp__learning_rate": 0.001}],
    ...     "mean_test_score": [0.91, 0.95, 0.93, 0.97],
    ... }
    >>> fig = plot_grid_search(cv_results)
    >>> ax = fig.axes[0]
    >>> [t.get_text() for t in ax.get_yticklabels()], [t.get_text() for t in ax.get_xticklabels()]
    (['32', '64,32'], ['0.001', '0.01'])
    >>> [t.get_text() for t in ax.texts]
    ['0.9500', '0.9100', '0.9700', '0.9300']
    >>> fig.savefig("heatmap.png", dpi=120)  # doctest: +SKIP
    """
    cv_results = _cv_results(search_or_cv_results)
    if "mean_test_score" not in cv_results:
        raise ValueError(
            "The search's cv_results_ has no mean_test_score; plot_grid_search draws a "
            "search with a single metric (scoring=None, a name or a callable)."
        )
    params = list(cv_results["params"])
    scores = np.asarray(cv_results["mean_test_score"], dtype=float)
    if not params:
        raise ValueError("The search has no candidate to draw.")
    row_key, col_key = _param_key(params[0], rows), _param_key(params[0], columns)
    row_values = list(dict.fromkeys(_value(p[row_key]) for p in params))
    col_values = _sorted(dict.fromkeys(_value(p[col_key]) for p in params))
    grid = np.full((len(row_values), len(col_values)), np.nan)
    for p, score in zip(params, scores):
        cell = row_values.index(_value(p[row_key])), col_values.index(_value(p[col_key]))
        grid[cell] = np.fmax(grid[cell], score)  # the best candidate; NaN only if all are
    others = {key for p in params for key in p} - {row_key, col_key}
    varied = any(len({repr(p.get(key)) for p in params}) > 1 for key in others)

    fig = Figure(
        figsize=(1.6 * len(col_values) + 2.5, 0.9 * len(row_values) + 1.8), layout="constrained"
    )
    ax = fig.subplots()
    image = ax.imshow(grid, cmap="viridis", aspect="auto")
    ax.set_xticks(range(len(col_values)), [_label(v) for v in col_values])
    ax.set_yticks(range(len(row_values)), [_label(v) for v in row_values])
    ax.set_xlabel(columns.replace("_", " "))
    ax.set_ylabel(rows.replace("_", " "))
    ax.set_title(
        "Mean cross-validated accuracy" + ("\n(best over the other parameters)" if varied else "")
    )
    if not np.isnan(grid).all():
        middle = np.nanmin(grid) + (np.nanmax(grid) - np.nanmin(grid)) / 2
        for (row, col), value in np.ndenumerate(grid):
            if not math.isnan(value):  # dark text on viridis' light end, light on its dark
                ax.text(col, row, f"{value:.4f}", ha="center", va="center",
                        color="black" if value > middle else "white")
    fig.colorbar(image, ax=ax, label="accuracy")
    return fig

"""The heatmap of a grid search's scores: hidden layer sizes x learning rate.

Part of :mod:`skmnist.plotting`, which re-exports :func:`plot_grid_search`;
``skmnist grid`` saves it as ``heatmap.png``.
"""

import math
from collections.abc import Mapping

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

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


def _n_folds(cv_results):
    return sum(1 for key in cv_results if key.startswith("split") and key.endswith("_test_score"))


def plot_grid_search(
    search_or_cv_results, *, rows="hidden_layer_sizes", columns="learning_rate", title=None
):
    """Draw a grid search's test scores as a heatmap, one cell per candidate, the best marked.

    Parameters
    ----------
    search_or_cv_results : fitted search or dict
        A fitted :class:`~sklearn.model_selection.GridSearchCV` (or any search
        with ``cv_results_``), or its ``cv_results_``. Its ``params``,
        ``mean_test_score`` and, when present, ``std_test_score`` are drawn.

    rows : str, default="hidden_layer_sizes"
        The parameter on the rows, in the grid's order; a pipeline's
        ``mlp__hidden_layer_sizes`` is found by its name without the step.

    columns : str, default="learning_rate"
        The parameter on the columns, in increasing order.

    title : str, default=None
        A first line for the title, such as what the search ran on
        (``skmnist grid`` gives the number of images, epochs and folds).

    Returns
    -------
    fig : matplotlib.figure.Figure
        One axes titled "Mean cross-validated accuracy (%)", with each cell's
        mean and standard deviation over the folds written in it as
        percentages (``98.12 ± 0.20``), the best cell framed in red and its
        text in bold, and a colour bar. When other parameters vary too, each
        cell shows the best of its candidates and the title says so; a cell
        without a candidate (or whose fits failed) is left blank.

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
    ...     "std_test_score": [0.01, 0.002, 0.004, 0.001],
    ... }
    >>> fig = plot_grid_search(cv_results, title="Grid search on 1,000 images")
    >>> ax = fig.axes[0]
    >>> [t.get_text() for t in ax.get_yticklabels()], [t.get_text() for t in ax.get_xticklabels()]
    (['32', '64,32'], ['0.001', '0.01'])
    >>> [t.get_text() for t in ax.texts]
    ['95.00 ± 0.20', '91.00 ± 1.00', '97.00 ± 0.10', '93.00 ± 0.40']
    >>> print(ax.get_title())
    Grid search on 1,000 images
    Mean cross-validated accuracy (%) ± standard deviation; the best framed in red
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
    spreads = (np.asarray(cv_results["std_test_score"], dtype=float)
               if "std_test_score" in cv_results else np.full(len(scores), np.nan))
    if not params:
        raise ValueError("The search has no candidate to draw.")
    row_key, col_key = _param_key(params[0], rows), _param_key(params[0], columns)
    row_values = list(dict.fromkeys(_value(p[row_key]) for p in params))
    col_values = _sorted(dict.fromkeys(_value(p[col_key]) for p in params))
    grid = np.full((len(row_values), len(col_values)), np.nan)
    spread = np.full(grid.shape, np.nan)
    for p, score, std in zip(params, scores, spreads):
        cell = row_values.index(_value(p[row_key])), col_values.index(_value(p[col_key]))
        if not math.isnan(score) and not score <= grid[cell]:  # the best candidate of the cell
            grid[cell], spread[cell] = score, std
    others = {key for p in params for key in p} - {row_key, col_key}
    varied = any(len({repr(p.get(key)) for p in params}) > 1 for key in others)

    fig = Figure(
        figsize=(1.9 * len(col_values) + 2.6, 0.9 * len(row_values) + 2.2), layout="constrained"
    )
    ax = fig.subplots()
    image = ax.imshow(100 * grid, cmap="viridis", aspect="auto")
    ax.set_xticks(range(len(col_values)), [_label(v) for v in col_values])
    ax.set_yticks(range(len(row_values)), [_label(v) for v in row_values])
    ax.set_xlabel(columns.replace("_", " "), fontsize=11)
    ax.set_ylabel(rows.replace("_", " "), fontsize=11)
    with_spread = not np.isnan(spread).all()
    heading = "Mean cross-validated accuracy (%)"
    folds = _n_folds(cv_results)
    if with_spread:
        heading += f" ± standard deviation{f' over {folds} folds' if folds else ''}"
    heading += "; the best framed in red"
    lines = ([title] if title else []) + [heading]
    if varied:
        lines.append("(each cell: the best over the other parameters)")
    ax.set_title("\n".join(lines), fontsize=11)
    if not np.isnan(grid).all():
        best = np.unravel_index(np.nanargmax(grid), grid.shape)
        middle = np.nanmin(grid) + (np.nanmax(grid) - np.nanmin(grid)) / 2
        for (row, col), value in np.ndenumerate(grid):
            if math.isnan(value):
                continue
            text = f"{100 * value:.2f}"
            if not math.isnan(spread[row, col]):
                text += f" ± {100 * spread[row, col]:.2f}"
            # dark text on viridis' light end, light on its dark
            ax.text(col, row, text, ha="center", va="center", fontsize=10,
                    color="black" if value > middle else "white",
                    fontweight="bold" if (row, col) == best else "normal")
        ax.add_patch(Rectangle((best[1] - 0.48, best[0] - 0.48), 0.96, 0.96, fill=False,
                               edgecolor="red", linewidth=3))
    fig.colorbar(image, ax=ax, label="mean accuracy (%)")
    return fig

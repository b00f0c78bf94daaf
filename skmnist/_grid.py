"""Grid search over the pipeline, in parallel, reporting each fit as it ends.

:func:`fit_grid_search` fits a :class:`~sklearn.model_selection.GridSearchCV`
the way ``search.fit`` does (same folds, same fits, same ``cv_results_``) but
hands every finished fit to a callback in the calling process, as it ends,
whatever joblib backend runs the fits: ``GridSearchCV``'s own ``verbose``
output is printed inside the workers (in another process's terminal, or a
Dask worker's log). :func:`run_grid` is the ``skmnist grid`` command.
"""

import math
import os
import time
from itertools import product
from pathlib import Path

import numpy as np
from sklearn.base import clone, is_classifier
from sklearn.model_selection import GridSearchCV, ParameterGrid, check_cv
from sklearn.model_selection._validation import (
    _fit_and_score,
    _warn_or_raise_about_fit_failures,
)
from sklearn.utils.parallel import Parallel, delayed
from sklearn.utils.validation import indexable

__all__ = ["fit_grid_search"]


def _check_search(search):
    if not isinstance(search, GridSearchCV):
        raise TypeError(
            f"fit_grid_search expects a sklearn.model_selection.GridSearchCV; got "
            f"{type(search).__name__}. Build one with GridSearchCV(estimator, param_grid)."
        )
    if not (search.scoring is None or isinstance(search.scoring, str) or callable(search.scoring)):
        raise ValueError(
            "fit_grid_search supports a single metric: scoring=None, a scorer name such "
            f"as 'accuracy', or a callable; got {search.scoring!r}. Call search.fit(X, y) "
            "for multi-metric searches."
        )
    if not isinstance(search.refit, bool):
        raise ValueError(
            f"fit_grid_search supports refit=True or False; got {search.refit!r}. "
            "Call search.fit(X, y) for a callable refit."
        )
    if search.return_train_score:
        raise ValueError(
            "fit_grid_search does not compute training scores; set "
            "return_train_score=False, or call search.fit(X, y)."
        )


def _evaluate(estimator, X, y, train, test, parameters, scorer, error_score, index):
    """One fit and its score, on a worker; ``index`` travels back with the result."""
    result = _fit_and_score(
        estimator,
        X,
        y,
        scorer=scorer,
        train=train,
        test=test,
        verbose=0,
        parameters=parameters,
        fit_params={},
        score_params={},
        return_n_test_samples=True,
        return_times=True,
        error_score=error_score,
    )
    return index, result


def fit_grid_search(search, X, y, *, on_fit=None):
    """Fit a ``GridSearchCV``, reporting every fit in this process as it ends.

    Runs the same fits as ``search.fit(X, y)`` -- every candidate of
    ``search.param_grid`` on every fold of ``search.cv``, through joblib with
    ``search.n_jobs`` workers of the current backend (loky processes by
    default, a Dask cluster inside ``joblib.parallel_config(backend="dask")``)
    -- and fills the same fitted attributes (``cv_results_``, ``best_index_``,
    ``best_params_``, ``best_score_``, ``best_estimator_``, ``refit_time_``,
    ``scorer_``, ``n_splits_``, ``multimetric_``). The difference: results
    come back in the order the fits finish, and `on_fit` is called with each
    one in the calling process, so progress can be shown with any number of
    workers.

    Parameters
    ----------
    search : sklearn.model_selection.GridSearchCV
        The search to fit, with a single metric (`scoring` None, a name or a
        callable), ``refit`` True or False and ``return_train_score=False``.

    X : array-like of shape (n_samples, ...)
        Training samples (raw images for :func:`make_mlp_pipeline`).

    y : array-like of shape (n_samples,)
        Class labels.

    on_fit : callable, default=None
        Called after each fit as ``on_fit(params=..., split=..., n_splits=...,
        score=..., seconds=..., done=..., total=...)``: the candidate's
        parameters (dict), the fold index (from 0), the number of folds, the
        test score, the fit plus scoring time in seconds, the number of fits
        finished so far and the total number of fits.

    Returns
    -------
    search : sklearn.model_selection.GridSearchCV
        The same object, fitted.

    Raises
    ------
    TypeError
        If `search` is not a ``GridSearchCV``.
    ValueError
        If `search` asks for several metrics, a callable refit or training
        scores.

    See Also
    --------
    sklearn.model_selection.GridSearchCV.fit : The same search, without the
        per-fit callback.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.model_selection import GridSearchCV
    >>> from sklearn.neighbors import KNeighborsClassifier
    >>> from skmnist import fit_grid_search
    >>> X, y = load_digits(return_X_y=True)
    >>> search = GridSearchCV(KNeighborsClassifier(), {"n_neighbors": [1, 15]}, cv=2)
    >>> done = []
    >>> search = fit_grid_search(search, X, y, on_fit=lambda **fit: done.append(fit["done"]))
    >>> sorted(done)
    [1, 2, 3, 4]
    >>> search.best_params_
    {'n_neighbors': 1}
    >>> search.cv_results_["mean_test_score"].round(2).tolist()
    [0.96, 0.94]
    """
    _check_search(search)
    scorers, _ = search._get_scorers()
    X, y = indexable(X, y)
    cv = check_cv(search.cv, y, classifier=is_classifier(search.estimator))
    splits = list(cv.split(X, y))
    n_splits = len(splits)
    candidates = list(ParameterGrid(search.param_grid))
    if not candidates:
        raise ValueError("The parameter grid is empty: give at least one value per parameter.")
    base = clone(search.estimator)
    pairs = list(product(enumerate(candidates), enumerate(splits)))
    total = len(pairs)
    out = [None] * total
    parallel = Parallel(
        n_jobs=search.n_jobs, pre_dispatch=search.pre_dispatch, return_as="generator_unordered"
    )
    results = parallel(
        delayed(_evaluate)(
            clone(base), X, y, train, test, params, scorers, search.error_score, index
        )
        for index, ((_, params), (_, (train, test))) in enumerate(pairs)
    )
    for done, (index, result) in enumerate(results, start=1):
        out[index] = result
        if on_fit is not None:
            (_, params), (split, _) = pairs[index]
            on_fit(
                params=params,
                split=split,
                n_splits=n_splits,
                score=result["test_scores"],
                seconds=result["fit_time"] + result["score_time"],
                done=done,
                total=total,
            )
    _warn_or_raise_about_fit_failures(out, search.error_score)  # as GridSearchCV does

    search.n_splits_ = n_splits
    search.multimetric_ = False
    search.scorer_ = scorers
    results = search._format_results(candidates, n_splits, out)
    search.cv_results_ = results
    search.best_index_ = int(results["rank_test_score"].argmin())
    search.best_score_ = float(results["mean_test_score"][search.best_index_])
    search.best_params_ = results["params"][search.best_index_]
    if search.refit:
        search.best_estimator_ = clone(base).set_params(**clone(search.best_params_, safe=False))
        start = time.time()
        search.best_estimator_.fit(X, y)
        search.refit_time_ = time.time() - start
        if hasattr(search.best_estimator_, "feature_names_in_"):
            search.feature_names_in_ = search.best_estimator_.feature_names_in_
    return search


# -- the `skmnist grid` command ----------------------------------------------------


def _sizes_text(sizes):
    return ",".join(str(s) for s in np.atleast_1d(sizes))


def _fit_line(params, split, n_splits, score, seconds, done, total):
    width = len(str(total))
    return (
        f"[{done:>{width}}/{total}] hidden={_sizes_text(params['mlp__hidden_layer_sizes']):<8} "
        f"lr={params['mlp__learning_rate']:<7g} fold {split + 1}/{n_splits}  "
        f"accuracy={score:.4f}  {seconds:6.1f} s"
    )


def ranked_table(cv_results):
    """The candidates from best to worst, as lines of text."""
    order = np.argsort(cv_results["rank_test_score"], kind="stable")
    lines = [
        f"{'rank':>4}  {'hidden':<10}{'learning rate':>14}  {'mean accuracy':>13}  "
        f"{'std':>6}  {'fit time':>8}"
    ]
    for i in order:
        params = cv_results["params"][i]
        lines.append(
            f"{cv_results['rank_test_score'][i]:>4}  "
            f"{_sizes_text(params['mlp__hidden_layer_sizes']):<10}"
            f"{params['mlp__learning_rate']:>14g}  {cv_results['mean_test_score'][i]:>13.4f}  "
            f"{cv_results['std_test_score'][i]:>6.4f}  {cv_results['mean_fit_time'][i]:>6.1f} s"
        )
    return lines


def plot_heatmap(cv_results, path):
    """Save a heatmap of mean CV accuracy, hidden layers (rows) x learning rate (columns)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    params = cv_results["params"]
    sizes = list(dict.fromkeys(tuple(np.atleast_1d(p["mlp__hidden_layer_sizes"])) for p in params))
    rates = sorted({p["mlp__learning_rate"] for p in params})
    grid = np.full((len(sizes), len(rates)), np.nan)
    for p, score in zip(params, cv_results["mean_test_score"]):
        grid[
            sizes.index(tuple(np.atleast_1d(p["mlp__hidden_layer_sizes"]))),
            rates.index(p["mlp__learning_rate"]),
        ] = score
    fig, ax = plt.subplots(figsize=(1.6 * len(rates) + 2.5, 0.9 * len(sizes) + 1.8))
    image = ax.imshow(grid, cmap="viridis", aspect="auto")
    ax.set_xticks(range(len(rates)), [f"{r:g}" for r in rates])
    ax.set_yticks(range(len(sizes)), [_sizes_text(s) for s in sizes])
    ax.set_xlabel("learning rate")
    ax.set_ylabel("hidden layer sizes")
    ax.set_title("Mean cross-validated accuracy")
    middle = np.nanmin(grid) + (np.nanmax(grid) - np.nanmin(grid)) / 2
    for (row, col), value in np.ndenumerate(grid):
        if not math.isnan(value):
            ax.text(col, row, f"{value:.4f}", ha="center", va="center",
                    color="black" if value > middle else "white")
    fig.colorbar(image, ax=ax, label="accuracy")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _stratified_subset(X, y, n, random_state):
    if n is None or n >= len(y):
        return X, y
    from sklearn.model_selection import train_test_split

    X, _, y, _ = train_test_split(X, y, train_size=n, stratify=y, random_state=random_state)
    return X, y


def run_grid(args):
    """Run ``skmnist grid`` with the parsed command-line arguments; return the exit status."""
    import contextlib

    from ._datasets import load_mnist

    try:
        import matplotlib  # noqa: F401  (for the heatmap; fail before the search, not after)
    except ImportError:
        raise ValueError(
            "skmnist grid draws its heatmap with matplotlib, which is not installed. "
            "Install it with pip install 'skmnist[plot]'."
        ) from None
    output = Path(args.output)
    output.mkdir(parents=True, exist_ok=True)
    data = load_mnist(args.data_dir, download=not args.no_download)
    X, y = _stratified_subset(data.X_train, data.y_train, args.subset, args.random_state)
    print(
        f"MNIST from {data.source}: searching on {len(y):,} training images "
        f"({'stratified subset' if args.subset and args.subset < len(data.y_train) else 'all'}), "
        f"testing on {len(data.y_test):,}",
        flush=True,
    )

    # Every fit gets the same number of TensorFlow threads, here (read when
    # TensorFlow is imported, just below) and in the worker processes, which
    # inherit the variable: a float32 sum may round differently with another
    # number of threads, and the scores must not depend on where a fit ran.
    os.environ["SKMNIST_TF_THREADS"] = str(args.tf_threads)
    from ._pipeline import make_mlp_pipeline  # imports TensorFlow, quietly

    pipe = make_mlp_pipeline(
        epochs=args.epochs, random_state=args.random_state, verbose=min(args.verbose, 2)
    )
    param_grid = {
        "mlp__hidden_layer_sizes": args.hidden_layer_sizes,
        "mlp__learning_rate": args.learning_rate,
    }
    n_jobs = args.n_jobs
    backend = contextlib.nullcontext()
    client = contextlib.nullcontext()
    where = "this process"
    if n_jobs not in (None, 1):
        from joblib import effective_n_jobs

        where = f"{effective_n_jobs(n_jobs)} worker processes"
    if args.scheduler:
        try:
            import joblib
            from dask.distributed import Client
        except ImportError as exc:
            raise ValueError(
                f"--scheduler needs Dask's distributed scheduler ({exc}). Install it with "
                "pip install 'skmnist[dask]'."
            ) from None
        client = Client(args.scheduler, timeout=30)
        backend = joblib.parallel_config(backend="dask")
        where = f"the Dask cluster at {args.scheduler}"
    search = GridSearchCV(pipe, param_grid, cv=args.cv, n_jobs=n_jobs, refit=True)
    n_fits = len(args.hidden_layer_sizes) * len(args.learning_rate) * args.cv
    print(
        f"{len(args.hidden_layer_sizes)} hidden layer sizes x {len(args.learning_rate)} "
        f"learning rates x {args.cv} folds = {n_fits} fits of {args.epochs} epoch(s), "
        f"on {where}"
        + ("" if args.scheduler else f", {args.tf_threads} TensorFlow thread(s) per fit"),
        flush=True,
    )
    start = time.perf_counter()
    with client as dask_client, backend:
        if args.scheduler:
            workers = len(dask_client.scheduler_info().get("workers", {}))
            print(f"Dask dashboard: {dask_client.dashboard_link} ({workers} workers)", flush=True)
        fit_grid_search(
            search, X, y, on_fit=lambda **fit: print(_fit_line(**fit), flush=True)
        )
    seconds = time.perf_counter() - start
    results = search.cv_results_
    print(
        f"\n{n_fits} fits and the refit in {seconds:.1f} s "
        f"({n_fits / seconds * 60:.1f} fits per minute)\n"
    )
    print("\n".join(ranked_table(results)))

    import pandas as pd

    csv_path = output / "cv_results.csv"
    pd.DataFrame(results).to_csv(csv_path, index=False)
    heatmap_path = output / "heatmap.png"
    plot_heatmap(results, heatmap_path)

    accuracy = float(search.score(data.X_test, data.y_test))
    best = search.best_params_
    print(
        f"\nBest: hidden={_sizes_text(best['mlp__hidden_layer_sizes'])} "
        f"lr={best['mlp__learning_rate']:g}, mean CV accuracy {search.best_score_:.4f}; "
        f"refitted on the {len(y):,} images in {search.refit_time_:.1f} s"
    )
    print(f"Test accuracy of the refitted best model: {accuracy:.4f}")
    model_path = _save_best(search.best_estimator_, output)
    print(f"Wrote {csv_path}, {heatmap_path} and {model_path} (load it with skmnist.load)")
    return 0


def _save_best(estimator, output):
    from ._persistence import save

    return save(estimator, output / "best_model.skmnist")

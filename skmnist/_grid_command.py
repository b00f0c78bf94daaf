"""The ``skmnist grid`` command: a grid search over the pipeline on MNIST, with a line per fit."""

import os
import time
from pathlib import Path

import numpy as np
from sklearn.model_selection import GridSearchCV

from ._grid import fit_grid_search

__all__ = ["ranked_table", "run_grid"]


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
    from .plotting import plot_grid_search

    plot_grid_search(results).savefig(heatmap_path, dpi=120)

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

"""The ``skmnist grid`` command: a grid search over the pipeline on MNIST, with a line per fit.

Before a search starts it prints a rough estimate of its duration (see
:func:`estimate_seconds`) and, on a terminal, asks to go on when that is more
than :data:`CONFIRM_ABOVE` seconds (``--yes`` skips the question; without a
terminal it just goes on). Paths are printed as every command prints them
(``_files.shown_path``): relative to the current folder when inside it,
absolute otherwise.
"""

import math
import os
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.model_selection import GridSearchCV

from ._cli_parser import GRID_CONFIRM_MINUTES
from ._facts import is_short_fit
from ._files import shown_path
from ._grid import fit_grid_search

__all__ = ["CONFIRM_ABOVE", "estimate_seconds", "ranked_table", "run_grid"]

#: Microseconds of one training image through one epoch of one fit: a fixed
#: part, a part per 1,000 weights of the network, and what redrawing the digits
#: adds (make_mlp_pipeline() redraws them in fits of 10 epochs or more). Fitted
#: to the default ``skmnist grid`` on a quiet machine (2 CPU cores, one
#: TensorFlow thread per fit, 40,000 images per fit, 2026-11-26): 5 epochs, not
#: redrawn: 32 units 0.3 s a fit, 128 units 0.6 s, 512-256 2.6 s (search 35 s,
#: estimated 40 s); 15 epochs, redrawn: 4.8 s, 5.8 s, 12.9 s (232 s, estimated 239 s).
US_PER_IMAGE_EPOCH = 0.5
US_PER_IMAGE_EPOCH_PER_1000_WEIGHTS = 0.024
US_PER_IMAGE_EPOCH_REDRAWN = 7.5
#: Seconds of each fit besides training (building, scoring), and of each
#: network size (TensorFlow traces its training loop once per process).
SECONDS_PER_FIT = 0.1
SECONDS_PER_NETWORK = 0.5

#: Estimated seconds above which a search on a terminal asks to go on.
CONFIRM_ABOVE = 60 * GRID_CONFIRM_MINUTES


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


def estimate_seconds(hidden_layer_sizes, n_rates, cv, epochs, n_images, *, n_features=784,
                     n_classes=10, parallel=1, redrawn=False):
    """A rough estimate of a grid search's duration, in seconds, from a measured throughput.

    Each fit trains on ``(cv - 1) / cv`` of the `n_images` for `epochs` epochs;
    an image costs :data:`US_PER_IMAGE_EPOCH` microseconds per epoch, plus
    :data:`US_PER_IMAGE_EPOCH_PER_1000_WEIGHTS` per 1,000 weights of its
    network, plus :data:`US_PER_IMAGE_EPOCH_REDRAWN` when the fits redraw the
    digits (`redrawn`). Each fit adds :data:`SECONDS_PER_FIT`, each network size
    :data:`SECONDS_PER_NETWORK`. There are ``len(hidden_layer_sizes) * n_rates
    * cv`` fits, run `parallel` at a time, then the refit of the best
    candidate on all images (counted as the slowest). TensorFlow's start is
    left out.

    Examples
    --------
    >>> round(estimate_seconds([(32,), (128,), (512, 256)], 3, 3, 15, 60_000, redrawn=True))
    239
    >>> round(estimate_seconds([(32,), (128,), (512, 256)], 3, 3, 5, 60_000))
    40
    """

    def per_image_epoch(sizes):
        units = [n_features, *sizes, n_classes]
        weights = sum((a + 1) * b for a, b in zip(units, units[1:]))
        redrawing = US_PER_IMAGE_EPOCH_REDRAWN if redrawn else 0.0
        return (US_PER_IMAGE_EPOCH + US_PER_IMAGE_EPOCH_PER_1000_WEIGHTS * weights / 1000
                + redrawing) * 1e-6

    costs = [per_image_epoch(sizes) for sizes in hidden_layer_sizes]
    train_images = n_images * (cv - 1) / cv
    n_fits = len(costs) * n_rates * cv
    search = (sum(costs) * n_rates * cv * train_images * epochs + SECONDS_PER_FIT * n_fits
              + SECONDS_PER_NETWORK * len(costs)) / max(1, parallel)
    return search + max(costs) * n_images * epochs + SECONDS_PER_FIT


def _duration(seconds):
    if seconds < 90:
        return f"{max(1, math.ceil(seconds / 5) * 5)} s"
    if seconds < 5400:
        return f"{math.ceil(seconds / 60)} min"
    return f"{seconds / 3600:.1f} h"


def _go_on(seconds, assume_yes):
    """Whether to start a search estimated at `seconds`: asked on a terminal only."""
    if assume_yes or seconds <= CONFIRM_ABOVE or not (sys.stdin.isatty() and sys.stdout.isatty()):
        return True
    try:
        answer = input(f"This may take about {_duration(seconds)}. Go on? [y/N] ")
    except EOFError:
        answer = ""
    return answer.strip().lower() in ("y", "yes")


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
    data = load_mnist(args.data_dir, download=not args.no_download)
    X, y = _stratified_subset(data.X_train, data.y_train, args.subset, args.random_state)
    print(
        f"MNIST from {shown_path(data.source)}: searching on {len(y):,} training images "
        f"({'stratified subset' if args.subset and args.subset < len(data.y_train) else 'all'}), "
        f"testing on {len(data.y_test):,}",
        flush=True,
    )

    n_jobs = args.n_jobs
    parallel, where = 1, "this process"
    if args.scheduler:
        where = f"the Dask cluster at {args.scheduler}"
    elif n_jobs not in (None, 1):
        from joblib import effective_n_jobs

        parallel = min(effective_n_jobs(n_jobs), os.cpu_count() or 1)
        where = f"{effective_n_jobs(n_jobs)} worker processes"
    n_fits = len(args.hidden_layer_sizes) * len(args.learning_rate) * args.cv
    print(
        f"{len(args.hidden_layer_sizes)} hidden layer sizes x {len(args.learning_rate)} "
        f"learning rates x {args.cv} folds = {n_fits} fits of {args.epochs} epoch(s), "
        f"on {where}"
        + ("" if args.scheduler else f", {args.tf_threads} TensorFlow thread(s) per fit"),
        flush=True,
    )
    seconds = estimate_seconds(
        args.hidden_layer_sizes, len(args.learning_rate), args.cv, args.epochs, len(y),
        n_features=int(np.prod(X.shape[1:])), n_classes=len(np.unique(y)), parallel=parallel,
        redrawn=not is_short_fit(args.epochs),  # as make_mlp_pipeline(epochs=...) below
    )
    print(
        f"Estimated time: about {_duration(seconds)} with the refit"
        + (" (of fits, to share among the cluster's workers)" if args.scheduler else "")
        + "; a rough guess from a throughput measured on 2 CPU cores.",
        flush=True,
    )
    if not _go_on(seconds, args.yes):
        print("Not started. Make the grid smaller (--subset, --epochs, --cv), or pass --yes.")
        return 1
    output.mkdir(parents=True, exist_ok=True)

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
    backend = contextlib.nullcontext()
    client = contextlib.nullcontext()
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
    search = GridSearchCV(pipe, param_grid, cv=args.cv, n_jobs=n_jobs, refit=True)
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

    images = (f"a stratified subset of {len(y):,}" if len(y) < len(data.y_train)
              else f"all {len(y):,}")
    title = (f"skmnist grid on {images} MNIST training images, "
             f"{args.epochs} epoch{'s' if args.epochs > 1 else ''} per fit")
    plot_grid_search(results, title=title).savefig(heatmap_path, dpi=120)

    accuracy = float(search.score(data.X_test, data.y_test))
    best = search.best_params_
    print(
        f"\nBest: hidden={_sizes_text(best['mlp__hidden_layer_sizes'])} "
        f"lr={best['mlp__learning_rate']:g}, mean CV accuracy {search.best_score_:.4f}; "
        f"refitted on the {len(y):,} images in {search.refit_time_:.1f} s"
    )
    print(f"Test accuracy of the refitted best model: {accuracy:.4f}")
    from ._persistence import save

    model_path = output / "best_model.skmnist"
    save(search.best_estimator_, model_path)
    print(f"Wrote {shown_path(csv_path)}, {shown_path(heatmap_path)} and {shown_path(model_path)} "
          "(load it with skmnist.load)")
    return 0

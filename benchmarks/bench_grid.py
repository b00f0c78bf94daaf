"""Grid search wall time: serial, two loky worker processes, two Dask workers;
each parallel route with workers started cold and with workers warmed first.

The search of ``skmnist grid``'s default grid -- hidden layers 32, 128 and
512,256 x learning rates 1e-3, 3e-3 and 1e-2 x 3 folds = 27 fits -- on a
stratified subset of 20,000 MNIST training images, ``--epochs`` per fit,
``random_state=0``, no refit, through :func:`skmnist.fit_grid_search`:

- serial: ``n_jobs=1``, in this process (TensorFlow imported, not yet run);
- loky, cold: ``n_jobs=2``, joblib's process backend, no worker running before:
  the time includes starting both workers and importing TensorFlow in each;
- loky, warm: the same after :func:`skmnist.warm_workers` (timed on its own:
  what a worker pays once);
- Dask, cold and warm: a ``dask.distributed.LocalCluster`` of 2 worker processes
  with 1 thread each on 127.0.0.1, through ``joblib.parallel_config(backend="dask")``;
  the cluster is started before the clock, and its workers, spawned, import this
  script's modules (skmnist, so TensorFlow) as they start; cold, their first
  task runs TensorFlow for the first time, warm, ``warm_workers(client=...)`` did
  it before the clock; then warm again
  on a cluster started with the settings ``docs/grid.md`` recommends
  (:data:`DASK_FOR_SEARCHES`: no profiler, glibc's own memory trimming).

Every fit uses one TensorFlow thread (``SKMNIST_TF_THREADS=1``), as ``skmnist
grid`` does by default, so that every route gives the same scores. Then, in
this process, what a fit pays besides training: a fit of one epoch on 100
images of an architecture already trained in the process, and of a new one.
It prints a Markdown table and writes it to ``--output``. ::

    SKMNIST_DATA=../shared/datasets/mnist python benchmarks/bench_grid.py --epochs 10
    SKMNIST_DATA=../shared/datasets/mnist python benchmarks/bench_grid.py --epochs 2
"""

import argparse
import os
import platform
import statistics
import time
from pathlib import Path

# One TensorFlow thread per fit on every route, as `skmnist grid` does by default
# (--tf-threads 1): set before TensorFlow is imported here, inherited by the workers.
os.environ["SKMNIST_TF_THREADS"] = "1"

import joblib
import numpy as np
from joblib.externals.loky import get_reusable_executor
from sklearn.model_selection import GridSearchCV, ParameterGrid

from skmnist import fit_grid_search, load_mnist, make_mlp_pipeline, warm_workers
from skmnist._facts import NO_DIGIT_AUGMENTATION
from skmnist._grid_command import _stratified_subset

GRID = {
    "mlp__hidden_layer_sizes": [(32,), (128,), (512, 256)],
    "mlp__learning_rate": [1e-3, 3e-3, 1e-2],
}
QUICK_GRID = {"mlp__hidden_layer_sizes": [(8,), (16,)], "mlp__learning_rate": [1e-2]}


#: The fits measured: the default network in batches of 128, on the digits as they are
#: (make_mlp_pipeline's defaults before it redrew digits and batched by 256), so that
#: the figures of docs/grid.md keep measuring one workload.
FIT = dict(batch_size=128, **NO_DIGIT_AUGMENTATION)


def _search(grid, epochs, n_jobs):
    pipe = make_mlp_pipeline(epochs=epochs, random_state=0, **FIT)
    return GridSearchCV(pipe, grid, cv=3, n_jobs=n_jobs, refit=False)


def _timed(search, X, y):
    start = time.perf_counter()
    fit_grid_search(search, X, y)
    return time.perf_counter() - start, search


def _no_loky_workers():
    """Stop joblib's reusable loky workers, so that the next search starts its own."""
    get_reusable_executor(max_workers=2).shutdown(wait=True, kill_workers=True)


#: The Dask settings docs/grid.md recommends for searches: no sampling profiler in
#: the workers, and glibc's own memory trimming (Dask's nanny sets
#: MALLOC_TRIM_THRESHOLD_, which makes every large allocation a fresh mmap; None
#: unsets it).
DASK_FOR_SEARCHES = {
    "distributed.worker.profile.enabled": False,
    "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
}


def _cluster(tuned=False):
    import dask
    from dask.distributed import LocalCluster

    if tuned:
        # A nanny sets its pre-spawn environment in the process that starts it too,
        # so an earlier cluster of this process left MALLOC_TRIM_THRESHOLD_ here, and
        # the nanny takes a variable set here over its configuration.
        os.environ.pop("MALLOC_TRIM_THRESHOLD_", None)
    with dask.config.set(DASK_FOR_SEARCHES if tuned else {}):
        return LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                            host="127.0.0.1", dashboard_address=None)


def _run_routes(grid, epochs, X, y):
    """(name, search seconds, what was paid before the clock, fitted search) per route."""
    rows = []
    seconds, serial = _timed(_search(grid, epochs, n_jobs=1), X, y)
    rows.append(("serial (n_jobs=1)", seconds, "", serial))
    print(f"serial: {seconds:.1f} s", flush=True)
    for warm in (False, True):
        _no_loky_workers()
        before = ""
        if warm:
            start = time.perf_counter()
            warm_workers(n_jobs=2)
            before = f"warm_workers: {time.perf_counter() - start:.1f} s"
        seconds, search = _timed(_search(grid, epochs, n_jobs=2), X, y)
        rows.append((f"loky, n_jobs=2, {'warm' if warm else 'cold'}", seconds, before, search))
        print(f"{rows[-1][0]}: {seconds:.1f} s ({before})", flush=True)
    _no_loky_workers()
    from dask.distributed import Client

    for warm, tuned in ((False, False), (True, False), (True, True)):
        start = time.perf_counter()
        # Dask's workers are spawned: each imports this script's modules, skmnist and
        # so TensorFlow, while the cluster starts.
        with _cluster(tuned) as cluster, Client(cluster) as client:
            before = f"cluster start: {time.perf_counter() - start:.1f} s"
            if warm:
                start = time.perf_counter()
                warm_workers(client=client)
                before += f", warm_workers: {time.perf_counter() - start:.1f} s"
            with joblib.parallel_config(backend="dask"):
                seconds, search = _timed(_search(grid, epochs, n_jobs=None), X, y)
        name = f"Dask, 2 workers x 1 thread, {'warm' if warm else 'cold'}"
        rows.append((name + (", settings of docs/grid.md" if tuned else ""), seconds, before,
                     search))
        print(f"{rows[-1][0]}: {seconds:.1f} s ({before})", flush=True)
    return rows


def _per_fit_costs(X, y, repeats):
    """Median seconds of a 1-epoch fit on 100 images: of an architecture trained in
    this process before, and of a new one (its first fit here)."""
    X, y = X[:100], y[:100]
    known = [], []
    for i in range(repeats):
        pipe = make_mlp_pipeline(hidden_layer_sizes=(32,), epochs=1, random_state=i)
        start = time.perf_counter()
        pipe.fit(X, y)
        known[0].append(time.perf_counter() - start)
        pipe = make_mlp_pipeline(hidden_layer_sizes=(40 + i,), epochs=1, random_state=i)
        start = time.perf_counter()
        pipe.fit(X, y)
        known[1].append(time.perf_counter() - start)
    return statistics.median(known[0]), statistics.median(known[1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=20_000)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--quick", action="store_true",
                        help="600 images, a 2 x 1 grid, 1 epoch: a smoke test")
    parser.add_argument("--output", default=None,
                        help="default: benchmarks/results/bench_grid_<epochs>_epochs.md")
    args = parser.parse_args(argv)
    grid = QUICK_GRID if args.quick else GRID
    if args.quick:
        args.images, args.epochs = 600, 1
    output = Path(args.output or Path(__file__).parent / "results"
                  / f"bench_grid_{args.epochs}_epochs.md")

    X_train, _, y_train, _ = load_mnist(download=False, return_X_y=True)
    X, y = _stratified_subset(X_train, y_train, args.images, random_state=0)
    n_fits = len(ParameterGrid(grid)) * 3
    rows = _run_routes(grid, args.epochs, X, y)
    fit_known, fit_new = _per_fit_costs(X, y, 3 if args.quick else 7)

    def scores(search):
        res = search.cv_results_
        return np.column_stack([res[f"split{k}_test_score"] for k in range(3)])

    serial_seconds = rows[0][1]
    lines = [
        (f"`python benchmarks/bench_grid.py --epochs {args.epochs}`, "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}: {n_fits} fits "
        f"({' x '.join(str(len(v)) for v in grid.values())} candidates x 3 folds), "
        f"{args.epochs} epochs each, on a stratified subset of {len(y):,} MNIST training "
        f"images; 1 TensorFlow thread per fit; {os.cpu_count()} CPU cores, Python "
        f"{platform.python_version()}, joblib {joblib.__version__}."),
        "",
        ("| route | search wall time | speed-up | paid before the search's clock | "
        "scores identical to serial |"),
        "| --- | ---: | ---: | --- | :---: |",
    ]
    for name, seconds, before, search in rows:
        same = "yes" if np.array_equal(scores(search), scores(rows[0][3])) else "no"
        lines.append(f"| {name} | {seconds:.1f} s | {serial_seconds / seconds:.2f}x | "
                     f"{before} | {same} |")
    best = int(np.argmin(rows[0][3].cv_results_["rank_test_score"]))
    lines += [
        "",
        (f"Best candidate: {rows[0][3].cv_results_['params'][best]}, mean CV accuracy "
        f"{rows[0][3].cv_results_['mean_test_score'][best]:.4f}."),
        "",
        (f"What a fit pays besides training (median, this process, 1 epoch on 100 images): "
        f"{fit_known * 1000:.0f} ms for an architecture trained here before, "
        f"{fit_new * 1000:.0f} ms for a new one (its training loop traced)."),
    ]
    table = "\n".join(lines)
    print("\n" + table)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(table + "\n")
    print(f"\nWrote {output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

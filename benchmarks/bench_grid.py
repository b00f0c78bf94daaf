"""Grid search wall time: serial, two loky worker processes, two Dask workers.

The search of ``skmnist grid``'s default grid -- hidden layers 32, 128 and
512,256 x learning rates 1e-3, 3e-3 and 1e-2 x 3 folds = 27 fits -- on a
stratified subset of 20,000 MNIST training images, ``--epochs`` (default 2)
per fit, ``random_state=0``, no refit. It runs three times, through
:func:`skmnist.fit_grid_search`:

- serial: ``n_jobs=1``, in this process;
- loky: ``n_jobs=2``, joblib's process backend;
- dask: a ``dask.distributed.LocalCluster`` of 2 worker processes with 1
  thread each on 127.0.0.1, through ``joblib.parallel_config(backend="dask")``.

Every fit uses one TensorFlow thread (``SKMNIST_TF_THREADS=1``), as ``skmnist
grid`` does by default, so that the three routes give the same scores.

Wall time counts from the start of the search to its last fit, so it includes
the workers' start (importing TensorFlow) for loky and the first task's
TensorFlow import on the Dask workers (the cluster itself is started before).
It prints a Markdown table and writes it to ``--output``.

    SKMNIST_DATA=../shared/datasets/mnist python benchmarks/bench_grid.py
"""

import argparse
import os
import platform
import time
from pathlib import Path

# One TensorFlow thread per fit on every route, as `skmnist grid` does by default
# (--tf-threads 1): set before TensorFlow is imported here, inherited by the workers.
os.environ["SKMNIST_TF_THREADS"] = "1"

import numpy as np
from sklearn.model_selection import GridSearchCV

from skmnist import fit_grid_search, load_mnist, make_mlp_pipeline
from skmnist._grid_command import _stratified_subset

GRID = {
    "mlp__hidden_layer_sizes": [(32,), (128,), (512, 256)],
    "mlp__learning_rate": [1e-3, 3e-3, 1e-2],
}


def _search(epochs, n_jobs):
    pipe = make_mlp_pipeline(epochs=epochs, random_state=0)
    return GridSearchCV(pipe, GRID, cv=3, n_jobs=n_jobs, refit=False)


def _timed(search, X, y):
    start = time.perf_counter()
    fit_grid_search(search, X, y)
    return time.perf_counter() - start, search


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=20_000)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument(
        "--output", default=str(Path(__file__).parent / "results" / "bench_grid.md")
    )
    args = parser.parse_args()

    X_train, _, y_train, _ = load_mnist(download=False, return_X_y=True)
    X, y = _stratified_subset(X_train, y_train, args.images, random_state=0)
    n_fits = 27
    rows = []

    seconds, serial = _timed(_search(args.epochs, n_jobs=1), X, y)
    rows.append(("serial (n_jobs=1)", seconds, serial))
    print(f"serial: {seconds:.1f} s", flush=True)

    seconds, loky = _timed(_search(args.epochs, n_jobs=2), X, y)
    rows.append(("loky, n_jobs=2", seconds, loky))
    print(f"loky: {seconds:.1f} s", flush=True)

    import joblib
    from dask.distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        Client(cluster),
        joblib.parallel_config(backend="dask"),
    ):
        seconds, dask = _timed(_search(args.epochs, n_jobs=None), X, y)
    rows.append(("Dask, 2 workers x 1 thread", seconds, dask))
    print(f"dask: {seconds:.1f} s", flush=True)

    def scores(search):
        res = search.cv_results_
        return np.column_stack([res[f"split{k}_test_score"] for k in range(3)])

    lines = [
        f"{n_fits} fits (3 hidden layer sizes x 3 learning rates x 3 folds), {args.epochs} "
        f"epochs each, on a stratified subset of {len(y):,} MNIST training images; "
        f"1 TensorFlow thread per fit; {os.cpu_count()} CPU cores, Python "
        f"{platform.python_version()}.",
        "",
        "| route | wall time | fits per minute | speed-up | scores identical to serial |",
        "| --- | ---: | ---: | ---: | :---: |",
    ]
    for name, seconds, search in rows:
        same = "yes" if np.array_equal(scores(search), scores(serial)) else "no"
        lines.append(
            f"| {name} | {seconds:.1f} s | {n_fits / seconds * 60:.1f} | "
            f"{rows[0][1] / seconds:.2f}x | {same} |"
        )
    best = int(np.argmin(serial.cv_results_["rank_test_score"]))
    lines += [
        "",
        f"Best candidate: {serial.cv_results_['params'][best]}, mean CV accuracy "
        f"{serial.cv_results_['mean_test_score'][best]:.4f}.",
    ]
    table = "\n".join(lines)
    print("\n" + table)
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(table + "\n")
    print(f"\nWrote {args.output}")


if __name__ == "__main__":
    main()

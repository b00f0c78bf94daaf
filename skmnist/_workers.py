"""Worker processes for parallel searches, warmed once for many fits.

A parallel search (``GridSearchCV(n_jobs=2)``, ``cross_val_score(n_jobs=2)``,
a Dask cluster) fits in worker processes, and each new worker pays once,
before its first fit: starting Python, importing scikit-learn and TensorFlow
(most of it) and TensorFlow's first run, about 3 s on 2 CPU cores. joblib
keeps its workers between searches (for 300 s of idleness by default) and a
Dask cluster keeps its workers for its life, so that cost is paid once per
worker, not once per search. :func:`warm_workers` pays it ahead of time: while
the data loads, for example, or before a benchmark is timed. The figures are in
``docs/grid.md``.
"""

import os
import time
import warnings

import numpy as np

__all__ = ["warm_workers"]

#: Each warm-up task on joblib's workers lasts at least this long, so that
#: every idle worker takes one (a warm worker would otherwise take them all).
MIN_TASK_SECONDS = 0.5


def _warm_this_process(min_seconds=0.0):
    """Import TensorFlow and run one tiny fit in this process; its process id."""
    start = time.perf_counter()
    from ._classifier import DenseMLPClassifier

    X = np.random.RandomState(0).rand(20, 16).astype(np.float32)
    DenseMLPClassifier(hidden_layer_sizes=(4,), epochs=1, batch_size=20, random_state=0).fit(
        X, np.arange(20) % 2
    )
    time.sleep(max(0.0, min_seconds - (time.perf_counter() - start)))
    return os.getpid()


def warm_workers(n_jobs=None, *, client=None):
    """Start the worker processes of parallel searches and import TensorFlow in each.

    A worker's first fit pays for starting Python and importing scikit-learn
    and TensorFlow, about 3 s on 2 CPU cores. joblib (``n_jobs``) and Dask
    keep their workers for the searches that follow, so this is paid once per
    worker; call this function to pay it before a search, while something
    else happens, or so that timing a search measures fitting only. Fits give
    the same results either way.

    Parameters
    ----------
    n_jobs : int, default=None
        The ``n_jobs`` the searches will use: joblib's workers for it (loky
        processes by default, or the backend of the surrounding
        ``joblib.parallel_config``) are started and warmed. joblib keeps loky
        workers for a later call with the same number of workers, so pass the
        searches' own ``n_jobs``. None means joblib's default (1, unless a
        ``parallel_config`` sets another); 1, or a threading backend, warms
        this process only.

    client : dask.distributed.Client, default=None
        Warm every worker of this Dask cluster instead (``client.run``), for
        searches run inside ``joblib.parallel_config(backend="dask")``.

    Returns
    -------
    pids : list of int
        The process ids of the workers warmed, sorted.

    Warns
    -----
    UserWarning
        If fewer workers than ``n_jobs`` could be reached (the others start
        cold with the first search).

    See Also
    --------
    fit_grid_search : Fit a GridSearchCV, reporting each fit as it ends.

    Examples
    --------
    >>> from sklearn.model_selection import GridSearchCV
    >>> from skmnist import load_mnist, make_mlp_pipeline, warm_workers
    >>> len(warm_workers(n_jobs=2))  # two loky processes, TensorFlow imported in each
    2
    >>> X, _, y, _ = load_mnist(return_X_y=True)
    >>> search = GridSearchCV(make_mlp_pipeline(epochs=1, random_state=0),
    ...                       {"mlp__hidden_layer_sizes": [(32,), (64,)]}, cv=2, n_jobs=2)
    >>> search = search.fit(X[:2000], y[:2000])  # fits at once, in the warmed workers
    >>> search.best_params_["mlp__hidden_layer_sizes"] in [(32,), (64,)]
    True
    """
    if client is not None:
        return sorted(client.run(_warm_this_process).values())
    import joblib

    n_workers = joblib.effective_n_jobs(n_jobs)
    if n_workers <= 1:
        return [_warm_this_process()]
    pids = set()
    for _ in range(3):  # a worker that was already warm may take two tasks: ask again
        pids.update(joblib.Parallel(n_jobs=n_jobs)(
            joblib.delayed(_warm_this_process)(MIN_TASK_SECONDS) for _ in range(n_workers)
        ))
        if len(pids) >= n_workers or pids == {os.getpid()}:  # all warm, or threads here
            return sorted(pids)
    warnings.warn(
        f"warm_workers reached {len(pids)} of the {n_workers} workers for n_jobs={n_jobs!r}; "
        "the others will import TensorFlow with their first fit.",
        UserWarning, stacklevel=2,
    )
    return sorted(pids)

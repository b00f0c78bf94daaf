"""warm_workers: the workers of parallel searches started and warmed ahead of time."""

import os
import sys

import numpy as np
import pytest
from joblib import Parallel, delayed
from sklearn.model_selection import GridSearchCV

from skmnist import make_mlp_pipeline, warm_workers


def _worker_state():
    from skmnist._training import _TRAINERS

    return os.getpid(), "tensorflow" in sys.modules, len(_TRAINERS)


def test_loky_workers_are_started_with_tensorflow_and_reused_by_the_next_search(mnist):
    pids = warm_workers(n_jobs=2)
    assert len(pids) == 2 and os.getpid() not in pids
    states = Parallel(n_jobs=2)(delayed(_worker_state)() for _ in range(4))
    assert {pid for pid, _, _ in states} <= set(pids)  # the same processes, kept by joblib
    assert all(imported and trainers >= 1 for _, imported, trainers in states)
    X_train, _, y_train, _ = mnist
    X, y = X_train[:600], y_train[:600]
    grid = {"mlp__hidden_layer_sizes": [(8,), (16,)]}
    parallel = GridSearchCV(make_mlp_pipeline(epochs=1, random_state=0), grid, cv=2, n_jobs=2)
    serial = GridSearchCV(make_mlp_pipeline(epochs=1, random_state=0), grid, cv=2, n_jobs=1)
    np.testing.assert_array_equal(parallel.fit(X, y).cv_results_["mean_test_score"],
                                  serial.fit(X, y).cv_results_["mean_test_score"])


def test_without_parallel_workers_this_process_is_warmed():
    assert warm_workers() == [os.getpid()]
    assert warm_workers(n_jobs=1) == [os.getpid()]
    assert "tensorflow" in sys.modules


def test_every_worker_of_a_dask_cluster_is_warmed():
    pytest.importorskip("distributed")
    from dask.distributed import Client, LocalCluster

    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                     dashboard_address=None) as cluster,
        Client(cluster) as client,
    ):
        pids = warm_workers(client=client)
        states = client.run(_worker_state)
    assert len(pids) == 2 and sorted(pid for pid, _, _ in states.values()) == pids
    assert all(imported and trainers == 1 for _, imported, trainers in states.values())


def test_a_threading_backend_warms_this_process_once():
    import joblib

    with joblib.parallel_config(backend="threading"):
        assert warm_workers(n_jobs=2) == [os.getpid()]

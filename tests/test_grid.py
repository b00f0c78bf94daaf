"""Grid search: the reporting driver, parallel fits, Dask, and ``skmnist grid``."""

import os
import subprocess
import sys

import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV

from skmnist import fit_grid_search, make_mlp_pipeline
from skmnist._grid import _stratified_subset

# A 2 x 1 grid, 2 folds, 1 epoch on 1,500 images: 4 fits of about a second.
GRID = {"mlp__hidden_layer_sizes": [(8,), (16,)], "mlp__learning_rate": [1e-2]}
N_IMAGES = 1500


def _search(n_jobs=None):
    pipe = make_mlp_pipeline(epochs=1, random_state=0)
    return GridSearchCV(pipe, GRID, cv=2, n_jobs=n_jobs)


def _split_scores(search):
    results = search.cv_results_
    return np.column_stack([results[f"split{k}_test_score"] for k in range(search.n_splits_)])


def _tf_threads():
    from skmnist._keras import tf

    return (
        tf.config.threading.get_intra_op_parallelism_threads(),
        tf.config.threading.get_inter_op_parallelism_threads(),
    )


@pytest.fixture(scope="module")
def subset(mnist):
    X_train, _, y_train, _ = mnist
    return _stratified_subset(X_train, y_train, N_IMAGES, random_state=0)


@pytest.fixture(scope="module")
def serial(subset):
    """The reference: scikit-learn's own GridSearchCV.fit, in this process."""
    return _search(n_jobs=None).fit(*subset)


def test_fit_grid_search_gives_gridsearchcv_results_and_reports_every_fit(subset, serial):
    reports = []
    search = fit_grid_search(_search(n_jobs=None), *subset, on_fit=lambda **fit: reports.append(fit))

    assert set(search.cv_results_) == set(serial.cv_results_)
    np.testing.assert_array_equal(_split_scores(search), _split_scores(serial))
    np.testing.assert_array_equal(
        search.cv_results_["rank_test_score"], serial.cv_results_["rank_test_score"]
    )
    assert search.cv_results_["params"] == serial.cv_results_["params"]
    assert search.best_params_ == serial.best_params_
    assert search.best_score_ == serial.best_score_
    assert search.score(*subset) == serial.score(*subset)  # the refit is the same too

    assert sorted(r["done"] for r in reports) == [1, 2, 3, 4]
    assert {r["total"] for r in reports} == {4} and {r["n_splits"] for r in reports} == {2}
    reported = {
        (r["params"]["mlp__hidden_layer_sizes"], r["split"]): r["score"] for r in reports
    }
    for i, params in enumerate(serial.cv_results_["params"]):
        for k in range(2):
            assert reported[params["mlp__hidden_layer_sizes"], k] == _split_scores(serial)[i, k]
    assert all(r["seconds"] > 0 for r in reports)


def test_fit_grid_search_refuses_what_it_cannot_do(blobs):
    from sklearn.linear_model import LogisticRegression

    X, y = blobs
    with pytest.raises(TypeError, match="expects a sklearn.model_selection.GridSearchCV"):
        fit_grid_search(LogisticRegression(), X, y)
    multi = GridSearchCV(LogisticRegression(), {"C": [1.0]}, scoring=["accuracy", "f1_macro"],
                         refit="accuracy")
    with pytest.raises(ValueError, match="single metric"):
        fit_grid_search(multi, X, y)
    with pytest.raises(ValueError, match="training scores"):
        fit_grid_search(GridSearchCV(LogisticRegression(), {"C": [1.0]},
                                     return_train_score=True), X, y)


def test_two_loky_workers_give_the_serial_scores_quietly_with_capped_threads(
    subset, serial, capfd
):
    from joblib import Parallel, delayed

    search = fit_grid_search(_search(n_jobs=2), *subset)
    np.testing.assert_array_equal(_split_scores(search), _split_scores(serial))
    assert search.best_params_ == serial.best_params_

    # joblib gives each of n workers OMP_NUM_THREADS = cores // n; skmnist's
    # TensorFlow import caps its thread pools to it, so workers x threads <= cores.
    per_worker = max(os.cpu_count() // 2, 1)
    threads = Parallel(n_jobs=2)(delayed(_tf_threads)() for _ in range(4))
    assert set(threads) == {(per_worker, per_worker)}
    out, err = capfd.readouterr()  # the workers write to this process's descriptors
    for noise in ("cuda", "absl", "cuInit", "oneDNN", "Epoch 1/1"):
        assert noise not in out + err


def test_a_dask_cluster_gives_the_serial_scores_by_both_routes(subset, serial, tmp_path, capfd):
    pytest.importorskip("distributed")
    import joblib
    import pandas as pd
    from dask.distributed import Client, LocalCluster
    from joblib import Parallel, delayed

    from skmnist._cli import main

    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        Client(cluster),
    ):
        with joblib.parallel_config(backend="dask"):
            # scikit-learn's own GridSearchCV.fit, the documented Python route
            by_gridsearchcv = _search().fit(*subset)
            threads = Parallel()(delayed(_tf_threads)() for _ in range(4))
        capfd.readouterr()
        status = main([
            "grid", "--hidden-layer-sizes", "8", "16", "--learning-rate", "1e-2", "--cv", "2",
            "--epochs", "1", "--subset", str(N_IMAGES), "--random-state", "0", "--no-download",
            "--scheduler", cluster.scheduler_address, "--output", str(tmp_path),
        ])
    assert status == 0
    out, err = capfd.readouterr()
    np.testing.assert_array_equal(_split_scores(by_gridsearchcv), _split_scores(serial))
    by_command = pd.read_csv(tmp_path / "cv_results.csv")
    np.testing.assert_array_equal(
        by_command[["split0_test_score", "split1_test_score"]].to_numpy(), _split_scores(serial)
    )
    assert set(threads) == {(1, 1)}  # Dask's worker processes get OMP_NUM_THREADS=1
    assert f"on the Dask cluster at {cluster.scheduler_address}" in out
    assert out.count("fold ") == 4
    for noise in ("cuda", "absl", "cuInit", "oneDNN", "Epoch 1/1"):
        assert noise not in out + err


def _run_cli(*args):
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    return subprocess.run(
        [sys.executable, "-m", "skmnist", "grid", *args],
        capture_output=True, text=True, env=env, timeout=600,
    )


def test_grid_command_searches_reports_and_writes_its_files(tmp_path, serial, mnist):
    import pandas as pd

    result = _run_cli(
        "--hidden-layer-sizes", "8", "16", "--learning-rate", "1e-2", "--cv", "2",
        "--epochs", "1", "--subset", str(N_IMAGES), "--random-state", "0", "--no-download",
        "--output", str(tmp_path / "out"),
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "searching on 1,500 training images (stratified subset)" in out
    assert out.count("fold ") == 4 and "[4/4]" in out  # one line per fit
    assert "rank  hidden" in out and "Test accuracy of the refitted best model: 0." in out
    for noise in ("cuda", "absl", "cuInit", "oneDNN", "Epoch 1/1"):
        assert noise not in out + result.stderr

    results = pd.read_csv(tmp_path / "out" / "cv_results.csv")
    assert len(results) == 2
    for column in ("param_mlp__hidden_layer_sizes", "param_mlp__learning_rate",
                   "split0_test_score", "split1_test_score", "mean_test_score",
                   "std_test_score", "rank_test_score", "mean_fit_time", "params"):
        assert column in results.columns
    # Another Python, same scores as the reference search here
    np.testing.assert_array_equal(
        results[["split0_test_score", "split1_test_score"]].to_numpy(), _split_scores(serial)
    )
    assert (tmp_path / "out" / "heatmap.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    import skmnist

    model = skmnist.load(tmp_path / "out" / "best_model.skmnist")
    assert model.get_params()["mlp__hidden_layer_sizes"] == serial.best_params_[
        "mlp__hidden_layer_sizes"]
    assert isinstance(model, type(make_mlp_pipeline()))
    _, X_test, _, y_test = mnist
    assert 0.1 < model.score(X_test[:500], y_test[:500]) <= 1


def test_grid_help_does_not_import_tensorflow():
    code = (
        "import sys\n"
        "from skmnist._cli import main\n"
        "try:\n"
        "    main(['grid', '--help'])\n"
        "except SystemExit as exit:\n"
        "    assert exit.code == 0\n"
        "assert 'tensorflow' not in sys.modules and 'sklearn' not in sys.modules\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "--scheduler" in result.stdout and "--subset" in result.stdout


def test_grid_command_refuses_one_fold(capsys):
    from skmnist._cli import main

    with pytest.raises(SystemExit) as exit:
        main(["grid", "--cv", "1"])
    assert exit.value.code == 2
    assert "expected an integer >= 2" in capsys.readouterr().err

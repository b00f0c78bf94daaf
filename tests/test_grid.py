"""Grid search: the reporting driver, parallel fits, Dask, and ``skmnist grid``."""

import os
import subprocess
import sys

import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV

from skmnist import fit_grid_search, make_mlp_pipeline
from skmnist._grid_command import _stratified_subset

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
    """scikit-learn's own GridSearchCV.fit, in this process (so with the same
    TensorFlow threads as fit_grid_search here)."""
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


def test_fit_grid_search_leaves_the_search_as_given_and_takes_what_search_fit_takes(blobs):
    from sklearn.callback import ProgressBar
    from sklearn.linear_model import LogisticRegression

    X, y = blobs
    bar = ProgressBar()
    search = GridSearchCV(LogisticRegression(), {"C": [0.1, 1.0]}, cv=3, scoring="accuracy",
                          return_train_score=True, refit=lambda results: 0).set_callbacks(bar)
    reports = []
    fit_grid_search(search, X, y, on_fit=lambda **fit: reports.append(fit))
    assert len(reports) == 6 and search.best_index_ == 0
    assert "mean_train_score" in search.cv_results_
    # the test score of each fold is reported, not the training score computed after it
    results = search.cv_results_
    for report in reports:
        candidate = results["params"].index(report["params"])
        assert report["score"] == results[f"split{report['split']}_test_score"][candidate]
    assert search.scoring == "accuracy" and search._skl_callbacks == [bar]
    assert search.scorer_ is not None and not hasattr(search.scorer_, "scorer")


def _run_cli(*args):
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    return subprocess.run(
        [sys.executable, "-m", "skmnist", "grid", *args],
        capture_output=True, text=True, env=env, timeout=600,
    )


GRID_ARGS = [
    "--hidden-layer-sizes", "8", "16", "--learning-rate", "1e-2", "--cv", "2", "--epochs", "1",
    "--subset", str(N_IMAGES), "--random-state", "0", "--no-download",
]
NOISE = ("cuda", "absl", "cuInit", "oneDNN", "Epoch 1/1")


@pytest.fixture(scope="module")
def command(mnist, tmp_path_factory):
    """``skmnist grid`` run serially in a fresh Python, with one TensorFlow thread
    per fit (its default): the reference scores of the parallel routes."""
    output = tmp_path_factory.mktemp("grid")
    result = _run_cli(*GRID_ARGS, "--output", str(output))
    assert result.returncode == 0, result.stderr
    return result, output


def _csv_scores(path):
    import pandas as pd

    return pd.read_csv(path)[["split0_test_score", "split1_test_score"]].to_numpy()


def test_grid_command_searches_reports_and_writes_its_files(command, mnist):
    import pandas as pd

    import skmnist

    result, output = command
    out = result.stdout
    assert "searching on 1,500 training images (stratified subset)" in out
    assert "1 TensorFlow thread(s) per fit" in out
    assert out.count("fold ") == 4 and "[4/4]" in out  # one line per fit
    assert "rank  hidden" in out and "Test accuracy of the refitted best model: 0." in out
    for noise in NOISE:
        assert noise not in out + result.stderr

    results = pd.read_csv(output / "cv_results.csv")
    assert len(results) == 2
    for column in ("param_mlp__hidden_layer_sizes", "param_mlp__learning_rate",
                   "split0_test_score", "split1_test_score", "mean_test_score",
                   "std_test_score", "rank_test_score", "mean_fit_time", "params"):
        assert column in results.columns
    assert (output / "heatmap.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    model = skmnist.load(output / "best_model.skmnist")
    best = results.loc[results["rank_test_score"].idxmin(), "param_mlp__hidden_layer_sizes"]
    assert str(model.get_params()["mlp__hidden_layer_sizes"]) == best
    _, X_test, _, y_test = mnist
    assert 0.1 < model.score(X_test[:500], y_test[:500]) <= 1


def test_two_loky_workers_give_the_serial_scores_quietly_with_capped_threads(
    subset, command, monkeypatch, capfd
):
    import joblib
    from joblib import Parallel, delayed

    # joblib gives each loky worker OMP_NUM_THREADS = inner_max_num_threads
    # (by default cores // n_jobs); skmnist's TensorFlow import caps its pools to it.
    monkeypatch.setenv("SKMNIST_TF_THREADS", "1")
    monkeypatch.delenv("SKMNIST_TF_THREADS")
    reports = []
    with joblib.parallel_config(backend="loky", inner_max_num_threads=1):
        search = fit_grid_search(_search(n_jobs=2), *subset, on_fit=lambda **f: reports.append(f))
        threads = Parallel(n_jobs=2)(delayed(_tf_threads)() for _ in range(4))
    assert set(threads) == {(1, 1)}
    reference = _csv_scores(command[1] / "cv_results.csv")
    np.testing.assert_array_equal(_split_scores(search), reference)
    # every fit reported here, from the workers, with its score
    assert sorted(r["done"] for r in reports) == [1, 2, 3, 4]
    assert sorted(r["score"] for r in reports) == sorted(reference.ravel())
    out, err = capfd.readouterr()  # the workers write to this process's descriptors
    for noise in NOISE:
        assert noise not in out + err


def test_a_dask_cluster_gives_the_serial_scores_by_both_routes(
    subset, command, tmp_path, monkeypatch, capfd
):
    pytest.importorskip("distributed")
    import joblib
    from dask.distributed import Client, LocalCluster
    from joblib import Parallel, delayed

    from skmnist._cli import main

    reference = _csv_scores(command[1] / "cv_results.csv")
    # Dask's worker processes start with OMP_NUM_THREADS=1; nothing else is set.
    monkeypatch.setenv("SKMNIST_TF_THREADS", "1")
    monkeypatch.delenv("SKMNIST_TF_THREADS")
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
        status = main(["grid", *GRID_ARGS, "--scheduler", cluster.scheduler_address,
                       "--output", str(tmp_path)])
    assert status == 0
    out, err = capfd.readouterr()
    assert set(threads) == {(1, 1)}
    np.testing.assert_array_equal(_split_scores(by_gridsearchcv), reference)
    np.testing.assert_array_equal(_csv_scores(tmp_path / "cv_results.csv"), reference)
    assert f"on the Dask cluster at {cluster.scheduler_address}" in out
    assert out.count("fold ") == 4
    for noise in NOISE:
        assert noise not in out + err


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


@pytest.mark.parametrize(
    "env, limit",
    [
        ({}, None),
        ({"OMP_NUM_THREADS": "2"}, 2),
        ({"SKMNIST_TF_THREADS": "3", "OMP_NUM_THREADS": "1"}, 3),
        ({"SKMNIST_TF_THREADS": "many", "OMP_NUM_THREADS": "0"}, None),
    ],
)
def test_tensorflow_thread_limit_comes_from_skmnist_then_openmp_variable(monkeypatch, env, limit):
    from skmnist import _keras

    for var in _keras.THREAD_LIMIT_VARS:
        monkeypatch.delenv(var, raising=False)
    for var, value in env.items():
        monkeypatch.setenv(var, value)
    assert _keras._thread_limit() == limit


@pytest.mark.parametrize("n_jobs", [None, 2])
def test_an_error_in_on_fit_is_raised_after_the_search_and_never_hangs_it(blobs, n_jobs):
    from sklearn.linear_model import LogisticRegression

    X, y = blobs
    search = GridSearchCV(LogisticRegression(), {"C": [0.1, 1.0]}, cv=2, n_jobs=n_jobs)

    def broken(**fit):
        raise BrokenPipeError("the reader of our output went away")

    with pytest.raises(BrokenPipeError, match="went away"):
        fit_grid_search(search, X, y, on_fit=broken)
    assert hasattr(search, "best_estimator_")  # every fit ran
    assert not hasattr(search, "_skl_callbacks") and search.scoring is None

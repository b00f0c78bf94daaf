import inspect
import os
import subprocess
import sys

import numpy as np
import pytest

from skmnist._cli import main


def _run(*args, env=None):
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, env=env, timeout=600
    )


def test_help_does_not_import_tensorflow():
    code = (
        "import sys\n"
        "from skmnist._cli import main\n"
        "for argv in (['--help'], ['train', '--help']):\n"
        "    try:\n"
        "        main(argv)\n"
        "    except SystemExit as exit:\n"
        "        assert exit.code == 0\n"
        "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules\n"
    )
    result = _run("-c", code)
    assert result.returncode == 0, result.stderr
    assert "--hidden-layer-sizes" in result.stdout


def test_python_dash_m_skmnist_shows_the_train_command():
    result = _run("-m", "skmnist", "--help")
    assert result.returncode == 0 and "train" in result.stdout


def test_cli_defaults_are_the_classifier_defaults_read_from_one_place():
    from skmnist import DenseMLPClassifier
    from skmnist._cli_parser import build_parser
    from skmnist._facts import DEFAULTS

    signature = inspect.signature(DenseMLPClassifier).parameters
    assert {name: param.default for name, param in signature.items()} == DEFAULTS
    args = build_parser().parse_args(["train"])
    assert args.hidden_layer_sizes == DEFAULTS["hidden_layer_sizes"]
    assert args.epochs == DEFAULTS["epochs"] and args.learning_rate == DEFAULTS["learning_rate"]


@pytest.mark.parametrize(
    "argv, expected",
    [
        ([], {}),
        (["--preset", "best"], {}),
        # an option given wins over the preset, even at its default value
        (["--preset", "best", "--dropout", "0.2", "--epochs", "3"], {"dropout": 0.2, "epochs": 3}),
        (["--early-stopping", "--center", "--input-dropout", "0.1"],
         {"early_stopping": True, "center": True, "input_dropout": 0.1}),
    ],
)
def test_train_passes_the_preset_and_only_the_options_given(monkeypatch, argv, expected):
    import skmnist._datasets
    import skmnist._pipeline

    seen = {}

    class Stop(Exception):
        pass

    def fake_pipeline(preset="default", **params):
        seen.update(preset=preset, params=params)
        raise Stop

    monkeypatch.setattr(skmnist._pipeline, "make_mlp_pipeline", fake_pipeline)
    monkeypatch.setattr(skmnist._datasets, "load_mnist", lambda *a, **k: _TinyData())
    with pytest.raises(Stop):
        main(["train", "--quiet", "--random-state", "4", *argv])
    assert seen["preset"] == ("best" if "best" in argv else "default")
    assert seen["params"] == {"random_state": 4, "verbose": 0, **expected}


class _TinyData:
    source = "memory"
    X_train = X_test = np.zeros((2, 28, 28), np.uint8)
    y_train = y_test = np.array([0, 1])


def test_malformed_layer_sizes_are_refused_by_the_parser(capsys):
    with pytest.raises(SystemExit) as exit:
        main(["train", "--hidden-layer-sizes", "512,abc"])
    assert exit.value.code == 2
    assert "positive integers separated by commas" in capsys.readouterr().err


def test_missing_data_is_a_plain_error_not_a_traceback(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("SKMNIST_DATA", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    status = main(["train", "--data-dir", str(tmp_path), "--no-download"])
    assert status == 1
    err = capsys.readouterr().err
    assert err.startswith("skmnist train: error:") and "SKMNIST_DATA" in err


def test_train_fits_reports_and_saves_without_tensorflow_noise(mnist, tmp_path):
    X_train, X_test, y_train, y_test = mnist
    np.savez(
        tmp_path / "mnist.npz",
        x_train=X_train[:1000], y_train=y_train[:1000], x_test=X_test[:300], y_test=y_test[:300],
    )
    output = tmp_path / "model.skmnist"
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    result = _run(
        "-m", "skmnist", "train", "--data-dir", str(tmp_path), "--no-download",
        "--hidden-layer-sizes", "32", "--epochs", "2", "--random-state", "0",
        "--output", str(output),
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert "1,000 training and 300 test images" in result.stdout
    assert "Epoch 2/2" in result.stdout  # the progress bar
    assert "Test accuracy: 0." in result.stdout and "macro avg" in result.stdout
    for noise in ("cuda", "absl", "cuInit", "oneDNN"):
        assert noise not in result.stderr
    assert "load it with skmnist.load" in result.stdout
    from skmnist import load

    pipe = load(output)
    assert pipe.predict(X_test[:5]).shape == (5,)


@pytest.mark.parametrize("command", ["report", "predict"])
def test_a_missing_model_file_is_one_plain_line(tmp_path, capsys, command, monkeypatch):
    monkeypatch.chdir(tmp_path)
    args = [command, "missing.skmnist"] + (["digit.png"] if command == "predict" else [])
    assert main(args) == 1
    err = capsys.readouterr().err
    assert err == f"skmnist {command}: error: missing.skmnist: No such file or directory\n"


def test_report_writes_into_a_default_folder():
    from skmnist._cli_parser import build_parser

    assert build_parser().parse_args(["report", "model.skmnist"]).output == "skmnist-report"

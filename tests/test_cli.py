import inspect
import os
import subprocess
import sys

import numpy as np
import pytest

from skmnist._cli import main
from skmnist._facts import NO_DIGIT_AUGMENTATION


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
        # every augmentation parameter of the default preset, at its "off" value
        (["--no-redraw"], NO_DIGIT_AUGMENTATION),
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


@pytest.mark.parametrize("command", ["train", "grid"])
def test_missing_data_is_a_plain_error_not_a_traceback(tmp_path, monkeypatch, capsys, command):
    monkeypatch.delenv("SKMNIST_DATA", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    status = main([command, "--data-dir", str(tmp_path), "--no-download"])
    assert status == 1
    err = capsys.readouterr().err
    assert err.startswith(f"skmnist {command}: error:") and "SKMNIST_DATA" in err
    # in the command line's words, not load_mnist's parameters
    assert "--no-download" in err and "--data-dir <folder>" in err
    for python in ("download=True", "download=False", "data_home="):
        assert python not in err


def test_missing_data_in_python_speaks_of_the_parameters(tmp_path, monkeypatch):
    from skmnist import load_mnist

    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    with pytest.raises(ValueError, match="MNIST was not found") as info:
        load_mnist(tmp_path, download=False)
    assert "data_home=<folder>" in str(info.value) and "--" not in str(info.value)


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
    assert err == (f"skmnist {command}: error: missing.skmnist: no such file. Give the path of "
                   "a .skmnist file (skmnist train writes skmnist-mlp.skmnist in the current "
                   "folder).\n")


def test_report_writes_into_a_default_folder():
    from skmnist._cli_parser import build_parser

    assert build_parser().parse_args(["report", "model.skmnist"]).output == "skmnist-report"


# -- skmnist grid: the time estimate, the question, the paths ------------------------


def _tiny_mnist_folder(mnist, folder):
    X_train, X_test, y_train, y_test = mnist
    folder.mkdir()
    np.savez(folder / "mnist.npz", x_train=X_train[:400], y_train=y_train[:400],
             x_test=X_test[:200], y_test=y_test[:200])
    return folder


def test_grid_estimates_its_time_and_prints_paths_as_given(mnist, tmp_path, monkeypatch, capsys):
    _tiny_mnist_folder(mnist, tmp_path / "data")
    monkeypatch.chdir(tmp_path)
    status = main(["grid", "--data-dir", "data", "--no-download", "--hidden-layer-sizes", "8",
                   "--learning-rate", "0.01", "--cv", "2", "--epochs", "1", "--output", "out"])
    assert status == 0
    out = capsys.readouterr().out
    assert "MNIST from data/mnist.npz:" in out  # as given, relative
    assert "Estimated time: about 5 s with the refit" in out
    assert "Wrote out/cv_results.csv, out/heatmap.png and out/best_model.skmnist" in out
    assert str(tmp_path) not in out  # no absolute path among relative ones


def test_grid_estimate_follows_the_documented_rule():
    from skmnist._grid_command import (
        SECONDS_PER_FIT,
        SECONDS_PER_NETWORK,
        US_PER_IMAGE_EPOCH,
        US_PER_IMAGE_EPOCH_PER_1000_WEIGHTS,
        US_PER_IMAGE_EPOCH_REDRAWN,
        estimate_seconds,
    )

    weights = (784 + 1) * 32 + (32 + 1) * 10
    per_image_epoch = (US_PER_IMAGE_EPOCH + US_PER_IMAGE_EPOCH_PER_1000_WEIGHTS * weights / 1000)
    # 2 rates x 3 folds = 6 fits on 2/3 of 30,000 images, 4 epochs; then the refit on all
    expected = (6 * 20_000 * 4 * per_image_epoch * 1e-6 + 6 * SECONDS_PER_FIT
                + SECONDS_PER_NETWORK) + (30_000 * 4 * per_image_epoch * 1e-6 + SECONDS_PER_FIT)
    assert estimate_seconds([(32,)], 2, 3, 4, 30_000) == pytest.approx(expected)
    serial = estimate_seconds([(32,), (512, 256)], 3, 3, 15, 60_000)
    assert estimate_seconds([(32,), (512, 256)], 3, 3, 15, 60_000, parallel=2) < 0.75 * serial
    assert estimate_seconds([(512, 256)], 3, 3, 15, 60_000) > 5 * estimate_seconds(
        [(32,)], 3, 3, 15, 60_000)
    # fits that redraw the digits pay US_PER_IMAGE_EPOCH_REDRAWN more per image and epoch
    redrawing = (6 * 20_000 + 30_000) * 4 * US_PER_IMAGE_EPOCH_REDRAWN * 1e-6
    assert estimate_seconds([(32,)], 2, 3, 4, 30_000, redrawn=True) == pytest.approx(
        expected + redrawing)


@pytest.mark.parametrize("epochs, redrawn", [(15, True), (10, True), (9, False)])
def test_grid_estimate_counts_redrawing_as_the_pipeline_does(
    epochs, redrawn, mnist, tmp_path, monkeypatch, capsys
):
    from skmnist import make_mlp_pipeline
    from skmnist._augment import augmentation_settings

    # the estimate assumes what the command's make_mlp_pipeline(epochs=...) builds
    assert (augmentation_settings(make_mlp_pipeline(epochs=epochs)[-1]) is not None) == redrawn
    import skmnist._grid_command

    seen = {}
    monkeypatch.setattr(skmnist._grid_command, "estimate_seconds",
                        lambda *a, **k: seen.update(k) or 3600.0)
    monkeypatch.setattr(skmnist._grid_command, "_go_on", lambda seconds, yes: False)
    data = _tiny_mnist_folder(mnist, tmp_path / "data")
    status = main(["grid", "--data-dir", str(data), "--no-download", "--epochs", str(epochs),
                   "--output", str(tmp_path / "out")])
    assert status == 1 and seen["redrawn"] is redrawn
    assert "Not started" in capsys.readouterr().out


def _long_grid(monkeypatch, answers):
    """A grid estimated at an hour, on a terminal that answers `answers`."""
    import builtins
    import sys

    import skmnist._grid_command

    monkeypatch.setattr(skmnist._grid_command, "estimate_seconds", lambda *a, **k: 3600.0)
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True, raising=False)
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True, raising=False)
    prompts = []

    def fake_input(prompt):
        prompts.append(prompt)
        return answers.pop(0)

    monkeypatch.setattr(builtins, "input", fake_input)
    return prompts


def test_a_long_grid_asks_on_a_terminal_and_stops_on_no(mnist, tmp_path, monkeypatch, capsys):
    data = _tiny_mnist_folder(mnist, tmp_path / "data")
    prompts = _long_grid(monkeypatch, ["n"])
    status = main(["grid", "--data-dir", str(data), "--no-download",
                   "--output", str(tmp_path / "out")])
    assert status == 1
    assert prompts == ["This may take about 60 min. Go on? [y/N] "]
    out = capsys.readouterr().out
    assert "Estimated time: about 60 min" in out and "Not started" in out and "--yes" in out
    assert not (tmp_path / "out").exists()


def test_grid_goes_on_without_asking_with_yes_or_without_a_terminal(monkeypatch):
    from skmnist._grid_command import CONFIRM_ABOVE, _go_on

    prompts = _long_grid(monkeypatch, ["y"])
    assert _go_on(CONFIRM_ABOVE - 1, assume_yes=False) and prompts == []  # short: no question
    assert _go_on(3600, assume_yes=True) and prompts == []
    assert _go_on(3600, assume_yes=False) and len(prompts) == 1  # answered "y"
    import sys

    monkeypatch.setattr(sys.stdin, "isatty", lambda: False, raising=False)
    assert _go_on(3600, assume_yes=False) and len(prompts) == 1  # a pipe: no question
    from skmnist._cli_parser import build_parser

    assert build_parser().parse_args(["grid", "-y"]).yes is True


@pytest.mark.parametrize("first", ["keras", "tensorflow"])
def test_noise_left_when_tensorflow_is_imported_first_is_only_its_own_import(first):
    # What docs/faq.md says: the lines printed while `import keras` (or tensorflow)
    # loads TensorFlow cannot be taken back; skmnist still hides the CUDA probe's
    # "failed call to cuInit", which TensorFlow prints when devices are first listed.
    code = (
        f"import sys, {first}\n"
        "print('--- imported', file=sys.stderr, flush=True)\n"
        "import numpy as np\n"
        "from skmnist import DenseMLPClassifier\n"
        "DenseMLPClassifier((4,), epochs=1, random_state=0).fit(np.random.rand(20, 6), "
        "np.arange(20) % 2)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    result = _run("-c", code, env=env)
    assert result.returncode == 0, result.stderr
    after_import = result.stderr.split("--- imported", 1)[1]
    assert after_import.strip() == "", after_import


@pytest.mark.parametrize("argv, message", [
    (["train", "--output", "{missing}/m.skmnist"], "does not exist. Create it first"),
    (["train", "--output", "{tmp}"], "is a folder; give --output a file name"),
    (["report", "{missing}.skmnist"], "no such file"),
    (["predict", "{missing}.skmnist", "digit.png"], "no such file"),
    (["export", "{missing}.skmnist", "out.onnx"], "no such file"),
    (["serve", "{missing}.skmnist"], "No model file at"),
])
def test_a_wrong_file_is_refused_before_tensorflow_or_data_are_loaded(tmp_path, argv, message):
    # A mistake must cost milliseconds: nothing heavy is imported before the check.
    argv = [a.format(missing=tmp_path / "missing", tmp=tmp_path) for a in argv]
    code = (
        "import sys\nfrom skmnist._cli import main\nstatus = main(sys.argv[1:])\n"
        "heavy = [m for m in ('tensorflow', 'keras', 'sklearn', 'fastapi') if m in sys.modules]\n"
        "print(status, heavy)\n"
    )
    result = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True,
                            timeout=60, cwd=tmp_path)
    assert result.stdout.strip() == "1 []", (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr


def test_no_redraw_gives_a_pipeline_that_does_not_redraw():
    from skmnist import make_mlp_pipeline
    from skmnist._augment import augmentation_settings
    from skmnist._cli_parser import build_parser

    args = build_parser().parse_args(["train", "--no-redraw", "--epochs", "12"])
    pipe = make_mlp_pipeline(**{name: getattr(args, name) for name in args.given})
    assert augmentation_settings(pipe[-1]) is None
    assert augmentation_settings(make_mlp_pipeline(epochs=12)[-1]) is not None

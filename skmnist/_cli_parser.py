"""The ``skmnist`` command line's arguments: the parser, without running anything.

Only the standard library and ``_facts`` are imported, so that ``skmnist
--help`` answers at once; every default and choice comes from ``_facts``.
The ``serve`` and ``export`` sub-commands are described in ``_cli_serve_parser``.
"""

import argparse

from . import __version__
from ._cli_serve_parser import add_serve_and_export
from ._facts import (
    ACTIVATIONS,
    DEFAULT_MODEL_FILE,
    DEFAULTS,
    NO_DIGIT_AUGMENTATION,
    OPTIMIZERS,
    PRESET_SUMMARIES,
    PRESETS,
    SCHEDULES,
)

__all__ = ["DEFAULT_OUTPUT", "build_parser"]

#: Where ``skmnist train`` writes the fitted pipeline.
DEFAULT_OUTPUT = DEFAULT_MODEL_FILE


class _Given(argparse.Action):
    """Store a model option's value and remember that it was given on the command line.

    Its ``dest`` must be the name of a :func:`make_mlp_pipeline` parameter.

    ``--preset`` sets every model option the user did not give, so the options
    given must be known even when their value equals the default.
    """

    def __init__(self, option_strings, dest, const=None, nargs=None, **kwargs):
        if const is not None:  # a flag: --early-stopping, --center
            nargs = 0
        super().__init__(option_strings, dest, nargs=nargs, const=const, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None):
        _give(namespace, {self.dest: self.const if self.nargs == 0 else values})


def _give(namespace, values):
    """Set model options on ``namespace`` and remember them as given (``namespace.given``)."""
    for name, value in values.items():
        setattr(namespace, name, value)
    namespace.given = set(getattr(namespace, "given", ())) | set(values)


class _NoRedraw(argparse.Action):
    """``--no-redraw``: every augmentation parameter of the default preset given, off."""

    def __init__(self, option_strings, dest, **kwargs):
        super().__init__(option_strings, dest, nargs=0, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None):
        _give(namespace, NO_DIGIT_AUGMENTATION)


def _layer_sizes(text):
    """Parse ``512,256`` into ``(512, 256)``."""
    try:
        sizes = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        sizes = None
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError(
            f"expected positive integers separated by commas, such as 512,256; got {text!r}"
        )
    return sizes


def _fraction_or_auto(text):
    """Parse a dropout fraction in [0, 1), or "auto"."""
    if text == "auto":
        return text
    try:
        value = float(text)
    except ValueError:
        value = None
    if value is None or not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"expected 'auto' or a number in [0, 1); got {text!r}")
    return value


def _positive_int_or_auto(text):
    """Parse a positive int, or "auto"."""
    return text if text == "auto" else _positive(int)(text)


def _positive_float_or_auto(text):
    """Parse a positive float, or "auto"."""
    return text if text == "auto" else _positive(float)(text)


def _positive(kind):
    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            value = None
        if value is None or value <= 0:
            raise argparse.ArgumentTypeError(f"expected a positive {kind.__name__}; got {text!r}")
        return value

    return parse


def build_parser():
    parser = argparse.ArgumentParser(
        prog="skmnist",
        description="Train and evaluate a scikit-learn MNIST classifier (a Keras Dense MLP).",
    )
    parser.add_argument("--version", action="version", version=f"skmnist {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    train = commands.add_parser(
        "train",
        help="fit the pipeline on MNIST's 60,000 training images, report on the 10,000 test images",
        description=(
            "Load MNIST, fit the PixelScaler -> DenseMLPClassifier pipeline on the training "
            "set, print the test accuracy and the classification report, and save the "
            "fitted pipeline with skmnist.save (a file that skmnist.load reads without "
            "running code from it)."
        ),
    )
    data = train.add_argument_group("data")
    data.add_argument(
        "--data-dir",
        metavar="DIR",
        help="folder holding the four MNIST IDX files (gzip or not) or mnist.npz; "
        "default: $SKMNIST_DATA, then the Keras cache, then a download",
    )
    data.add_argument(
        "--no-download", action="store_true", help="fail instead of downloading MNIST"
    )
    model = train.add_argument_group(
        "model", "Each option given overrides the --preset's value of that parameter."
    )
    model.add_argument(
        "--preset",
        choices=tuple(PRESETS),
        default="default",
        help="named parameter set of make_mlp_pipeline (default: %(default)s: "
        f"{PRESET_SUMMARIES['default']}; fast: {PRESET_SUMMARIES['fast']}; best: "
        f"{PRESET_SUMMARIES['best']}, about 2.5 minutes)",
    )
    model.add_argument(
        "--hidden-layer-sizes",
        action=_Given,
        type=_layer_sizes,
        default=DEFAULTS["hidden_layer_sizes"],
        metavar="N[,N...]",
        help="units of each hidden layer, comma-separated (default: "
        + ",".join(map(str, DEFAULTS["hidden_layer_sizes"])) + ")",
    )
    model.add_argument(
        "--activation",
        action=_Given,
        choices=list(ACTIVATIONS),
        default=DEFAULTS["activation"],
        help="activation of the hidden layers (default: %(default)s)",
    )
    model.add_argument(
        "--dropout",
        action=_Given,
        type=_fraction_or_auto,
        default=DEFAULTS["dropout"],
        help="fraction of hidden units dropped while training; auto: 0.2 for 10 epochs or "
        "more, else 0 (default: %(default)s)",
    )
    model.add_argument(
        "--input-dropout",
        action=_Given,
        type=float,
        default=DEFAULTS["input_dropout"],
        help="fraction of input pixels dropped while training (default: %(default)s)",
    )
    model.add_argument(
        "--optimizer",
        action=_Given,
        choices=list(OPTIMIZERS),
        default=DEFAULTS["optimizer"],
        help="Keras optimizer (default: %(default)s)",
    )
    model.add_argument(
        "--learning-rate",
        action=_Given,
        type=_positive_float_or_auto,
        default=DEFAULTS["learning_rate"],
        help="optimizer step size; auto: 1e-3, times batch size / 128 for larger batches, "
        "up to 3e-3 (default: %(default)s)",
    )
    model.add_argument(
        "--learning-rate-schedule",
        action=_Given,
        choices=["auto", *SCHEDULES],
        default=DEFAULTS["learning_rate_schedule"],
        help="cosine: decay the rate to 0 over the epochs; auto: cosine for 10 epochs or "
        "more, else constant (default: %(default)s)",
    )
    model.add_argument(
        "--epochs",
        action=_Given,
        type=_positive(int),
        default=DEFAULTS["epochs"],
        help="passes over the training set (default: the preset's: "
        + ", ".join(f"{PRESETS[name].get('epochs', DEFAULTS['epochs'])} for {name}"
                    for name in PRESETS) + ")",
    )
    model.add_argument(
        "--batch-size",
        action=_Given,
        type=_positive_int_or_auto,
        default=DEFAULTS["batch_size"],
        help="images per gradient step; auto: 1%% of the images, from 32 to 256 "
        "(default: %(default)s)",
    )
    model.add_argument(
        "--early-stopping",
        action=_Given,
        const=True,
        default=False,
        help="hold out 10%% of the training set and stop when its loss stops improving",
    )
    model.add_argument(
        "--no-redraw",
        action=_NoRedraw,
        help="train on the digits as they are: the default preset redraws them (other "
        "pens, affine maps) in fits of 10 epochs or more, which reads users' digits better",
    )
    model.add_argument(
        "--center",
        action=_Given,
        const=True,
        default=False,
        help="scale pixels to [-0.5, 0.5] instead of [0, 1]",
    )
    model.add_argument(
        "--random-state", type=int, metavar="SEED", help="seed for a reproducible fit"
    )
    out = train.add_argument_group("output")
    out.add_argument(
        "--output", metavar="PATH", default=DEFAULT_OUTPUT, help="where to save the fitted pipeline (default: %(default)s)"
    )
    out.add_argument("--quiet", action="store_true", help="no progress bar")
    _add_grid_command(commands)
    _add_report_and_predict(commands)
    add_serve_and_export(commands)
    return parser


def _add_report_and_predict(commands):
    report = commands.add_parser(
        "report",
        help="evaluate a saved model on MNIST's test images; write figures and a web page",
        description=(
            "Evaluate a model saved by 'skmnist train' (or skmnist.save) on MNIST's 10,000 "
            "test images and write, into DIR: confusion_matrix.png, classification_report.txt "
            "and .csv, misclassified.png, history.png, network.png, digits.png and index.html, "
            "a page showing them all (open it in a browser). Needs matplotlib: "
            'pip install "skmnist[plot]".'
        ),
    )
    report.add_argument("model", metavar="MODEL", help="a model file written by skmnist train")
    report.add_argument(
        "--output", metavar="DIR", default="skmnist-report",
        help="folder to write the report into (default: %(default)s)"
    )
    report.add_argument(
        "--data-dir",
        metavar="DIR",
        help="folder holding MNIST (as for train); default: $SKMNIST_DATA, then the Keras "
        "cache, then a download",
    )
    report.add_argument(
        "--no-download", action="store_true", help="fail instead of downloading MNIST"
    )

    predict = commands.add_parser(
        "predict",
        help="classify your own images of digits",
        description=(
            "Classify pictures of single handwritten digits (photos or drawings, any size, "
            "dark on light or light on dark): each is turned into MNIST's form (grey levels, "
            "inverted if the background is light, cropped to the digit, fitted in 20x20, "
            "centred by mass in 28x28) and given to the model. Prints one line per image: "
            "path, TAB, predicted label, TAB, its probability. Needs Pillow: "
            'pip install "skmnist[plot]".'
        ),
    )
    predict.add_argument("model", metavar="MODEL", help="a model file written by skmnist train")
    predict.add_argument("images", metavar="IMAGE", nargs="+", help="image files (PNG, JPEG, ...)")


#: ``skmnist grid`` asks before a search estimated at more minutes than this (on a terminal).
GRID_CONFIRM_MINUTES = 5


def _add_grid_command(commands):
    grid = commands.add_parser(
        "grid",
        help="grid-search hidden layer sizes x learning rates by cross-validation",
        description=(
            "Cross-validate the PixelScaler -> DenseMLPClassifier pipeline on every "
            "combination of hidden layer sizes and learning rates (GridSearchCV), in "
            "parallel processes or on a Dask cluster; print one line per finished fit and "
            "a ranked table; write cv_results.csv, heatmap.png and the refitted best model "
            "to --output, and report the best model's test accuracy. First prints a rough "
            "estimate of the time and, on a terminal, asks before a search estimated at more "
            f"than {GRID_CONFIRM_MINUTES} minutes (--yes does not ask)."
        ),
    )
    search = grid.add_argument_group("search")
    search.add_argument(
        "--hidden-layer-sizes",
        type=_layer_sizes,
        nargs="+",
        default=[(32,), (128,), (512, 256)],
        metavar="N[,N...]",
        help="candidate hidden layers, each comma-separated (default: 32 128 512,256)",
    )
    search.add_argument(
        "--learning-rate",
        type=_positive(float),
        nargs="+",
        default=[1e-3, 3e-3, 1e-2],
        metavar="RATE",
        help="candidate learning rates (default: 1e-3 3e-3 1e-2)",
    )
    search.add_argument(
        "--cv", type=_at_least(2), default=3, help="cross-validation folds (default: %(default)s)"
    )
    search.add_argument(
        "--epochs",
        type=_positive(int),
        default=DEFAULTS["epochs"],
        help="epochs of every fit (default: %(default)s)",
    )
    search.add_argument(
        "--random-state", type=int, default=0, metavar="SEED",
        help="seed of the subset and of every fit (default: %(default)s)",
    )
    data = grid.add_argument_group("data")
    data.add_argument(
        "--data-dir", metavar="DIR",
        help="folder holding MNIST (default: $SKMNIST_DATA, then the Keras cache, then a download)",
    )
    data.add_argument("--no-download", action="store_true", help="fail instead of downloading MNIST")
    data.add_argument(
        "--subset", type=_positive(int), metavar="N",
        help="search on a stratified subset of N training images (default: all 60,000)",
    )
    run = grid.add_argument_group("where the fits run")
    run.add_argument(
        "--n-jobs", type=int, metavar="N",
        help="fits at a time: worker processes, each limiting TensorFlow to cores / N "
        "threads; -1 for one per core (default: 1, or every Dask worker with --scheduler)",
    )
    run.add_argument(
        "--tf-threads", type=_positive(int), default=1, metavar="N",
        help="TensorFlow threads of every fit, here and in local workers (default: "
        "%(default)s; the same in serial and parallel runs, so that their scores agree)",
    )
    run.add_argument(
        "--scheduler", metavar="ADDRESS",
        help="run the fits on the Dask cluster at ADDRESS, e.g. tcp://10.0.0.5:8786 "
        "(needs pip install 'skmnist[dask]')",
    )
    out = grid.add_argument_group("output")
    out.add_argument(
        "--output", metavar="DIR", default="skmnist-grid",
        help="folder for cv_results.csv, heatmap.png and the best model (default: %(default)s)",
    )
    out.add_argument(
        "--verbose", action="count", default=0,
        help="show Keras' progress of every fit (-vv: one line per epoch)",
    )
    out.add_argument(
        "--yes", "-y", action="store_true",
        help="start without asking, even when the estimated time is long (the question is "
        f"only asked on a terminal, when the estimate is over {GRID_CONFIRM_MINUTES} minutes)",
    )


def _at_least(minimum):
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or value < minimum:
            raise argparse.ArgumentTypeError(f"expected an integer >= {minimum}; got {text!r}")
        return value

    return parse

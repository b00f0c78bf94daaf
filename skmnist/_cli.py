"""The ``skmnist`` command line: run the command the arguments name.

The arguments are parsed by ``_cli_parser``. Only the standard library is
imported at module level, so that ``skmnist --help`` answers at once;
TensorFlow is imported when a command runs.
"""

import os
import sys
import time

from ._cli_parser import build_parser
from ._files import missing_model_error, shown_path

__all__ = ["main"]


def _check_model_file(path):
    """Fail at once, before the heavy imports, when the model file is not there."""
    if not os.path.isfile(path):
        what = "is a folder, not a model file" if os.path.isdir(path) else "no such file"
        raise ValueError(
            f"{shown_path(path)}: {what}. Give the path of a .skmnist file (skmnist train "
            "writes skmnist-mlp.skmnist in the current folder)."
        )


def _check_writable(path, option):
    """Fail at once, before loading or training anything, when ``path`` cannot be written."""
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise ValueError(f"{os.path.abspath(path)} is a folder; give {option} a file name in it.")
    if not os.path.isdir(folder):
        raise ValueError(
            f"cannot write {shown_path(path)}: the folder {shown_path(folder)} does not exist. "
            f"Create it first, or give {option} a path in an existing folder."
        )
    if not os.access(folder, os.W_OK):
        raise ValueError(
            f"cannot write {shown_path(path)}: the folder {shown_path(folder)} is not "
            f"writable. Give {option} a path in a folder you can write to."
        )


def _train(args):
    _check_writable(args.output, "--output")  # before minutes of training, not after
    from sklearn.metrics import classification_report

    from ._datasets import load_mnist

    data = load_mnist(args.data_dir, download=not args.no_download)
    print(
        f"MNIST from {shown_path(data.source)}: {len(data.y_train):,} training and "
        f"{len(data.y_test):,} test images",
        flush=True,
    )

    from ._pipeline import make_mlp_pipeline  # imports TensorFlow, quietly

    pipe = make_mlp_pipeline(
        preset=args.preset,
        random_state=args.random_state,
        verbose=0 if args.quiet else 1,
        # The model options given (each a _Given action, named as the parameter);
        # the others keep the preset's value, else the default shown in --help.
        **{name: getattr(args, name) for name in getattr(args, "given", ())},
    )
    start = time.perf_counter()
    pipe.fit(data.X_train, data.y_train)
    seconds = time.perf_counter() - start
    y_pred = pipe.predict(data.X_test)
    accuracy = float((y_pred == data.y_test).mean())
    print(f"\nTrained in {seconds:.1f} s ({pipe[-1].n_iter_} epochs)")
    print(f"Test accuracy: {accuracy:.4f}\n")
    print(classification_report(data.y_test, y_pred, digits=4))

    from ._persistence import save

    save(pipe, args.output)
    print(f"Saved the fitted pipeline to {shown_path(args.output)} (load it with skmnist.load)")
    return 0


def _grid(args):
    from ._grid_command import run_grid  # imports scikit-learn; TensorFlow once data is loaded

    return run_grid(args)


def _report(args):
    _check_model_file(args.model)
    from ._datasets import load_mnist
    from ._persistence import load

    model = load(args.model)
    data = load_mnist(args.data_dir, download=not args.no_download)
    from ._report import write_report

    summary = write_report(
        model, data.X_test, data.y_test, args.output,
        model_name=os.path.basename(args.model), data_source=str(data.source),
    )
    print(
        f"Test accuracy {summary['accuracy']:.4f} on {summary['n_test']:,} images "
        f"({summary['n_misclassified']:,} misclassified)"
    )
    print(f"Report written to {shown_path(summary['index'])}")
    return 0


def _predict(args):
    _check_model_file(args.model)
    import numpy as np

    from ._images import prepare_digit_image
    from ._persistence import load

    model = load(args.model)
    status = 0
    for path in args.images:
        try:
            digit = prepare_digit_image(path)
        except (ValueError, OSError, MemoryError) as exc:  # one bad file never stops the rest
            message = _plain(exc)
            if not message.startswith(str(path)):
                message = f"{path}: {message}"
            print(f"skmnist predict: error: {message}", file=sys.stderr)
            status = 1
            continue
        proba = model.predict_proba(digit[np.newaxis])[0]
        best = int(np.argmax(proba))
        print(f"{path}\t{model.classes_[best]}\t{proba[best]:.4f}", flush=True)
    return status


def _serve(args):
    if not os.path.exists(args.model):  # at once, before FastAPI and TensorFlow
        raise missing_model_error(args.model)
    from ._serve import serve  # imports FastAPI and uvicorn; TensorFlow once the model loads

    return serve(args.model, args.host, args.port,
                 max_body_bytes=int(args.max_body_mb * 1024 * 1024), access_log=args.access_log)


def _export(args):
    _check_model_file(args.model)
    _check_writable(args.output, "OUT")
    from ._onnx_export import export_onnx
    from ._persistence import load

    path = export_onnx(load(args.model), args.output)
    print(f"Wrote {path}: input 'images', uint8 (n, 28, 28); outputs 'label' (n,) and "
          "'probabilities' (n, n_classes). Run it with onnxruntime.")
    return 0


def main(argv=None):
    """Run the ``skmnist`` command line.

    Parameters
    ----------
    argv : list of str, default=None
        Arguments without the program name; None reads ``sys.argv``.

    Returns
    -------
    status : int
        0 on success, 1 when the data, the parameters or a file (model, image) are
        refused, or an optional dependency of the command is missing.

    Examples
    --------
    >>> from skmnist._cli import main
    >>> main(["--version"])  # doctest: +SKIP
    skmnist 0.1.0
    """
    args = build_parser().parse_args(argv)
    try:
        return {"train": _train, "grid": _grid, "report": _report, "predict": _predict,
                "serve": _serve, "export": _export}[args.command](args)
    except (ValueError, TypeError, OSError, ImportError, MemoryError) as exc:
        print(f"skmnist {args.command}: error: {_plain(exc)}", file=sys.stderr)
        return 1


def _plain(exc):
    """The error in plain words: a file's path and its problem, without ``[Errno 2]``;
    in the command line's terms when the error has them (MNIST not found)."""
    if getattr(exc, "command_line_message", None):
        return exc.command_line_message
    if isinstance(exc, OSError) and exc.filename is not None and exc.strerror:
        return f"{exc.filename}: {exc.strerror}"
    return str(exc)

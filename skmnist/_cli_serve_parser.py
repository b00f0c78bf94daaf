"""The arguments of ``skmnist serve`` and ``skmnist export``, for ``_cli_parser``.

Only the standard library and ``_facts`` are imported, so that ``skmnist
--help`` answers at once (neither FastAPI nor TensorFlow); the defaults and
limits come from ``_facts``.
"""

import argparse
import math

from ._facts import DEFAULT_MODEL_FILE, SERVE_BODY_MB_RANGE, SERVE_DEFAULTS

__all__ = ["add_serve_and_export"]


def add_serve_and_export(commands):
    """Add the ``serve`` and ``export`` sub-commands to `commands` (argparse sub-parsers)."""
    serve = commands.add_parser(
        "serve",
        help="serve a page to draw digits on, and a JSON prediction API",
        description=(
            "Serve a model on a local web server: open the address it prints to draw a digit "
            "(mouse, finger or pen) or drop a photo and watch the model read it; programs can "
            "POST images or 28x28 pixels to /api/predict (schema at /openapi.json). Binds "
            f"{SERVE_DEFAULTS['host']}, this machine only, unless --host says otherwise. Needs "
            'FastAPI and uvicorn: pip install "skmnist[serve]".'
        ),
    )
    serve.add_argument(
        "model", metavar="MODEL", nargs="?", default=DEFAULT_MODEL_FILE,
        help="a model file written by skmnist train (default: %(default)s)",
    )
    serve.add_argument(
        "--host", default=SERVE_DEFAULTS["host"],
        help="address to listen on; 0.0.0.0 for every network interface (default: %(default)s)",
    )
    serve.add_argument(
        "--port", type=port_number, default=SERVE_DEFAULTS["port"],
        help="TCP port to listen on, 1-65535 (default: %(default)s)",
    )
    low, high = SERVE_BODY_MB_RANGE
    serve.add_argument(
        "--max-body-mb", type=body_megabytes, default=SERVE_DEFAULTS["max_body_mb"], metavar="MB",
        help=f"refuse request bodies larger than this many MiB with 413, from {low:g} to "
        f"{high:g} (default: %(default)s)",
    )
    serve.add_argument("--access-log", action="store_true", help="print one line per request")

    export = commands.add_parser(
        "export",
        help="export a model to ONNX, to predict without Python's skmnist",
        description=(
            "Write the whole fitted pipeline (PixelScaler then the Dense network) as one ONNX "
            "model: input 'images', uint8 of shape (n, 28, 28); outputs 'label' (n,) and "
            "'probabilities' (n, n_classes). Run it with onnxruntime or any ONNX runtime. "
            'Needs onnx: pip install "skmnist[onnx]".'
        ),
    )
    export.add_argument("model", metavar="MODEL", help="a model file written by skmnist train")
    export.add_argument("output", metavar="OUT.onnx", help="the ONNX file to write")


def port_number(text):
    """Parse a TCP port a server can listen on: a whole number from 1 to 65535.

    Examples
    --------
    >>> from skmnist._cli_serve_parser import port_number
    >>> port_number("8080")
    8080
    >>> port_number("0")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: expected a port number from 1 to 65535, such as 8000; got '0'
    """
    try:
        value = int(text)
    except ValueError:
        value = None
    if value is None or not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(
            f"expected a port number from 1 to 65535, such as 8000; got {text!r}")
    return value


def body_megabytes(text):
    """Parse a body limit in MiB: a finite number within ``SERVE_BODY_MB_RANGE``.

    Examples
    --------
    >>> from skmnist._cli_serve_parser import body_megabytes
    >>> body_megabytes("2.5")
    2.5
    >>> body_megabytes("inf")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: expected a number of MiB from 0.001 to 1024, such as 10; got 'inf'
    """
    low, high = SERVE_BODY_MB_RANGE
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not low <= value <= high:  # False for NaN; infinities are out of range
        raise argparse.ArgumentTypeError(
            f"expected a number of MiB from {low:g} to {high:g}, such as "
            f"{SERVE_DEFAULTS['max_body_mb']:g}; got {text!r}")
    return value

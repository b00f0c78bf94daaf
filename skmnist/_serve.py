"""``skmnist serve``: load a model file and serve the page and the API with uvicorn."""

import ipaddress
import os
import sys

from ._facts import SERVE_DEFAULTS
from ._files import missing_model_error
from ._serve_app import DEFAULT_MAX_BODY_BYTES

__all__ = ["DEFAULT_HOST", "DEFAULT_PORT", "binding_warning", "serve"]

DEFAULT_HOST = SERVE_DEFAULTS["host"]
DEFAULT_PORT = SERVE_DEFAULTS["port"]


def binding_warning(host):
    """What to tell the user about binding `host`, or None for a loopback address.

    Examples
    --------
    >>> from skmnist._serve import binding_warning
    >>> binding_warning("127.0.0.1") is None
    True
    >>> print(binding_warning("0.0.0.0"))  # doctest: +ELLIPSIS
    Warning: serving on all network interfaces (0.0.0.0): ...
    """
    if host == "localhost":
        return None
    try:
        address = ipaddress.ip_address(host) if host else None
    except ValueError:
        address = None  # a host name
    if address is not None and address.is_loopback:
        return None
    if not host or (address is not None and address.is_unspecified):
        return (
            f"Warning: serving on all network interfaces ({host or 'all'}): anyone who can "
            "reach this machine can use the model, without a password. Use --host 127.0.0.1 "
            "to serve this machine only."
        )
    return (
        f"Warning: serving on {host}, which other machines may reach: anyone who can reach "
        "it can use the model, without a password."
    )


def serve(model_path, host=DEFAULT_HOST, port=DEFAULT_PORT, *,
          max_body_bytes=DEFAULT_MAX_BODY_BYTES, access_log=False):
    """Serve a model file's page and API until interrupted (Ctrl+C).

    Parameters
    ----------
    model_path : str or path-like
        A ``.skmnist`` file written by ``skmnist train`` or :func:`skmnist.save`;
        read with :func:`skmnist.load` (never unpickled).
    host : str, default="127.0.0.1"
        Address to bind: this machine only unless told otherwise.
    port : int, default=8000
    max_body_bytes : int, default=10 MiB
        Larger request bodies are refused with 413.
    access_log : bool, default=False
        Print one line per request.

    Raises
    ------
    ImportError
        If FastAPI or uvicorn is missing.
    ValueError, TypeError, OSError
        If the file is not a model skmnist can serve.
    """
    try:
        import uvicorn
    except ImportError as exc:
        raise ImportError(
            f"skmnist serve needs uvicorn and FastAPI, which are not installed ({exc}). "
            'Install them with pip install "skmnist[serve]".'
        ) from None
    from ._persistence import load
    from ._serve_app import create_app

    if not os.path.exists(model_path):
        raise missing_model_error(model_path)
    print(f"Loading {os.fspath(model_path)} ...", file=sys.stderr, flush=True)
    model = load(model_path)
    app = create_app(model, max_body_bytes=max_body_bytes,
                     model_name=os.path.basename(os.fspath(model_path)))
    warning = binding_warning(host)
    if warning:
        print(warning, file=sys.stderr, flush=True)
    shown = f"[{host}]" if ":" in host else host
    print(f"Draw a digit at http://{shown}:{port}/ (API: /api/predict, schema: /openapi.json; "
          "stop with Ctrl+C)", file=sys.stderr, flush=True)
    uvicorn.Server(uvicorn.Config(
        app, host=host, port=port, access_log=access_log, server_header=False,
        log_level="info" if access_log else "warning", timeout_keep_alive=15,
    )).run()
    return 0

"""The web application of ``skmnist serve``: the drawing page and the JSON API.

Built on FastAPI (which publishes the OpenAPI schema at ``/openapi.json``),
served by uvicorn (``_serve.py``). Bodies are read here, within a size limit,
before anything looks at them; turning them into a 28x28 image is
``_serve_inputs``' job; predicting is the fitted pipeline's NumPy
``predict_proba``. Images of many pixels (judged from their header) and big
bodies are decoded in worker threads, two at a time, so that the event loop
keeps answering drawings. Every bad request gets a JSON ``{"detail": ...}``
answer with a 4xx status, and leaves nothing behind that could affect the
next one; values JSON cannot hold (NaN, infinity) are sent as null.
"""

import math
import time
from importlib import resources

import numpy as np

from . import __version__
from ._facts import SERVE_DEFAULTS
from ._model_parts import model_parts
from ._serve_inputs import (
    LIMITS,
    Refused,
    digit_from_json,
    digit_from_opened,
    image_from_multipart,
    open_image,
)

__all__ = ["DEFAULT_MAX_BODY_BYTES", "create_app"]

#: The largest body accepted by default (``SERVE_DEFAULTS["max_body_mb"]`` MiB).
DEFAULT_MAX_BODY_BYTES = int(SERVE_DEFAULTS["max_body_mb"] * 1024 * 1024)

#: Images of more pixels than this are decoded in a worker thread, so that a big
#: photo does not hold up the drawings of other users. Decided from the image's
#: header, not the body's size: a plain-colour PNG of 40 megapixels is 40 KB.
_THREAD_ABOVE_PIXELS = 1_000_000

#: Bodies larger than this are parsed in a worker thread too (JSON, or an image
#: of few pixels in many bytes); a drawing or a JSON digit is a few KB.
_THREAD_ABOVE_BYTES = 256 * 1024

#: At most this many big bodies are decoded at a time (an image may take hundreds of MB).
_BIG_BODIES_AT_ONCE = 2

_PREDICT_BODY = {
    "required": True,
    "description": "One image of one digit, in one of three forms.",
    "content": {
        "image/png": {"schema": {"type": "string", "format": "binary"}},
        "image/jpeg": {"schema": {"type": "string", "format": "binary"}},
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "properties": {"image": {"type": "string", "format": "binary"}},
                "required": ["image"],
            }
        },
        "application/json": {
            "schema": {
                "type": "object",
                "properties": {
                    "pixels": {
                        "type": "array",
                        "minItems": 28,
                        "maxItems": 28,
                        "items": {
                            "type": "array",
                            "minItems": 28,
                            "maxItems": 28,
                            "items": {"type": "number", "minimum": 0, "maximum": 255},
                        },
                        "description": "28x28 grey levels, white digit on black, as MNIST",
                    }
                },
                "required": ["pixels"],
            }
        },
    },
}

_ERROR = {"content": {"application/json": {"schema": {
    "type": "object", "properties": {"detail": {"type": "string"}}}}}}

_PREDICT_RESPONSES = {
    200: {"description": "The prediction", "content": {"application/json": {"example": {
        "label": 7, "classes": list(range(10)), "probabilities": [0.0] * 7 + [1.0, 0.0, 0.0],
        "image": "28 lists of 28 grey levels", "timing_ms": {"prepare": 0.9, "predict": 0.2},
    }}}},
    400: {"description": "Not an image, a broken or too large image, or no digit in it",
          **_ERROR},
    413: {"description": "The body is larger than the server's limit", **_ERROR},
    415: {"description": "A content type other than image/*, multipart/form-data or "
                         "application/json", **_ERROR},
    422: {"description": "JSON of the wrong shape or with values outside 0-255", **_ERROR},
}


async def _read_body(request, limit):
    """The request's body, refused with 413 as soon as it is known to exceed `limit` bytes."""
    declared = request.headers.get("content-length")
    too_large = Refused(
        413, f"The body is larger than this server's limit of {limit:,} bytes. Send a "
        "smaller image (a digit needs no more than a few hundred pixels a side).")
    if declared is not None:
        if not declared.isdigit():
            raise Refused(400, f"The Content-Length header is not a number: {declared[:40]!r}.")
        if int(declared) > limit:
            raise too_large
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


def _jsonable(value):
    """Parameters as JSON values: tuples as lists, NumPy scalars as numbers, others as text.

    Floats that are not finite (a parameter set to infinity, a NaN loss) become
    None: JSON has no NaN or infinity, and Starlette refuses to send them.
    """
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if value is None or isinstance(value, (bool, int, str)):
        return value
    return repr(value)


def _model_info(model, scalers, classifier, name, limit):
    history = getattr(classifier, "history_", {}) or {}
    return {
        "file": name,
        "skmnist_version": __version__,
        "classes": _jsonable(classifier.classes_.tolist()),
        "steps": [
            {"name": step_name, "class": type(step).__name__,
             "params": _jsonable(step.get_params(deep=False))}
            for step_name, step in model.steps
            if step in scalers or step is classifier
        ],
        "epochs_trained": _jsonable(getattr(classifier, "n_iter_", None)),
        "last_scores": {str(k): _jsonable(v[-1]) for k, v in history.items() if len(v)},
        "input": "one image of a digit (image/*, multipart field 'image') or JSON "
                 '{"pixels": 28x28 grey levels 0-255}',
        "limits": {"max_body_bytes": limit, **LIMITS},
    }


def _page_html():
    return resources.files("skmnist").joinpath("templates/serve.html").read_text("utf-8")


def create_app(model, *, max_body_bytes=DEFAULT_MAX_BODY_BYTES, model_name=None):
    """The ASGI application of ``skmnist serve``: a drawing page and a JSON API.

    Parameters
    ----------
    model : Pipeline
        A fitted pipeline of ``PixelScaler`` then ``DenseMLPClassifier``, as
        :func:`skmnist.load` returns it for a file written by ``skmnist train``.
    max_body_bytes : int, default=10 MiB
        Larger request bodies are refused with status 413.
    model_name : str, default=None
        How ``GET /api/model`` and the page name the model (e.g. its file name).

    Returns
    -------
    app : fastapi.FastAPI
        Routes: ``GET /`` (the page), ``POST /api/predict``, ``GET /api/model``,
        ``GET /api/health``, and FastAPI's ``/openapi.json`` and ``/docs``.
        Serve it with any ASGI server, e.g. ``uvicorn.run(app)``.

    Raises
    ------
    TypeError
        If `model` is not a fitted pipeline of the two skmnist steps.
    ValueError
        If it was not fitted on 28x28 images, or `max_body_bytes` is not a
        positive integer.
    ImportError
        If FastAPI is not installed (``pip install "skmnist[serve]"``).

    Examples
    --------
    >>> import numpy as np
    >>> from skmnist import create_app, make_mlp_pipeline
    >>> rng = np.random.RandomState(0)
    >>> images = rng.randint(0, 256, size=(60, 28, 28)).astype(np.uint8)
    >>> pipe = make_mlp_pipeline(hidden_layer_sizes=(16,), epochs=1, random_state=0)
    >>> app = create_app(pipe.fit(images, np.repeat([0, 1, 2], 20)), model_name="tiny")
    >>> sorted(route.path for route in app.routes if route.path.startswith("/api"))
    ['/api/health', '/api/model', '/api/predict']

    Serve a model file on this machine (what ``skmnist serve`` does):

    >>> import uvicorn
    >>> from skmnist import load
    >>> app = create_app(load("skmnist-mlp.skmnist"))  # doctest: +SKIP
    >>> uvicorn.run(app, host="127.0.0.1", port=8000)  # doctest: +SKIP
    """
    try:
        from fastapi import FastAPI, Request
        from fastapi.responses import HTMLResponse, JSONResponse
        from starlette.concurrency import run_in_threadpool
    except ImportError as exc:
        raise ImportError(
            f"skmnist serve needs FastAPI and uvicorn, which are not installed ({exc}). "
            'Install them with pip install "skmnist[serve]".'
        ) from None
    import anyio

    if isinstance(max_body_bytes, bool) or not isinstance(max_body_bytes, int) or max_body_bytes < 1:
        raise ValueError(
            f"max_body_bytes must be a positive whole number of bytes; got {max_body_bytes!r}."
        )
    scalers, classifier = model_parts(model, "skmnist serve")
    classes = _jsonable(classifier.classes_.tolist())
    info = _model_info(model, scalers, classifier, model_name, max_body_bytes)
    page = _page_html()
    big_bodies = anyio.Semaphore(_BIG_BODIES_AT_ONCE)

    app = FastAPI(
        title="skmnist",
        version=__version__,
        description="Read handwritten digits with a fitted skmnist model. Draw at /.",
    )

    @app.exception_handler(Exception)
    async def _unexpected(request, exc):  # pragma: no cover - a bug, said without a traceback
        return JSONResponse({"detail": "The server could not answer this request "
                             f"({type(exc).__name__}). It goes on serving others."}, 500)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def drawing_page():
        return HTMLResponse(page, headers={"Cache-Control": "no-cache"})

    async def off_the_loop(function, argument):
        async with big_bodies:
            return await run_in_threadpool(function, argument)

    async def digit_of_image(data):
        image = open_image(data)  # the header only: cheap
        width, height = image.size
        if width * height <= _THREAD_ABOVE_PIXELS and len(data) <= _THREAD_ABOVE_BYTES:
            return digit_from_opened(image)  # a drawing: faster here than in a thread
        return await off_the_loop(digit_from_opened, image)

    async def digit_of_json(data):
        if len(data) <= _THREAD_ABOVE_BYTES:
            return digit_from_json(data)
        return await off_the_loop(digit_from_json, data)

    @app.post("/api/predict", openapi_extra={"requestBody": _PREDICT_BODY},
              responses=_PREDICT_RESPONSES, summary="Read the digit in one image")
    async def predict(request: Request):
        """Predict the digit of an image file, a form field `image`, or JSON 28x28 pixels."""
        start = time.perf_counter()
        try:
            body = await _read_body(request, max_body_bytes)
            kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
            if kind == "application/json" or kind.endswith("+json"):
                digit = await digit_of_json(body)
            elif kind == "multipart/form-data":
                digit = await digit_of_image(await image_from_multipart(request.headers, body))
            elif kind.startswith("image/") or kind == "application/octet-stream":
                digit = await digit_of_image(body)
            else:
                raise Refused(415, f"Unsupported content type {kind[:80]!r}: send an image "
                              "(image/png, image/jpeg, ...), a multipart form with the field "
                              "'image', or application/json {\"pixels\": 28x28 numbers}.")
        except Refused as exc:
            return JSONResponse({"detail": str(exc)}, status_code=exc.status)
        prepared = time.perf_counter()
        proba = model.predict_proba(digit[np.newaxis])[0]
        # A model whose weights went to NaN in training predicts NaN: said as null.
        label = classes[int(np.argmax(proba))] if np.isfinite(proba).all() else None
        done = time.perf_counter()
        return JSONResponse({
            "label": label,
            "classes": classes,
            "probabilities": _jsonable(proba.tolist()),
            "image": digit.tolist(),
            "timing_ms": {"prepare": round((prepared - start) * 1e3, 3),
                          "predict": round((done - prepared) * 1e3, 3)},
        })

    @app.get("/api/model", summary="The model's parameters, classes and last scores")
    async def model_info():
        return JSONResponse(info)

    @app.get("/api/health", summary="200 when the model is loaded")
    async def health():
        return JSONResponse({"status": "ok", "model": model_name})

    return app

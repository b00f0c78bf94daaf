"""Turn the body of a ``POST /api/predict`` request into the 28x28 image the model sees.

Three kinds of bodies are accepted: an image file sent as it is (``image/png``,
``image/jpeg``, ...), the same in a multipart form field named ``image``, or
JSON ``{"pixels": [[...], ...]}`` holding one 28x28 MNIST image. Every
refusal is a :class:`Refused` carrying the HTTP status and a message in plain
words; nothing here lets another exception out for a bad body.
"""

import io
import json
import math
import warnings

import numpy as np

from ._images import MAX_IMAGE_PIXELS, WORK_SIZE, _check_pixels, prepare_digit_image

__all__ = [
    "Refused", "digit_from_image", "digit_from_json", "digit_from_opened", "image_from_multipart",
    "open_image",
]

#: Image formats read from clients: common photo and drawing formats only (Pillow
#: can open many more, some through outside programs, such as EPS).
FORMATS = ("PNG", "JPEG", "GIF", "BMP", "WEBP", "TIFF")

#: MNIST's image size: what JSON pixels must be.
SIDE = 28


class Refused(ValueError):
    """A request the server does not answer with a prediction: its status and why."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


def _pillow_image():
    """Pillow's Image module, or a 400 saying images cannot be read without it."""
    try:
        from PIL import Image
    except ImportError:  # pragma: no cover - Pillow comes with skmnist[serve]
        raise Refused(400, "This server cannot read image files (Pillow is not installed); "
                      'send JSON {"pixels": 28x28 numbers} instead.') from None
    return Image


def _quiet_pillow_warning():
    """Silence Pillow's DecompressionBombWarning for good, once, in this process.

    skmnist's own pixel limit (``MAX_IMAGE_PIXELS``, checked from the header)
    is lower than the size at which Pillow warns, so the warning would only
    repeat a refusal. One filter set at import, rather than
    ``warnings.catch_warnings()`` around every decode, which changes the
    process-wide filters and is not safe in the server's worker threads.
    """
    try:
        from PIL import Image
    except ImportError:  # pragma: no cover - said when an image arrives
        return
    warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)


_quiet_pillow_warning()


def open_image(data):
    """Open image bytes lazily: read the header and check the pixel count, decode nothing.

    Parameters
    ----------
    data : bytes
        An image file.

    Returns
    -------
    image : PIL.Image.Image
        Not decoded yet; ``image.size`` tells how much decoding it will take.
        Give it to :func:`digit_from_opened`.

    Raises
    ------
    Refused
        Status 400 if the bytes are not an image skmnist reads, or the image
        is larger than ``MAX_IMAGE_PIXELS``.

    Examples
    --------
    >>> import io
    >>> from PIL import Image
    >>> from skmnist._serve_inputs import open_image
    >>> buffer = io.BytesIO()
    >>> Image.new("L", (4000, 3000)).save(buffer, "PNG")
    >>> open_image(buffer.getvalue()).size
    (4000, 3000)
    """
    Image = _pillow_image()
    if not data:
        raise Refused(400, "The body is empty: send the bytes of an image file (PNG, JPEG, ...).")
    try:
        image = Image.open(io.BytesIO(data), formats=FORMATS)
        _check_pixels(image.size, "The image")
    except ValueError as exc:  # skmnist's pixel limit
        raise Refused(400, str(exc)) from None
    except Image.UnidentifiedImageError:
        raise Refused(
            400,
            "The body is not an image file skmnist reads: send a PNG, JPEG, GIF, BMP, WebP "
            "or TIFF file of one digit.",
        ) from None
    except (OSError, SyntaxError, Image.DecompressionBombError, EOFError) as exc:
        raise Refused(400, _unreadable(exc)) from None
    return image


def _unreadable(exc):
    # OSError covers truncated images; SyntaxError and EOFError come from some of
    # Pillow's decoders on broken files.
    return (f"Could not read the body as an image ({exc}). Send a complete PNG, JPEG, GIF, "
            "BMP, WebP or TIFF file of one digit.")


def digit_from_opened(image):
    """The 28x28 uint8 MNIST image of the digit in an image from :func:`open_image`.

    Decoding happens here: for a large image, call this in a worker thread.

    Parameters
    ----------
    image : PIL.Image.Image
        As :func:`open_image` returns it.

    Returns
    -------
    digit : ndarray of shape (28, 28), uint8

    Raises
    ------
    Refused
        Status 400 if the image cannot be decoded or holds no visible digit.
    """
    if image.format == "JPEG" and min(image.size) > 2 * WORK_SIZE:
        # Decode a big photo at a reduced scale (still larger than the size it is
        # shrunk to): several times faster, and a digit needs far fewer pixels.
        image.draft(image.mode, (WORK_SIZE, WORK_SIZE))
    try:
        image.load()
    except (OSError, SyntaxError, EOFError, ValueError) as exc:
        raise Refused(400, _unreadable(exc)) from None
    try:
        return prepare_digit_image(image)
    except ValueError as exc:  # a blank canvas (no digit found), non-finite pixels
        raise Refused(400, str(exc)) from None
    except (OSError, MemoryError) as exc:
        raise Refused(400, f"Could not use the image: {exc}. Send another image.") from None


def digit_from_image(data):
    """The 28x28 uint8 MNIST image of the digit in image file bytes.

    :func:`open_image` then :func:`digit_from_opened`, in one call.

    Parameters
    ----------
    data : bytes
        An image file.

    Returns
    -------
    digit : ndarray of shape (28, 28), uint8

    Raises
    ------
    Refused
        Status 400 if the bytes are not an image skmnist reads, the image is
        too large (over ``MAX_IMAGE_PIXELS``) or holds no visible digit.

    Examples
    --------
    >>> import io
    >>> import numpy as np
    >>> from PIL import Image
    >>> from skmnist._serve_inputs import digit_from_image
    >>> paper = np.full((120, 80), 255, np.uint8)
    >>> paper[20:100, 35:45] = 0  # a dark "1" on white paper
    >>> buffer = io.BytesIO()
    >>> Image.fromarray(paper).save(buffer, "PNG")
    >>> digit = digit_from_image(buffer.getvalue())
    >>> digit.shape, int(digit.max()), int(digit[0, 0])
    ((28, 28), 255, 0)
    """
    return digit_from_opened(open_image(data))


def _pixels_problem(pixels):
    """Why a decoded JSON value is not a 28x28 image of numbers in 0-255, or None."""
    if not isinstance(pixels, list) or len(pixels) != SIDE or not all(
        isinstance(row, list) and len(row) == SIDE for row in pixels
    ):
        shape = _shape(pixels)
        return f"expected 28 rows of 28 numbers, got {shape}"
    for row in pixels:
        for value in row:
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                return f"expected numbers, got {type(value).__name__} {value!r:.40}"
            if not (0 <= value <= 255) or (isinstance(value, float) and math.isnan(value)):
                return f"expected grey levels from 0 to 255, got {value!r}"
    return None


def _shape(value):
    if not isinstance(value, list):
        return f"a {type(value).__name__}"
    lengths = sorted({len(row) for row in value if isinstance(row, list)})
    if not lengths:
        return f"a list of {len(value)} non-lists"
    return f"{len(value)} rows of {'/'.join(map(str, lengths[:4]))} values"


def digit_from_json(data):
    """The 28x28 uint8 image of a JSON body ``{"pixels": [[...], ...]}``.

    Parameters
    ----------
    data : bytes
        The body: a JSON object whose ``pixels`` is 28 lists of 28 numbers in
        0-255, white digit on black, as MNIST.

    Returns
    -------
    digit : ndarray of shape (28, 28), uint8
        The pixels, rounded to whole grey levels.

    Raises
    ------
    Refused
        Status 400 if the body is not JSON or every pixel is 0 (no digit),
        422 if it is JSON of another shape or with values outside 0-255.
    """
    try:
        body = json.loads(data)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError and bad UTF-8 are ValueErrors
        raise Refused(400, f"The body is not valid JSON ({exc}). Send "
                      '{"pixels": [[...28 numbers...], ...28 rows...]}.') from None
    if not isinstance(body, dict) or "pixels" not in body:
        raise Refused(422, 'Expected a JSON object with a "pixels" field: '
                      '{"pixels": [[...28 numbers...], ...28 rows...]}, white digit on black '
                      f"as in MNIST; got {_shape(body) if not isinstance(body, dict) else 'an object'}"
                      f"{' without pixels' if isinstance(body, dict) else ''}.")
    pixels = body["pixels"]
    try:
        array = np.array(pixels) if isinstance(pixels, list) else None
    except (ValueError, TypeError, OverflowError, RecursionError):  # ragged, huge numbers
        array = None
    good = (
        array is not None and array.shape == (SIDE, SIDE) and array.dtype.kind in "iuf"
        and array.min() >= 0 and array.max() <= 255  # False for NaN
    )
    if not good:
        problem = _pixels_problem(pixels) or "expected 28 lists of 28 numbers from 0 to 255"
        raise Refused(422, f'"pixels" must be one 28x28 grey image, 28 lists of 28 numbers '
                      f"from 0 to 255 (white digit on black, as MNIST): {problem}.")
    digit = np.rint(array).astype(np.uint8)
    if not digit.any():
        raise Refused(400, "No digit found: every pixel is 0. Send an image with a digit "
                      "in it (light on black, as MNIST).")
    return digit


async def image_from_multipart(headers, body):
    """The bytes of the file in the form field ``image`` of a multipart body.

    Parameters
    ----------
    headers : starlette.datastructures.Headers
        The request's headers (their content type holds the boundary).
    body : bytes
        The whole body, already read within the size limit.

    Returns
    -------
    data : bytes

    Raises
    ------
    Refused
        Status 400 if the form cannot be parsed or has no ``image`` file.
    """
    from starlette.formparsers import MultiPartException, MultiPartParser

    async def stream():
        yield body
        yield b""

    parser = MultiPartParser(headers, stream(), max_files=4, max_fields=16)
    try:
        form = await parser.parse()
    except (MultiPartException, ValueError, KeyError) as exc:
        raise Refused(400, f"Could not read the multipart form: {exc}. Send the image "
                      "in a form field named 'image'.") from None
    try:
        field = form.get("image")
        if field is None or isinstance(field, str):
            names = sorted(set(form.keys()))
            raise Refused(400, "The multipart form has no file in a field named 'image' "
                          f"(its fields: {names}). Send the image as the field 'image'.")
        return await field.read()
    finally:
        await form.close()


#: For the API's description.
LIMITS = {"max_image_pixels": MAX_IMAGE_PIXELS, "formats": list(FORMATS)}

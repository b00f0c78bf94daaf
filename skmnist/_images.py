"""Turn a photo or a drawing of one digit into an MNIST image.

MNIST's digits were size-normalised to fit a 20x20 box, keeping their aspect
ratio, and centred by centre of mass in a 28x28 field, light ink on black. A
user's image is dark ink on light paper, of any size, with the digit anywhere;
``prepare_digit_image`` repeats MNIST's recipe on it, one step per function:

1. ``_grayscale``: read with Pillow, apply the EXIF orientation of phone
   photos, flatten transparency onto white, convert to grey levels 0-255;
2. ``_ink_bright``: invert when the background (the median of the border) is
   light, so the ink is bright on dark;
3. ``_stretch``: put the background at 0 and the ink at 1;
4. ``_digit_mask`` and ``_crop``: threshold (Otsu's method), keep the large
   connected blobs (specks of noise are dropped), crop to their bounding box;
5. ``straighten`` and ``_even_strokes`` (``skmnist/_digit_pen.py``), steps for
   users' pens that MNIST did not need: halve the slant's difference from
   MNIST's median slant; bring strokes much thicker or thinner (a marker, a
   one-pixel pen) to ``STROKE_TARGET``, 10.5% of the digit's longer side
   (MNIST's median is 9%), reopening the loops a thick pen filled;
6. ``_fit_box``: resize to fit 20x20, keeping the aspect ratio, and bring
   the brightest pixel back to full ink;
7. ``_center_by_mass``: paste into 28x28 with the centre of mass at the
   centre, as MNIST's centres lie (pixel (14, 14) counted from 0).
"""

import os
import warnings

import numpy as np
from scipy import ndimage

from ._digit_pen import STROKE_WORK_SIZE, bounding_box, even_strokes, straighten

__all__ = ["prepare_digit_image"]

#: MNIST's geometry: a 20x20 box centred by mass in a 28x28 field.
BOX = 20
SIZE = 28
CENTER = 14.0
#: Larger images are first shrunk to this longest side (a digit needs far fewer pixels).
WORK_SIZE = 512
#: Blobs smaller than this share of the largest one are noise.
MIN_BLOB_SHARE = 0.05


def _pillow():
    try:
        from PIL import Image, ImageOps
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "Reading images needs Pillow, which is not installed. Install it with "
            "pip install \"skmnist[plot]\" (or pip install pillow)."
        ) from exc
    return Image, ImageOps


#: The most pixels an image may have: a 12-megapixel photo is 12e6; Pillow's own
#: decompression-bomb limit is about 89e6. Checked from the header, before decoding.
MAX_IMAGE_PIXELS = 40_000_000


def _check_pixels(size, what):
    width, height = size
    if width * height > MAX_IMAGE_PIXELS:
        raise ValueError(
            f"{what} is {width} x {height} = {width * height:,} pixels, over skmnist's limit "
            f"of {MAX_IMAGE_PIXELS:,}: a digit needs no more than a few thousand. Shrink or "
            "crop the image first."
        )


def _grayscale(image):
    """Grey levels as a float array in [0, 255], from a path, a PIL image or an array."""
    Image, ImageOps = _pillow()
    if isinstance(image, (str, os.PathLike)):
        what = repr(os.fspath(image))
        try:
            with warnings.catch_warnings():  # the limit below is lower than Pillow's warning
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                opened = Image.open(image)
            with opened:
                _check_pixels(opened.size, f"The image {what}")  # from the header alone
                opened.load()
                image = opened.copy()
        except (OSError, Image.DecompressionBombError) as exc:  # incl. UnidentifiedImageError
            raise ValueError(
                f"Could not read {what} as an image: {exc}. Pass a PNG, JPEG or other file "
                "Pillow can open."
            ) from exc
    elif isinstance(image, Image.Image):
        _check_pixels(image.size, "The image")
    if isinstance(image, Image.Image):
        image = ImageOps.exif_transpose(image)
        if image.mode in ("RGBA", "LA") and image.getchannel("A").getextrema()[0] == 255:
            pass  # opaque everywhere (a canvas drawn on white): nothing shows through
        elif image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
            background = Image.new("RGBA", image.size, "white")
            image = Image.alpha_composite(background, image.convert("RGBA"))
        if image.mode not in ("L", "I", "I;16", "F"):
            image = image.convert("L")
        array = np.asarray(image, dtype=np.float64)
        if image.mode == "F":  # a TIFF of floats may hold NaN or infinity
            _check_finite(array)
        if image.mode in ("I", "I;16") and array.max() > 255:
            array = array * (255.0 / 65535.0)
        return array
    array = np.asarray(image, dtype=np.float64)
    if array.ndim == 3 and array.shape[-1] in (3, 4):  # RGB(A) array: luminance
        array = array[..., :3] @ np.array([0.299, 0.587, 0.114])
    if array.ndim != 2 or min(array.shape) < 1:
        raise ValueError(
            f"Expected one grey-scale (height, width) or colour (height, width, 3) image; "
            f"got an array of shape {array.shape}."
        )
    _check_finite(array)
    if array.max() <= 1.0:  # floats in [0, 1]
        array = array * 255.0
    return array


def _check_finite(array):
    if not np.isfinite(array).all():
        bad = int(np.size(array) - np.count_nonzero(np.isfinite(array)))
        raise ValueError(
            f"The image has {bad:,} pixel{'s' if bad != 1 else ''} that {'are' if bad != 1 else 'is'}"
            " not a number (NaN) or infinite; grey levels must be finite numbers from 0 to 255 "
            "(or 0 to 1). Replace those pixels, or save the image as an 8-bit PNG or JPEG."
        )


def _shrink(gray):
    """Shrink so the longest side is at most WORK_SIZE (area averaging)."""
    longest = max(gray.shape)
    if longest <= WORK_SIZE:
        return gray
    Image, _ = _pillow()
    scale = WORK_SIZE / longest
    size = (max(1, round(gray.shape[1] * scale)), max(1, round(gray.shape[0] * scale)))
    return np.asarray(Image.fromarray(gray.astype(np.float32), "F").resize(size, Image.BOX),
                      dtype=np.float64)


def _border(gray):
    return np.concatenate([gray[0], gray[-1], gray[1:-1, 0], gray[1:-1, -1]])


def _ink_bright(gray):
    """Invert when the background (median of the border pixels) is lighter than mid-grey."""
    if np.median(_border(gray)) > 127.5:
        return 255.0 - gray
    return gray


def _window_counts(hits):
    """How many True pixels each 3x3 window holds, edges mirrored as scipy's mode="reflect"."""
    padded = np.pad(hits.view(np.uint8), 1, mode="symmetric")
    height, width = hits.shape
    counts = padded[:height, :width].copy()
    for row in range(3):
        for col in range(3):
            if row or col:
                counts += padded[row : row + height, col : col + width]
    return counts


def _median_peak(gray):
    """``ndimage.median_filter(gray, size=3).max()``, without filtering every pixel.

    A 3x3 median is one of the window's nine values, and it is at least ``v``
    exactly when five of them are. So the peak is the largest grey level ``v``
    that fills five places of some window: most drawings and photos reach it
    at their brightest level (one test), images with few levels are searched by
    bisection over their levels, and the others are filtered as before.
    """
    if gray.size <= 4096:  # small: filtering is cheaper than the search
        return ndimage.median_filter(gray, size=3).max()
    top = gray.max()
    if (_window_counts(gray == top) >= 5).any():
        return top
    if len(np.unique(gray[::7, ::7])) > 64:  # a cheap guess of how many levels there are
        return ndimage.median_filter(gray, size=3).max()
    levels = np.unique(gray)
    if len(levels) > 1024:
        return ndimage.median_filter(gray, size=3).max()
    low, high = 0, len(levels) - 1  # levels[low] is reached (any window's median is >= min)
    while low < high:
        middle = (low + high + 1) // 2
        if (_window_counts(gray >= levels[middle]) >= 5).any():
            low = middle
        else:
            high = middle - 1
    return levels[low]


def _stretch(gray):
    """Background (the median) to 0, ink (a robust maximum) to 1, clipped."""
    background = np.median(gray)
    peak = _median_peak(gray)  # one bright pixel is not ink
    if peak - background < 16:
        raise ValueError(
            "No digit found: the image is nearly uniform (ink and paper differ by less "
            "than 16 grey levels out of 255). Pass an image with a visible digit."
        )
    return np.clip((gray - background) / (peak - background), 0.0, 1.0)


def _otsu(values):
    """Otsu's threshold of values in [0, 1]: the cut maximising the between-class variance."""
    values = np.asarray(values)
    zero = values == 0  # most of a drawing: counted without np.histogram's binning
    counts, edges = np.histogram(values[~zero], bins=256, range=(0.0, 1.0))
    counts[0] += np.count_nonzero(zero)
    centers = (edges[:-1] + edges[1:]) / 2
    weight = np.cumsum(counts)
    mean = np.cumsum(counts * centers)
    total, total_mean = weight[-1], mean[-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        between = (total_mean * weight - total * mean) ** 2 / (weight * (total - weight))
    return float(edges[1:][np.nanargmax(between[:-1])])  # the upper edge of the dark class


def _digit_mask(ink):
    """Pixels of the digit: above Otsu's threshold, in blobs of a reasonable size."""
    mask = ink > min(max(_otsu(ink), 0.2), 0.7)
    box = bounding_box(mask)
    if box is None:
        return mask
    # Labelled inside the mask's bounding box only: the same blobs, numbered alike.
    inside = mask[box]
    labels, n = ndimage.label(inside, structure=np.ones((3, 3)))
    if n > 1:
        sizes = ndimage.sum_labels(inside, labels, index=np.arange(1, n + 1))
        keep = np.flatnonzero(sizes >= MIN_BLOB_SHARE * sizes.max()) + 1
        mask = np.zeros_like(mask)
        mask[box] = np.isin(labels, keep)
    return mask


def _crop(ink, mask):
    """The ink inside the mask's bounding box; ink of dropped blobs is erased."""
    box = bounding_box(mask)
    if box is None:
        raise ValueError("No digit found: the mask of the digit's pixels is empty.")
    # Dilating inside the box gives the same pixels there: no mask pixel lies outside it.
    near = ndimage.binary_dilation(mask[box], iterations=2)  # keep the anti-aliased edges
    return np.where(near, ink[box], 0.0)


def _work_copy(digit):
    """``digit`` resized (bilinear) so that its longer side is STROKE_WORK_SIZE pixels."""
    Image, _ = _pillow()
    height, width = digit.shape
    scale = STROKE_WORK_SIZE / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return np.asarray(Image.fromarray(digit.astype(np.float32), "F").resize(size, Image.BILINEAR),
                      dtype=np.float64)


def _even_strokes(digit):
    """Bring strokes far thicker or thinner than MNIST's near its width
    (:func:`~skmnist._digit_pen.even_strokes`), on a copy whose longer side is
    STROKE_WORK_SIZE pixels; the digit is returned as it is when they are near
    it already, or when thinning would erase most of it (a blob of ink)."""
    evened = even_strokes(_work_copy(digit))
    return digit if evened is None else evened


def _fit_box(digit, box=BOX):
    """Resize so the longer side is `box` pixels, keeping the aspect ratio.

    The brightest pixel is then set back to 1 (thin strokes get greyer when
    shrunk; MNIST's strokes nearly all reach 255).
    """
    Image, _ = _pillow()
    height, width = digit.shape
    scale = box / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    resized = Image.fromarray(digit.astype(np.float32), "F").resize(size, Image.LANCZOS)
    digit = np.clip(np.asarray(resized, dtype=np.float64), 0.0, 1.0)
    return digit / digit.max() if digit.max() > 0 else digit


def _center_by_mass(digit, size=SIZE, center=CENTER):
    """Paste into a size x size field with the centre of mass at `center`.

    The shift is rounded to whole pixels and limited so that the digit stays
    inside the field.
    """
    out = np.zeros((size, size))
    height, width = digit.shape
    if digit.sum() > 0:
        com_row, com_col = ndimage.center_of_mass(digit)
    else:
        com_row, com_col = (height - 1) / 2, (width - 1) / 2
    top = int(np.clip(round(center - com_row), 0, size - height))
    left = int(np.clip(round(center - com_col), 0, size - width))
    out[top : top + height, left : left + width] = digit
    return out


def prepare_digit_image(image):
    """Turn a picture of one handwritten digit into a 28x28 MNIST-style image.

    The steps repeat how MNIST was made, with more for users' pens: grey
    levels; inverted when the background is light (dark ink on paper becomes
    light ink on black); background set to 0 and ink stretched to 255; cropped
    to the digit (pixels above Otsu's threshold, keeping connected blobs of at
    least 5% of the largest one, so that specks of noise are ignored); the
    slant's difference from MNIST's median slant halved; strokes much thicker
    or thinner than MNIST's (a marker, a fine pen) brought near its width, and
    loops that a thick pen filled opened again; resized to fit a 20x20 box
    keeping its aspect ratio; placed in a 28x28 image with its
    centre of mass at the centre.

    Parameters
    ----------
    image : str, path-like, PIL.Image.Image or array-like
        A file Pillow reads (PNG, JPEG, ...; phone photos are turned upright
        by their EXIF orientation, transparency is laid on white), an image,
        or an array of shape (height, width) or (height, width, 3): grey
        levels 0-255, or floats in [0, 1]. One digit, any size, anywhere in
        the picture, dark on light or light on dark.

    Returns
    -------
    digit : ndarray of shape (28, 28), uint8
        Light ink (up to 255) on a black (0) background, as in MNIST; give a
        stack of them to a fitted pipeline's ``predict``.

    Raises
    ------
    ValueError
        If the file cannot be read as an image, or the image is nearly
        uniform (no digit in it).

    Notes
    -----
    Works best with one digit filling a good part of a plain, evenly lit
    background; strong shadows or several digits in one picture are not
    separated. Reading files needs Pillow (installed with matplotlib, or
    ``pip install "skmnist[plot]"``).

    Examples
    --------
    >>> import numpy as np
    >>> from skmnist import prepare_digit_image
    >>> paper = np.full((300, 200), 250, dtype=np.uint8)  # light paper
    >>> paper[40:200, 60:90] = 10                          # a dark, tall stroke: a "1"
    >>> digit = prepare_digit_image(paper)
    >>> digit.shape, digit.dtype, int(digit.max()), int(digit[0, 0])
    ((28, 28), dtype('uint8'), 255, 0)
    >>> rows = np.flatnonzero(digit.max(axis=1))
    >>> int(rows[-1] - rows[0] + 1)  # fits the 20x20 box
    20
    """
    gray = _shrink(_grayscale(image))
    ink = _stretch(_ink_bright(gray))
    digit = _fit_box(_even_strokes(straighten(_crop(ink, _digit_mask(ink)))))
    return np.round(_center_by_mass(digit) * 255).astype(np.uint8)

"""A user's pen and slant brought near MNIST's, for ``prepare_digit_image``.

Three steps, each measured on users' digits (``tests/_users_digits.py``, MNIST
test digits redrawn with pens 1-3 times as thick, slants of ±15°, JPEG) with
the default model:

- :func:`straighten`: half of the difference between the digit's slant and
  MNIST's median slant is taken out, so a strongly slanted hand comes nearer
  the slants the network learnt (MNIST's own digits vary: its slants have a
  standard deviation of 0.28, about 15°).
- :func:`even_strokes`: strokes much thicker than :data:`STROKE_TARGET` are
  thinned by a grey erosion, much thinner ones thickened by a grey dilation.
- :func:`open_filled_loops`, inside the thinning: a pen thick enough to fill a
  loop (an "8", a "9") leaves a blob of ink far wider than its strokes; the
  middle of such a blob is cleared, so the loop shows again.
"""

import numpy as np
from scipy import ndimage

__all__ = [
    "FILLED_LOOP_DEPTH", "MAX_SLANT_DIFFERENCE", "MNIST_SLANT", "MNIST_STROKE_WIDTH",
    "SLANT_CORRECTION", "STROKE_TARGET", "STROKE_TOLERANCE", "STROKE_WORK_SIZE", "bounding_box",
    "even_strokes", "open_filled_loops", "slant", "straighten", "stroke_width",
]

#: MNIST's median stroke width as a share of the digit's longer side: 0.09
#: (10% of its test digits under 0.069, 10% over 0.132; 2 x area / outline;
#: tests/test_digit_pen.py measures it). tests/_users_digits.py draws with it.
MNIST_STROKE_WIDTH = 0.09
#: The width strokes far from it are brought to: a little heavier than MNIST's
#: median, which the default model reads better on users' digits (97.45% of
#: 8,000 against 97.30% with 0.09, two trained models).
STROKE_TARGET = 0.105
#: Strokes within this factor of the target are left as drawn.
STROKE_TOLERANCE = 1.3
#: Strokes are measured and evened on a copy whose longer side is this many pixels.
STROKE_WORK_SIZE = 64
#: Ink farther from the background than this many times half the sum of the
#: measured stroke width and the target is the inside of a filled loop. 1.0
#: would also hollow the crossings of two thick strokes; 1.25 opens loops only.
#: (Users' digits: 97.58% of 4,000 against 97.45% without, and 96.70% with 1.0.)
FILLED_LOOP_DEPTH = 1.25
#: MNIST's median slant (:func:`slant`: columns per row), measured on its 60,000
#: training digits (negative: the top leans right; tests/test_digit_pen.py).
#: Its digits' slants have a standard deviation of 0.28.
MNIST_SLANT = -0.10
#: The share of the difference from MNIST's median slant that is taken out.
SLANT_CORRECTION = 0.5
#: The largest difference counted (45°): a flat mark (a dash, nearly one row of
#: ink) measures an unbounded slant, which must not shear it into a huge image.
MAX_SLANT_DIFFERENCE = 1.0


def bounding_box(mask):
    """The slices of the smallest box holding every True pixel, or None if there is none."""
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if not len(rows):
        return None
    return slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1)


def slant(ink):
    """The slant of ``ink`` (light on black) and its centre of mass's row: the
    ink's row-column covariance over its row variance, in columns per row; None
    when there is none to measure (no ink, or ink on one row only)."""
    total = ink.sum()
    if total <= 0 or min(ink.shape) < 2:
        return None
    rows, cols = np.indices(ink.shape, dtype=np.float64)
    mean_row, mean_col = (ink * rows).sum() / total, (ink * cols).sum() / total
    row_variance = (ink * (rows - mean_row) ** 2).sum() / total
    if row_variance <= 0:
        return None
    return (ink * (rows - mean_row) * (cols - mean_col)).sum() / total / row_variance, mean_row


def _shear(ink):
    """The shear that straightens ``ink`` and its centre of mass's row, or None."""
    found = slant(ink)
    if found is None:
        return None
    difference = np.clip(found[0] - MNIST_SLANT, -MAX_SLANT_DIFFERENCE, MAX_SLANT_DIFFERENCE)
    return SLANT_CORRECTION * difference, found[1]


def straighten(ink):
    """Shear ``ink`` (light on black) so that its slant is half-way to MNIST's median.

    The difference counted is at most MAX_SLANT_DIFFERENCE, so the shear is at
    most half a column per row; it keeps the centre of mass in place. Returns the
    ink cropped to its new bounding box (``ink`` itself when it has no slant).
    """
    found = _shear(ink)
    if found is None:
        return ink
    shear, mean_row = found
    margin = int(np.ceil(abs(shear) * ink.shape[0])) + 2
    wider = np.pad(ink, ((0, 0), (margin, margin)))
    # Output pixel (row, col) reads (row, col + shear * (row - mean_row)).
    sheared = ndimage.affine_transform(wider, np.array([[1.0, 0.0], [shear, 1.0]]),
                                       offset=(0.0, -shear * mean_row), order=1)
    box = bounding_box(sheared > 0.02)
    return ink if box is None else sheared[box]


def stroke_width(ink):
    """The mean width of the strokes in pixels: twice the area over the outline length."""
    mask = ink >= 0.5
    area = int(mask.sum())
    inner = int(ndimage.binary_erosion(mask, structure=np.ones((3, 3)), border_value=0).sum())
    return 2.0 * area / max(area - inner, 1)


def _disk(radius):
    r = max(1, int(round(radius)))
    rows, cols = np.mgrid[-r : r + 1, -r : r + 1]
    return rows * rows + cols * cols <= r * r + r / 2


def open_filled_loops(thinned, ink, width, target):
    """Clear, in the ``thinned`` strokes, the middle of blobs of ``ink`` far wider
    than strokes ``width`` pixels wide, so that a filled loop becomes a ring again
    (1.3-1.5 times ``target`` wide after the thinning)."""
    depth = ndimage.distance_transform_edt(np.pad(ink >= 0.5, 1))[1:-1, 1:-1]
    inside = depth - FILLED_LOOP_DEPTH * (width + target) / 2  # > 0: inside a filled loop
    return thinned * np.clip(1.0 - inside, 0.0, 1.0)  # one pixel of soft edge


def even_strokes(work):
    """``work`` (a digit whose longer side is STROKE_WORK_SIZE) with its strokes
    brought to STROKE_TARGET, or None when they are within STROKE_TOLERANCE of it
    or when thinning would erase most of the digit."""
    if not (work >= 0.5).any():
        return None
    target = STROKE_TARGET * max(work.shape)
    found = stroke_width(work)
    if found > target * STROKE_TOLERANCE:
        thinner = ndimage.grey_erosion(work, footprint=_disk((found - target) / 2))
        thinner = open_filled_loops(thinner, work, found, target)
        # a blob of ink that thinning would erase: keep the digit as it is
        return thinner if (thinner >= 0.5).sum() > 0.2 * (work >= 0.5).sum() else None
    if found < target / STROKE_TOLERANCE:
        pad = int(round((target - found) / 2)) + 1  # room for the thicker strokes
        thicker = ndimage.grey_dilation(np.pad(work, pad), footprint=_disk((target - found) / 2))
        return thicker[bounding_box(thicker > 0.02)]
    return None

"""A user's slant and pen brought near MNIST's (skmnist/_digit_pen.py)."""

import numpy as np
import pytest
from scipy import ndimage

from skmnist import _digit_pen
from skmnist._digit_pen import (
    MNIST_SLANT,
    SLANT_CORRECTION,
    STROKE_TARGET,
    STROKE_WORK_SIZE,
    even_strokes,
    straighten,
    stroke_width,
)


def _slant(ink):
    rows, cols = np.indices(ink.shape, dtype=float)
    total = ink.sum()
    mean_row, mean_col = (ink * rows).sum() / total, (ink * cols).sum() / total
    return ((ink * (rows - mean_row) * (cols - mean_col)).sum()
            / (ink * (rows - mean_row) ** 2).sum())


def _slanted_bar(slant, height=120, width=9):
    """A "1": a bar ``width`` pixels wide leaning ``slant`` columns per row."""
    margin = int(abs(slant) * height) + width + 4
    ink = np.zeros((height, 2 * margin))
    for row in range(height):
        start = int(round(margin + slant * (row - height / 2)))
        ink[row, start : start + width] = 1.0
    return ink


@pytest.mark.parametrize("slant", [-0.45, -0.1, 0.0, 0.3])
def test_straighten_halves_the_difference_from_mnist_slant(slant):
    ink = _slanted_bar(slant)
    before = _slant(ink)
    after = _slant(straighten(ink))
    expected = before - SLANT_CORRECTION * (before - MNIST_SLANT)
    assert after == pytest.approx(expected, abs=0.02), (before, after, expected)
    # half of the difference is gone: a bar leaning 0.3 ends near 0.1
    assert abs(after - MNIST_SLANT) <= 0.5 * abs(before - MNIST_SLANT) + 0.02


def test_straighten_keeps_the_ink_and_crops_to_it():
    ink = _slanted_bar(0.4)
    straight = straighten(ink)
    assert straight.sum() == pytest.approx(ink.sum(), rel=0.01)  # a shear moves ink, keeps it
    assert straight[:, 0].max() > 0.02 and straight[:, -1].max() > 0.02
    assert straight.shape[0] == ink.shape[0] and straight.shape[1] < ink.shape[1]


def test_straighten_leaves_an_empty_or_flat_image_alone():
    empty = np.zeros((10, 10))
    assert straighten(empty) is empty
    flat = np.zeros((5, 40))
    flat[2, 5:35] = 1.0  # one row: no slant to measure
    assert straighten(flat) is flat


def _nine(pen):
    """A "9" drawn with a round pen of ``pen`` pixels on a STROKE_WORK_SIZE canvas:
    a ring (loop) over a stem on its right."""
    rows, cols = np.indices((STROKE_WORK_SIZE, 44), dtype=float)
    skeleton = np.zeros(rows.shape, bool)
    skeleton |= np.abs(np.hypot(rows - 16, cols - 20) - 9) < 0.6  # the loop, radius 9
    skeleton[16:60, 28:30] = True  # the stem
    pen_shape = np.hypot(*np.indices((pen, pen)) - (pen - 1) / 2) <= pen / 2
    return ndimage.binary_dilation(skeleton, structure=pen_shape).astype(float)


def test_a_thick_pen_that_filled_the_loop_gets_it_back():
    thick = _nine(pen=19)  # wide enough to fill the loop's hole (radius 9)
    assert thick[16, 20] == 1.0
    evened = even_strokes(thick)
    assert evened is not None
    assert evened[16, 20] < 0.1  # the loop is open again
    ring = evened[16, 2:40]
    assert ring[:18].max() > 0.5 and ring[18:].max() > 0.5  # ink left and right of the hole
    assert evened[45, 28:30].min() > 0.5  # the stem is still there


def test_opening_loops_makes_no_hole_in_strokes_or_corners():
    # Thick strokes meeting at a corner and crossing: ink a little wider than a
    # stroke there, which must not be taken for a filled loop.
    digit = np.zeros((STROKE_WORK_SIZE, STROKE_WORK_SIZE))
    digit[8:56, 24:40] = 1.0  # a vertical stroke 16 pixels wide
    digit[8:24, 8:56] = 1.0  # a bar across its top: a "T"
    digit[36:52, 8:56] = 1.0  # and a bar crossing it: a "+"
    found = stroke_width(digit)
    target = STROKE_TARGET * STROKE_WORK_SIZE
    thinned = ndimage.grey_erosion(digit, footprint=_digit_pen._disk((found - target) / 2))
    opened = _digit_pen.open_filled_loops(thinned, digit, found, target)
    np.testing.assert_array_equal(opened, thinned)


def test_strokes_near_the_target_are_left_as_drawn():
    digit = np.zeros((STROKE_WORK_SIZE, 40))
    width = int(round(STROKE_TARGET * STROKE_WORK_SIZE))
    digit[2:62, 18 : 18 + width] = 1.0
    assert even_strokes(digit) is None
    assert even_strokes(np.zeros((STROKE_WORK_SIZE, 40))) is None

"""A user's slant and pen brought near MNIST's (skmnist/_digit_pen.py)."""

import numpy as np
import pytest
from scipy import ndimage

from skmnist import _digit_pen, _images, prepare_digit_image
from skmnist._digit_pen import (
    MNIST_SLANT,
    MNIST_STROKE_WIDTH,
    SLANT_CORRECTION,
    STROKE_TARGET,
    STROKE_WORK_SIZE,
    bounding_box,
    even_strokes,
    straighten,
    stroke_width,
)


def _slant(ink):
    return _digit_pen.slant(ink)[0]


def _slanted_bar(slant, height=120, width=9):
    """A "1": a bar ``width`` pixels wide leaning ``slant`` columns per row,
    cropped to its ink as ``prepare_digit_image`` crops a digit."""
    margin = int(abs(slant) * height) + width + 4
    ink = np.zeros((height, 2 * margin))
    for row in range(height):
        start = int(round(margin + slant * (row - height / 2)))
        ink[row, start : start + width] = 1.0
    return ink[bounding_box(ink > 0)]


def test_mnist_slant_and_stroke_width_are_as_measured(mnist):
    X_train, X_test, _, _ = mnist
    rows, cols = np.indices((28, 28), dtype=np.float32)
    slants = []
    for start in range(0, len(X_train), 10_000):  # all 60,000, in chunks
        ink = X_train[start : start + 10_000].reshape(-1, 28, 28).astype(np.float32)
        total = ink.sum(axis=(1, 2))
        mean_row = (ink * rows).sum(axis=(1, 2)) / total
        mean_col = (ink * cols).sum(axis=(1, 2)) / total
        dr = rows - mean_row[:, None, None]
        dc = cols - mean_col[:, None, None]
        slants.append((ink * dr * dc).sum(axis=(1, 2)) / (ink * dr * dr).sum(axis=(1, 2)))
    assert np.median(np.concatenate(slants)) == pytest.approx(MNIST_SLANT, abs=0.005)
    assert _slant(X_train[0].reshape(28, 28) / 255.0) == pytest.approx(slants[0][0], rel=1e-4)
    widths = []
    for x in X_test[:500]:
        digit = x.reshape(28, 28) / 255.0
        work = _images._work_copy(digit[bounding_box(digit > 0.02)])
        widths.append(stroke_width(work) / max(work.shape))
    assert np.median(widths) == pytest.approx(MNIST_STROKE_WIDTH, abs=0.005)


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
    ink = _slanted_bar(0.4)  # cropped: the shear needs room beyond the crop
    straight = straighten(ink)
    assert straight.sum() == pytest.approx(ink.sum(), rel=0.01)  # a shear moves ink, keeps it
    assert straight[:, 0].max() > 0.02 and straight[:, -1].max() > 0.02
    assert straight.shape[0] == ink.shape[0] and straight.shape[1] < ink.shape[1]


@pytest.mark.parametrize("slant", [-0.5, 0.4])
def test_prepare_digit_image_halves_a_slant(slant):
    paper = np.full((300, 300), 240, dtype=np.uint8)
    bar = _slanted_bar(slant, height=200, width=16)
    top, left = 50, 150 - bar.shape[1] // 2
    paper[top : top + bar.shape[0], left : left + bar.shape[1]] -= (bar * 220).astype(np.uint8)
    before = _slant(bar)
    after = _slant(prepare_digit_image(paper) / 255.0)
    expected = before - SLANT_CORRECTION * (before - MNIST_SLANT)
    assert after == pytest.approx(expected, abs=0.04), (before, after, expected)


def test_a_nearly_flat_mark_is_sheared_by_a_bounded_amount():
    ink = np.zeros((3, 400))
    ink[1, 10:390] = 1.0  # a dash
    ink[2, 389] = 1.0  # and one pixel below its end: a measured slant of about 190
    shear, _ = _digit_pen._shear(ink)
    # at most half of MAX_SLANT_DIFFERENCE columns per row, not 95 (the margin
    # that leaves room for the shear would grow with it)
    assert shear == pytest.approx(0.5 * _digit_pen.MAX_SLANT_DIFFERENCE)
    assert straighten(ink).shape == (2, 380)


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
    # the ring around it: ink above, below and left of the hole
    assert evened[5:10, 20].max() > 0.5 and evened[22:28, 20].max() > 0.5
    assert evened[16, 8:13].max() > 0.5
    assert evened[45, 28:30].min() > 0.5  # the stem is still there


def test_a_dot_of_a_marker_becomes_a_ring():
    # Thinning keeps a filled disc (it would not erase most of it), and its middle is
    # far from the background: it reads as a filled "0", and opens as one.
    rows, cols = np.indices((STROKE_WORK_SIZE, STROKE_WORK_SIZE))
    disc = (np.hypot(rows - 32, cols - 32) < 28).astype(float)
    evened = even_strokes(disc)
    assert evened[32, 32] == 0.0 and evened[32, 12:20].max() > 0.5

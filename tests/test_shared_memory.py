"""Arrays lent to TensorFlow without a copy (skmnist/_shared_memory.py)."""

import numpy as np
import pytest

from skmnist import PixelScaler
from skmnist._shared_memory import ALIGNMENT, aligned_empty, as_tensor, is_shareable


@pytest.mark.parametrize("shape", [(1,), (7, 3), (60, 784), (0, 5)])
@pytest.mark.parametrize("dtype", [np.float32, np.int32, np.uint8])
def test_aligned_empty_is_aligned_and_contiguous(shape, dtype):
    array = aligned_empty(shape, dtype)
    assert array.shape == shape and array.dtype == dtype
    assert array.flags.c_contiguous and array.flags.writeable
    if array.size:  # an empty array has no data to align
        assert array.ctypes.data % ALIGNMENT == 0


def test_a_shareable_array_is_lent_not_copied():
    array = aligned_empty((50, 784), np.float32)
    array[:] = np.arange(50 * 784, dtype=np.float32).reshape(50, 784)
    assert is_shareable(array)
    tensor = as_tensor(array)
    array[3, 4] = -1.0  # the tensor sees the array's memory
    assert float(tensor[3, 4]) == -1.0


def _misaligned(shape):
    buffer = np.zeros(int(np.prod(shape)) * 4 + ALIGNMENT + 4, np.uint8)
    start = (-buffer.ctypes.data % ALIGNMENT) + 4  # 4 bytes past a boundary
    return buffer[start : start + int(np.prod(shape)) * 4].view(np.float32).reshape(shape)


def _read_only(shape):
    array = aligned_empty(shape, np.float32)
    array[:] = 1.5
    array.flags.writeable = False
    return array


@pytest.mark.parametrize(
    "make",
    [
        _misaligned,  # TensorFlow would abort on it
        _read_only,  # NumPy does not export it
        lambda shape: np.asfortranarray(np.ones(shape, np.float32)),  # not C-contiguous
        lambda shape: np.ones((shape[0], 2 * shape[1]), np.float32)[:, ::2],  # strided
    ],
    ids=["misaligned", "read-only", "fortran", "strided"],
)
def test_other_arrays_are_copied_with_their_values(make):
    array = make((40, 30))
    array_values = np.array(array)
    assert not is_shareable(array)
    tensor = as_tensor(array)
    np.testing.assert_array_equal(tensor.numpy(), array_values)
    if array.flags.writeable:
        array[0, 0] = 99.0  # a copy: the tensor keeps the old value
        assert float(tensor[0, 0]) == array_values[0, 0]


def test_a_memmap_is_copied(tmp_path):
    array = np.lib.format.open_memmap(tmp_path / "x.npy", mode="w+", dtype=np.float32, shape=(64, 16))
    array[:] = 2.0
    assert not is_shareable(array)
    np.testing.assert_array_equal(as_tensor(array).numpy(), np.full((64, 16), 2.0, np.float32))


def test_an_empty_array_becomes_an_empty_tensor():
    tensor = as_tensor(np.zeros((0, 784), np.float32))
    assert tuple(tensor.shape) == (0, 784)


@pytest.mark.parametrize("center", [False, True])
def test_pixel_scaler_output_is_shareable_and_unchanged(center):
    X = np.random.RandomState(0).randint(0, 256, size=(33, 28, 28)).astype(np.uint8)
    scaled = PixelScaler(center=center).fit_transform(X)
    assert is_shareable(scaled)
    expected = np.divide(X.reshape(33, -1), np.float32(255), dtype=np.float32)
    if center:
        expected -= np.float32(0.5)
    np.testing.assert_array_equal(scaled, expected)

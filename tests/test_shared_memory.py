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


def test_a_memmap_is_copied_even_as_a_plain_view(tmp_path):
    array = np.lib.format.open_memmap(tmp_path / "x.npy", mode="w+", dtype=np.float32, shape=(64, 16))
    array[:] = 2.0
    for given in (array, np.asarray(array)):  # np.asarray drops the memmap's type
        assert not is_shareable(given)
        tensor = as_tensor(given)
        array[0, 0] = 3.0  # the file's memory changes; the tensor does not
        assert float(tensor[0, 0]) == 2.0
        array[0, 0] = 2.0


def test_an_aligned_array_of_the_user_is_copied():
    # only memory skmnist made is lent: a user's array may change during a fit
    buffer = np.zeros(40 * 30 * 4 + ALIGNMENT, np.uint8)
    start = -buffer.ctypes.data % ALIGNMENT
    array = buffer[start : start + 40 * 30 * 4].view(np.float32).reshape(40, 30)
    assert array.ctypes.data % ALIGNMENT == 0 and not is_shareable(array)
    tensor = as_tensor(array)
    array[0, 0] = 5.0
    assert float(tensor[0, 0]) == 0.0


def test_big_endian_values_become_native():
    array = np.arange(12, dtype=">f4").reshape(3, 4)
    assert not is_shareable(array)
    np.testing.assert_array_equal(as_tensor(array).numpy(), np.arange(12, dtype=np.float32).reshape(3, 4))


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


def test_a_pipeline_fit_lends_its_scaled_images_to_the_training_loop(monkeypatch):
    from skmnist import _engine, make_mlp_pipeline

    lent = []

    def recording(array):
        lent.append(is_shareable(array))
        return as_tensor(array)

    monkeypatch.setattr(_engine, "as_tensor", recording)
    X = np.random.RandomState(0).randint(0, 256, size=(64, 8, 8)).astype(np.uint8)
    make_mlp_pipeline(hidden_layer_sizes=(4,), epochs=1, random_state=0).fit(X, np.arange(64) % 2)
    assert lent[0] is True  # X, scaled by PixelScaler, without a copy

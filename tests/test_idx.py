import gzip

import numpy as np
import pytest

from skmnist._idx import read_idx

from ._idx_files import idx_bytes


@pytest.fixture
def images():
    return np.arange(2 * 28 * 28, dtype=np.uint64).reshape(2, 28, 28) % 256


@pytest.mark.parametrize("compress", [False, True], ids=["raw", "gzip"])
def test_reads_raw_and_gzip_files_alike(tmp_path, images, compress):
    data = idx_bytes(images)
    path = tmp_path / "images"
    path.write_bytes(gzip.compress(data) if compress else data)
    out = read_idx(path, expected_ndim=3)
    assert out.dtype == np.uint8
    np.testing.assert_array_equal(out, images)


def _write(tmp_path, data, name="train-images-idx3-ubyte"):
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    "mangle, message",
    [
        (lambda d: b"\x12\x34" + d[2:], "not an MNIST IDX file"),
        (lambda d: d[:2] + b"\x0d" + d[3:], "not an MNIST IDX file"),
        (lambda d: d[:-100], "truncated"),
        (lambda d: d + b"\x00" * 7, "7 unexpected bytes"),
        (lambda d: d[:3], "too short"),
        (lambda d: d[:9], "header is truncated"),
    ],
    ids=["magic", "dtype", "truncated", "trailing", "short", "short_header"],
)
def test_malformed_file_names_file_and_problem(tmp_path, images, mangle, message):
    path = _write(tmp_path, mangle(idx_bytes(images)))
    with pytest.raises(ValueError, match=message) as info:
        read_idx(path, expected_ndim=3)
    assert str(path) in str(info.value)


def test_label_file_given_for_images_is_reported_as_such(tmp_path):
    path = _write(tmp_path, idx_bytes(np.arange(5)))
    with pytest.raises(ValueError, match="holds MNIST labels .* where images"):
        read_idx(path, expected_ndim=3)


@pytest.mark.parametrize("cut", [20, -10], ids=["cut_stream", "cut_trailer"])
def test_broken_gzip_stream_is_a_value_error(tmp_path, images, cut):
    packed = gzip.compress(idx_bytes(images))
    path = _write(tmp_path, packed[:cut])
    with pytest.raises(ValueError, match="cannot be decompressed") as info:
        read_idx(path, expected_ndim=3)
    assert str(path) in str(info.value)

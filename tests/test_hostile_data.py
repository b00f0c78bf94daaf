"""MNIST files crafted by a stranger: a ValueError naming the file, in bounded memory and time."""

import gzip
import subprocess
import sys

import pytest

from skmnist._idx import MAX_IDX_BYTES, read_idx
from tests._bounded import run_bounded

LABELS_HEADER = (2049).to_bytes(4, "big") + (10).to_bytes(4, "big")


def _gzip_bomb(path, header, n_zeros):
    """``header`` then ``n_zeros`` zero bytes, gzip-compressed by chunks (small on disk)."""
    with gzip.open(path, "wb") as out:
        out.write(header)
        chunk = bytes(1 << 24)
        for _ in range(n_zeros // len(chunk)):
            out.write(chunk)
    return path


def _read_bounded(path, expected_ndim):
    """read_idx in a fresh process limited to 1 GiB: output, peak MiB, seconds."""
    out, seconds, peak = run_bounded(
        f"from skmnist._idx import read_idx; read_idx({str(path)!r}, expected_ndim={expected_ndim})"
    )
    return out, peak, seconds


def test_a_gzip_bomb_is_never_decompressed_past_what_its_header_declares(tmp_path):
    # 10 labels declared, 1 GiB of zeros behind them: 1 MB on disk
    path = _gzip_bomb(tmp_path / "train-labels-idx1-ubyte.gz", LABELS_HEADER + bytes(10), 1 << 30)
    assert path.stat().st_size < 2 << 20
    out, peak, seconds = _read_bounded(path, 1)
    assert f"ValueError: {path}: has trailing data: at least 65,536 unexpected bytes" in out
    assert peak < 200 and seconds < 10


@pytest.mark.parametrize("n", [MAX_IDX_BYTES + 1, 2**32 - 1])
def test_an_absurd_declared_shape_is_refused_before_reading(tmp_path, n):
    path = tmp_path / "t10k-labels-idx1-ubyte"
    path.write_bytes((2049).to_bytes(4, "big") + n.to_bytes(4, "big") + bytes(100))
    with pytest.raises(ValueError, match="over skmnist's limit"):
        read_idx(path, expected_ndim=1)


def _png_claiming(path, width, height):
    """A tiny valid PNG whose header claims ``width`` x ``height`` pixels (CRC fixed)."""
    import io
    import struct
    import zlib

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("L", (1, 1)).save(buffer, "PNG")
    data = bytearray(buffer.getvalue())
    start = data.find(b"IHDR")
    data[start + 4 : start + 12] = struct.pack(">II", width, height)
    data[start + 17 : start + 21] = struct.pack(">I", zlib.crc32(bytes(data[start : start + 17])))
    path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize("side", [8_000, 13_000, 30_000])  # ours; Pillow's warning; its error
def test_huge_images_are_refused_from_their_header(tmp_path, side):
    pytest.importorskip("PIL")
    path = _png_claiming(tmp_path / "huge.png", side, side)
    out, seconds, peak = run_bounded(
        f"from skmnist import prepare_digit_image; prepare_digit_image({str(path)!r})",
        python_options=["-W", "error::UserWarning"],
    )
    assert out.startswith("ValueError:") and "huge.png" in out.splitlines()[0]
    assert "limit" in out or "decompression bomb" in out
    assert peak < 200 and seconds < 5


def test_predict_reports_a_bad_image_in_one_line_and_goes_on(tmp_path, trained_model_file):
    pytest.importorskip("PIL")
    from PIL import Image, ImageDraw

    good = tmp_path / "good.png"
    image = Image.new("L", (28, 28), "white")
    ImageDraw.Draw(image).line([(14, 4), (14, 24)], fill="black", width=3)  # a "1"
    image.save(good)
    bomb = _png_claiming(tmp_path / "bomb.png", 30_000, 30_000)
    result = subprocess.run(
        [sys.executable, "-m", "skmnist", "predict", str(trained_model_file), str(bomb),
         str(good)], capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if "error" in line]
    assert len(errors) == 1 and "bomb.png" in errors[0]
    assert result.stdout.startswith(str(good))


def test_a_crafted_mnist_npz_is_refused_before_numpy_allocates_it(tmp_path):
    import io
    import zipfile

    import numpy as np

    from skmnist import load_mnist

    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": "|u1", "fortran_order": False, "shape": (10**7, 10**6)})
    folder = tmp_path / "npz"
    folder.mkdir()
    with zipfile.ZipFile(folder / "mnist.npz", "w") as archive:
        for name in ("x_train", "y_train", "x_test", "y_test"):
            archive.writestr(f"{name}.npy", header.getvalue())  # 10 TB declared, 128 bytes held
    with pytest.raises(ValueError, match="mnist.npz: cannot be read.*declares"):
        load_mnist(folder, download=False)

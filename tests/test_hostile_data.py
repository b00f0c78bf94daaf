"""MNIST files crafted by a stranger: a ValueError naming the file, in bounded memory and time."""

import gzip
import subprocess
import sys
import textwrap

import pytest

from skmnist._idx import MAX_IDX_BYTES, read_idx

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
    """read_idx in a fresh process; its output, and its peak memory in MiB (VmHWM)."""
    code = textwrap.dedent(f"""
        import time
        start = time.perf_counter()
        from skmnist._idx import read_idx
        try:
            read_idx({str(path)!r}, expected_ndim={expected_ndim})
        except ValueError as exc:
            print("ValueError:", exc)
        print("seconds", time.perf_counter() - start)
        with open("/proc/self/status") as status:
            print("peak_mib", next(int(l.split()[1]) for l in status if l.startswith("VmHWM")) / 1024)
    """)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    return out, float(out.split("peak_mib")[1]), float(out.split("seconds")[1].split()[0])


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

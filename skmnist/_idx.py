"""Read the IDX files of the original MNIST distribution, and check them.

IDX, as described on the MNIST page: two zero bytes, a type byte (0x08 for
unsigned bytes), a byte giving the number of dimensions, each dimension as a
big-endian uint32, then the data in row-major order. Files may be gzip
compressed, as they are distributed.
"""

import gzip
import os
import zlib

import numpy as np

__all__ = ["read_idx"]

_GZIP_MAGIC = b"\x1f\x8b"
_UBYTE = 0x08
_KIND = {1: "labels", 3: "images"}
_FIX = "Download the file again, or delete it so that load_mnist looks elsewhere."


def _read_bytes(path):
    with open(path, "rb") as file:
        raw = file.read()
    if not raw.startswith(_GZIP_MAGIC):
        return raw
    try:
        return gzip.decompress(raw)
    except (EOFError, OSError, zlib.error) as exc:
        raise ValueError(
            f"{path}: the file is gzip-compressed but cannot be decompressed ({exc}); "
            f"it is probably truncated or corrupt. {_FIX}"
        ) from exc


def read_idx(path, *, expected_ndim):
    """Return the uint8 array stored in the IDX file at ``path``.

    ``expected_ndim`` is 3 for an image file (magic number 2051) and 1 for a
    label file (2049). Raises ValueError naming the file and the problem when
    the header or the size is not what it should be.
    """
    path = os.fspath(path)
    data = _read_bytes(path)
    expected_magic = 0x800 + expected_ndim
    if len(data) < 4:
        raise ValueError(
            f"{path}: {len(data)} bytes is too short for an IDX header "
            f"(expected the magic number {expected_magic}). {_FIX}"
        )
    magic = int.from_bytes(data[:4], "big")
    if data[:2] != b"\x00\x00" or data[2] != _UBYTE or data[3] not in _KIND:
        raise ValueError(
            f"{path}: not an MNIST IDX file (magic number {magic}, expected "
            f"{expected_magic} for {_KIND[expected_ndim]}). {_FIX}"
        )
    ndim = data[3]
    if ndim != expected_ndim:
        raise ValueError(
            f"{path}: holds MNIST {_KIND[ndim]} (magic number {magic}) where "
            f"{_KIND[expected_ndim]} (magic number {expected_magic}) were expected; the "
            "files may have been renamed or swapped. Check which file is which."
        )
    header = 4 + 4 * ndim
    if len(data) < header:
        raise ValueError(f"{path}: the IDX header is truncated ({len(data)} bytes). {_FIX}")
    shape = tuple(
        int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)
    )
    expected = int(np.prod(shape, dtype=np.int64))
    found = len(data) - header
    if found < expected:
        raise ValueError(
            f"{path}: truncated: the header declares {' x '.join(map(str, shape))} = "
            f"{expected:,} bytes of data, found {found:,}. {_FIX}"
        )
    if found > expected:
        raise ValueError(
            f"{path}: {found - expected:,} unexpected bytes after the "
            f"{' x '.join(map(str, shape))} values the header declares. {_FIX}"
        )
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(shape)

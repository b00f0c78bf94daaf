"""Read the IDX files of the original MNIST distribution, and check them.

IDX, as described on the MNIST page: two zero bytes, a type byte (0x08 for
unsigned bytes), a byte giving the number of dimensions, each dimension as a
big-endian uint32, then the data in row-major order. Files may be gzip
compressed, as they are distributed; compression is recognised by the gzip
magic bytes, not by the file name.
"""

import gzip
import math
import os
import zlib

import numpy as np

__all__ = ["read_idx"]

_GZIP_MAGIC = b"\x1f\x8b"
_UBYTE = 0x08
_KIND = {1: "labels", 3: "images"}
_CONTENT = {1: "label", 3: "pixel"}
_FIX = (
    "Download the file again, or remove the MNIST files from that folder so that "
    "load_mnist looks elsewhere or downloads a fresh copy."
)


#: The most data an IDX file may declare (EMNIST's largest split is ~640 MB).
MAX_IDX_BYTES = 2 << 30


def _read_exactly(stream, n_bytes):
    """Up to ``n_bytes`` from ``stream`` (never more), and how many there were."""
    buffer = bytearray(n_bytes)
    view, got = memoryview(buffer), 0
    while got < n_bytes:
        n = stream.readinto(view[got:])
        if not n:
            break
        got += n
    return buffer, got


def _decompression_error(path, exc):
    return ValueError(
        f"{path}: the file is gzip-compressed but cannot be decompressed ({exc}); "
        f"it is probably truncated or corrupt. {_FIX}"
    )


def _read_shape(path, data, expected_ndim):
    """Check the header against ``expected_ndim``; return the shape and header size."""
    kind = _KIND[expected_ndim]
    expected_magic = 0x800 + expected_ndim
    if len(data) < 4:
        raise ValueError(
            f"{path}: {len(data)} bytes is too short for an IDX header "
            f"(expected the magic number {expected_magic} for MNIST {kind}). {_FIX}"
        )
    magic = int.from_bytes(data[:4], "big")
    if data[:2] != b"\x00\x00" or data[3] not in _KIND:
        raise ValueError(
            f"{path}: not an MNIST IDX file (magic number {magic}, expected "
            f"{expected_magic} for {kind}). {_FIX}"
        )
    if data[2] != _UBYTE:
        raise ValueError(
            f"{path}: not an MNIST IDX file: its type byte is 0x{data[2]:02x}, but MNIST "
            f"files hold unsigned bytes (type 0x08, magic number {expected_magic} for "
            f"{kind}). {_FIX}"
        )
    ndim = data[3]
    if ndim != expected_ndim:
        raise ValueError(
            f"{path}: holds MNIST {_KIND[ndim]} (magic number {magic}) where {kind} "
            f"(magic number {expected_magic}) were expected; the files may have been "
            "renamed or swapped. Check which file is which."
        )
    header = 4 + 4 * ndim
    if len(data) < header:
        raise ValueError(
            f"{path}: the IDX header is truncated ({len(data)} bytes, expected "
            f"{header}). {_FIX}"
        )
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    return shape, header


def read_idx(path, *, expected_ndim):
    """Return the uint8 array stored in the IDX file at ``path``.

    Parameters
    ----------
    path : str or path-like
        An IDX file, gzip-compressed or not.

    expected_ndim : {1, 3}
        1 for a label file (magic number 2049), 3 for an image file (2051).

    Returns
    -------
    array : ndarray of uint8, shape (n,) or (n, rows, cols)
        A writable array.

    Raises
    ------
    ValueError
        If the file is not a gzip or IDX file of the expected kind, or if its
        size does not match the dimensions in its header. The message names
        the file, the problem and what to do.
    """
    path = os.fspath(path)
    with open(path, "rb") as file:
        compressed = file.read(2) == _GZIP_MAGIC
        file.seek(0)
        stream = gzip.GzipFile(fileobj=file, mode="rb") if compressed else file
        try:
            return _read_stream(path, stream, expected_ndim)
        except (EOFError, OSError, zlib.error) as exc:  # OSError includes BadGzipFile
            if not compressed:
                raise
            raise _decompression_error(path, exc) from exc


def _read_stream(path, stream, expected_ndim):
    """Header first, then exactly the data it declares: a bomb never expands."""
    head, got = _read_exactly(stream, 4)
    if got == 4 and head[3] in _KIND:
        rest, more = _read_exactly(stream, 4 * head[3])
        head, got = head + rest[:more], got + more
    shape, header = _read_shape(path, bytes(head[:got]), expected_ndim)
    content = _CONTENT[expected_ndim]
    # Python integers: a corrupt header may declare up to 2**96 bytes.
    expected = math.prod(shape)
    if expected > MAX_IDX_BYTES:
        raise ValueError(
            f"{path}: its header declares {' x '.join(map(str, shape))} = {expected:,} bytes "
            f"of {content} data, over skmnist's limit of {MAX_IDX_BYTES:,}: not an MNIST-like "
            f"file. {_FIX}"
        )
    data, found = _read_exactly(stream, expected)
    if found < expected:
        raise ValueError(
            f"{path}: truncated: expected {expected:,} bytes of {content} data after the "
            f"header ({' x '.join(map(str, shape))}), found {found:,}. {_FIX}"
        )
    look_ahead = 1 << 16
    _, extra = _read_exactly(stream, look_ahead)  # a little more, never the whole rest
    if extra:
        count = f"{extra:,}" if extra < look_ahead else f"at least {extra:,}"
        raise ValueError(
            f"{path}: has trailing data: {count} unexpected bytes after the {expected:,} bytes of "
            f"{content} data the header declares ({' x '.join(map(str, shape))}). {_FIX}"
        )
    # A bytearray: the array is writable, like the ones np.load and Keras return.
    return np.frombuffer(data, dtype=np.uint8).reshape(shape)

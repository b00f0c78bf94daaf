"""Download the four MNIST IDX files, check them, and cache them atomically.

Each file is streamed to a temporary file beside its final place, its size and
SHA-256 are checked against the published ones, and only when all four are good
are they renamed into the cache folder. A cut or altered download raises a
ValueError naming the file and leaves nothing behind: no partial file can be
mistaken for data later.
"""

import hashlib
import http.client
import os
import tempfile
import urllib.request
from pathlib import Path

from ._files import usual_permissions

__all__ = ["DEFAULT_MIRROR", "FILES", "download_mnist", "mirror_url"]

#: The mirror TensorFlow and torchvision use for the original distribution.
DEFAULT_MIRROR = "https://storage.googleapis.com/cvdf-datasets/mnist/"

#: Size in bytes and SHA-256 of each file of the original distribution (the gzip
#: files of yann.lecun.com/exdb/mnist, as served by DEFAULT_MIRROR and published
#: with TensorFlow Datasets' MNIST checksums).
FILES = {
    "train-images-idx3-ubyte.gz": (
        9912422,
        "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    ),
    "train-labels-idx1-ubyte.gz": (
        28881,
        "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    ),
    "t10k-images-idx3-ubyte.gz": (
        1648877,
        "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    ),
    "t10k-labels-idx1-ubyte.gz": (
        4542,
        "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
    ),
}

_CHUNK = 1 << 16
_TIMEOUT = 60  # seconds without data before giving up


def mirror_url(mirror=None):
    """The base URL to download from: ``mirror``, else $SKMNIST_MIRROR, else the default."""
    url = mirror or os.environ.get("SKMNIST_MIRROR") or DEFAULT_MIRROR
    return url if url.endswith("/") else url + "/"


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for chunk in iter(lambda: file.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _fetch(url, name, target, size, sha256, *, timeout):
    """Stream ``url`` to the open file ``target``; raise ValueError if it is not the file."""
    digest, received = hashlib.sha256(), 0
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            while chunk := response.read(_CHUNK):
                received += len(chunk)
                if received > size:
                    raise ValueError(
                        f"{name}: the download from {url} is larger than the {size:,} bytes "
                        "of the original file: the mirror serves another file. Nothing was "
                        "saved. Check SKMNIST_MIRROR, or copy the files by hand and set "
                        "SKMNIST_DATA."
                    )
                digest.update(chunk)
                target.write(chunk)
    except http.client.IncompleteRead as exc:  # the connection closed early
        received += len(exc.partial)
    if received != size:
        raise ValueError(
            f"{name}: the download from {url} is truncated: received {received:,} of "
            f"{size:,} bytes. Nothing was saved; try again, or copy the files by hand and "
            "set SKMNIST_DATA."
        )
    if digest.hexdigest() != sha256:
        raise ValueError(
            f"{name}: the download from {url} has the wrong SHA-256 checksum "
            f"({digest.hexdigest()}, expected {sha256}): the file is corrupt or not the "
            "original. Nothing was saved. Check SKMNIST_MIRROR, or copy the files by hand "
            "and set SKMNIST_DATA."
        )


def download_mnist(folder, *, mirror=None, timeout=_TIMEOUT):
    """Download the four MNIST IDX files into ``folder``; return the folder.

    Files already in ``folder`` with the right SHA-256 are kept. The others are
    downloaded from ``mirror`` (default: $SKMNIST_MIRROR, else
    :data:`DEFAULT_MIRROR`) to temporary files in ``folder``, checked (size and
    SHA-256, see :data:`FILES`), and renamed into place only when all of them
    are good. On any failure the temporary files are removed and the error is
    raised: a ValueError naming the file for a truncated or altered download,
    or the network's own error (an OSError such as ``URLError``).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    base = mirror_url(mirror)
    pending = {
        name: spec
        for name, spec in FILES.items()
        if not ((folder / name).is_file() and _sha256(folder / name) == spec[1])
    }
    downloaded = {}
    try:
        for name, (size, sha256) in pending.items():
            fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".part", dir=folder)
            downloaded[name] = tmp
            with os.fdopen(fd, "wb") as target:
                _fetch(base + name, name, target, size, sha256, timeout=timeout)
        for name, tmp in downloaded.items():
            usual_permissions(tmp)
            os.replace(tmp, folder / name)
    except BaseException:
        for tmp in downloaded.values():
            if os.path.exists(tmp):
                os.unlink(tmp)
        raise
    return folder

"""The download path, for real: a local HTTP server on 127.0.0.1 as the mirror."""

import hashlib
import http.server
import os
import threading
from pathlib import Path

import numpy as np
import pytest

import skmnist._download
from skmnist._datasets import load_mnist
from skmnist._download import DEFAULT_MIRROR, FILES, download_mnist, mirror_url

NAMES = list(FILES)


class _Mirror(http.server.ThreadingHTTPServer):
    """Serves ``files`` (name -> bytes); ``declared`` overrides a Content-Length."""

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.files, self.declared, self.requests = {}, {}, []

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server_address[1]}/mnist"  # no trailing slash


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        name = self.path.rsplit("/", 1)[-1]
        self.server.requests.append(name)
        if not self.path.startswith("/mnist/") or name not in self.server.files:
            self.send_error(404)
            return
        data = self.server.files[name]
        self.send_response(200)
        self.send_header("Content-Length", str(self.server.declared.get(name, len(data))))
        self.end_headers()
        self.wfile.write(data)  # then the connection closes (HTTP/1.0)

    def log_message(self, *args):
        pass


@pytest.fixture
def mirror():
    server = _Mirror()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture(scope="module")
def real_files():
    """The real MNIST .gz files from SKMNIST_DATA, by name."""
    folder = os.environ.get("SKMNIST_DATA")
    if not folder or not all((Path(folder) / name).is_file() for name in NAMES):
        pytest.skip("SKMNIST_DATA is not set to a folder holding the four MNIST .gz files")
    return {name: (Path(folder) / name).read_bytes() for name in NAMES}


@pytest.fixture
def serving(real_files, mirror, monkeypatch, tmp_path):
    """The mirror serves the real files; their sizes and checksums are the expected ones.

    The copy in SKMNIST_DATA is not byte-identical to the official files (see its
    README), so the checks are pointed at it; the official table is tested below.
    """
    mirror.files.update(real_files)
    monkeypatch.setattr(
        skmnist._download,
        "FILES",
        {n: (len(d), hashlib.sha256(d).hexdigest()) for n, d in real_files.items()},
    )
    monkeypatch.setenv("SKMNIST_MIRROR", mirror.url)
    monkeypatch.delenv("SKMNIST_DATA", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return mirror


def _leftovers(folder):
    return sorted(p.name for p in Path(folder).iterdir()) if Path(folder).exists() else []


def test_download_caches_checked_files_then_loads_offline(serving, real_files, tmp_path):
    data = load_mnist()
    cache = tmp_path / "keras_home" / "datasets"
    assert data.source == str(cache)
    assert data.X_train.shape == (60000, 28, 28) and data.y_test.shape == (10000,)
    assert sorted(serving.requests) == sorted(NAMES)
    assert _leftovers(cache) == sorted(NAMES)  # no temporary file left
    for name, content in real_files.items():
        assert (cache / name).read_bytes() == content
        mode = os.stat(cache / name).st_mode & 0o777
        assert mode == 0o666 & ~_umask()  # not the 0600 of a temporary file
    serving.files.clear()  # the mirror goes away: the cache is enough
    offline = load_mnist(download=False)
    np.testing.assert_array_equal(offline.X_test, data.X_test)
    assert offline.source == str(cache) and len(serving.requests) == 4


def test_download_into_data_home_is_used_from_there(serving, tmp_path):
    load_mnist(tmp_path / "mine")
    assert _leftovers(tmp_path / "mine") == sorted(NAMES)
    assert not (tmp_path / "keras_home" / "datasets").exists()
    serving.files.clear()
    assert load_mnist(tmp_path / "mine", download=False).source == str(tmp_path / "mine")


def test_good_files_already_cached_are_not_fetched_again(serving, real_files, tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / NAMES[0]).write_bytes(real_files[NAMES[0]])
    (cache / NAMES[1]).write_bytes(b"stale")  # a bad copy is replaced
    download_mnist(cache)
    assert sorted(serving.requests) == sorted(NAMES[1:])
    assert (cache / NAMES[1]).read_bytes() == real_files[NAMES[1]]


def _refused(folder, name):
    """load_mnist's error for a bad download into ``folder``, which must stay clean."""
    with pytest.raises(ValueError) as info:
        load_mnist(folder)
    assert f"{name}: the download from " in str(info.value)
    assert _leftovers(folder) == []  # not the bad file, nor the good ones, nor a .part
    return str(info.value)


def test_truncated_download_is_refused_and_leaves_nothing(serving, tmp_path):
    name = "t10k-images-idx3-ubyte.gz"
    size = len(serving.files[name])
    serving.files[name] = serving.files[name][:-1000]
    message = _refused(tmp_path / "cache", name)
    assert f"is truncated: received {size - 1000:,} of {size:,} bytes" in message


def test_connection_closed_early_is_a_truncated_download(serving, tmp_path):
    name = "train-labels-idx1-ubyte.gz"
    size = len(serving.files[name])
    serving.files[name] = serving.files[name][:5000]
    serving.declared[name] = size  # announces the full size, then hangs up
    message = _refused(tmp_path / "cache", name)
    assert f"received 5,000 of {size:,} bytes" in message


def test_download_with_a_wrong_checksum_is_refused_and_leaves_nothing(serving, tmp_path):
    name = "t10k-labels-idx1-ubyte.gz"
    altered = bytearray(serving.files[name])
    altered[100] ^= 0xFF
    serving.files[name] = bytes(altered)
    message = _refused(tmp_path / "cache", name)
    assert "wrong SHA-256 checksum" in message


def test_download_larger_than_the_original_is_refused(serving, tmp_path):
    name = "t10k-labels-idx1-ubyte.gz"
    serving.files[name] += b"\0" * 10
    assert "is larger than the" in _refused(tmp_path / "cache", name)


def test_missing_file_on_the_mirror_reports_the_http_error(serving, tmp_path):
    del serving.files["train-images-idx3-ubyte.gz"]
    with pytest.raises(ValueError, match="HTTP Error 404") as info:
        load_mnist(tmp_path / "cache")
    assert serving.url in str(info.value)
    assert _leftovers(tmp_path / "cache") == []


def test_mirror_comes_from_argument_then_environment_then_default(monkeypatch):
    monkeypatch.delenv("SKMNIST_MIRROR", raising=False)
    assert mirror_url() == DEFAULT_MIRROR == "https://storage.googleapis.com/cvdf-datasets/mnist/"
    monkeypatch.setenv("SKMNIST_MIRROR", "http://example.org/m")
    assert mirror_url() == "http://example.org/m/"
    assert mirror_url("https://other/") == "https://other/"


def _umask():
    umask = os.umask(0)
    os.umask(umask)
    return umask

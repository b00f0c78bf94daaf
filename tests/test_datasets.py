import gzip
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from skmnist._datasets import load_mnist

from ._idx_files import idx_bytes, write_mnist

REPO_ROOT = Path(__file__).resolve().parents[1]
IDX_NAMES = [
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
]


@pytest.fixture
def no_sources(tmp_path, monkeypatch):
    """No SKMNIST_DATA, empty Keras cache and home: only what a test writes is found."""
    monkeypatch.delenv("SKMNIST_DATA", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return tmp_path


@pytest.fixture
def download_calls(monkeypatch):
    """Replace the downloader by a stub that fails; return the list of its calls."""
    import skmnist._download

    calls = []

    def download_mnist(folder, **kwargs):
        calls.append(folder)
        raise OSError("stub: no network")

    monkeypatch.setattr(skmnist._download, "download_mnist", download_mnist)
    return calls


def _write_npz(path, n=12, **overrides):
    rng = np.random.RandomState(0)
    arrays = dict(
        x_train=rng.randint(0, 256, (n, 28, 28)).astype(np.uint8),
        y_train=(np.arange(n) % 10).astype(np.uint8),
        x_test=rng.randint(0, 256, (4, 28, 28)).astype(np.uint8),
        y_test=np.array([1, 2, 3, 4], dtype=np.uint8),
    )
    arrays.update(overrides)
    arrays = {k: v for k, v in arrays.items() if v is not None}
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, **arrays)
    return arrays


# -- the real files, from $SKMNIST_DATA ----------------------------------------------


@pytest.fixture(scope="module")
def real_dir():
    folder = os.environ.get("SKMNIST_DATA")
    if not folder:
        pytest.skip("SKMNIST_DATA is not set: point it at a folder holding real MNIST")
    return folder


@pytest.fixture(scope="module")
def real(real_dir, tmp_path_factory):
    """Real MNIST read through SKMNIST_DATA alone (empty Keras cache, no download)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SKMNIST_DATA", real_dir)
        mp.setenv("KERAS_HOME", str(tmp_path_factory.mktemp("keras_home")))
        return load_mnist(download=False)


def test_real_mnist_has_the_published_shapes_dtypes_and_labels(real):
    assert real.X_train.shape == (60000, 28, 28) and real.X_test.shape == (10000, 28, 28)
    assert real.y_train.shape == (60000,) and real.y_test.shape == (10000,)
    for array in (real.X_train, real.X_test, real.y_train, real.y_test):
        assert array.dtype == np.uint8
    assert np.bincount(real.y_test).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    assert np.bincount(real.y_train, minlength=11)[:10].min() > 5000
    assert real.X_train.max() == 255 and real.X_train.min() == 0


def test_real_mnist_bunch_has_its_keys_and_names_the_folder_read(real, real_dir):
    assert set(real) == {
        "X_train", "X_test", "y_train", "y_test",
        "feature_names", "target_names", "DESCR", "source",
    }  # fmt: skip
    assert real.source == os.path.abspath(real_dir)
    assert real.feature_names[0] == "pixel1" and len(real.feature_names) == 784
    np.testing.assert_array_equal(real.target_names, np.arange(10))
    descr = " ".join(real.DESCR.split())
    for words in ("LeCun", "Cortes", "Burges", "60,000", "10,000", "28 x 28", "0 (background) to 255",
                  "CC BY-SA 3.0", "Gradient-based learning applied to document recognition"):  # fmt: skip
        assert words in descr


def test_real_mnist_as_frame_matches_arrays(real, real_dir, monkeypatch):
    monkeypatch.setenv("SKMNIST_DATA", real_dir)
    X_train, X_test, y_train, y_test = load_mnist(download=False, as_frame=True, return_X_y=True)
    assert isinstance(X_train, pd.DataFrame) and X_train.shape == (60000, 784)
    assert X_test.columns.tolist() == [f"pixel{k}" for k in range(1, 785)]
    assert (X_test.dtypes == np.uint8).all()
    assert isinstance(y_test, pd.Series) and y_test.name == "class" and y_test.dtype == np.uint8
    np.testing.assert_array_equal(X_test.to_numpy().reshape(-1, 28, 28), real.X_test)
    np.testing.assert_array_equal(y_train.to_numpy(), real.y_train)


# -- where it looks, and what it returns -----------------------------------------------


def test_search_order_is_data_home_then_skmnist_data_then_keras_cache(no_sources, monkeypatch):
    first = write_mnist(no_sources / "first", n_train=20, seed=1)
    write_mnist(no_sources / "second", n_train=30, seed=2)
    write_mnist(no_sources / "keras_home" / "datasets", n_train=40, seed=3)
    monkeypatch.setenv("SKMNIST_DATA", str(no_sources / "second"))
    data = load_mnist(no_sources / "first", download=False)
    np.testing.assert_array_equal(data.X_train, first["train-images-idx3-ubyte"])
    assert load_mnist(download=False).X_train.shape[0] == 30
    monkeypatch.delenv("SKMNIST_DATA")
    assert load_mnist(download=False).X_train.shape[0] == 40


def test_an_explicit_data_home_is_the_only_place_looked(no_sources, monkeypatch):
    write_mnist(no_sources / "second", n_train=30)
    monkeypatch.setenv("SKMNIST_DATA", str(no_sources / "second"))
    with pytest.raises(ValueError, match="MNIST was not found") as info:
        load_mnist(str(no_sources / "nowhere"), download=False)  # a mistyped folder
    assert f"{no_sources / 'nowhere'} (data_home: no such folder)" in str(info.value)
    assert str(no_sources / "second") not in str(info.value)


def test_data_home_expands_user_and_source_is_absolute(no_sources, monkeypatch):
    write_mnist(no_sources / "home" / "mnist", n_train=15)
    data = load_mnist("~/mnist", download=False)
    assert data.X_train.shape[0] == 15
    assert data.source == str(no_sources / "home" / "mnist")
    monkeypatch.chdir(no_sources / "home")
    assert load_mnist("mnist", download=False).source == str(no_sources / "home" / "mnist")


def test_keras_cache_defaults_to_dot_keras_in_home(no_sources, monkeypatch):
    monkeypatch.delenv("KERAS_HOME")
    arrays = _write_npz(no_sources / "home" / ".keras" / "datasets" / "mnist.npz", n=7)
    np.testing.assert_array_equal(load_mnist(download=False).X_train, arrays["x_train"])


def test_keras_npz_in_keras_home_is_found(no_sources):
    path = no_sources / "keras_home" / "datasets" / "mnist.npz"
    arrays = _write_npz(path, y_train=np.arange(12) % 10)  # int64 labels, as uint8
    data = load_mnist(download=False)
    np.testing.assert_array_equal(data.X_train, arrays["x_train"])
    np.testing.assert_array_equal(data.y_train, arrays["y_train"])
    assert data.y_train.dtype == np.uint8
    assert data.source == str(path)


def test_uncompressed_idx_files_read_like_gzip_ones(no_sources):
    write_mnist(no_sources / "gz", seed=4)
    arrays = write_mnist(no_sources / "raw", compress=False, seed=4)
    from_gz = load_mnist(no_sources / "gz", download=False)
    from_raw = load_mnist(no_sources / "raw", download=False)
    for key, name in zip(["X_train", "y_train", "X_test", "y_test"], IDX_NAMES):
        np.testing.assert_array_equal(from_raw[key], arrays[name])
        np.testing.assert_array_equal(from_gz[key], arrays[name])


def test_gzip_is_recognised_by_content_not_by_name(no_sources):
    arrays = write_mnist(no_sources / "d", compress=False)
    path = no_sources / "d" / "t10k-images-idx3-ubyte"
    path.write_bytes(gzip.compress(path.read_bytes()))  # gzip data without .gz
    np.testing.assert_array_equal(
        load_mnist(no_sources / "d", download=False).X_test, arrays["t10k-images-idx3-ubyte"]
    )


def test_gzip_file_is_preferred_to_uncompressed_one(no_sources):
    write_mnist(no_sources / "both", compress=False, seed=5)
    arrays = write_mnist(no_sources / "both", seed=6)
    data = load_mnist(no_sources / "both", download=False)
    np.testing.assert_array_equal(data.X_train, arrays["train-images-idx3-ubyte"])


def test_return_X_y_is_in_train_test_split_order(no_sources):
    arrays = write_mnist(no_sources / "d", n_train=20, n_test=10)
    X_train, X_test, y_train, y_test = load_mnist(no_sources / "d", return_X_y=True)
    np.testing.assert_array_equal(X_train, arrays["train-images-idx3-ubyte"])
    np.testing.assert_array_equal(X_test, arrays["t10k-images-idx3-ubyte"])
    np.testing.assert_array_equal(y_train, arrays["train-labels-idx1-ubyte"])
    np.testing.assert_array_equal(y_test, arrays["t10k-labels-idx1-ubyte"])


def test_arrays_read_from_idx_files_are_writable(no_sources):
    write_mnist(no_sources / "d")
    data = load_mnist(no_sources / "d", download=False)
    data.X_train[0, 0, 0] = 7
    data.y_test[0] = 1


def test_as_frame_flattens_row_major_with_openml_names(no_sources):
    arrays = write_mnist(no_sources / "d", n_train=20, n_test=10)
    X_train, X_test, y_train, y_test = load_mnist(
        no_sources / "d", as_frame=True, return_X_y=True
    )
    images = arrays["t10k-images-idx3-ubyte"]
    assert X_test.shape == (10, 784) and X_train.shape == (20, 784)
    assert X_test.columns[0] == "pixel1" and X_test.columns[-1] == "pixel784"
    assert (X_test.dtypes == np.uint8).all()
    for k in (1, 2, 28, 29, 30, 784):
        np.testing.assert_array_equal(X_test[f"pixel{k}"], images[:, (k - 1) // 28, (k - 1) % 28])
    assert y_train.name == "class" and y_train.dtype == np.uint8
    np.testing.assert_array_equal(y_test, arrays["t10k-labels-idx1-ubyte"])
    bunch = load_mnist(no_sources / "d", as_frame=True)
    assert isinstance(bunch.X_train, pd.DataFrame) and isinstance(bunch.y_test, pd.Series)


# -- corrupt and incomplete files -----------------------------------------------------


@pytest.mark.parametrize(
    "mangle, message",
    [
        (lambda d: b"\x12\x34" + d[2:], "not an MNIST IDX file .*expected 2051"),
        (lambda d: d[:2] + b"\x0d" + d[3:], "type byte is 0x0d"),
        (lambda d: idx_bytes(np.arange(10) % 10), "holds MNIST labels .*2049.* where images .*2051"),
        (lambda d: d[:-100], "truncated: expected 7,840 bytes of pixel data .* found 7,740"),
        (lambda d: d + b"\x00" * 7, "trailing data: 7 unexpected bytes"),
        (lambda d: gzip.compress(d)[:40], "gzip-compressed but cannot be decompressed"),
        (lambda d: gzip.compress(d)[:-4], "gzip-compressed but cannot be decompressed"),
        (lambda d: b"\x1f\x8b" + b"garbage" * 10, "gzip-compressed but cannot be decompressed"),
        (lambda d: b"<html><body>Proxy error</body></html>", "not an MNIST IDX file"),
        (lambda d: b"", "0 bytes is too short for an IDX header"),
    ],
    ids=["magic", "dtype", "labels_for_images", "truncated", "trailing",
         "cut_gzip", "cut_gzip_trailer", "bad_gzip", "not_gzip_nor_idx", "empty"],  # fmt: skip
)
def test_corrupt_image_file_is_named_with_its_problem(no_sources, mangle, message):
    folder = no_sources / "d"
    write_mnist(folder, compress=False)
    path = folder / "t10k-images-idx3-ubyte"
    path.write_bytes(mangle(path.read_bytes()))
    with pytest.raises(ValueError, match=message) as info:
        load_mnist(folder, download=False)
    assert str(path) in str(info.value)


def test_gz_file_that_is_not_gzip_is_named(no_sources):
    folder = no_sources / "d"
    write_mnist(folder)
    path = folder / "train-labels-idx1-ubyte.gz"
    path.write_bytes(b"<!DOCTYPE html><title>404 Not Found</title>")
    with pytest.raises(ValueError, match="not an MNIST IDX file .*expected 2049") as info:
        load_mnist(folder, download=False)
    assert str(path) in str(info.value)


def test_image_and_label_counts_must_match(no_sources):
    folder = no_sources / "counts"
    write_mnist(folder, n_train=20)
    labels = folder / "train-labels-idx1-ubyte.gz"
    labels.write_bytes(gzip.compress(idx_bytes(np.arange(19) % 10)))
    with pytest.raises(ValueError, match="20 images but .* holds 19 labels") as info:
        load_mnist(folder, download=False)
    assert str(folder / "train-images-idx3-ubyte.gz") in str(info.value)
    assert str(labels) in str(info.value)


def test_labels_outside_0_to_9_are_refused(no_sources):
    folder = no_sources / "labels"
    write_mnist(folder, n_test=10)
    bad = np.arange(10)
    bad[3], bad[7] = 42, 10
    (folder / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(idx_bytes(bad)))
    with pytest.raises(
        ValueError, match=r"t10k-labels-idx1-ubyte.gz: labels must be digits 0 to 9, found \[10, 42\]"
    ):
        load_mnist(folder, download=False)


def test_images_of_another_size_are_refused(no_sources):
    folder = no_sources / "size"
    write_mnist(folder)
    (folder / "t10k-images-idx3-ubyte.gz").write_bytes(gzip.compress(idx_bytes(np.zeros((10, 32, 32)))))
    with pytest.raises(ValueError, match=r"t10k-images-idx3-ubyte.gz: .*\(10, 32, 32\)"):
        load_mnist(folder, download=False)


def test_empty_set_is_refused(no_sources):
    folder = no_sources / "empty"
    write_mnist(folder, n_test=0)
    with pytest.raises(ValueError, match=r"t10k-images-idx3-ubyte.gz: .*\(0, 28, 28\).*n_images > 0"):
        load_mnist(folder, download=False)


def test_partial_set_of_idx_files_names_the_missing_ones(no_sources):
    folder = no_sources / "partial"
    write_mnist(folder)
    (folder / "t10k-labels-idx1-ubyte.gz").unlink()
    (folder / "train-images-idx3-ubyte.gz").unlink()
    with pytest.raises(ValueError, match="only part of MNIST") as info:
        load_mnist(folder, download=False)
    message = str(info.value)
    assert "t10k-labels-idx1-ubyte" in message and "train-images-idx3-ubyte" in message
    assert "t10k-images" not in message and str(folder) in message


def test_partial_set_of_idx_files_beside_mnist_npz_reads_the_npz(no_sources):
    folder = no_sources / "mixed"
    write_mnist(folder)
    (folder / "t10k-labels-idx1-ubyte.gz").unlink()
    arrays = _write_npz(folder / "mnist.npz")
    np.testing.assert_array_equal(load_mnist(folder, download=False).X_test, arrays["x_test"])


def test_npz_missing_an_array_is_named(no_sources):
    _write_npz(no_sources / "npz" / "mnist.npz", y_test=None)
    with pytest.raises(ValueError, match=r"mnist.npz: .*\['y_test'\] are missing"):
        load_mnist(no_sources / "npz", download=False)


@pytest.mark.parametrize(
    "content", [b"PK\x03\x04 not really a zip", b"not an archive at all"], ids=["zip", "other"]
)
def test_corrupt_npz_is_a_value_error_naming_it(no_sources, content):
    path = no_sources / "npz" / "mnist.npz"
    path.parent.mkdir()
    path.write_bytes(content)
    with pytest.raises(ValueError, match="mnist.npz: cannot be read"):
        load_mnist(no_sources / "npz", download=False)


def test_npz_of_pickled_objects_is_refused(no_sources):
    path = no_sources / "npz" / "mnist.npz"
    _write_npz(path, y_test=np.array([{"a": 1}], dtype=object))
    with pytest.raises(ValueError, match="mnist.npz: cannot be read"):
        load_mnist(no_sources / "npz", download=False)


# -- nothing found, and downloads ------------------------------------------------------


def test_nothing_found_without_download_lists_places_and_how_to_supply(
    no_sources, monkeypatch, download_calls
):
    (no_sources / "empty").mkdir()
    monkeypatch.setenv("SKMNIST_DATA", str(no_sources / "empty"))
    with pytest.raises(ValueError, match="MNIST was not found") as info:
        load_mnist(download=False)
    message = str(info.value)
    assert f"{no_sources / 'empty'} ($SKMNIST_DATA: none of the files)" in message
    assert str(no_sources / "keras_home" / "datasets") in message
    for name in [*IDX_NAMES, "mnist.npz", "SKMNIST_DATA", "data_home=", "download=False"]:
        assert name in message
    assert "not allowed" in message and download_calls == []


def test_empty_data_home_without_download_names_it(no_sources, download_calls):
    (no_sources / "empty").mkdir()
    with pytest.raises(ValueError, match="MNIST was not found") as info:
        load_mnist(no_sources / "empty", download=False)
    assert f"{no_sources / 'empty'} (data_home: none of the files)" in str(info.value)
    assert download_calls == []


def test_failed_download_reports_its_error_and_every_place_looked(
    no_sources, monkeypatch, download_calls
):
    monkeypatch.setenv("SKMNIST_DATA", str(no_sources / "nowhere"))
    monkeypatch.setenv("SKMNIST_MIRROR", "http://127.0.0.1:9/mnist/")
    with pytest.raises(ValueError) as info:
        load_mnist(no_sources / "mine")
    message = str(info.value)
    assert str(no_sources / "mine") in message  # the only place looked, and the download's
    assert str(no_sources / "nowhere") not in message
    assert "OSError: stub: no network" in message and "SKMNIST_DATA" in message
    assert "http://127.0.0.1:9/mnist/" in message and "SKMNIST_MIRROR" in message
    assert download_calls == [no_sources / "mine"]  # data_home is the download's cache
    assert isinstance(info.value.__cause__, OSError)


def test_importing_the_loader_does_not_import_tensorflow_or_keras():
    code = (
        "import sys, skmnist._datasets, skmnist\n"
        "skmnist.load_mnist\n"
        "loaded = {'tensorflow', 'keras'} & set(sys.modules)\n"
        "assert not loaded, loaded\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO_ROOT
    )
    assert result.returncode == 0, result.stderr

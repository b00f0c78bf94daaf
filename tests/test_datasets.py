import gzip
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from skmnist import load_mnist

from ._idx_files import idx_bytes, write_mnist


@pytest.fixture
def no_sources(tmp_path, monkeypatch):
    """No SKMNIST_DATA, an empty Keras cache: only what a test supplies is found."""
    monkeypatch.delenv("SKMNIST_DATA", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    return tmp_path


# -- the real files -------------------------------------------------------------


def test_real_mnist_has_the_published_shapes_and_all_digits(mnist):
    X_train, X_test, y_train, y_test = mnist
    assert X_train.shape == (60000, 28, 28) and X_test.shape == (10000, 28, 28)
    assert X_train.dtype == np.uint8 and y_train.dtype == np.uint8
    assert np.bincount(y_test).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    assert np.bincount(y_train).min() > 5000


def test_bunch_from_skmnist_data_names_its_source(mnist):
    data = load_mnist(download=False)
    assert set(data) >= {"X_train", "X_test", "y_train", "y_test", "DESCR", "feature_names"}
    assert data.source == os.path.abspath(os.environ["SKMNIST_DATA"])
    assert "LeCun" in data.DESCR
    np.testing.assert_array_equal(data.y_test, mnist[3])


def test_as_frame_uses_openml_pixel_names_in_row_major_order(mnist):
    X_train, X_test, y_train, y_test = load_mnist(download=False, as_frame=True, return_X_y=True)
    assert isinstance(X_train, pd.DataFrame) and X_train.shape == (60000, 784)
    assert X_train.columns[0] == "pixel1" and X_train.columns[-1] == "pixel784"
    assert isinstance(y_test, pd.Series) and y_test.name == "class"
    np.testing.assert_array_equal(X_test.to_numpy().reshape(-1, 28, 28), mnist[1])
    assert X_test["pixel30"].iloc[0] == mnist[1][0, 1, 1]


# -- where it looks ---------------------------------------------------------------


def test_data_home_comes_before_skmnist_data(no_sources, monkeypatch):
    first = write_mnist(no_sources / "first", n_train=20, seed=1)
    write_mnist(no_sources / "second", n_train=30, seed=2)
    monkeypatch.setenv("SKMNIST_DATA", str(no_sources / "second"))
    X_train, _, _, _ = load_mnist(no_sources / "first", download=False, return_X_y=True)
    np.testing.assert_array_equal(X_train, first["train-images-idx3-ubyte"])
    assert load_mnist(download=False).X_train.shape[0] == 30


def test_uncompressed_files_read_like_gzip_ones(no_sources):
    arrays = write_mnist(no_sources / "raw", compress=False)
    data = load_mnist(no_sources / "raw", download=False)
    np.testing.assert_array_equal(data.X_test, arrays["t10k-images-idx3-ubyte"])
    np.testing.assert_array_equal(data.y_train, arrays["train-labels-idx1-ubyte"])


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


def test_keras_npz_in_the_keras_cache_is_found(no_sources):
    arrays = _write_npz(no_sources / "keras_home" / "datasets" / "mnist.npz")
    data = load_mnist(download=False)
    np.testing.assert_array_equal(data.X_train, arrays["x_train"])
    assert data.source.endswith("mnist.npz")


def test_download_goes_through_keras_loader(no_sources, monkeypatch):
    from skmnist._keras import keras

    x = np.zeros((3, 28, 28), np.uint8)
    y = np.array([0, 1, 2], np.uint8)
    monkeypatch.setattr(keras.datasets.mnist, "load_data", lambda: ((x, y), (x[:1], y[:1])))
    X_train, X_test, y_train, y_test = load_mnist(return_X_y=True)
    assert X_train.shape == (3, 28, 28) and y_test.tolist() == [0]


def test_failed_download_lists_every_place_looked(no_sources, monkeypatch):
    from skmnist._keras import keras

    def offline():
        raise OSError("network is unreachable")

    monkeypatch.setattr(keras.datasets.mnist, "load_data", offline)
    monkeypatch.setenv("SKMNIST_DATA", str(no_sources / "nowhere"))
    with pytest.raises(ValueError) as info:
        load_mnist(no_sources / "mine")
    message = str(info.value)
    for place in ("mine", "nowhere", os.path.join("keras_home", "datasets")):
        assert place in message
    assert "network is unreachable" in message and "SKMNIST_DATA" in message


def test_nothing_found_without_download_says_how_to_supply_files(no_sources):
    with pytest.raises(ValueError, match="SKMNIST_DATA") as info:
        load_mnist(download=False)
    assert "download=False" in str(info.value)
    assert "train-images-idx3-ubyte" in str(info.value)


# -- broken data ------------------------------------------------------------------


def test_partial_set_of_idx_files_names_the_missing_ones(no_sources):
    folder = no_sources / "partial"
    write_mnist(folder)
    (folder / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(ValueError, match="t10k-labels-idx1-ubyte .*missing"):
        load_mnist(folder, download=False)


def test_truncated_gzip_file_is_named(no_sources):
    folder = no_sources / "cut"
    write_mnist(folder)
    path = folder / "train-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(ValueError, match="train-images-idx3-ubyte.gz.*decompressed"):
        load_mnist(folder, download=False)


def test_image_and_label_counts_must_match(no_sources):
    folder = no_sources / "counts"
    write_mnist(folder, n_train=20)
    (folder / "train-labels-idx1-ubyte.gz").write_bytes(gzip.compress(idx_bytes(np.arange(19) % 10)))
    with pytest.raises(ValueError, match="20 images but .*train-labels-idx1-ubyte.gz holds 19"):
        load_mnist(folder, download=False)


def test_labels_outside_0_to_9_are_refused(no_sources):
    folder = no_sources / "labels"
    write_mnist(folder, n_test=10)
    bad = np.arange(10)
    bad[3] = 42
    (folder / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(idx_bytes(bad)))
    with pytest.raises(ValueError, match=r"t10k-labels-idx1-ubyte.gz: labels must be digits 0 to 9, found \[42\]"):
        load_mnist(folder, download=False)


def test_images_of_another_size_are_refused(no_sources):
    folder = no_sources / "size"
    write_mnist(folder)
    (folder / "t10k-images-idx3-ubyte.gz").write_bytes(
        gzip.compress(idx_bytes(np.zeros((10, 32, 32))))
    )
    with pytest.raises(ValueError, match=r"t10k-images.*\(10, 32, 32\)"):
        load_mnist(folder, download=False)


def test_npz_missing_an_array_is_named(no_sources):
    _write_npz(no_sources / "npz" / "mnist.npz", y_test=None)
    with pytest.raises(ValueError, match=r"mnist.npz.*\['y_test'\] are missing"):
        load_mnist(no_sources / "npz", download=False)


def test_corrupt_npz_is_a_value_error(no_sources):
    path = no_sources / "npz" / "mnist.npz"
    path.parent.mkdir()
    path.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(ValueError, match="mnist.npz"):
        load_mnist(no_sources / "npz", download=False)


def test_importing_the_loader_does_not_import_tensorflow():
    code = (
        "import sys, skmnist\n"
        "skmnist.load_mnist\n"
        "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr

"""Find, read and check the MNIST data set."""

import os
import zipfile
from pathlib import Path

import numpy as np
from sklearn.utils import Bunch

from ._idx import read_idx

__all__ = ["load_mnist"]

#: The four files of the original distribution, by the array they hold.
IDX_FILES = {
    "X_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "X_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}
#: Keras' single-file copy, and its keys for our arrays.
NPZ_FILE = "mnist.npz"
NPZ_KEYS = {"X_train": "x_train", "y_train": "y_train", "X_test": "x_test", "y_test": "y_test"}

IMAGE_SHAPE = (28, 28)
FEATURE_NAMES = [f"pixel{i}" for i in range(1, IMAGE_SHAPE[0] * IMAGE_SHAPE[1] + 1)]

DESCR = """\
.. _mnist_dataset:

MNIST handwritten digits
------------------------

**Data Set Characteristics:**

:Number of Instances: 60,000 training images and 10,000 test images
:Number of Attributes: 784 (28 x 28 pixels)
:Attribute Information: grey levels, integers from 0 (background) to 255 (ink)
:Classes: 10, the digits 0 to 9
:Creators: Yann LeCun, Corinna Cortes, Christopher J.C. Burges
:License: Creative Commons Attribution-Share Alike 3.0

The MNIST database was built from NIST's Special Databases 1 and 3: digits
written by Census Bureau employees and by high-school students, size-normalised
to fit a 20x20 box and centred by centre of mass in a 28x28 image. The
training and test sets were written by disjoint sets of writers.

.. topic:: References

  - Y. LeCun, L. Bottou, Y. Bengio and P. Haffner (1998). "Gradient-based
    learning applied to document recognition." Proceedings of the IEEE,
    86(11):2278-2324.
"""


def _keras_cache():
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    return Path(home) / "datasets"


def _candidate_dirs(data_home):
    """The folders to search, in order, each with the reason it is searched."""
    dirs = []
    if data_home is not None:
        dirs.append((Path(os.path.expanduser(os.fspath(data_home))), "data_home"))
    if os.environ.get("SKMNIST_DATA"):
        dirs.append((Path(os.path.expanduser(os.environ["SKMNIST_DATA"])), "$SKMNIST_DATA"))
    dirs.append((_keras_cache(), "Keras cache"))
    return dirs


def _find_idx(folder):
    """Paths of the four IDX files in ``folder`` (gzip preferred), or None."""
    found, missing = {}, []
    for key, name in IDX_FILES.items():
        for candidate in (folder / f"{name}.gz", folder / name):
            if candidate.is_file():
                found[key] = candidate
                break
        else:
            missing.append(name)
    if not found:
        return None
    if missing:
        raise ValueError(
            f"{folder} holds only part of MNIST: {', '.join(missing)} (with or without "
            ".gz) is missing. Put all four IDX files in the folder, or point "
            "SKMNIST_DATA at a folder that has them."
        )
    return found


def _read_folder(folder):
    """The arrays and their source files, from ``folder``; None if MNIST is not there."""
    if not folder.is_dir():
        return None
    idx = _find_idx(folder)
    if idx is not None:
        arrays = {
            key: read_idx(path, expected_ndim=3 if key.startswith("X") else 1)
            for key, path in idx.items()
        }
        return arrays, {key: str(path) for key, path in idx.items()}
    npz = folder / NPZ_FILE
    if npz.is_file():
        return _read_npz(npz), dict.fromkeys(NPZ_KEYS, str(npz))
    return None


def _read_npz(path):
    try:
        with np.load(path, allow_pickle=False) as archive:
            missing = sorted(set(NPZ_KEYS.values()) - set(archive.files))
            if missing:
                raise ValueError(
                    f"{path}: not Keras' MNIST archive: the arrays {missing} are missing "
                    f"(found {sorted(archive.files)}). Download it again or remove it."
                )
            return {key: archive[name] for key, name in NPZ_KEYS.items()}
    except (OSError, EOFError, zipfile.BadZipFile) as exc:  # not a zip, or a cut one
        raise ValueError(
            f"{path}: cannot be read as an .npz archive ({exc}). Download it again or "
            "remove it."
        ) from exc


def _download():
    """MNIST through Keras' own loader (cached in the Keras cache, SHA-256 checked)."""
    from ._keras import keras

    (X_train, y_train), (X_test, y_test) = keras.datasets.mnist.load_data()
    arrays = {"X_train": X_train, "y_train": y_train, "X_test": X_test, "y_test": y_test}
    return arrays, dict.fromkeys(arrays, str(_keras_cache() / NPZ_FILE))


def _check(arrays, sources):
    """Check shapes, types and labels; name the offending file."""
    for split in ("train", "test"):
        X, y = arrays[f"X_{split}"], arrays[f"y_{split}"]
        X_file, y_file = sources[f"X_{split}"], sources[f"y_{split}"]
        if X.ndim != 3 or X.shape[1:] != IMAGE_SHAPE or X.shape[0] == 0:
            raise ValueError(
                f"{X_file}: the {split} images have shape {X.shape}, expected "
                f"(n_images, 28, 28) with n_images > 0. The file is not MNIST's."
            )
        if X.dtype != np.uint8:
            raise ValueError(f"{X_file}: the {split} images are {X.dtype}, expected uint8.")
        if y.ndim != 1 or y.dtype.kind not in "iu":
            raise ValueError(
                f"{y_file}: the {split} labels have shape {y.shape} and type {y.dtype}, "
                "expected a 1-D array of integers."
            )
        if len(y) != len(X):
            raise ValueError(
                f"{X_file} holds {len(X):,} images but {y_file} holds {len(y):,} labels; "
                "they must match one to one. One of the files is truncated or from "
                "another data set."
            )
        bad = np.unique(y[(y < 0) | (y > 9)])
        if bad.size:
            raise ValueError(
                f"{y_file}: labels must be digits 0 to 9, found {bad[:10].tolist()}. The "
                "file is corrupt or holds another data set's labels."
            )
        arrays[f"y_{split}"] = y.astype(np.uint8, copy=False)


def _as_frames(arrays):
    import pandas as pd

    frames = {}
    for split in ("train", "test"):
        X = arrays[f"X_{split}"]
        frames[f"X_{split}"] = pd.DataFrame(X.reshape(len(X), -1), columns=FEATURE_NAMES)
        frames[f"y_{split}"] = pd.Series(arrays[f"y_{split}"], name="class")
    return frames


def load_mnist(data_home=None, *, download=True, as_frame=False, return_X_y=False):
    """Load the MNIST handwritten digits: 60,000 training and 10,000 test images.

    The data are looked for, in order, in `data_home`, in the folder named by
    the ``SKMNIST_DATA`` environment variable, and in the Keras cache
    (``~/.keras/datasets``, or ``$KERAS_HOME/datasets``); a folder may hold the
    four original IDX files (``train-images-idx3-ubyte`` ...), gzip-compressed
    or not, or Keras' ``mnist.npz``. When none has them and `download` is True,
    they are downloaded by Keras' own MNIST loader, which checks the file's
    SHA-256 and keeps it in the Keras cache.

    Parameters
    ----------
    data_home : str or path-like, default=None
        A folder to look in first.

    download : bool, default=True
        Whether to download MNIST when no folder has it.

    as_frame : bool, default=False
        If True, images are pandas DataFrames of 784 uint8 columns named
        ``pixel1`` ... ``pixel784`` (OpenML's names, row by row) and labels
        are pandas Series named ``class``.

    return_X_y : bool, default=False
        If True, return ``(X_train, X_test, y_train, y_test)`` instead of a
        Bunch, in the order of :func:`~sklearn.model_selection.train_test_split`.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        With ``X_train`` (uint8, shape (60000, 28, 28)), ``X_test`` (uint8,
        shape (10000, 28, 28)), ``y_train`` and ``y_test`` (uint8 digits 0-9),
        ``feature_names``, ``target_names``, ``DESCR`` and ``source`` (the
        folder or file read).

    (X_train, X_test, y_train, y_test) : tuple
        If `return_X_y` is True.

    Raises
    ------
    ValueError
        If a file is corrupt, truncated or mislabelled (the message names the
        file and the problem), if a folder holds only some of the files, or if
        MNIST is found nowhere and cannot be downloaded (the message lists
        every place looked and how to supply the files).

    See Also
    --------
    sklearn.datasets.fetch_openml : MNIST from OpenML, as ``"mnist_784"``.

    Examples
    --------
    >>> from skmnist import load_mnist
    >>> X_train, X_test, y_train, y_test = load_mnist(return_X_y=True)
    >>> X_train.shape, X_test.shape, X_train.dtype
    ((60000, 28, 28), (10000, 28, 28), dtype('uint8'))
    >>> sorted(set(y_test.tolist()))
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]
    >>> load_mnist(as_frame=True).X_test.columns[:3].tolist()
    ['pixel1', 'pixel2', 'pixel3']
    """
    looked = []
    result = None
    for folder, why in _candidate_dirs(data_home):
        looked.append(f"{folder} ({why})")
        result = _read_folder(folder)
        if result is not None:
            break
    download_error = None
    if result is None and download:
        try:
            result = _download()
        except Exception as exc:  # no network, a bad download, a proxy...
            download_error = exc
    if result is None:
        tried = "\n".join(f"  - {place}" for place in looked)
        reason = (
            f"The download through Keras failed: {download_error}"
            if download_error is not None
            else "Downloading was not allowed (download=False)."
        )
        raise ValueError(
            "MNIST was not found. Looked in these folders for the four IDX files "
            f"({', '.join(IDX_FILES.values())}, each with or without .gz) or "
            f"{NPZ_FILE}:\n{tried}\n{reason}\nTo supply the files, put them in a folder "
            "and set the SKMNIST_DATA environment variable to it, or pass "
            "data_home=<folder> (skmnist train --data-dir <folder>), or allow "
            "download=True on a machine with network access."
        ) from download_error
    arrays, sources = result
    _check(arrays, sources)
    source = os.path.commonpath(list(sources.values()))
    if as_frame:
        arrays = _as_frames(arrays)
    if return_X_y:
        return arrays["X_train"], arrays["X_test"], arrays["y_train"], arrays["y_test"]
    return Bunch(
        **arrays,
        feature_names=list(FEATURE_NAMES),
        target_names=np.arange(10),
        DESCR=DESCR,
        source=source,
    )

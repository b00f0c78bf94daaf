"""Find, read and check the MNIST data set."""

import os
import zipfile
import zlib
from pathlib import Path

import numpy as np
from sklearn.utils import Bunch

from ._files import npy_header
from ._idx import MAX_IDX_BYTES, read_idx

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
_FIX = (
    "Replace it with a good copy, or remove the MNIST files from that folder so that "
    "load_mnist looks elsewhere or downloads a fresh copy."
)
FEATURE_NAMES = [f"pixel{i}" for i in range(1, IMAGE_SHAPE[0] * IMAGE_SHAPE[1] + 1)]

DESCR = """\
.. _mnist_dataset:

MNIST handwritten digits
------------------------

**Data Set Characteristics:**

:Number of Instances: 60,000 training images and 10,000 test images
:Number of Attributes: 784 (28 x 28 pixels)
:Attribute Information: grey levels, uint8 from 0 (background) to 255 (ink)
:Classes: 10, the digits 0 to 9
:Creators: Yann LeCun, Corinna Cortes, Christopher J.C. Burges
:License: Creative Commons Attribution-Share Alike 3.0 (CC BY-SA 3.0)

The MNIST database was built from NIST's Special Databases 1 and 3: digits
written by Census Bureau employees and by high-school students, size-normalised
to fit a 20x20 box and centred by centre of mass in a 28x28 image. The
training and test sets were written by disjoint sets of writers.

.. topic:: References

  - Y. LeCun, L. Bottou, Y. Bengio and P. Haffner (1998). "Gradient-based
    learning applied to document recognition." Proceedings of the IEEE,
    86(11):2278-2324.
"""


def _folder(path):
    return Path(os.path.abspath(os.path.expanduser(os.fspath(path))))


def _keras_cache():
    home = os.environ.get("KERAS_HOME") or os.path.join("~", ".keras")
    return _folder(home) / "datasets"


def _candidate_dirs(data_home):
    """The folders to search, in order, each with the reason it is searched.

    An explicit `data_home` is the only place looked (and downloaded into), as
    with scikit-learn's loaders: a mistyped folder must not silently give
    data from elsewhere.
    """
    if data_home is not None:
        return [(_folder(data_home), "data_home")]
    dirs = []
    if os.environ.get("SKMNIST_DATA"):
        dirs.append((_folder(os.environ["SKMNIST_DATA"]), "$SKMNIST_DATA"))
    dirs.append((_keras_cache(), "Keras cache"))
    return dirs


def _find_idx(folder):
    """The IDX files in ``folder`` (gzip preferred) by key, and the names missing."""
    found, missing = {}, []
    for key, name in IDX_FILES.items():
        for candidate in (folder / f"{name}.gz", folder / name):
            if candidate.is_file():
                found[key] = candidate
                break
        else:
            missing.append(name)
    return found, missing


def _read_folder(folder):
    """The arrays and their source files, from ``folder``; None if MNIST is not there."""
    if not folder.is_dir():
        return None
    idx, missing = _find_idx(folder)
    if not missing:
        arrays = {
            key: read_idx(path, expected_ndim=3 if key.startswith("X") else 1)
            for key, path in idx.items()
        }
        return arrays, {key: str(path) for key, path in idx.items()}
    npz = folder / NPZ_FILE
    if npz.is_file():
        return _read_npz(npz), dict.fromkeys(NPZ_KEYS, str(npz))
    if idx:
        raise ValueError(
            f"{folder} holds only part of MNIST: missing {', '.join(missing)} (each "
            f"with or without .gz), and there is no {NPZ_FILE}. Put all four IDX files "
            "in the folder, or point SKMNIST_DATA at a folder that has them."
        )
    return None


def _check_npz_members(path):
    """Each array's .npy header against its member's size, before NumPy allocates it."""
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            if info.file_size > MAX_IDX_BYTES:
                raise ValueError(
                    f"{info.filename} would expand to {info.file_size:,} bytes, over the "
                    f"limit of {MAX_IDX_BYTES:,}"
                )
            with archive.open(info) as member:
                try:
                    npy_header(member, info.file_size)
                except ValueError as exc:
                    raise ValueError(f"{info.filename}: {exc}") from exc


def _read_npz(path):
    try:
        _check_npz_members(path)
        with np.load(path, allow_pickle=False) as archive:
            files = archive.files
            arrays = {key: archive[name] for key, name in NPZ_KEYS.items() if name in files}
    except (OSError, EOFError, ValueError, TypeError, SyntaxError, zipfile.BadZipFile,
            zlib.error) as exc:
        # Not an archive, a cut, corrupt or crafted one, or one holding pickled objects.
        raise ValueError(
            f"{path}: cannot be read as Keras' MNIST archive ({exc}). {_FIX}"
        ) from exc
    missing = [name for key, name in NPZ_KEYS.items() if key not in arrays]
    if missing:
        raise ValueError(
            f"{path}: not Keras' MNIST archive: the arrays {missing} are missing "
            f"(expected {list(NPZ_KEYS.values())}, found {sorted(files)}). {_FIX}"
        )
    return arrays


def _download_folder(data_home):
    """Where a download is cached: `data_home` if given, else the Keras cache."""
    return _folder(data_home) if data_home is not None else _keras_cache()


def _download(data_home):
    """Download the IDX files into the cache folder (checked, atomic), then read them."""
    from ._download import download_mnist

    folder = download_mnist(_download_folder(data_home))
    return _read_folder(folder)


def _check(arrays, sources):
    """Check shapes, types and labels; name the offending file."""
    for split in ("train", "test"):
        X, y = arrays[f"X_{split}"], arrays[f"y_{split}"]
        X_file, y_file = sources[f"X_{split}"], sources[f"y_{split}"]
        if X.ndim != 3 or X.shape[1:] != IMAGE_SHAPE or X.shape[0] == 0:
            raise ValueError(
                f"{X_file}: the {split} images have shape {X.shape}, expected "
                f"(n_images, 28, 28) with n_images > 0. {_FIX}"
            )
        if X.dtype != np.uint8:
            raise ValueError(
                f"{X_file}: the {split} images are {X.dtype}, expected uint8. {_FIX}"
            )
        if y.ndim != 1 or y.dtype.kind not in "iu":
            raise ValueError(
                f"{y_file}: the {split} labels have shape {y.shape} and type {y.dtype}, "
                f"expected a 1-D array of integers. {_FIX}"
            )
        if len(y) != len(X):
            raise ValueError(
                f"{X_file} holds {len(X):,} images but {y_file} holds {len(y):,} labels; "
                "they must match one to one: one of them is cut short or from another "
                f"data set. {_FIX}"
            )
        bad = np.unique(y[(y < 0) | (y > 9)])
        if bad.size:
            raise ValueError(
                f"{y_file}: labels must be digits 0 to 9, found {bad[:10].tolist()}: the "
                f"file is corrupt or holds another data set's labels. {_FIX}"
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


class _NotFound(ValueError):
    """MNIST found nowhere. ``str()`` speaks of load_mnist's parameters;
    ``command_line_message`` says the same with the command line's options."""

    def __init__(self, message, command_line_message):
        super().__init__(message)
        self.command_line_message = command_line_message


def _not_found(looked, download_error, data_home):
    """The error for MNIST found nowhere: every place looked, and what to do."""
    places = "\n".join(
        f"  - {folder} ({why}: {'none of the files' if folder.is_dir() else 'no such folder'})"
        for folder, why in looked
    )
    found = (
        "MNIST was not found. Looked for the four IDX files "
        f"({', '.join(IDX_FILES.values())}, each with or without .gz) or {NPZ_FILE} in:\n"
        f"{places}\n"
    )
    supply = (
        "To supply the files, set the SKMNIST_DATA environment variable to a folder "
        f"holding the four IDX files (gzip-compressed or not) or {NPZ_FILE}, or "
    )
    if download_error is None:
        python = ("Downloading was not allowed (download=False).\n" + supply
                  + "pass data_home=<folder>, or call load_mnist with download=True on a "
                  "machine with network access.")
        command = ("Downloading was not allowed (--no-download).\n" + supply
                   + "give --data-dir <folder>, or leave out --no-download on a machine "
                   "with network access.")
    else:
        error = f"{type(download_error).__name__}: {download_error}"
        from ._download import mirror_url

        failed = (
            f"The download from {mirror_url()} (the SKMNIST_MIRROR environment variable "
            f"sets another mirror) into {_download_folder(data_home)} failed: {error}\n"
        )
        retry = "or try again on a machine with network access."
        python = failed + supply + "pass data_home=<folder>, " + retry
        command = failed + supply + "give --data-dir <folder>, " + retry
    return _NotFound(found + python, found + command)


def load_mnist(data_home=None, *, download=True, as_frame=False, return_X_y=False):
    """Load the MNIST handwritten digits: 60,000 training and 10,000 test images.

    The data are looked for in `data_home` when it is given (only there, as
    scikit-learn's loaders do), else in the folder named by the
    ``SKMNIST_DATA`` environment variable, then in the Keras cache
    (``$KERAS_HOME/datasets``, by default ``~/.keras/datasets``). A folder may
    hold the four original IDX files (``train-images-idx3-ubyte``,
    ``train-labels-idx1-ubyte``, ``t10k-images-idx3-ubyte``,
    ``t10k-labels-idx1-ubyte``), gzip-compressed (``.gz``, preferred) or not,
    or Keras' ``mnist.npz``. When no folder has them and `download` is True,
    the four gzip-compressed IDX files are downloaded from the mirror named by
    the ``SKMNIST_MIRROR`` environment variable (a base URL; by default
    ``https://storage.googleapis.com/cvdf-datasets/mnist/``), into `data_home`
    when given, else into the Keras cache, where later calls find them
    without network. Each download is checked against the size and SHA-256 of
    the original file and renamed into the cache only when all four are good,
    so a cut or altered download leaves no file behind.

    Parameters
    ----------
    data_home : str or path-like, default=None
        The folder to read MNIST from, and to download it into (``~`` is
        expanded). None looks in ``$SKMNIST_DATA``, then the Keras cache.

    download : bool, default=True
        Whether to download MNIST when no folder has it.

    as_frame : bool, default=False
        If True, images are pandas DataFrames of 784 uint8 columns named
        ``pixel1`` ... ``pixel784`` (OpenML's names, row by row: pixel ``k``
        is at row ``(k - 1) // 28``, column ``(k - 1) % 28``) and labels are
        uint8 pandas Series named ``class``.

    return_X_y : bool, default=False
        If True, return ``(X_train, X_test, y_train, y_test)`` instead of a
        Bunch, in the order of :func:`~sklearn.model_selection.train_test_split`.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object, with the following attributes.

        X_train : ndarray of uint8, shape (60000, 28, 28) or DataFrame
            The training images, grey levels 0 (background) to 255 (ink).
        X_test : ndarray of uint8, shape (10000, 28, 28) or DataFrame
            The test images.
        y_train : ndarray of uint8, shape (60000,) or Series
            The training labels, digits 0 to 9.
        y_test : ndarray of uint8, shape (10000,) or Series
            The test labels.
        feature_names : list of str
            ``"pixel1"`` ... ``"pixel784"``.
        target_names : ndarray of int, shape (10,)
            The digits 0 to 9.
        DESCR : str
            A description of the data set.
        source : str
            The folder, or the ``mnist.npz`` file, the data were read from.

    (X_train, X_test, y_train, y_test) : tuple
        If `return_X_y` is True.

    Raises
    ------
    ValueError
        If a file is corrupt, truncated or mislabelled (the message names the
        file and the problem), if a folder holds only some of the IDX files,
        or if MNIST is found nowhere and cannot be downloaded (the message
        lists every place looked, the download's error, which names the file
        for a truncated download or a wrong checksum, and how to supply the
        files).

    See Also
    --------
    sklearn.datasets.fetch_openml : MNIST from OpenML, as ``"mnist_784"``.
    sklearn.datasets.load_digits : A small 8x8 digits data set.

    Examples
    --------
    >>> from skmnist import load_mnist
    >>> X_train, X_test, y_train, y_test = load_mnist(return_X_y=True)
    >>> X_train.shape, y_test[:5]
    ((60000, 28, 28), array([7, 2, 1, 0, 4], dtype=uint8))

    Without ever downloading (from ``SKMNIST_DATA`` or the Keras cache):

    >>> data = load_mnist(download=False)
    >>> data.X_train.shape, data.X_test.shape, data.X_train.dtype
    ((60000, 28, 28), (10000, 28, 28), dtype('uint8'))
    >>> sorted(set(data.y_test.tolist()))
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]
    """
    looked, result = [], None
    for folder, why in _candidate_dirs(data_home):
        looked.append((folder, why))
        result = _read_folder(folder)
        if result is not None:
            break
    download_error = None
    if result is None and download:
        try:
            result = _download(data_home)
        except Exception as exc:  # no network, a bad download, a proxy...
            download_error = exc
    if result is None:
        raise _not_found(looked, download_error, data_home) from download_error
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

"""Small file helpers shared by the modules that write and read files."""

import os

__all__ = ["missing_model_error", "npy_header", "shown_path", "usual_permissions",
           "user_stacklevel"]


def missing_model_error(path):
    """The error for a model file that is not there, saying what writes one.

    >>> print(missing_model_error("gone.skmnist"))  # doctest: +ELLIPSIS
    No model file at gone.skmnist. Train one first with 'skmnist train' ...
    """
    from ._facts import DEFAULT_MODEL_FILE

    return FileNotFoundError(
        f"No model file at {shown_path(path)}. Train one first with 'skmnist train' (it writes "
        f"{DEFAULT_MODEL_FILE} here), or pass the path of a .skmnist file."
    )


def shown_path(path):
    """`path` as the command line prints it: relative to the current folder when inside it,
    absolute otherwise (never ``../``), so that every path of one output has one style.

    >>> import os
    >>> shown_path(os.path.join(os.getcwd(), "out", "model.skmnist")) == os.path.join("out", "model.skmnist")
    True
    >>> shown_path("/") == os.path.abspath("/") or os.getcwd() == "/"
    True
    """
    absolute = os.path.abspath(os.fspath(path))
    try:
        relative = os.path.relpath(absolute)
    except ValueError:  # another drive, on Windows
        return absolute
    return absolute if relative == os.pardir or relative.startswith(os.pardir + os.sep) else relative


def user_stacklevel():
    """The ``stacklevel`` that attributes a warning to the user's line.

    The number of frames, from the caller of this function's caller (the one
    that calls ``warnings.warn``) outwards, up to the first frame outside
    skmnist, scikit-learn and joblib: the user's own code, whatever path
    (a Pipeline, a search, cross-validation) led into skmnist.
    """
    import inspect

    # level 1 is the frame calling warnings.warn; 2 its caller, where the walk starts
    frame, level = inspect.currentframe().f_back.f_back, 2
    while frame is not None:
        name = frame.f_globals.get("__name__", "")
        if not name.startswith(("skmnist.", "sklearn.", "joblib.")) and name != "skmnist":
            return level
        frame, level = frame.f_back, level + 1
    return 1


def npy_header(member, data_size):
    """The (shape, dtype) of the ``.npy`` stream ``member``, checked before its data is read.

    ``data_size`` is the size of the whole stream (a zip member's ``file_size``);
    the data the header declares must fill exactly the rest of it, so that a
    tiny file cannot make NumPy allocate a huge array. ValueError otherwise.
    """
    import numpy as np

    try:
        version = np.lib.format.read_magic(member)
        read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                       else np.lib.format.read_array_header_2_0)
        shape, _, dtype = read_header(member, max_header_size=1024)
    except (ValueError, TypeError, SyntaxError, OverflowError) as exc:
        raise ValueError(f"not a plain NumPy array ({exc})") from exc
    declared = int(np.prod(shape, dtype=object)) * dtype.itemsize
    held = data_size - member.tell()
    if declared != held:
        raise ValueError(
            f"declares {shape} values of {dtype} ({declared:,} bytes) but holds {held:,} bytes"
        )
    return tuple(shape), dtype


def usual_permissions(path):
    """Give a file made by ``tempfile.mkstemp`` (mode 0600) the mode of a new file.

    That is 0666 less the process's umask, as ``open(path, "w")`` would give,
    so that saved models and downloaded data are readable as users expect.
    """
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(path, 0o666 & ~umask)

"""Small file-system helpers shared by the modules that write files."""

import os

__all__ = ["usual_permissions"]


def usual_permissions(path):
    """Give a file made by ``tempfile.mkstemp`` (mode 0600) the mode of a new file.

    That is 0666 less the process's umask, as ``open(path, "w")`` would give,
    so that saved models and downloaded data are readable as users expect.
    """
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(path, 0o666 & ~umask)

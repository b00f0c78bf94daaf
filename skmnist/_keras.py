"""Import TensorFlow and Keras once, without their start-up noise.

TensorFlow writes CUDA and absl messages straight to file descriptor 2 while it
loads ("Could not find cuda drivers", "failed call to cuInit", ...). They are
not errors on a CPU-only machine, and they drown the first lines a user sees.
Every skmnist module that needs Keras imports it from here.
"""

import os
import sys
import tempfile
from contextlib import contextmanager

__all__ = ["keras", "tf"]


@contextmanager
def _quiet_stderr():
    """Send file descriptor 2 to a temporary file; replay it if loading fails."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        try:
            yield
        except BaseException:
            os.dup2(saved, 2)
            captured.seek(0)
            sys.stderr.write(captured.read().decode(errors="replace"))
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def _load():
    if "tensorflow" in sys.modules or os.environ.get("TF_CPP_MIN_LOG_LEVEL"):
        # Already loaded, or the user chose TensorFlow's log level: leave it be.
        import keras
        import tensorflow

        return keras, tensorflow
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
    with _quiet_stderr():
        import keras
        import tensorflow

        # The CUDA probe runs when devices are first listed, not at import.
        tensorflow.config.list_logical_devices()
    return keras, tensorflow


keras, tf = _load()

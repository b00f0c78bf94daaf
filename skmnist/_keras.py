"""Import TensorFlow and Keras once, without their start-up noise.

TensorFlow writes CUDA and absl messages straight to file descriptor 2 while it
loads ("Could not find cuda drivers", "failed call to cuInit", ...). They are
not errors on a CPU-only machine, and they drown the first lines a user sees.
Every skmnist module that needs Keras imports it from here.
"""

import logging
import os
import sys
import tempfile
from contextlib import contextmanager

__all__ = ["keras", "tf"]

#: Environment variables read, first set first, for the number of threads
#: TensorFlow may use in this process. joblib's loky workers get
#: OMP_NUM_THREADS = cores // workers, Dask's worker processes get 1.
THREAD_LIMIT_VARS = ("SKMNIST_TF_THREADS", "OMP_NUM_THREADS")
#: Set alongside TF_CPP_MIN_LOG_LEVEL when skmnist, not the user, set the level.
_OUR_LEVEL = "SKMNIST_SET_TF_CPP_MIN_LOG_LEVEL"


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


def _thread_limit():
    """The thread limit for TensorFlow from the environment, or None for no limit."""
    for var in THREAD_LIMIT_VARS:
        value = os.environ.get(var, "").strip()
        if value.isdigit() and int(value) > 0:
            return int(value)
    return None


def _limit_threads(tensorflow):
    """Cap TensorFlow's thread pools; it must happen before TensorFlow's first op."""
    limit = _thread_limit()
    if limit is None:
        return
    try:
        tensorflow.config.threading.set_intra_op_parallelism_threads(limit)
        tensorflow.config.threading.set_inter_op_parallelism_threads(limit)
    except RuntimeError:  # TensorFlow already ran an op: its pools are fixed
        pass


class _OwnLoopRetracing(logging.Filter):
    """Drops TensorFlow's "triggered tf.function retracing" warning about skmnist's
    training loop: each architecture's Trainer traces its own loop once, by design,
    and a search over many architectures of short fits would otherwise print the
    warning and its advice, which does not apply."""

    def filter(self, record):
        message = record.getMessage()
        return not ("Trainer._run_steps" in message and "retracing" in message)


def _load():
    # A worker process (joblib's loky, a local Dask cluster) inherits the level
    # set below from its parent; only a level set by the user is their choice.
    user_level = os.environ.get("TF_CPP_MIN_LOG_LEVEL") and not os.environ.get(_OUR_LEVEL)
    if "tensorflow" in sys.modules or user_level:
        # Already loaded, or the user chose TensorFlow's log level: leave it be.
        # Its import messages are out already; the CUDA probe's "failed call to
        # cuInit" is still to come, when devices are first listed: quietly here,
        # unless the user chose the level.
        import keras
        import tensorflow

        _limit_threads(tensorflow)
        if not user_level:
            with _quiet_stderr():
                tensorflow.config.list_logical_devices()
        return keras, tensorflow
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
    os.environ[_OUR_LEVEL] = "1"
    with _quiet_stderr():
        import keras
        import tensorflow

        _limit_threads(tensorflow)
        # The CUDA probe runs when devices are first listed, not at import.
        tensorflow.config.list_logical_devices()
    return keras, tensorflow


keras, tf = _load()
logging.getLogger("tensorflow").addFilter(_OwnLoopRetracing())

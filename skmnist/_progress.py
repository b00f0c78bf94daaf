"""What ``verbose`` prints during a fit: a Keras progress bar on a terminal, plain lines elsewhere."""

import sys
import time

from ._engine import TrainingEvents

__all__ = ["ProgressLines"]


class ProgressLines(TrainingEvents):
    """``verbose=1``: a Keras progress bar per epoch on a terminal, else one plain
    line per epoch (a log file gets no escape codes); ``verbose>=2``: one line per epoch."""

    def __init__(self, verbose, stream=None):
        self.verbose = verbose
        self.stream = stream if stream is not None else sys.stdout
        isatty = getattr(self.stream, "isatty", None)
        self.bar = verbose == 1 and bool(isatty and isatty())

    def _print(self, text):
        print(text, file=self.stream, flush=True)

    def on_epoch_begin(self, run, epoch):
        self.started = time.perf_counter()
        self.progbar = None
        if self.bar:
            from ._keras import keras

            self._print(f"Epoch {epoch + 1}/{run.last_epoch + 1}")
            self.progbar = keras.utils.Progbar(run.n_steps, verbose=1)

    def on_steps_end(self, run, epoch, first_step, last_step, n_steps, logs):
        if self.progbar is not None:
            self.progbar.update(last_step + 1)

    def on_epoch_end(self, run, epoch, logs):
        if not self.bar:
            seconds = time.perf_counter() - self.started
            scores = " - ".join(f"{key}: {value:.4f}" for key, value in logs.items())
            self._print(f"Epoch {epoch + 1}/{run.last_epoch + 1} - {seconds:.1f}s - {scores}")
        return False

    def on_train_end(self, run, logs):
        if run.stop_reason == "early_stopping":
            best = run.early_stopping.best_epoch
            kept = ("the weights of the last epoch (no epoch had a finite validation loss)"
                    if best is None else f"the weights of the best epoch ({best + 1})")
            self._print(
                f"Early stopping after epoch {len(run.history['loss'])}: no better validation "
                f"loss for {run.early_stopping.n_iter_no_change} epochs; keeping {kept}."
            )
        elif run.stop_reason == "callback":
            self._print(f"Stopped after epoch {len(run.history['loss'])}: a callback asked to stop.")

"""Keras callbacks in the compiled training loop, called as ``keras.Model.fit`` calls them.

:class:`KerasCallbackEvents` listens to the engine and drives a
``keras.callbacks.CallbackList`` of the user's callbacks: ``on_train_begin``,
``on_epoch_begin(epoch)``, ``on_train_batch_begin/end`` around each call of
the compiled loop (many steps at once, as ``model.fit`` does with
``steps_per_execution``), ``on_test_begin/batch_begin/batch_end/end`` once
per epoch when validating (the held-out set is scored in one pass), ``on_epoch_end(epoch, logs)`` with the logs
``model.fit`` gives (``loss``, ``accuracy``, and ``val_loss``,
``val_accuracy`` when validating; callbacks such as ``ReduceLROnPlateau``
add ``learning_rate`` themselves) and ``on_train_end``.

``callback.model`` is the Keras network being trained, compiled with its
optimizer: ``model.stop_training = True`` ends the fit after the epoch, and
a callback that changes ``model.optimizer.learning_rate`` (in any hook but
``on_train_end``) takes over the rate from the next call of the compiled
loop on (the cosine schedule stops; with ``keras.Model.fit`` a scheduled
optimizer refuses the change).
"""

from ._engine import TrainingEvents
from ._keras import keras
from ._private_api import forget_closed_resources

__all__ = ["KerasCallbackEvents", "check_keras_callbacks"]


def check_keras_callbacks(callbacks, owner):
    """The list of callbacks, or TypeError saying what is accepted."""
    if callbacks is None:
        return []
    items = [callbacks] if isinstance(callbacks, keras.callbacks.Callback) else callbacks
    try:
        items = list(items)
    except TypeError:
        items = [items]
    for item in items:
        if isinstance(item, type) or not isinstance(item, keras.callbacks.Callback):
            raise TypeError(
                f"The 'callbacks' parameter of {owner} takes Keras callback instances "
                f"(keras.callbacks.Callback objects such as keras.callbacks.EarlyStopping()), "
                f"got {item!r}. Create the callback first; for scikit-learn callbacks such as "
                "sklearn.callback.ProgressBar use set_callbacks(...) instead."
            )
    return items


class KerasCallbackEvents(TrainingEvents):
    """Drive the user's Keras callbacks from the engine's events."""

    def __init__(self, callbacks, *, verbose=0):
        self.callbacks = callbacks
        self.verbose = verbose

    def on_train_begin(self, run):
        trainer = run.trainer
        self.model = trainer.keras_model()
        self.model.stop_training = False
        self.list = keras.callbacks.CallbackList(
            self.callbacks,
            add_history=False,
            add_progbar=False,
            model=self.model,
            verbose=self.verbose,
            epochs=run.first_epoch + run.epochs,
            steps=run.n_steps,
        )
        self._watch_learning_rate(run, self.list.on_train_begin)

    def _watch_learning_rate(self, run, hook, *args):
        """Call ``hook``; if it set the optimizer's rate, train at that rate from now on."""
        before = run.trainer.current_learning_rate()
        hook(*args)
        after = float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate))
        if after != before:
            run.trainer.take_learning_rate(after)

    def on_epoch_begin(self, run, epoch):
        self._watch_learning_rate(run, self.list.on_epoch_begin, epoch)

    def on_steps_begin(self, run, epoch, first_step, last_step):
        self._watch_learning_rate(run, self.list.on_train_batch_begin, first_step)

    def on_steps_end(self, run, epoch, first_step, last_step, n_steps, logs):
        self._watch_learning_rate(run, self.list.on_train_batch_end, last_step, dict(logs))

    def on_epoch_end(self, run, epoch, logs):
        if "val_loss" in logs:  # as keras.Model.fit's evaluate() on validation_data
            test_logs = {key[4:]: value for key, value in logs.items() if key.startswith("val_")}
            self.list.on_test_begin()
            self.list.on_test_batch_begin(0)
            self.list.on_test_batch_end(0, dict(test_logs))
            self.list.on_test_end(dict(test_logs))
        self._watch_learning_rate(run, self.list.on_epoch_end, epoch, logs)
        return bool(self.model.stop_training)

    def on_train_end(self, run, logs):
        self.list.on_train_end(dict(logs))
        for callback in self.list.callbacks:
            forget_closed_resources(callback)

    def on_train_abort(self, run):
        """A failed or interrupted fit: close the files and writers callbacks opened.

        ``keras.Model.fit`` leaves them open; here the estimator is restored
        and must stay clonable and picklable, so ``CSVLogger`` and
        ``TensorBoard`` get their ``on_train_end`` (which closes them), and
        nothing else runs.
        """
        callbacks = self.list.callbacks if hasattr(self, "list") else []
        for callback in callbacks:
            if isinstance(callback, (keras.callbacks.CSVLogger, keras.callbacks.TensorBoard)):
                try:
                    callback.on_train_end({})
                except Exception:  # closing what is half-open must not hide the fit's error
                    pass
            forget_closed_resources(callback)

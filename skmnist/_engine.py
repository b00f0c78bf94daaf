"""The training engine: epochs of the compiled loop, early stopping, training events.

It trains a :class:`~skmnist._training.Trainer` and knows nothing of
scikit-learn: it takes arrays, a seed and settings, tells whoever listens
what happens (:class:`TrainingEvents`), and returns the weights, the
optimizer state and the history (:class:`TrainingResult`). The estimator
(``_classifier.py``) turns its parameters into these arguments; the Keras
callbacks, scikit-learn callbacks and progress lines are listeners.

``fit_loop`` → ``run_single_epoch`` → ``Trainer.run_epoch`` (the compiled
steps), as in skorch's ``fit_loop`` → ``run_single_epoch`` → ``train_step``.
"""

from dataclasses import dataclass

import numpy as np

from ._facts import derive_seed, epoch_order
from ._inference import forward
from ._shared_memory import as_tensor

__all__ = ["EarlyStopping", "TrainingEvents", "TrainingResult", "fit_loop", "run_single_epoch"]

#: Keras' clipping of probabilities in the cross-entropy.
_EPSILON = 1e-7

#: The dropout seeds of epoch ``e`` are derived with offset ``DROPOUT_SEED_OFFSET + e``.
DROPOUT_SEED_OFFSET = 1000

#: The augmentation seed of epoch ``e`` is derived with offset ``AUGMENT_SEED_OFFSET + e``
#: (step ``s`` of the epoch augments its batch with the stateless seed ``(that, s)``).
AUGMENT_SEED_OFFSET = 1_000_000


class TrainingEvents:
    """What the engine announces; each hook does nothing unless overridden.

    ``run`` is the :class:`TrainingRun` under way (its ``trainer``, its
    ``history`` so far, the ``epochs`` planned). ``on_epoch_end`` returns True
    to ask that training stop after this epoch.
    """

    def on_train_begin(self, run):
        pass

    def on_epoch_begin(self, run, epoch):
        pass

    def on_steps_begin(self, run, epoch, first_step, last_step):
        pass

    def on_steps_end(self, run, epoch, first_step, last_step, n_steps, logs):
        pass

    def on_epoch_end(self, run, epoch, logs):
        return False

    def on_train_end(self, run, logs):
        pass

    def on_train_abort(self, run):
        """Training failed or was interrupted (the exception propagates after this)."""


@dataclass
class EarlyStopping:
    """Early stopping on the validation loss, as MLPClassifier's, with named state.

    Training stops when the validation loss has not improved for
    ``n_iter_no_change`` epochs in a row; the weights of the best epoch are
    kept.
    """

    n_iter_no_change: int
    best_loss: float = np.inf
    best_epoch: int | None = None
    best_weights: tuple | None = None
    no_improvement_count: int = 0

    def update(self, epoch, val_loss, weights):
        """Record epoch ``epoch``; True when it is time to stop."""
        if val_loss < self.best_loss:
            self.best_loss, self.best_epoch, self.best_weights = val_loss, epoch, weights
            self.no_improvement_count = 0
            return False
        self.no_improvement_count += 1
        return self.no_improvement_count >= self.n_iter_no_change


@dataclass
class TrainingRun:
    """A training run under way, as the listeners see it."""

    trainer: object
    first_epoch: int
    epochs: int
    n_steps: int
    history: dict
    early_stopping: EarlyStopping | None = None
    stop_reason: str | None = None

    @property
    def last_epoch(self):
        """Index of the last epoch planned (``first_epoch + epochs - 1``)."""
        return self.first_epoch + self.epochs - 1


@dataclass
class TrainingResult:
    """What a training run leaves: weights, optimizer state, history."""

    coefs: list
    intercepts: list
    optimizer_state: list
    history: dict
    stop_reason: str | None = None  # None, "early_stopping" or "callback"


def validation_scores(validation_data, coefs, intercepts, activation):
    """Loss and accuracy on held-out ``(X, y, sample_weight)``, computed as Keras computes them."""
    X, y, w = validation_data
    proba = forward(X, coefs, intercepts, activation)
    picked = np.clip(proba[np.arange(len(y)), y], _EPSILON, 1 - _EPSILON)
    loss = float(np.sum(-np.log(picked) * w) / len(y))
    accuracy = float(np.sum((proba.argmax(axis=1) == y) * w) / max(np.sum(w), 1e-12))
    return {"val_loss": loss, "val_accuracy": accuracy}


class _EventList(TrainingEvents):
    def __init__(self, listeners):
        self.listeners = [listener for listener in listeners if listener is not None]

    def on_train_begin(self, run):
        for listener in self.listeners:
            listener.on_train_begin(run)

    def on_epoch_begin(self, run, epoch):
        for listener in self.listeners:
            listener.on_epoch_begin(run, epoch)

    def on_steps_begin(self, run, epoch, first_step, last_step):
        for listener in self.listeners:
            listener.on_steps_begin(run, epoch, first_step, last_step)

    def on_steps_end(self, run, epoch, first_step, last_step, n_steps, logs):
        for listener in self.listeners:
            listener.on_steps_end(run, epoch, first_step, last_step, n_steps, logs)

    def on_epoch_end(self, run, epoch, logs):
        # every listener hears the end of the epoch, whoever asks to stop
        return any([listener.on_epoch_end(run, epoch, logs) for listener in self.listeners])

    def on_train_end(self, run, logs):
        for listener in self.listeners:
            listener.on_train_end(run, logs)

    def on_train_abort(self, run):
        for listener in self.listeners:
            listener.on_train_abort(run)


def run_single_epoch(trainer, data, *, seed, epoch, batch_size, on_steps=None, before_steps=None,
                     strokes=None):
    """Epoch ``epoch`` of a fit seeded ``seed``: its sample order, dropout masks and
    augmentation depend on both only, so a fit split over several calls equals one
    long fit."""
    order = epoch_order(seed, epoch, int(data[0].shape[0]))
    return trainer.run_epoch(
        data, order, batch_size, derive_seed(seed, DROPOUT_SEED_OFFSET + epoch),
        on_steps=on_steps, before_steps=before_steps,
        augment_seed=derive_seed(seed, AUGMENT_SEED_OFFSET + epoch), strokes=strokes,
    )


def fit_loop(
    trainer, X, y, sample_weight, *, seed, first_epoch, epochs, batch_size, learning_rate,
    decay_steps, validation_data=None, n_iter_no_change=None, history=None, events=(),
    augmentation=None,
):
    """Train ``trainer`` for up to ``epochs`` epochs, numbered from ``first_epoch``.

    Parameters
    ----------
    trainer : Trainer
        The network, already holding the starting weights and optimizer state.
    X, y, sample_weight : ndarray
        float32 features, int32 class indices, float32 weights.
    seed : int
        The fit's seed (sample order and dropout masks of each epoch).
    learning_rate, decay_steps : float or None, int
        See :meth:`Trainer.set_learning_rate`.
    validation_data : tuple of ndarray or None
        Held-out ``(X, y, sample_weight)``: adds ``val_loss`` and
        ``val_accuracy`` to the logs and, with ``n_iter_no_change``, early
        stopping that keeps the best epoch's weights.
    history : dict of str to list, optional
        The history so far; a new dict extends a copy of it.
    events : iterable of TrainingEvents
        Listeners, called in order.
    augmentation : dict or None
        Ranges of the trainer's augmentation (see :mod:`skmnist._augment`).

    Returns
    -------
    TrainingResult
    """
    data = tuple(as_tensor(a) for a in (X, y, sample_weight))  # X without a copy
    trainer.set_learning_rate(learning_rate, decay_steps)
    trainer.set_augmentation(augmentation)
    strokes = trainer.stroke_variants(data[0], augmentation)  # once per fit, not per step
    run = TrainingRun(
        trainer=trainer,
        first_epoch=first_epoch,
        epochs=epochs,
        n_steps=-(-X.shape[0] // batch_size),
        history={key: list(values) for key, values in (history or {}).items()},
    )
    if validation_data is not None and n_iter_no_change is not None:
        run.early_stopping = EarlyStopping(n_iter_no_change)
    events = _EventList(events)
    try:
        events.on_train_begin(run)
        logs = _run_epochs(run, trainer, data, sample_weight, seed=seed, batch_size=batch_size,
                           validation_data=validation_data, events=events, strokes=strokes)
        best = run.early_stopping
        if best is not None and best.best_weights is not None:
            trainer.set_weights(*best.best_weights, trainer.optimizer_state())
        events.on_train_end(run, logs)
    except BaseException:
        events.on_train_abort(run)
        raise
    coefs, intercepts = trainer.weights()  # after on_train_end: a callback may restore weights
    return TrainingResult(
        coefs=coefs,
        intercepts=intercepts,
        optimizer_state=trainer.optimizer_state(),
        history=run.history,
        stop_reason=run.stop_reason,
    )


def _run_epochs(run, trainer, data, sample_weight, *, seed, batch_size, validation_data, events,
                strokes=None):
    """The epochs of ``run``, until the last or a stop; the last epoch's logs."""
    n_samples = len(sample_weight)
    logs = {}
    for epoch in range(run.first_epoch, run.first_epoch + run.epochs):
        events.on_epoch_begin(run, epoch)
        seen_weight = []  # cumulative sample weights in the epoch's order, when first needed

        def on_steps(first, last, n_steps, loss_sum, correct_sum, epoch=epoch, cum=seen_weight):
            if not cum:
                cum.append(np.cumsum(sample_weight[epoch_order(seed, epoch, n_samples)]))
            seen = min((last + 1) * batch_size, n_samples)
            # as the epoch's logs: loss per sample, accuracy per unit of weight
            steps_logs = {"loss": loss_sum / seen,
                          "accuracy": correct_sum / max(float(cum[0][seen - 1]), 1e-12)}
            events.on_steps_end(run, epoch, first, last, n_steps, steps_logs)

        def before_steps(first, last, epoch=epoch):
            events.on_steps_begin(run, epoch, first, last)

        loss, accuracy = run_single_epoch(
            trainer, data, seed=seed, epoch=epoch, batch_size=batch_size,
            on_steps=on_steps, before_steps=before_steps, strokes=strokes,
        )
        logs = {"loss": loss, "accuracy": accuracy}
        weights = None
        if validation_data is not None:
            weights = trainer.weights()
            logs.update(validation_scores(validation_data, *weights, trainer.activation))
        for key, value in logs.items():
            run.history.setdefault(key, []).append(float(value))
        stop = events.on_epoch_end(run, epoch, logs)
        if run.early_stopping is not None and run.early_stopping.update(
            epoch, logs["val_loss"], weights
        ):
            run.stop_reason = "early_stopping"
            break
        if stop:
            run.stop_reason = "callback"
            break
    return logs

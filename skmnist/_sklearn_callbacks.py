"""scikit-learn 1.9's callbacks (``sklearn.callback``) in the engine: each epoch is a subtask.

:class:`EpochTasks` listens to the engine for a :class:`~skmnist.DenseMLPClassifier`
fit: at each epoch's start it opens a subtask of the fit's callback context
and calls ``on_fit_task_begin``; at its end ``on_fit_task_end`` with a
``fitted_estimator`` that predicts with the weights of that epoch (what
``ScoringMonitor`` scores), and a callback that returns True stops the fit
after that epoch. Under a ``GridSearchCV`` of the pipeline,
``ProgressBar(max_propagation_depth=None)`` thus shows candidate and fold
rows, each with its ``DenseMLPClassifier - fit`` row advancing one step per
epoch, in one process or across workers (scikit-learn ships the events back
to the main process); the default depth (1) stops at the pipeline's rows.
"""

from ._engine import TrainingEvents

__all__ = ["EpochTasks"]


class EpochTasks(TrainingEvents):
    """Open one scikit-learn callback subtask per epoch of the fit of ``estimator``."""

    def __init__(self, estimator, callback_ctx, X, y, metadata):
        self.estimator = estimator
        self.ctx = callback_ctx
        self.X, self.y, self.metadata = X, y, metadata

    def _state(self, run):
        """The fitted attributes as of now, computed only if a callback asks for them."""

        def attributes():
            coefs, intercepts = run.trainer.weights()
            return {"coefs_": coefs, "intercepts_": intercepts,
                    "history_": {k: list(v) for k, v in run.history.items()},
                    "n_iter_": len(run.history.get("loss", [])), "_model": None}

        return attributes

    def on_epoch_begin(self, run, epoch):
        self.epoch_ctx = self.ctx.subcontext(task_name="epoch")
        self.epoch_ctx.call_on_fit_task_begin(
            estimator=self.estimator, X=self.X, y=self.y, metadata=self.metadata,
            reconstruction_attributes=self._state(run),
        )

    def on_epoch_end(self, run, epoch, logs):
        return self.epoch_ctx.call_on_fit_task_end(
            estimator=self.estimator, X=self.X, y=self.y, metadata=self.metadata,
            reconstruction_attributes=self._state(run),
        )

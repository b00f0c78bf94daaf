"""Every private name of Keras, TensorFlow and scikit-learn that skmnist uses, in one place.

Public API covers nearly all of skmnist; these few uses have no public
equivalent. Each is reached only through this module, listed in
:data:`KERAS_PRIVATE` / :data:`SKLEARN_PRIVATE`, checked by
``tests/test_private_api.py`` (which fails, naming the attribute, when a
release moves it), and the package versions are bounded in
``pyproject.toml`` to the range tested.
"""

from sklearn.base import _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import _check_partial_fit_first_call
from sklearn.utils.validation import _check_feature_names_in, _check_sample_weight, _num_samples

__all__ = [
    "CALLBACK_BOOKKEEPING",
    "Interval",
    "KERAS_PRIVATE",
    "SKLEARN_PRIVATE",
    "StrOptions",
    "_check_feature_names_in",
    "_check_partial_fit_first_call",
    "_check_sample_weight",
    "_fit_context",
    "_num_samples",
    "adam_slots",
    "callbacks_of",
    "has_adam_slots",
    "dropout_seed_state",
    "forget_closed_resources",
    "optimizer_schedule",
]

#: Private Keras attributes used, and why there is no public way.
KERAS_PRIVATE = {
    "Optimizer._get_variable_index": "find a trainable variable's slot in a built optimizer "
    "(the fused Adam update writes Keras' own slots)",
    "Adam._momentums": "Adam's first-moment slots, for the fused ResourceApplyAdam kernel",
    "Adam._velocities": "Adam's second-moment slots, for the fused ResourceApplyAdam kernel",
    "Dropout.seed_generator.state": "re-seed a cached network's dropout masks per fit and "
    "epoch without tracing a new training graph",
    "Optimizer._learning_rate": "the LearningRateSchedule object of an optimizer instance "
    "(the public learning_rate property evaluates it), to save it",
    "CSVLogger.csv_file": "the file a CSVLogger closed in on_train_end, dropped so that the "
    "callback pickles again (scikeras issue #236)",
    "TensorBoard._writers": "the summary writers a TensorBoard closed in on_train_end, "
    "dropped so that it pickles again",
    "TensorBoard._summary_module": "tf.summary, cached by TensorBoard, dropped so that it "
    "pickles again",
}

#: Private scikit-learn names used (scikit-learn's own estimators and
#: third-party ones use them the same way; versions bounded to < 1.10).
SKLEARN_PRIVATE = {
    "sklearn.base._fit_context": "parameter validation and callback teardown around fit",
    "sklearn.utils._param_validation.Interval/StrOptions": "_parameter_constraints",
    "sklearn.utils.multiclass._check_partial_fit_first_call": "partial_fit's classes",
    "sklearn.utils.validation._check_sample_weight": "sample_weight validation",
    "sklearn.utils.validation._num_samples": "length of X and y before conversion",
    "sklearn.utils.validation._check_feature_names_in": "get_feature_names_out",
    "BaseEstimator._skl_callbacks": "the callbacks set_callbacks set (no public getter), "
    "kept by fit_grid_search when it adds its own for one fit",
    "_callback_fit_ctx, _skl_callbacks_to_teardown": "the callback bookkeeping of a fit "
    "under way, left in place when a failed fit restores the estimator (teardown needs it)",
}

#: Attributes scikit-learn's callback machinery sets on an estimator during a fit.
CALLBACK_BOOKKEEPING = ("_callback_fit_ctx", "_skl_callbacks_to_teardown")


def callbacks_of(estimator):
    """The scikit-learn callbacks set on ``estimator`` with ``set_callbacks``."""
    return list(getattr(estimator, "_skl_callbacks", []))


def adam_slots(optimizer, variable):
    """The (first moment, second moment) slot variables of a built Adam for ``variable``."""
    index = optimizer._get_variable_index(variable)
    return optimizer._momentums[index], optimizer._velocities[index]


def has_adam_slots(optimizer):
    """Whether this Keras' built Adam keeps its slots where :func:`adam_slots` looks."""
    return all(hasattr(optimizer, name) for name in ("_momentums", "_velocities", "_get_variable_index"))


def dropout_seed_state(layer):
    """The state variable of a Keras Dropout layer's seed generator."""
    return layer.seed_generator.state


def forget_closed_resources(callback):
    """Drop what a Keras callback closed in ``on_train_end``, so that it pickles and copies again.

    After a fit (``keras.Model.fit``'s too) a ``CSVLogger`` keeps its closed file
    and a ``TensorBoard`` its closed writers and the ``tf.summary`` module; none
    of them pickles, so an estimator holding such a callback could no longer be
    cloned, pickled or given to a grid search (scikeras issue #236). Both
    callbacks make new ones when next used (``on_train_begin``, ``set_model``).
    """
    from ._keras import keras

    state = vars(callback)
    if isinstance(callback, keras.callbacks.CSVLogger):
        if getattr(state.get("csv_file"), "closed", False):
            callback.csv_file = None
    elif isinstance(callback, keras.callbacks.TensorBoard):
        if "_writers" in state:
            callback._writers = {}
        if "_summary_module" in state:
            callback._summary_module = None


def optimizer_schedule(optimizer):
    """The learning-rate schedule object of an optimizer instance, or None."""
    return getattr(optimizer, "_learning_rate", None)

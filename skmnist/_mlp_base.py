"""The training side of the Dense MLP estimator, as scikit-learn's ``BaseMultilayerPerceptron``.

:class:`BaseDenseMLP` holds the parameter constraints, the scikeras
parameters that do not apply, the way ``fit`` and ``partial_fit`` turn
parameters and data into a run of the engine (``_engine.fit_loop``), and
the fitted state as plain values for persistence (``_get_fitted_state`` /
``_set_fitted_state``). The public estimator, with its documentation and
prediction, is :class:`~skmnist.DenseMLPClassifier` (``_classifier.py``).
"""

from numbers import Integral, Real

import numpy as np
from sklearn.callback import CallbackSupportMixin
from sklearn.model_selection import train_test_split
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.multiclass import unique_labels
from sklearn.utils.validation import check_is_fitted

from ._augment import AUGMENTATION_PARAMS, augmentation_settings, image_shape_of
from ._engine import fit_loop
from ._facts import (
    ACTIVATIONS, MAX_SEED, OPTIMIZERS, SCHEDULES, auto_batch_size, auto_dropout,
    auto_learning_rate, auto_schedule, draw_seed,
)
from ._input_checks import check_hidden_layer_sizes, encode_labels, validate_X_y
from ._keras import keras
from ._keras_callbacks import KerasCallbackEvents, check_keras_callbacks
from ._model import build_mlp
from ._private_api import (
    CALLBACK_BOOKKEEPING,
    Interval,
    StrOptions,
    _check_partial_fit_first_call,
)
from ._progress import ProgressLines
from ._scikeras_repairs import DENSE_MLP_REFUSALS, RepairedKerasClassifier
from ._sklearn_callbacks import EpochTasks
from ._training import get_trainer

__all__ = ["BaseDenseMLP"]


def _count(value, name, *, minimum=0, maximum=2**62):
    """``value`` as an int in [minimum, maximum], or ValueError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not (
        minimum <= value <= maximum
    ):
        raise ValueError(f"{name} must be an integer in [{minimum}, {maximum}]; got {value!r}.")
    return int(value)


class BaseDenseMLP(CallbackSupportMixin, RepairedKerasClassifier):
    """Base of :class:`~skmnist.DenseMLPClassifier`: parameters, training, fitted state.

    Not for direct use: subclasses define ``__init__`` and the public methods.
    """

    _parameter_constraints: dict = {
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "dropout": [Interval(Real, 0, 1, closed="left"), StrOptions({"auto"})],
        "input_dropout": [Interval(Real, 0, 1, closed="left")],
        **{name: [Interval(Real, 0, None, closed="left")] for name in AUGMENTATION_PARAMS},
        "elastic_sigma": [Interval(Real, 0, 10, closed="right")],
        "map_fraction": [Interval(Real, 0, 1, closed="right")],
        "stroke_variation": [Interval(Real, 0, 1, closed="both")],
        "image_shape": [StrOptions({"auto"}), tuple, list],
        "optimizer": [StrOptions(set(OPTIMIZERS)), keras.optimizers.Optimizer],
        "learning_rate": [Interval(Real, 0, None, closed="neither"), StrOptions({"auto"}), None],
        "learning_rate_schedule": [StrOptions({*SCHEDULES, "auto"})],
        "epochs": [Interval(Integral, 1, None, closed="left")],
        # TensorFlow indexes a batch with int32
        "batch_size": [Interval(Integral, 1, 2**31 - 1, closed="both"), StrOptions({"auto"})],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "class_weight": [dict, StrOptions({"balanced"}), None],
        "warm_start": ["boolean"],
        "callbacks": [list, tuple, keras.callbacks.Callback, None],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    inapplicable_params = DENSE_MLP_REFUSALS

    def _validate_params(self):
        # The constraints cannot say "a sequence of positive ints"; check it too.
        super()._validate_params()
        check_hidden_layer_sizes(self, self.hidden_layer_sizes)
        check_keras_callbacks(self.callbacks, type(self).__name__)

    # -- training --------------------------------------------------------------

    def _fit(self, X, y, sample_weight):
        warm = self.warm_start and self.__sklearn_is_fitted__()
        X, y, sample_weight = validate_X_y(self, X, y, sample_weight, reset=not warm)
        if warm:
            self._check_warm_start(y)
        else:
            self.classes_ = unique_labels(y)
        self._check_classes()
        sample_weight = self._weights(y, sample_weight)
        y = encode_labels(self.classes_, y)
        if warm:
            trainer = self._trainer_with_current_weights()
        else:
            trainer = self._start(draw_seed(self.random_state))
        validation_data = None
        if self.early_stopping:
            X, y, sample_weight, validation_data = self._split_validation(X, y, sample_weight)
        decay_steps = 0
        if auto_schedule(self.learning_rate_schedule, self.epochs) == "cosine":
            decay_steps = self.epochs * -(-X.shape[0] // auto_batch_size(self.batch_size, len(X)))
        self._train(trainer, X, y, sample_weight, epochs=self.epochs, decay_steps=decay_steps,
                    validation_data=validation_data)
        return self

    def _initialize(self, X, y):
        X, y, _ = validate_X_y(self, X, y, None, reset=True)
        self.classes_ = unique_labels(y)
        self._check_classes()
        self._start(draw_seed(self.random_state))
        return self

    def _partial_fit(self, X, y, classes, sample_weight):
        if self.class_weight == "balanced":
            raise ValueError(
                "class_weight='balanced' needs every label of the problem at once, which "
                "partial_fit never sees. Compute the weights first with "
                "sklearn.utils.class_weight.compute_class_weight('balanced', classes=classes, "
                "y=y_all) and pass them as a dict."
            )
        first_call = _check_partial_fit_first_call(self, classes)
        X, y, sample_weight = validate_X_y(self, X, y, sample_weight, reset=first_call)
        self._check_classes()
        sample_weight = self._weights(y, sample_weight)
        y = encode_labels(self.classes_, y)
        if first_call:
            trainer = self._start(draw_seed(self.random_state))
        else:
            trainer = self._trainer_with_current_weights()
        self._train(trainer, X, y, sample_weight, epochs=1, decay_steps=0)
        return self

    def _check_classes(self):
        if len(self.classes_) < 2:
            raise ValueError(
                f"{type(self).__name__} needs samples of at least 2 classes to learn, "
                f"but the training labels contain only one class: {self.classes_[0]}. "
                "Pass samples of every class you want it to predict."
            )

    def _check_warm_start(self, y):
        unknown = np.setdiff1d(unique_labels(y), self.classes_)
        if len(unknown):
            raise ValueError(
                f"warm_start=True trains the fitted network on, but y holds classes it was "
                f"not built for: {unknown.tolist()} (it predicts {self.classes_.tolist()}). "
                "Set warm_start=False to fit a new network."
            )

    def _weights(self, y, sample_weight):
        """float32 per-sample weights: sample_weight times class_weight (ones if neither)."""
        weights = np.ones(len(y), dtype=np.float32) if sample_weight is None else sample_weight
        if self.class_weight == "balanced":
            weights = weights * compute_sample_weight("balanced", y).astype(np.float32)
        elif self.class_weight is not None:
            classes = self.classes_.tolist()
            unknown = [key for key in self.class_weight if key not in classes]
            if unknown:
                raise ValueError(
                    f"class_weight names labels that are not classes of the problem: "
                    f"{sorted(map(str, unknown))} (the classes are {classes}). Use the labels "
                    "of y as keys."
                )
            per_class = np.array([self.class_weight.get(c, 1.0) for c in classes], np.float32)
            weights = weights * per_class[encode_labels(self.classes_, y)]
        return weights

    def _split_validation(self, X, y, sample_weight):
        """Hold out a stratified validation set, as MLPClassifier does."""
        counts = np.bincount(y)
        stratify = y if counts[counts > 0].min() >= 2 else None
        try:
            parts = train_test_split(
                X, y, sample_weight, test_size=self.validation_fraction,
                random_state=self._seed_, stratify=stratify,
            )
        except ValueError as exc:
            raise ValueError(
                f"early_stopping could not hold out validation_fraction="
                f"{self.validation_fraction} of {X.shape[0]} samples: {exc} Use a larger "
                "validation_fraction or more samples, or set early_stopping=False."
            ) from exc
        return parts[0], parts[2], parts[4], (parts[1], parts[3], parts[5])

    def _architecture(self):
        """The network's shape: what build_mlp and the trainer cache take."""
        return dict(
            n_features=self.n_features_in_,
            n_classes=len(self.classes_),
            hidden_layer_sizes=check_hidden_layer_sizes(self, self.hidden_layer_sizes),
            activation=self.activation,
            dropout=auto_dropout(self.dropout, self.epochs),
            input_dropout=self.input_dropout,
        )

    def _augmented_image_shape(self):
        """The images' (height, width) when augmentation is on, else None."""
        if augmentation_settings(self) is None:
            return None
        return image_shape_of(self.image_shape, self.n_features_in_, type(self).__name__)

    def _trainer(self):
        """The compiled training loop for this architecture (cached, reused)."""
        return get_trainer(
            **self._architecture(), optimizer=self.optimizer, learning_rate=self.learning_rate,
            image_shape=self._augmented_image_shape(),
        )

    def _start(self, seed):
        """Fresh random weights from ``seed``, and an empty history."""
        trainer = self._trainer()
        trainer.reset(seed)
        self.coefs_, self.intercepts_ = trainer.weights()
        self._optimizer_state = trainer.optimizer_state()
        self._model = None
        self.history_ = {}
        self.n_iter_ = 0
        self._seed_ = seed
        return trainer

    def _trainer_with_current_weights(self):
        """The trainer, holding the fitted weights and optimizer state (to train on)."""
        coefs, intercepts, optimizer_state = self._checked_weights(
            self.coefs_, self.intercepts_, self._optimizer_state,
            source="The fitted",
            remedy="Were hidden_layer_sizes, optimizer or learning_rate=None changed with "
            "set_params since? Fit a new network (warm_start=False), or set them back.",
        )
        trainer = self._trainer()
        trainer.set_weights(coefs, intercepts, optimizer_state)
        return trainer

    def _checked_weights(self, coefs, intercepts, optimizer_state, *, source, remedy):
        """Weights and optimizer state as float arrays, or ValueError if they do not fit
        the network and optimizer the current parameters build."""
        units = [self.n_features_in_, *check_hidden_layer_sizes(self, self.hidden_layer_sizes),
                 len(self.classes_)]
        expected = [((a, b), (b,)) for a, b in zip(units[:-1], units[1:])]
        found = [(np.shape(w), np.shape(b)) for w, b in zip(coefs, intercepts)]
        if len(coefs) != len(intercepts) or found != expected:
            raise ValueError(
                f"{source} weights do not fit the network these parameters build: expected "
                f"kernel and bias shapes {expected}, got {found}. {remedy}"
            )
        if optimizer_state is not None:
            spec = self._trainer().optimizer_state_spec()
            if [np.shape(v) for v in optimizer_state] != [shape for shape, _ in spec]:
                raise ValueError(
                    f"{source} optimizer state does not fit the {self.optimizer!r} optimizer "
                    f"of this network: expected shapes {[s for s, _ in spec]}, got "
                    f"{[np.shape(v) for v in optimizer_state]}. {remedy}"
                )
            optimizer_state = [np.array(v, dtype=d) for v, (_, d) in zip(optimizer_state, spec)]
        return ([np.array(w, dtype=np.float32) for w in coefs],
                [np.array(b, dtype=np.float32) for b in intercepts], optimizer_state)

    def _train(self, trainer, X, y, sample_weight, *, epochs, decay_steps, validation_data=None):
        """Run the engine for ``epochs`` epochs; keep its weights, state and history."""
        callback_ctx = self._init_callback_context(max_subtasks=epochs)
        metadata = {"sample_weight": sample_weight}
        # Callbacks get the labels of y (what fitted_estimator.predict returns),
        # not the class indices the engine trains on.
        labels = self.classes_[y]
        callback_ctx.call_on_fit_task_begin(estimator=self, X=X, y=labels, metadata=metadata)
        events = [
            ProgressLines(self.verbose) if self.verbose else None,
            KerasCallbackEvents(check_keras_callbacks(self.callbacks, type(self).__name__),
                                verbose=self.verbose) if self.callbacks else None,
            EpochTasks(self, callback_ctx, X, labels, metadata),
        ]
        batch_size = auto_batch_size(self.batch_size, len(X))
        result = fit_loop(
            trainer, X, y, sample_weight,
            seed=self._seed_,
            first_epoch=self.n_iter_,
            epochs=epochs,
            batch_size=batch_size,
            learning_rate=auto_learning_rate(self.learning_rate, batch_size),
            decay_steps=decay_steps,
            validation_data=validation_data,
            n_iter_no_change=self.n_iter_no_change if validation_data is not None else None,
            history=self.history_,
            events=events,
            augmentation=augmentation_settings(self),
        )
        self.coefs_, self.intercepts_ = result.coefs, result.intercepts
        self._optimizer_state = result.optimizer_state
        self._model = None  # model_ is rebuilt from the new weights when asked for
        self.history_ = result.history
        self.n_iter_ = len(result.history.get("loss", []))
        callback_ctx.call_on_fit_task_end(estimator=self, X=X, y=labels, metadata=metadata)

    def _atomic(self, work, *args):
        """Run ``work``; if it fails or is interrupted, restore the previous state.

        A KeyboardInterrupt during an epoch leaves the estimator as it was
        before the call (unfitted, or with its previous fit), never half-built;
        scikit-learn's callback bookkeeping is left for its teardown.
        """
        saved = dict(self.__dict__)
        try:
            return work(*args)
        except BaseException:
            kept = {k: v for k, v in self.__dict__.items() if k in CALLBACK_BOOKKEEPING}
            self.__dict__.clear()
            self.__dict__.update(saved)
            self.__dict__.update(kept)
            raise

    # -- the fitted state, as plain values (skmnist.save / skmnist.load) -------

    def _get_fitted_state(self):
        """The fitted attributes as plain values: arrays, ints, lists and dicts of them."""
        check_is_fitted(self)
        state = {
            "classes_": np.asarray(self.classes_),
            "n_features_in_": int(self.n_features_in_),
            "history_": {str(k): np.asarray(v, dtype=np.float64) for k, v in self.history_.items()},
            "n_iter_": int(self.n_iter_),
            "coefs_": list(self.coefs_),
            "intercepts_": list(self.intercepts_),
            "seed": int(self._seed_),
        }
        if hasattr(self, "feature_names_in_"):
            state["feature_names_in_"] = [str(v) for v in self.feature_names_in_]
        if self._optimizer_state is not None:
            state["optimizer_state"] = list(self._optimizer_state)
        return state

    def _set_fitted_state(self, state):
        """Become fitted from :meth:`_get_fitted_state`'s values; ValueError if they do not fit.

        The kernels and biases must have the shapes of the network the current
        parameters describe, and the optimizer state (absent: a fresh
        optimizer) those of its optimizer's variables.
        """
        self._validate_params()
        classes = np.asarray(state["classes_"])
        if (classes.ndim != 1 or classes.dtype.kind not in "biuU"
                or not np.array_equal(classes, unique_labels(classes))):
            raise ValueError(
                f"classes_ must be distinct labels (integers or text) in sorted order; got "
                f"an array of shape {classes.shape} and type {classes.dtype}."
            )
        self.classes_ = classes
        self.n_features_in_ = _count(state["n_features_in_"], "n_features_in_", minimum=1)
        self._check_classes()
        coefs, intercepts, optimizer_state = self._checked_weights(
            state["coefs_"], state["intercepts_"], state.get("optimizer_state"),
            source="The saved", remedy="The file is corrupt or its parameters were changed.",
        )
        for array in [*state["coefs_"], *state["intercepts_"], *(state.get("optimizer_state") or [])]:
            array = np.asarray(array)
            if array.dtype.kind not in "fiu" or not np.all(np.isfinite(array)):
                raise ValueError(
                    f"The saved weights or optimizer state hold values that are not finite real "
                    f"numbers (type {array.dtype}): such a network predicts nothing sensible."
                )
        self.coefs_, self.intercepts_, self._optimizer_state = coefs, intercepts, optimizer_state
        self._model = None
        self._seed_ = _count(state.get("seed", 0), "seed", maximum=MAX_SEED - 1)
        self.history_ = {str(k): [float(v) for v in values]
                         for k, values in state.get("history_", {}).items()}
        self.n_iter_ = _count(state.get("n_iter_", 0), "n_iter_")
        if "feature_names_in_" in state:
            self.feature_names_in_ = np.asarray([str(v) for v in state["feature_names_in_"]],
                                                dtype=object)
        return self

    # -- the Keras model -------------------------------------------------------

    @property
    def model_(self):
        """The trained network as a ``keras.Sequential`` (built on first use).

        Training runs in a compiled loop shared by every fit of the same
        architecture; this model is a copy of the fitted weights, for Keras
        users (``model_.summary()``, ``model_.predict``, ``model_.save``).
        """
        check_is_fitted(self)
        model = self.__dict__.get("_model")
        if model is None:
            model = build_mlp(**self._architecture(), seed=0)
            dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
            for layer, coef, intercept in zip(dense, self.coefs_, self.intercepts_):
                layer.set_weights([coef, intercept])
            self._model = model
        return model

    def __getstate__(self):
        state = super().__getstate__()
        state.pop("_model", None)  # rebuilt from coefs_ and intercepts_ when needed
        return state

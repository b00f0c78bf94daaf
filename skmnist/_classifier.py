"""The Dense MLP classifier: a scikeras KerasClassifier that speaks scikit-learn 1.9.

This module holds the estimator: its parameters and their validation,
``fit`` / ``partial_fit`` / ``predict*``, and the fitted state that
persistence reads and writes. Training is the engine's (``_engine.py``);
the scikeras repairs are in ``_scikeras_repairs.py``; defaults and names
in ``_facts.py``.
"""

from numbers import Integral, Real

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.callback import CallbackSupportMixin
from sklearn.model_selection import train_test_split
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.multiclass import unique_labels
from sklearn.utils.validation import check_is_fitted

from ._engine import fit_loop
from ._facts import ACTIVATIONS, DEFAULTS, OPTIMIZERS, SCHEDULES, draw_seed
from ._inference import forward
from ._input_checks import check_hidden_layer_sizes, encode_labels, validate_X, validate_X_y
from ._keras import keras
from ._keras_callbacks import KerasCallbackEvents, check_keras_callbacks
from ._model import build_mlp
from ._private_api import Interval, StrOptions, _check_partial_fit_first_call, _fit_context
from ._progress import ProgressLines
from ._scikeras_repairs import RepairedKerasClassifier
from ._sklearn_callbacks import EpochTasks
from ._training import get_trainer

__all__ = ["DenseMLPClassifier"]

_D = DEFAULTS


class DenseMLPClassifier(CallbackSupportMixin, RepairedKerasClassifier):
    """Multi-layer perceptron classifier trained with Keras.

    A Dense network (hidden layers with a common activation, optional dropout,
    softmax output) trained by a Keras optimizer on the sparse categorical
    cross-entropy, behind the scikit-learn estimator API. It is a
    :class:`scikeras.wrappers.KerasClassifier` whose parameters are flat and
    named like :class:`~sklearn.neural_network.MLPClassifier`'s, so that
    :class:`~sklearn.model_selection.GridSearchCV` can search them, and which
    takes Keras callbacks, ``class_weight`` and ``warm_start`` as
    KerasClassifier does. Training runs in a compiled loop shared by every fit
    of the same architecture (much faster than ``keras.Model.fit`` for small
    networks) and prediction in NumPy. It supports scikit-learn's callbacks
    (:meth:`set_callbacks`): each epoch is a subtask of the fit, so
    ``sklearn.callback.ProgressBar`` shows epochs under a grid search's
    candidates and folds. KerasClassifier parameters that do not apply here
    (``model``, ``loss``, ``metrics``, ``validation_split``, ...) are refused
    with the reason and what to use instead.

    Parameters
    ----------
    hidden_layer_sizes : array-like of int, default=(512, 256)
        Units of each hidden layer, first to last. ``()`` gives a softmax
        (multinomial logistic) regression.

    activation : {"relu", "tanh", "logistic", "identity", "elu", "gelu"}, \
            default="relu"
        Activation of the hidden layers.

    dropout : float in [0, 1), default=0.2
        Fraction of each hidden layer's units dropped at every training step.
        0 adds no Dropout layer.

    input_dropout : float in [0, 1), default=0.0
        Fraction of the input features (pixels) dropped at every training
        step, by a Dropout layer before the first hidden layer; 0 adds none.
        A light input dropout (0.1-0.2) regularises wide networks trained
        for many epochs (Srivastava et al., 2014); ``preset="best"`` uses 0.2.

    optimizer : {"adam", "rmsprop", "sgd"} or keras.optimizers.Optimizer, \
            default="adam"
        The Keras optimizer. An instance is copied for each fit (its own
        settings are kept, its learning rate is replaced by `learning_rate`
        unless that is None).

    learning_rate : float > 0 or None, default=1e-3
        Step size of the optimizer (its starting value with the cosine
        schedule). None keeps the learning rate of an optimizer instance,
        schedule included (1e-3 for an optimizer name).

    learning_rate_schedule : {"cosine", "constant"}, default="cosine"
        "cosine" lowers the learning rate from `learning_rate` to 0 along a
        half cosine over the `epochs` of :meth:`fit`, which makes the last
        epochs settle instead of hopping around a minimum (on MNIST the
        default network ends 0.3 to 0.5 points more accurate than with
        "constant"). :meth:`partial_fit`, whose number of epochs is unknown,
        always uses a constant rate.

    epochs : int >= 1, default=15
        Passes over the training data (the most, with `early_stopping`).

    batch_size : int >= 1, default=128
        Samples per gradient step.

    early_stopping : bool, default=False
        Hold out `validation_fraction` of the training data (stratified), stop
        when the validation loss has not improved for `n_iter_no_change`
        epochs, and keep the weights of the best epoch.

    validation_fraction : float in (0, 1), default=0.1
        Share of the training data held out when `early_stopping` is True.

    n_iter_no_change : int >= 1, default=5
        Epochs without improvement of the validation loss before stopping,
        when `early_stopping` is True.

    class_weight : dict, "balanced" or None, default=None
        Weight of each class in the loss, as in scikit-learn's classifiers:
        ``{label: weight}`` (missing labels weigh 1), or "balanced" for
        ``n_samples / (n_classes * np.bincount(y))``. Multiplies
        `sample_weight`. :meth:`partial_fit` takes a dict only.

    warm_start : bool, default=False
        If True and the classifier is fitted, :meth:`fit` trains the current
        weights (and optimizer state) for `epochs` more epochs instead of
        starting afresh, as KerasClassifier does; the epochs go on being
        numbered (and seeded) from `n_iter_`, and the cosine schedule runs
        again over the new epochs. The data must have the same features and
        classes.

    callbacks : list of keras.callbacks.Callback or None, default=None
        Keras callbacks (``EarlyStopping``, ``ModelCheckpoint``,
        ``CSVLogger``, ``TensorBoard``, ``ReduceLROnPlateau``,
        ``LearningRateScheduler``, ``TerminateOnNaN``, ``LambdaCallback`` or
        your own), called where ``keras.Model.fit`` calls them with the logs
        it gives. ``callback.model`` is the network being trained;
        ``model.stop_training = True`` ends the fit after that epoch; setting
        ``model.optimizer.learning_rate`` sets the rate from then on (it
        replaces the cosine schedule). Batch-level hooks are called once per
        call of the compiled loop (up to 16,384 samples), as with Keras'
        ``steps_per_execution``. With `early_stopping`, the logs hold
        ``val_loss`` and ``val_accuracy``. Callbacks are not saved by
        :func:`skmnist.save`.

    random_state : int, RandomState instance or None, default=None
        Seeds the initial weights, the dropout masks, the order of the
        batches and the validation split. An int makes :meth:`fit`
        reproducible bit for bit on the same machine, in any process. A
        RandomState instance gives a new seed, drawn from it, to each call of
        :meth:`fit` (a reproducible sequence of different networks). None
        draws the seed from NumPy's global random state at each fit: a
        different network each time, unless the program itself calls
        ``np.random.seed`` first (skmnist never does). The seed is given to
        each random operation; TensorFlow's global seed and op-determinism
        setting, and Python's random state, are left untouched, and so is
        NumPy's global state unless `random_state` is None.

    verbose : int, default=0
        0 is silent; 1 shows a Keras progress bar per epoch on a terminal and
        one plain line per epoch elsewhere (a log file gets no escape codes);
        2 one line per epoch.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels seen in :meth:`fit`, in sorted order.

    n_features_in_ : int
        Number of features seen in :meth:`fit`.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the features seen in :meth:`fit`. Defined only when `X` has
        feature names that are all strings.

    model_ : keras.Sequential
        The trained Keras network.

    coefs_ : list of ndarray
        Kernel of each Dense layer, first to last, as of the end of the last
        call to :meth:`fit` or :meth:`partial_fit`. Predictions are computed
        from `coefs_` and `intercepts_` in NumPy, which is much faster than
        ``model_.predict``.

    intercepts_ : list of ndarray
        Bias of each Dense layer, first to last.

    history_ : dict of str to list of float
        Per-epoch ``loss`` and ``accuracy`` on the training data, and
        ``val_loss`` and ``val_accuracy`` with `early_stopping`.

    n_iter_ : int
        Epochs run in total.

    See Also
    --------
    make_mlp_pipeline : This classifier behind a :class:`PixelScaler`.
    sklearn.neural_network.MLPClassifier : scikit-learn's own MLP.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skmnist import DenseMLPClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> X = X / 16  # 8x8 images with grey levels 0-16
    >>> clf = DenseMLPClassifier(hidden_layer_sizes=(64,), epochs=20, batch_size=32,
    ...                          random_state=0)
    >>> clf.fit(X[:1500], y[:1500]).score(X[1500:], y[1500:]) > 0.85
    True
    >>> clf.predict(X[1500:1503])
    array([1, 7, 4])
    >>> clf.predict_proba(X[1500:1503]).shape
    (3, 10)
    >>> sorted(clf.history_)
    ['accuracy', 'loss']
    """


    _parameter_constraints: dict = {
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "input_dropout": [Interval(Real, 0, 1, closed="left")],
        "optimizer": [StrOptions(set(OPTIMIZERS)), keras.optimizers.Optimizer],
        "learning_rate": [Interval(Real, 0, None, closed="neither"), None],
        "learning_rate_schedule": [StrOptions(set(SCHEDULES))],
        "epochs": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "class_weight": [dict, StrOptions({"balanced"}), None],
        "warm_start": ["boolean"],
        "callbacks": [list, tuple, keras.callbacks.Callback, None],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    inapplicable_params = {
        "model": "it builds its own Dense network from hidden_layer_sizes, activation, "
        "dropout and input_dropout. To train a network of your own, use "
        "scikeras.wrappers.KerasClassifier(model=...).",
        "build_fn": "it builds its own Dense network (see 'model'); use hidden_layer_sizes.",
        "loss": "the loss is always the cross-entropy of its softmax output; weigh it with "
        "sample_weight or class_weight.",
        "metrics": "training logs loss and accuracy; for other scores use sklearn.metrics, or "
        "cross_validate(..., scoring=...).",
        "validation_split": "use early_stopping=True with validation_fraction (a stratified "
        "hold-out, as MLPClassifier's).",
        "validation_batch_size": "validation runs in NumPy in one pass; nothing to set.",
        "shuffle": "batches are always shuffled, reproducibly from random_state.",
        "run_eagerly": "training always runs in a compiled TensorFlow loop.",
        "<routed>": "nothing is routed to Keras here. Pass a configured optimizer instance "
        "instead (optimizer=keras.optimizers.Adam(beta_1=0.8)), and callbacks as instances.",
    }

    def __init__(
        self,
        hidden_layer_sizes=_D["hidden_layer_sizes"],
        *,
        activation=_D["activation"],
        dropout=_D["dropout"],
        input_dropout=_D["input_dropout"],
        optimizer=_D["optimizer"],
        learning_rate=_D["learning_rate"],
        learning_rate_schedule=_D["learning_rate_schedule"],
        epochs=_D["epochs"],
        batch_size=_D["batch_size"],
        early_stopping=_D["early_stopping"],
        validation_fraction=_D["validation_fraction"],
        n_iter_no_change=_D["n_iter_no_change"],
        class_weight=_D["class_weight"],
        warm_start=_D["warm_start"],
        callbacks=_D["callbacks"],
        random_state=_D["random_state"],
        verbose=_D["verbose"],
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.dropout = dropout
        self.input_dropout = input_dropout
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.learning_rate_schedule = learning_rate_schedule
        self.epochs = epochs
        self.batch_size = batch_size
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.class_weight = class_weight
        self.warm_start = warm_start
        self.callbacks = callbacks
        self.random_state = random_state
        self.verbose = verbose

    def _validate_params(self):
        # The constraints cannot say "a sequence of positive ints"; check it too.
        super()._validate_params()
        check_hidden_layer_sizes(self, self.hidden_layer_sizes)
        check_keras_callbacks(self.callbacks, type(self).__name__)

    # -- training --------------------------------------------------------------

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Train the network on ``(X, y)``: a new one, or the current one with `warm_start`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training samples (float features; use :class:`PixelScaler` or
            :func:`make_mlp_pipeline` for raw images).

        y : array-like of shape (n_samples,)
            Class labels: integers, strings or any sortable values.

        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each sample in the loss. None gives every sample weight 1.

        Returns
        -------
        self : DenseMLPClassifier
            The fitted classifier.

        Notes
        -----
        If the fit is interrupted (Ctrl-C) or fails, the classifier is left
        as it was before the call.
        """
        return self._atomic(self._fit, X, y, sample_weight)

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
        if self.learning_rate_schedule == "cosine":
            decay_steps = self.epochs * -(-X.shape[0] // self.batch_size)
        self._train(trainer, X, y, sample_weight, epochs=self.epochs, decay_steps=decay_steps,
                    validation_data=validation_data)
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Train for one epoch on ``(X, y)``, keeping the weights learned so far.

        The first call builds the network; it needs `classes`, every label of
        the problem, as the later batches may not show them all.
        `early_stopping` does not apply, and the learning rate is constant.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training samples.

        y : array-like of shape (n_samples,)
            Class labels, all of them in `classes`.

        classes : array-like of shape (n_classes,), default=None
            Every class label; required in the first call, ignored after.

        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each sample in the loss.

        Returns
        -------
        self : DenseMLPClassifier
            The updated classifier.
        """
        return self._atomic(self._partial_fit, X, y, classes, sample_weight)

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
        if self.class_weight is not None:
            if isinstance(self.class_weight, dict):
                unknown = set(self.class_weight) - set(self.classes_.tolist())
                if unknown:
                    raise ValueError(
                        f"class_weight names labels that are not classes of the problem: "
                        f"{sorted(map(str, unknown))} (the classes are "
                        f"{self.classes_.tolist()}). Use the labels of y as keys."
                    )
            weights = weights * compute_sample_weight(self.class_weight, y).astype(np.float32)
        return weights

    def _split_validation(self, X, y, sample_weight):
        """Hold out a stratified validation set, as MLPClassifier does."""
        counts = np.bincount(y, minlength=len(self.classes_))
        stratify = y if counts.min() >= 2 else None
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

    def _trainer(self):
        """The compiled training loop for this architecture (cached, reused)."""
        return get_trainer(
            self.n_features_in_,
            len(self.classes_),
            hidden_layer_sizes=check_hidden_layer_sizes(self, self.hidden_layer_sizes),
            activation=self.activation,
            dropout=self.dropout,
            input_dropout=self.input_dropout,
            optimizer=self.optimizer,
            learning_rate=self.learning_rate,
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
        trainer = self._trainer()
        trainer.set_weights(self.coefs_, self.intercepts_, self._optimizer_state)
        return trainer

    def _train(self, trainer, X, y, sample_weight, *, epochs, decay_steps, validation_data=None):
        """Run the engine for ``epochs`` epochs; keep its weights, state and history."""
        callback_ctx = self._init_callback_context(max_subtasks=epochs)
        metadata = {"sample_weight": sample_weight}
        callback_ctx.call_on_fit_task_begin(estimator=self, X=X, y=y, metadata=metadata)
        events = [
            ProgressLines(self.verbose) if self.verbose else None,
            KerasCallbackEvents(check_keras_callbacks(self.callbacks, type(self).__name__),
                                verbose=self.verbose) if self.callbacks else None,
            EpochTasks(self, callback_ctx, X, y, metadata),
        ]
        result = fit_loop(
            trainer, X, y, sample_weight,
            seed=self._seed_,
            first_epoch=self.n_iter_,
            epochs=epochs,
            batch_size=self.batch_size,
            learning_rate=self.learning_rate,
            decay_steps=decay_steps,
            validation_data=validation_data,
            n_iter_no_change=self.n_iter_no_change if validation_data is not None else None,
            history=self.history_,
            events=events,
        )
        self.coefs_, self.intercepts_ = result.coefs, result.intercepts
        self._optimizer_state = result.optimizer_state
        self._model = None  # model_ is rebuilt from the new weights when asked for
        self.history_ = result.history
        self.n_iter_ = len(result.history.get("loss", []))
        callback_ctx.call_on_fit_task_end(estimator=self, X=X, y=y, metadata=metadata)

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
            kept = {k: v for k, v in self.__dict__.items() if k.startswith("_callback_fit_ctx")
                    or k.startswith("_skl_callbacks_to_teardown")}
            self.__dict__.clear()
            self.__dict__.update(saved)
            self.__dict__.update(kept)
            raise

    def initialize(self, X, y):
        """Build the network for ``(X, y)`` without training it.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples that fix the number of inputs.

        y : array-like of shape (n_samples,)
            Labels that fix the classes.

        Returns
        -------
        self : DenseMLPClassifier
            The classifier, with random weights.
        """
        self._validate_params()
        X, y, _ = validate_X_y(self, X, y, None, reset=True)
        self.classes_ = unique_labels(y)
        self._check_classes()
        self._start(draw_seed(self.random_state))
        return self

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
        self.classes_ = np.asarray(state["classes_"])
        self.n_features_in_ = int(state["n_features_in_"])
        self._check_classes()
        units = [self.n_features_in_, *check_hidden_layer_sizes(self, self.hidden_layer_sizes),
                 len(self.classes_)]
        expected = [((a, b), (b,)) for a, b in zip(units[:-1], units[1:])]
        coefs, intercepts = state["coefs_"], state["intercepts_"]
        found = [(np.shape(w), np.shape(b)) for w, b in zip(coefs, intercepts)]
        if len(coefs) != len(intercepts) or found != expected:
            raise ValueError(
                f"The saved weights do not fit the network these parameters build: "
                f"expected kernel and bias shapes {expected}, got {found}. The file is "
                "corrupt or its parameters were changed."
            )
        optimizer_state = state.get("optimizer_state")
        if optimizer_state is not None:
            spec = self._trainer().optimizer_state_spec()
            if [np.shape(v) for v in optimizer_state] != [shape for shape, _ in spec]:
                raise ValueError(
                    f"The saved optimizer state does not fit the {self.optimizer!r} "
                    f"optimizer of this network: expected shapes {[s for s, _ in spec]}, got "
                    f"{[np.shape(v) for v in optimizer_state]}. The file is corrupt or its "
                    "parameters were changed."
                )
            optimizer_state = [np.array(v, dtype=dtype) for v, (_, dtype) in zip(optimizer_state, spec)]
        self.coefs_ = [np.array(w, dtype=np.float32) for w in coefs]
        self.intercepts_ = [np.array(b, dtype=np.float32) for b in intercepts]
        self._optimizer_state = optimizer_state
        self._model = None
        self._seed_ = int(state.get("seed", 0))
        self.history_ = {str(k): [float(v) for v in values]
                         for k, values in state.get("history_", {}).items()}
        self.n_iter_ = int(state.get("n_iter_", 0))
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
            model = build_mlp(
                self.n_features_in_,
                len(self.classes_),
                hidden_layer_sizes=check_hidden_layer_sizes(self, self.hidden_layer_sizes),
                activation=self.activation,
                dropout=self.dropout,
                input_dropout=self.input_dropout,
                seed=0,
            )
            dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
            for layer, coef, intercept in zip(dense, self.coefs_, self.intercepts_):
                layer.set_weights([coef, intercept])
            self._model = model
        return model

    def __getstate__(self):
        state = super().__getstate__()
        state.pop("_model", None)  # rebuilt from coefs_ and intercepts_ when needed
        return state

    # -- prediction ------------------------------------------------------------

    def predict_proba(self, X):
        """Probability of each class for each sample.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples to classify.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes), float32
            Class probabilities, columns in the order of `classes_`.
        """
        check_is_fitted(self)
        X = validate_X(self, X, reset=False)
        return forward(X, self.coefs_, self.intercepts_, ACTIVATIONS[self.activation])

    def predict(self, X):
        """Most probable class of each sample.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples to classify.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted labels, taken from `classes_`.
        """
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

    def score(self, X, y, sample_weight=None):
        """Accuracy on ``(X, y)``, as for every scikit-learn classifier.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Test samples.

        y : array-like of shape (n_samples,)
            True labels.

        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        score : float
            Mean accuracy of ``self.predict(X)`` with respect to `y`.
        """
        return ClassifierMixin.score(self, X, y, sample_weight=sample_weight)

"""The Dense MLP classifier: a scikit-learn 1.9 citizen on top of scikeras."""

import time
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import (
    _check_partial_fit_first_call,
    check_classification_targets,
    unique_labels,
)
from sklearn.utils.validation import (
    _check_sample_weight,
    _num_samples,
    check_is_fitted,
    validate_data,
)

from ._inference import forward
from ._keras import keras, tf
from ._model import ACTIVATIONS, OPTIMIZERS, build_mlp
from ._training import get_trainer, layer_seed

from scikeras.wrappers import KerasClassifier  # noqa: E402  (after the quiet Keras import)

__all__ = ["DenseMLPClassifier"]

_MAX_SEED = 2**31 - 1
_EPSILON = 1e-7  # Keras' clipping of probabilities in the cross-entropy


def _validation_scores(validation_data, coefs, intercepts, estimator):
    """Loss and accuracy on the held-out data, computed as Keras computes them."""
    X, y = validation_data[0], validation_data[1]
    w = validation_data[2] if len(validation_data) > 2 else np.ones(len(y), dtype=np.float32)
    proba = forward(X, coefs, intercepts, ACTIVATIONS[estimator.activation])
    picked = np.clip(proba[np.arange(len(y)), y], _EPSILON, 1 - _EPSILON)
    loss = float(np.sum(-np.log(picked) * w) / len(y))
    accuracy = float(np.sum((proba.argmax(axis=1) == y) * w) / max(np.sum(w), 1e-12))
    return {"val_loss": loss, "val_accuracy": accuracy}


class _ClassifierMixinBeforeBaseEstimator(type):
    """Metaclass that moves ``ClassifierMixin`` just before ``BaseEstimator``.

    scikeras 0.13 declares ``KerasClassifier(BaseWrapper, ClassifierMixin)``,
    so ``BaseEstimator`` precedes ``ClassifierMixin`` in the method resolution
    order: ``BaseEstimator.__sklearn_tags__`` wins and scikit-learn >= 1.6 does
    not see a classifier. No subclass can reorder them by its bases (the MRO
    would be inconsistent), but a metaclass may define the MRO; this one keeps
    scikeras' classes first and puts the mixin where scikit-learn requires it.
    """

    def mro(cls):
        order = super().mro()
        if ClassifierMixin in order and BaseEstimator in order:
            order.remove(ClassifierMixin)
            order.insert(order.index(BaseEstimator), ClassifierMixin)
        return order


class DenseMLPClassifier(KerasClassifier, metaclass=_ClassifierMixinBeforeBaseEstimator):
    """Multi-layer perceptron classifier trained with Keras.

    A Dense network (hidden layers with a common activation, optional dropout,
    softmax output) trained by a Keras optimizer on the sparse categorical
    cross-entropy, behind the scikit-learn estimator API. It is a
    :class:`scikeras.wrappers.KerasClassifier` whose parameters are flat and
    named like :class:`~sklearn.neural_network.MLPClassifier`'s, so that
    :class:`~sklearn.model_selection.GridSearchCV` can search them, and which
    repairs what scikeras 0.13 lacks under scikit-learn 1.9: classifier tags
    (stratified cross-validation, ``from_estimator`` displays), input
    validation, and seeded fits that do not change TensorFlow's global state.

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
        0 is silent, 1 shows a progress bar per epoch, 2 one line per epoch.

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
        "learning_rate_schedule": [StrOptions({"cosine", "constant"})],
        "epochs": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        hidden_layer_sizes=(512, 256),
        *,
        activation="relu",
        dropout=0.2,
        input_dropout=0.0,
        optimizer="adam",
        learning_rate=1e-3,
        learning_rate_schedule="cosine",
        epochs=15,
        batch_size=128,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=5,
        random_state=None,
        verbose=0,
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
        self.random_state = random_state
        self.verbose = verbose

    # -- scikit-learn plumbing that scikeras 0.13 gets wrong for 1.9 ---------

    # Parameters are the arguments of __init__ (scikeras lists the instance
    # __dict__, which breaks `clone` once routed parameters are set by hand).
    _get_param_names = BaseEstimator.__dict__["_get_param_names"]
    set_params = BaseEstimator.set_params
    __repr__ = BaseEstimator.__repr__

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()  # ClassifierMixin's: a classifier
        tags.classifier_tags.multi_label = False
        return tags

    def __sklearn_is_fitted__(self):
        return hasattr(self, "coefs_")

    # -- validation ------------------------------------------------------------

    def _validate_params(self):
        # The constraints cannot say "a sequence of positive ints"; check it too.
        super()._validate_params()
        self._check_hidden_layer_sizes()

    def _check_hidden_layer_sizes(self):
        sizes = self.hidden_layer_sizes
        sizes = [sizes] if isinstance(sizes, Integral) else list(sizes)
        if not all(isinstance(s, Integral) and not isinstance(s, bool) and s > 0 for s in sizes):
            raise ValueError(
                "The 'hidden_layer_sizes' parameter of DenseMLPClassifier must hold "
                f"positive integers (units per hidden layer); got {self.hidden_layer_sizes!r}. "
                "Use for example (128,) for one hidden layer of 128 units, or (512, 256) "
                "for two."
            )
        return tuple(int(s) for s in sizes)

    def _check_not_images(self, X):
        shape = getattr(X, "shape", None)
        if shape is not None and len(shape) > 2:
            raise ValueError(
                f"{type(self).__name__} expects a 2-D array of shape (n_samples, "
                f"n_features); got an array of shape {tuple(shape)}. Flatten the images "
                "first: skmnist.make_mlp_pipeline() puts a PixelScaler in front of the "
                "classifier to do it."
            )

    def _check_same_length(self, X, y):
        try:
            n_X, n_y = _num_samples(X), _num_samples(y)
        except TypeError:
            return  # not array-like: scikit-learn's validation says so
        if n_X != n_y:
            raise ValueError(
                f"X has {n_X} samples but y has {n_y} labels (inconsistent numbers of "
                f"samples: [{n_X}, {n_y}]). {type(self).__name__} needs exactly one label "
                "per sample: check that X and y hold the same rows."
            )

    def _validated(self, *args, reset):
        """scikit-learn's validate_data, with a plain message for non-numeric X."""
        try:
            return validate_data(self, *args, reset=reset, dtype=np.float32)
        except ValueError as exc:
            if not str(exc).startswith("could not convert"):
                raise
            raise ValueError(
                f"{type(self).__name__} expects numeric features, but X holds values that "
                f"are not numbers ({exc}). Convert them to numbers first; for raw images, "
                "skmnist.make_mlp_pipeline() puts a PixelScaler in front of the classifier."
            ) from exc

    def _validate_X(self, X, *, reset):
        """Validate X the scikit-learn way, before TensorFlow sees it."""
        self._check_not_images(X)
        return self._validated(X, reset=reset)

    def _validate_X_y(self, X, y, *, reset):
        """Validate X and class labels y, before TensorFlow sees them."""
        self._check_not_images(X)
        if y is not None:
            self._check_same_length(X, y)
        X, y = self._validated(X, y, reset=reset)
        check_classification_targets(y)
        return X, y

    def _encode_targets(self, X, y, sample_weight):
        """Labels as indices into ``classes_``, and float32 sample weights (or None)."""
        if sample_weight is not None:
            sample_weight = _check_sample_weight(
                sample_weight, X, dtype=np.float32, ensure_non_negative=True
            )
        return self._encode_labels(y), sample_weight

    def _encode_labels(self, y):
        """Map labels to their index in ``classes_``, refusing unknown ones."""
        encoded = np.searchsorted(self.classes_, y)
        encoded = np.minimum(encoded, len(self.classes_) - 1)
        unknown = self.classes_[encoded] != y
        if np.any(unknown):
            raise ValueError(
                f"y contains labels not seen in the first call to partial_fit: "
                f"{unique_labels(np.asarray(y)[unknown]).tolist()}. Pass every label "
                "of the problem as `classes` in the first call."
            )
        return encoded.astype(np.int32)

    def _seed(self):
        """The fit's seed: drawn from `random_state` (from NumPy's global RNG if None)."""
        return int(check_random_state(self.random_state).randint(_MAX_SEED))

    # -- building and training -------------------------------------------------

    def _check_classes(self):
        if len(self.classes_) < 2:
            raise ValueError(
                f"{type(self).__name__} needs samples of at least 2 classes to learn, "
                f"but the training labels contain only one class: {self.classes_[0]}. "
                "Pass samples of every class you want it to predict."
            )

    def _trainer(self):
        """The compiled training loop for this architecture (cached, reused)."""
        return get_trainer(
            self.n_features_in_,
            len(self.classes_),
            hidden_layer_sizes=self._check_hidden_layer_sizes(),
            activation=self.activation,
            dropout=self.dropout,
            input_dropout=self.input_dropout,
            optimizer=self.optimizer,
            learning_rate=self.learning_rate,
        )

    def _start(self, seed):
        """Fresh random weights from ``seed``, and an empty history."""
        self._check_classes()
        trainer = self._trainer()
        trainer.reset(seed)
        self._keep(trainer)
        self._hidden_activation = ACTIVATIONS[self.activation]
        self.history_ = {}
        self.n_iter_ = 0
        self._seed_ = seed
        return trainer

    def _keep(self, trainer):
        """Copy the trainer's weights and optimizer state into the estimator."""
        self.coefs_, self.intercepts_ = trainer.weights()
        self._optimizer_state = trainer.optimizer_state()
        self._model = None  # model_ is rebuilt from the new weights when asked for

    def _restore(
        self, n_features, classes, coefs, intercepts, *, history=None, n_iter=0, seed=0,
        optimizer_state=None,
    ):
        """Make this unfitted classifier fitted with saved weights (skmnist.load).

        The kernels and biases must have the shapes of the network the current
        parameters describe, and the optimizer state (None: a fresh optimizer)
        those of its optimizer's variables, else ValueError. ``model_`` is
        rebuilt from the weights on first use, as after a fit.
        """
        self._validate_params()
        self.classes_ = np.asarray(classes)
        self.n_features_in_ = int(n_features)
        self._check_classes()
        units = [self.n_features_in_, *self._check_hidden_layer_sizes(), len(self.classes_)]
        expected = [((a, b), (b,)) for a, b in zip(units[:-1], units[1:])]
        found = [(np.shape(w), np.shape(b)) for w, b in zip(coefs, intercepts)]
        if len(coefs) != len(intercepts) or found != expected:
            raise ValueError(
                f"The saved weights do not fit the network these parameters build: "
                f"expected kernel and bias shapes {expected}, got {found}. The file is "
                "corrupt or its parameters were changed."
            )
        if optimizer_state is not None:
            variables = self._trainer().optimizer.variables
            wanted = [tuple(v.shape) for v in variables]
            if [np.shape(v) for v in optimizer_state] != wanted:
                raise ValueError(
                    f"The saved optimizer state does not fit the {self.optimizer!r} "
                    f"optimizer of this network: expected shapes {wanted}, got "
                    f"{[np.shape(v) for v in optimizer_state]}. The file is corrupt or its "
                    "parameters were changed."
                )
            optimizer_state = [np.array(v, dtype=var.dtype) for v, var in zip(optimizer_state, variables)]
        self.coefs_ = [np.array(w, dtype=np.float32) for w in coefs]
        self.intercepts_ = [np.array(b, dtype=np.float32) for b in intercepts]
        self._optimizer_state = optimizer_state
        self._model = None
        self._hidden_activation = ACTIVATIONS[self.activation]
        self._seed_ = int(seed)
        self.history_ = {key: list(values) for key, values in (history or {}).items()}
        self.n_iter_ = int(n_iter)
        return self

    def _train(self, trainer, X, y, sample_weight, *, epochs, decay_steps, validation_data=None):
        """Run ``epochs`` epochs; record the history; keep the final (or best) weights."""
        n_samples = X.shape[0]
        if sample_weight is None:
            sample_weight = np.ones(n_samples, dtype=np.float32)
        data = (
            tf.convert_to_tensor(X),
            tf.convert_to_tensor(y),
            tf.convert_to_tensor(sample_weight),
        )
        trainer.set_learning_rate(self.learning_rate, decay_steps)
        history = {key: list(values) for key, values in self.history_.items()}
        best = (np.inf, None, 0)  # validation loss, weights, epochs without improvement
        for epoch in range(self.n_iter_, self.n_iter_ + epochs):
            started = time.perf_counter()
            progress = self._progress_bar(epoch, epochs)
            order = np.random.default_rng([self._seed_, epoch]).permutation(n_samples)
            loss, accuracy = trainer.run_epoch(
                data,
                order,
                self.batch_size,
                layer_seed(self._seed_, 1000 + epoch),
                progress=progress,
            )
            record = {"loss": loss, "accuracy": accuracy}
            if validation_data is not None:
                coefs, intercepts = trainer.weights()
                record.update(_validation_scores(validation_data, coefs, intercepts, self))
            for key, value in record.items():
                history.setdefault(key, []).append(float(value))
            self._report_epoch(epoch, record, time.perf_counter() - started)
            if validation_data is not None:
                if record["val_loss"] < best[0]:
                    best = (record["val_loss"], (coefs, intercepts), 0)
                else:
                    best = (best[0], best[1], best[2] + 1)
                    if best[2] >= self.n_iter_no_change:
                        if self.verbose:
                            print(
                                f"Early stopping after epoch {epoch + 1}: no better validation "
                                f"loss for {self.n_iter_no_change} epochs; keeping the "
                                "weights of the best epoch."
                            )
                        break
        if validation_data is not None and best[1] is not None:
            trainer.set_weights(*best[1], trainer.optimizer_state())
        self._keep(trainer)
        self.history_ = history
        self.n_iter_ = len(history["loss"])

    def _progress_bar(self, epoch, epochs):
        if self.verbose != 1:
            return None
        print(f"Epoch {epoch + 1}/{self.n_iter_ + epochs}")
        bar = keras.utils.Progbar(None, verbose=1)

        def update(step, n_steps):
            bar.target = n_steps
            bar.update(step)

        return update

    def _report_epoch(self, epoch, record, seconds):
        if self.verbose >= 2:
            scores = " - ".join(f"{key}: {value:.4f}" for key, value in record.items())
            print(f"Epoch {epoch + 1} - {seconds:.1f}s - {scores}")

    def _atomic(self, work, *args, **kwargs):
        """Run ``work``; if it fails or is interrupted, restore the previous state.

        A KeyboardInterrupt during an epoch leaves the estimator as it was
        before the call (unfitted, or with its previous fit), never half-built.
        """
        saved = dict(self.__dict__)
        try:
            return work(*args, **kwargs)
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(saved)
            raise

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Build a new network and train it on ``(X, y)``.

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
        X, y = self._validate_X_y(X, y, reset=True)
        self.classes_ = unique_labels(y)
        self._check_classes()
        y, sample_weight = self._encode_targets(X, y, sample_weight)
        seed = self._seed()
        validation_data = None
        if self.early_stopping:
            X, y, sample_weight, validation_data = self._split_validation(
                X, y, sample_weight, seed
            )
        decay_steps = 0
        if self.learning_rate_schedule == "cosine":
            decay_steps = self.epochs * -(-X.shape[0] // self.batch_size)
        trainer = self._start(seed)
        self._train(
            trainer,
            X,
            y,
            sample_weight,
            epochs=self.epochs,
            decay_steps=decay_steps,
            validation_data=validation_data,
        )
        return self

    def _split_validation(self, X, y, sample_weight, seed):
        """Hold out a stratified validation set, as MLPClassifier does."""
        counts = np.bincount(y, minlength=len(self.classes_))
        stratify = y if counts.min() >= 2 else None
        arrays = (X, y) if sample_weight is None else (X, y, sample_weight)
        try:
            parts = train_test_split(
                *arrays, test_size=self.validation_fraction, random_state=seed, stratify=stratify
            )
        except ValueError as exc:
            raise ValueError(
                f"early_stopping could not hold out validation_fraction="
                f"{self.validation_fraction} of {X.shape[0]} samples: {exc} Use a larger "
                "validation_fraction or more samples, or set early_stopping=False."
            ) from exc
        train, held_out = parts[0::2], parts[1::2]
        sample_weight = train[2] if sample_weight is not None else None
        return train[0], train[1], sample_weight, tuple(held_out)

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
        first_call = _check_partial_fit_first_call(self, classes)
        if first_call:
            self._validate_params()
        X, y = self._validate_X_y(X, y, reset=first_call)
        y, sample_weight = self._encode_targets(X, y, sample_weight)
        if first_call:
            trainer = self._start(self._seed())
        else:
            trainer = self._trainer()
            trainer.set_weights(self.coefs_, self.intercepts_, self._optimizer_state)
        self._train(trainer, X, y, sample_weight, epochs=1, decay_steps=0)
        return self

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
        X, y = self._validate_X_y(X, y, reset=True)
        self.classes_ = unique_labels(y)
        self._start(self._seed())
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
                hidden_layer_sizes=self._check_hidden_layer_sizes(),
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
        X = self._validate_X(X, reset=False)
        return forward(X, self.coefs_, self.intercepts_, self._hidden_activation)

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

"""The Dense MLP classifier: a scikit-learn 1.9 citizen on top of scikeras."""

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
from ._model import ACTIVATIONS, OPTIMIZERS, build_mlp, make_optimizer

from scikeras.wrappers import KerasClassifier  # noqa: E402  (after the quiet Keras import)

__all__ = ["DenseMLPClassifier"]

_MAX_SEED = 2**31 - 1


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
        reproducible bit for bit on the same machine. The seed is given to
        each random operation; TensorFlow's global seed and determinism
        settings are left untouched.

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
        if self.random_state is None:
            return None
        return int(check_random_state(self.random_state).randint(_MAX_SEED))

    # -- building and training -------------------------------------------------

    def _build(self, n_features, seed, *, decay_steps=None):
        if len(self.classes_) < 2:
            raise ValueError(
                f"{type(self).__name__} needs samples of at least 2 classes to learn, "
                f"but the training labels contain only one class: {self.classes_[0]}. "
                "Pass samples of every class you want it to predict."
            )
        self.model_ = build_mlp(
            n_features,
            len(self.classes_),
            hidden_layer_sizes=self._check_hidden_layer_sizes(),
            activation=self.activation,
            dropout=self.dropout,
            seed=seed,
        )
        self.model_.compile(
            optimizer=make_optimizer(self.optimizer, self.learning_rate, decay_steps=decay_steps),
            loss="sparse_categorical_crossentropy",
            metrics=["accuracy"],
        )
        self._hidden_activation = ACTIVATIONS[self.activation]
        self.history_ = {}
        self.n_iter_ = 0
        self._snapshot_weights()

    def _snapshot_weights(self):
        dense = [layer for layer in self.model_.layers if isinstance(layer, keras.layers.Dense)]
        self.coefs_ = [np.asarray(layer.kernel.numpy()) for layer in dense]
        self.intercepts_ = [np.asarray(layer.bias.numpy()) for layer in dense]

    def _restore(self, n_features, classes, coefs, intercepts, *, history=None, n_iter=0):
        """Make this (unfitted) classifier fitted with saved weights (skmnist.load).

        Builds the network from the current parameters, then sets the kernel and
        bias of each Dense layer; the shapes must match, else ValueError.
        """
        self._validate_params()
        self.classes_ = np.asarray(classes)
        self.n_features_in_ = int(n_features)
        self._build(self.n_features_in_, seed=None)
        dense = [layer for layer in self.model_.layers if isinstance(layer, keras.layers.Dense)]
        expected = [(tuple(layer.kernel.shape), tuple(layer.bias.shape)) for layer in dense]
        found = [(np.shape(w), np.shape(b)) for w, b in zip(coefs, intercepts)]
        if len(coefs) != len(intercepts) or found != expected:
            raise ValueError(
                f"The saved weights do not fit the network these parameters build: "
                f"expected kernel and bias shapes {expected}, got {found}. The file is "
                "corrupt or its parameters were changed."
            )
        for layer, kernel, bias in zip(dense, coefs, intercepts):
            layer.set_weights([np.asarray(kernel, np.float32), np.asarray(bias, np.float32)])
        self._snapshot_weights()
        self.history_ = {key: list(values) for key, values in (history or {}).items()}
        self.n_iter_ = int(n_iter)
        return self

    def _batches(self, X, y, sample_weight, seed):
        """Shuffled mini-batches, reshuffled every epoch from ``seed``."""
        arrays = (X, y) if sample_weight is None else (X, y, sample_weight)
        tensors = tuple(tf.convert_to_tensor(a) for a in arrays)
        n_samples = X.shape[0]
        return (
            tf.data.Dataset.range(n_samples)
            .shuffle(n_samples, seed=seed, reshuffle_each_iteration=True)
            .batch(self.batch_size)
            .map(lambda idx: tuple(tf.gather(t, idx) for t in tensors))
            .prefetch(tf.data.AUTOTUNE)
        )

    def _train(self, X, y, sample_weight, *, epochs, seed, validation_data=None):
        callbacks = []
        if validation_data is not None:
            callbacks.append(
                keras.callbacks.EarlyStopping(
                    monitor="val_loss",
                    patience=self.n_iter_no_change,
                    restore_best_weights=True,
                    verbose=int(self.verbose > 0),
                )
            )
        history = self.model_.fit(
            self._batches(X, y, sample_weight, seed),
            epochs=self.n_iter_ + epochs,
            initial_epoch=self.n_iter_,
            validation_data=validation_data,
            callbacks=callbacks,
            shuffle=False,  # the dataset shuffles itself, from the seed
            verbose=self.verbose,
        )
        for key, values in history.history.items():
            self.history_.setdefault(key, []).extend(float(v) for v in values)
        self.n_iter_ = len(self.history_["loss"])
        self._snapshot_weights()

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
        """
        X, y = self._validate_X_y(X, y, reset=True)
        self.classes_ = unique_labels(y)
        y, sample_weight = self._encode_targets(X, y, sample_weight)
        seed = self._seed()
        validation_data = None
        if self.early_stopping:
            X, y, sample_weight, validation_data = self._split_validation(
                X, y, sample_weight, seed
            )
        decay_steps = None
        if self.learning_rate_schedule == "cosine":
            decay_steps = self.epochs * -(-X.shape[0] // self.batch_size)
        self._build(X.shape[1], seed, decay_steps=decay_steps)
        self._train(X, y, sample_weight, epochs=self.epochs, seed=seed, validation_data=validation_data)
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
        `early_stopping` does not apply.

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
        first_call = _check_partial_fit_first_call(self, classes)
        if first_call:
            self._validate_params()
        X, y = self._validate_X_y(X, y, reset=first_call)
        y, sample_weight = self._encode_targets(X, y, sample_weight)
        seed = self._seed()
        if first_call:
            self._build(X.shape[1], seed)
        self._train(X, y, sample_weight, epochs=1, seed=seed)
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
        self._build(X.shape[1], self._seed())
        return self

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

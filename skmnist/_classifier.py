"""The Dense MLP classifier: a scikeras KerasClassifier that speaks scikit-learn 1.9.

This module holds the public estimator: its parameters and documentation,
``fit`` / ``partial_fit`` / ``initialize`` and prediction. How a fit runs is
in its base (``_mlp_base.py``) and the engine (``_engine.py``); the scikeras
repairs are in ``_scikeras_repairs.py``; defaults and names in ``_facts.py``.
"""

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.utils.validation import check_is_fitted

from ._facts import ACTIVATIONS, DEFAULTS
from ._inference import forward
from ._input_checks import validate_X
from ._mlp_base import BaseDenseMLP
from ._private_api import _fit_context

__all__ = ["DenseMLPClassifier"]

_D = DEFAULTS


class DenseMLPClassifier(BaseDenseMLP):
    """Multi-layer perceptron classifier trained with Keras.

    A Dense network (hidden layers with a common activation, optional dropout,
    softmax output) trained by a Keras optimizer on the cross-entropy. It is a
    :class:`scikeras.wrappers.KerasClassifier` with flat parameters named like
    :class:`~sklearn.neural_network.MLPClassifier`'s (so that
    :class:`~sklearn.model_selection.GridSearchCV` searches them), Keras
    callbacks, ``class_weight`` and ``warm_start``; training runs in a compiled
    loop shared by every fit of an architecture, prediction in NumPy. Under
    scikit-learn's callbacks (:meth:`set_callbacks`) each epoch is a subtask
    of the fit (``ProgressBar``, ``ScoringMonitor``). KerasClassifier
    parameters that do not apply (``model``, ``loss``, ``metrics``, ...) are
    refused with the reason and what to use instead.

    Parameters
    ----------
    hidden_layer_sizes : array-like of int, default=(512, 256)
        Units of each hidden layer, first to last. ``()`` gives a softmax
        (multinomial logistic) regression.

    activation : {"relu", "tanh", "logistic", "identity", "elu", "gelu"}, \
            default="relu"
        Activation of the hidden layers.

    dropout : float in [0, 1) or "auto", default="auto"
        Fraction of each hidden layer's units dropped at every training step
        (0 adds no Dropout layer). "auto" is 0.2 for fits of 10 epochs or
        more and 0 for shorter ones, which dropout only slows down.

    input_dropout : float in [0, 1), default=0.0
        Fraction of the input features (pixels) dropped at every training
        step, by a Dropout layer before the first hidden layer; 0 adds none.
        A light input dropout (0.1-0.2) regularises wide networks trained
        for many epochs (Srivastava et al., 2014); ``preset="best"`` uses 0.2.

    shift_range, rotation_range, zoom_range, shear_range : float >= 0, default=0.0
        Augmentation: each training image is redrawn at every step with a
        random shift of up to `shift_range` of its height and width, a
        rotation and a shear of up to `rotation_range` and `shear_range`
        degrees and a zoom by a factor in ``[1 - zoom_range, 1 + zoom_range]``
        (as Keras' ``ImageDataGenerator`` names them), inside the compiled
        loop, seeded by `random_state`; never at prediction. See
        :doc:`/augmentation` for what it costs and gains.

    elastic_alpha : float >= 0, default=0.0
        Elastic distortion (Simard et al., 2003): a random displacement field
        smoothed by a Gaussian of `elastic_sigma` pixels, scaled by
        `elastic_alpha` pixels (Simard: 34 with sigma 4). 0 turns it off.

    elastic_sigma : float in (0, 10], default=4.0
        Smoothness of the elastic distortion, in pixels.

    map_fraction : float in (0, 1], default=1.0
        The fraction of each training batch that the affine and elastic maps
        redraw (a random part: each epoch visits the images in a new order);
        the rest is seen as it is. Below 1 the maps cost less in proportion.

    stroke_variation : float in [0, 1], default=0.0
        Other pens: the probability that a training image is seen, at a
        step, with its strokes closed by 1 or 2 pixels (loops and gaps
        filled, as a thick pen fills them before
        :func:`~skmnist.prepare_digit_image` thins its strokes). Makes the
        model read users' thick-pen digits; the closings are computed once
        per fit and kept in bfloat16 (2 bytes per pixel per closing).

    image_shape : "auto" or (int, int), default="auto"
        Height and width of the flattened images, needed by augmentation
        only: "auto" means square images (28 x 28 for 784 features).

    optimizer : {"adam", "rmsprop", "sgd"} or keras.optimizers.Optimizer, \
            default="adam"
        The Keras optimizer. An instance is copied for each fit (its own
        settings are kept, its learning rate is replaced by `learning_rate`
        unless that is None).

    learning_rate : float > 0, "auto" or None, default="auto"
        Step size of the optimizer (its starting value with the cosine
        schedule). "auto" is 1e-3 for batches of up to 128 samples and grows
        with larger batches in proportion, up to 3e-3: 2e-3 for the batches
        of 256 that MNIST's 60,000 images get. None keeps the learning rate
        of an optimizer instance, schedule included (1e-3 for an optimizer
        name).

    learning_rate_schedule : {"auto", "cosine", "constant"}, default="auto"
        "auto" is "cosine" for fits of 10 epochs or more and "constant" for
        shorter ones. "cosine" lowers the learning rate from `learning_rate` to 0 along a
        half cosine over the `epochs` of :meth:`fit`, which makes the last
        epochs settle instead of hopping around a minimum (on MNIST the
        default network ends 0.3 to 0.5 points more accurate than with
        "constant"). :meth:`partial_fit`, whose number of epochs is unknown,
        always uses a constant rate.

    epochs : int >= 1, default=15
        Passes over the training data (the most, with `early_stopping`).

    batch_size : int >= 1 or "auto", default="auto"
        Samples per gradient step. "auto" is ``n_samples // 100`` clipped to
        [32, 256]: 256 for MNIST's 60,000 images, 32 below 3,200 images, so
        that a small training set still gets enough steps.

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


    def __init__(
        self,
        hidden_layer_sizes=_D["hidden_layer_sizes"],
        *,
        activation=_D["activation"],
        dropout=_D["dropout"],
        input_dropout=_D["input_dropout"],
        shift_range=_D["shift_range"],
        rotation_range=_D["rotation_range"],
        zoom_range=_D["zoom_range"],
        shear_range=_D["shear_range"],
        elastic_alpha=_D["elastic_alpha"],
        elastic_sigma=_D["elastic_sigma"],
        map_fraction=_D["map_fraction"],
        stroke_variation=_D["stroke_variation"],
        image_shape=_D["image_shape"],
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
        self.shift_range = shift_range
        self.rotation_range = rotation_range
        self.zoom_range = zoom_range
        self.shear_range = shear_range
        self.elastic_alpha = elastic_alpha
        self.elastic_sigma = elastic_sigma
        self.map_fraction = map_fraction
        self.stroke_variation = stroke_variation
        self.image_shape = image_shape
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
        return self._atomic(self._initialize, X, y)

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

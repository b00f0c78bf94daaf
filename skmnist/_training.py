"""Train the Keras network with one compiled loop per architecture, reused across fits.

``keras.Model.fit`` pays a Python round trip per batch (callbacks, metrics,
an iterator), builds a new ``tf.function`` for every new model, and leaves a
few MiB of graph behind each time: slow for small networks and a leak for
:class:`~sklearn.model_selection.GridSearchCV`, which fits hundreds of them.

A :class:`Trainer` holds one Keras network and one Keras optimizer for an
architecture, and one ``tf.function`` with a fixed input signature that runs
many mini-batch steps per call inside the graph (the batches are gathered
there from the whole training set, by a permutation drawn in NumPy). Every fit
of that architecture reuses it: the weights are re-drawn from the fit's seed
and the optimizer's slots are zeroed, so a fit gives the same result as on a
brand-new network, without tracing a new graph. Trainers live in a small
per-thread cache (:func:`get_trainer`).

A plain Adam (``optimizer="adam"``, or a ``keras.optimizers.Adam`` without
amsgrad, weight decay, clipping, EMA or gradient accumulation) is applied by
TensorFlow's fused ``ResourceApplyAdam`` kernel on the Keras optimizer's own
slots: the same update as Keras' (``m += (g - m)(1 - b1)``, ``v += (g² -
v)(1 - b2)``, ``w -= lr·sqrt(1 - b2^t)/(1 - b1^t)·m/(sqrt(v) + eps)``) in one
pass over memory instead of a dozen, about a fifth of a wide network's
training time. ``tests/test_training.py`` checks it against ``Adam.apply``.
"""

import json
import threading
from collections import OrderedDict

import numpy as np

from ._augment import Augmenter, closed_strokes, no_strokes
from ._facts import ACTIVATIONS, DEFAULT_LEARNING_RATE, derive_seed
from ._keras import keras, tf
from ._model import INPUT_DROPOUT, build_mlp, optimizer_class
from ._private_api import adam_slots, dropout_seed_state, has_adam_slots

__all__ = ["Trainer", "clear_trainers", "get_trainer"]

#: Samples per call of the compiled loop: the loop returns to Python (for the
#: progress bar, batch-level callbacks and Ctrl-C) this often, and costs a few
#: ms per call.
SAMPLES_PER_CALL = 16384

#: Trainers kept per process (each holds its network and optimizer slots).
MAX_TRAINERS = 8


class _Rate:
    """The learning rate: constant, or a half cosine from ``base`` to 0.

    The rate, the number of decay steps and the step the decay starts from
    are variables, so that one traced training loop serves every learning
    rate and every length of fit. ``decay_steps == 0`` means constant. The
    optimizer's own (public, settable) ``learning_rate`` variable holds
    ``rate(iterations)``: written before each step for Keras' ``apply``, once
    per call of the loop for the fused Adam (which takes the rate directly),
    and by :meth:`Trainer.current_learning_rate` before a Keras callback runs.
    """

    def __init__(self):
        self.base = tf.Variable(DEFAULT_LEARNING_RATE, dtype=tf.float32, trainable=False)
        self.decay_steps = tf.Variable(0.0, dtype=tf.float32, trainable=False)
        self.start_step = tf.Variable(0.0, dtype=tf.float32, trainable=False)

    def __call__(self, step):
        step = tf.cast(step, tf.float32) - self.start_step
        progress = tf.minimum(step, self.decay_steps) / tf.maximum(self.decay_steps, 1.0)
        cosine = 0.5 * (1.0 + tf.cos(np.pi * progress))
        return self.base * tf.where(self.decay_steps > 0, cosine, 1.0)


def _fusable_adam(optimizer):
    """Whether ``optimizer.apply`` is exactly Adam's update, fit for the fused kernel."""
    if type(optimizer) is not keras.optimizers.Adam:
        return False
    config = optimizer.get_config()
    plain = {
        "amsgrad": False,
        "weight_decay": None,
        "clipnorm": None,
        "clipvalue": None,
        "global_clipnorm": None,
        "use_ema": False,
        "loss_scale_factor": None,
        "gradient_accumulation_steps": None,
    }
    return all(config.get(name, value) == value for name, value in plain.items())


def _fused_adam_apply(optimizer, grads, variables, learning_rate=None):
    """``optimizer.apply(grads, variables)`` for a plain Adam, by ``ResourceApplyAdam``.

    ``learning_rate`` (a tensor) replaces the optimizer's own rate when given.
    """
    step = tf.cast(optimizer.iterations + 1, tf.float32)
    beta_1 = tf.constant(optimizer.beta_1, tf.float32)
    beta_2 = tf.constant(optimizer.beta_2, tf.float32)
    scalars = dict(
        beta1_power=tf.pow(beta_1, step),
        beta2_power=tf.pow(beta_2, step),
        lr=tf.cast(optimizer.learning_rate if learning_rate is None else learning_rate,
                   tf.float32),  # at this iteration
        beta1=beta_1,
        beta2=beta_2,
        epsilon=tf.constant(optimizer.epsilon, tf.float32),
    )
    for grad, variable in zip(grads, variables):
        m, v = adam_slots(optimizer, variable)
        tf.raw_ops.ResourceApplyAdam(
            var=variable.handle, m=m.handle, v=v.handle, grad=grad, **scalars
        )
    optimizer.iterations.assign_add(1)


def _optimizer_key(optimizer, learning_rate):
    if isinstance(optimizer, str):
        return optimizer
    config = dict(optimizer.get_config())
    if learning_rate is not None:
        config.pop("learning_rate", None)
    return (type(optimizer).__qualname__, json.dumps(config, sort_keys=True, default=repr))


class Trainer:
    """One Keras network, its optimizer and its compiled training loop.

    Parameters
    ----------
    n_features, n_classes : int
    hidden_layer_sizes : tuple of int
    activation : str
        scikit-learn's name (a key of :data:`~skmnist._facts.ACTIVATIONS`).
    dropout, input_dropout : float
    optimizer : str or keras.optimizers.Optimizer
    learning_rate : float or None
        Only whether it is None matters here: None keeps an optimizer
        instance's own learning rate (schedule included).
    image_shape : tuple of (int, int) or None
        The images' shape, to augment each batch in the loop
        (:class:`~skmnist._augment.Augmenter`); None: no augmentation.
    """

    def __init__(
        self, n_features, n_classes, hidden_layer_sizes, activation, dropout, optimizer,
        learning_rate, input_dropout=0.0, image_shape=None,
    ):
        self.activation = ACTIVATIONS[activation]  # Keras' name
        self.model = build_mlp(
            n_features,
            n_classes,
            hidden_layer_sizes=hidden_layer_sizes,
            activation=activation,
            dropout=dropout,
            input_dropout=input_dropout,
            seed=0,
        )
        self.dense = [layer for layer in self.model.layers if isinstance(layer, keras.layers.Dense)]
        # The hidden layers' Dropout first (their seeds do not depend on
        # input_dropout), then the input's.
        self.dropouts = sorted(
            (layer for layer in self.model.layers if isinstance(layer, keras.layers.Dropout)),
            key=lambda layer: layer.name == INPUT_DROPOUT,
        )
        self.rate = _Rate()
        self.augmenter = None if image_shape is None else Augmenter(image_shape)
        self._instance_rate = None
        if isinstance(optimizer, str):
            self.optimizer = optimizer_class(optimizer)(learning_rate=DEFAULT_LEARNING_RATE)
            own_rate = True
        else:
            config = dict(optimizer.get_config())
            rate = config.get("learning_rate")
            own_rate = learning_rate is not None or isinstance(rate, (int, float))
            if own_rate:
                if isinstance(rate, (int, float)):
                    self._instance_rate = float(rate)
                config["learning_rate"] = DEFAULT_LEARNING_RATE
            self.optimizer = type(optimizer).from_config(config)
        self.optimizer.build(self.model.trainable_variables)
        # With a rate of our own, the optimizer's learning rate is a plain
        # variable that the loop sets from self.rate before each step.
        self.lr_variable = self.optimizer.learning_rate if own_rate else None
        self.state_variables = [v for v in self.optimizer.variables if v is not self.lr_variable]
        self.fused_adam = _fusable_adam(self.optimizer) and has_adam_slots(self.optimizer)
        spec = (
            tf.TensorSpec([None, n_features], tf.float32),  # X
            tf.TensorSpec([None], tf.int32),  # y (class indices)
            tf.TensorSpec([None], tf.float32),  # sample weights
            tf.TensorSpec([None], tf.int32),  # the epoch's permutation
            tf.TensorSpec([], tf.int32),  # first step of this call
            tf.TensorSpec([], tf.int32),  # steps in this call
            tf.TensorSpec([], tf.int32),  # batch size
            tf.TensorSpec([], tf.int32),  # the epoch's augmentation seed
            tf.TensorSpec([None, n_features], tf.bfloat16),  # closed_strokes(X), or none
        )
        self._no_strokes = no_strokes(n_features)
        self._steps = tf.function(self._run_steps, input_signature=spec, autograph=False)

    # -- the compiled loop -----------------------------------------------------

    def _run_steps(self, X, y, w, order, first, n_steps, batch_size, augment_seed, strokes):
        # An explicit tf.while_loop, traced without AutoGraph: AutoGraph's rewrite of
        # a Python for loop is most of a first fit's tracing time (about 0.3 s of
        # every new process), and gives the same graph.
        variables = self.model.trainable_variables
        n_samples = tf.shape(order)[0]

        def step_fn(step, loss_sum, correct_sum):
            start = step * batch_size
            idx = order[start : tf.minimum(start + batch_size, n_samples)]
            xb, yb, wb = tf.gather(X, idx), tf.gather(y, idx), tf.gather(w, idx)
            if self.augmenter is not None:
                xb = self.augmenter(xb, tf.stack([augment_seed, step]), strokes, idx)
            rate = None
            if self.lr_variable is not None:
                rate = self.rate(self.optimizer.iterations)
                if not self.fused_adam:  # Keras' apply reads the optimizer's variable
                    self.lr_variable.assign(rate)
            with tf.GradientTape() as tape:
                proba = self.model(xb, training=True)
                losses = keras.losses.sparse_categorical_crossentropy(yb, proba)
                # Keras' "sum over batch size" reduction, as model.fit uses.
                loss = tf.reduce_sum(losses * wb) / tf.cast(tf.shape(idx)[0], tf.float32)
            grads = tape.gradient(loss, variables)
            self._apply(grads, variables, rate)
            hits = tf.cast(tf.equal(tf.argmax(proba, axis=1, output_type=tf.int32), yb), tf.float32)
            return (step + 1, loss_sum + tf.reduce_sum(losses * wb),
                    correct_sum + tf.reduce_sum(hits * wb))

        _, loss_sum, correct_sum = tf.while_loop(
            lambda step, loss_sum, correct_sum: step < first + n_steps, step_fn,
            (first, tf.constant(0.0), tf.constant(0.0)),
        )
        if self.lr_variable is not None and self.fused_adam:
            # once per call, not per step: what a callback reads between calls
            self.lr_variable.assign(self.rate(self.optimizer.iterations))
        return loss_sum, correct_sum

    def _apply(self, grads, variables, rate):
        if self.fused_adam:
            _fused_adam_apply(self.optimizer, grads, variables, rate)
        else:
            self.optimizer.apply(grads, variables)

    # -- state -------------------------------------------------------------------

    def reset(self, seed):
        """Fresh Glorot-uniform weights from ``seed``, zero biases, a new optimizer."""
        for i, layer in enumerate(self.dense):
            init = keras.initializers.GlorotUniform(seed=derive_seed(seed, 2 * i))
            layer.kernel.assign(init(layer.kernel.shape))
            layer.bias.assign(tf.zeros_like(layer.bias))
        for variable in self.state_variables:
            variable.assign(tf.zeros_like(variable))

    def set_weights(self, coefs, intercepts, optimizer_state=None):
        """Load weights (and optimizer slots, else zeroed) from NumPy."""
        for layer, coef, intercept in zip(self.dense, coefs, intercepts):
            layer.kernel.assign(coef)
            layer.bias.assign(intercept)
        if optimizer_state is None:
            optimizer_state = [np.zeros(v.shape, v.dtype) for v in self.state_variables]
        for variable, value in zip(self.state_variables, optimizer_state):
            variable.assign(value)

    def weights(self):
        """Kernels and biases of the Dense layers, as new NumPy arrays."""
        coefs = [np.array(layer.kernel.numpy()) for layer in self.dense]
        intercepts = [np.array(layer.bias.numpy()) for layer in self.dense]
        return coefs, intercepts

    def optimizer_state(self):
        """The optimizer's step count and slots, as new NumPy arrays."""
        return [np.array(v.numpy()) for v in self.state_variables]

    def optimizer_state_spec(self):
        """Shapes and dtypes of :meth:`optimizer_state`'s arrays."""
        return [(tuple(v.shape), np.dtype(v.dtype)) for v in self.state_variables]

    def set_learning_rate(self, learning_rate, decay_steps):
        """Set the rate (None keeps an instance's own) and a cosine of ``decay_steps``
        steps from the optimizer's current step (0: constant)."""
        if self.lr_variable is None:
            return
        if learning_rate is None:
            learning_rate = self._instance_rate or DEFAULT_LEARNING_RATE
        self.rate.base.assign(float(learning_rate))
        self.rate.decay_steps.assign(float(decay_steps))
        self.rate.start_step.assign(float(self.optimizer.iterations.numpy()))

    def current_learning_rate(self):
        """The rate of the next step, also written into ``optimizer.learning_rate``."""
        if self.lr_variable is not None:
            self.lr_variable.assign(self.rate(self.optimizer.iterations))
        return float(keras.ops.convert_to_numpy(self.optimizer.learning_rate))

    def set_augmentation(self, settings):
        """Augment batches with these ranges (None: not at all), if the trainer can."""
        if self.augmenter is not None:
            self.augmenter.set(settings)

    def stroke_variants(self, X, settings):
        """:func:`~skmnist._augment.closed_strokes` of ``X`` (a tensor) when ``settings``
        ask for other pens and the trainer augments, else None."""
        if self.augmenter is None or settings is None or settings["stroke_variation"] <= 0:
            return None
        return closed_strokes(X, (self.augmenter.height, self.augmenter.width))

    def take_learning_rate(self, learning_rate):
        """From now on train at this constant rate (a callback set it)."""
        self.rate.base.assign(float(learning_rate))
        self.rate.decay_steps.assign(0.0)

    def keras_model(self):
        """The network, compiled with its optimizer, for Keras callbacks (``callback.model``)."""
        if not self.model.compiled:
            self.model.compile(
                optimizer=self.optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"]
            )
        return self.model

    # -- training ----------------------------------------------------------------

    def run_epoch(self, data, order, batch_size, dropout_seed, on_steps=None, before_steps=None,
                  augment_seed=0, strokes=None):
        """One pass over ``data`` (tensors X, y, w) in the order ``order``.

        ``augment_seed`` seeds the epoch's augmentation, if the trainer has any;
        ``strokes`` are :meth:`stroke_variants` of X (None: no other pens).

        ``before_steps(first_step, last_step)`` and ``on_steps(first_step,
        last_step, n_steps, loss_sum, correct_sum)`` are called before and
        after each call of the compiled loop. Returns the epoch's
        weighted mean loss and accuracy (dropout on, as ``model.fit`` reports
        them).
        """
        X, y, w = data
        for i, layer in enumerate(self.dropouts):
            state = dropout_seed_state(layer)
            state.assign(np.array([derive_seed(dropout_seed, i), 0], dtype=state.dtype))
        n_samples = len(order)
        n_steps = -(-n_samples // batch_size)
        per_call = max(1, SAMPLES_PER_CALL // batch_size)
        order_t = tf.constant(order, dtype=tf.int32)
        loss_sum = correct_sum = 0.0
        for first in range(0, n_steps, per_call):
            n = min(per_call, n_steps - first)
            if before_steps is not None:
                before_steps(first, first + n - 1)
            loss, correct = self._steps(
                X, y, w, order_t, tf.constant(first), tf.constant(n), tf.constant(batch_size),
                tf.constant(augment_seed), self._no_strokes if strokes is None else strokes,
            )
            loss_sum += float(loss)
            correct_sum += float(correct)
            if on_steps is not None:
                on_steps(first, first + n - 1, n_steps, loss_sum, correct_sum)
        total = float(tf.reduce_sum(w))
        return loss_sum / max(n_samples, 1), correct_sum / max(total, 1e-12)


_TRAINERS = OrderedDict()
_TRAINERS_LOCK = threading.Lock()


def get_trainer(n_features, n_classes, *, hidden_layer_sizes, activation, dropout, optimizer,
                learning_rate, input_dropout=0.0, image_shape=None):
    """The cached :class:`Trainer` for this architecture and this thread."""
    key = (
        threading.get_ident(),
        int(n_features),
        int(n_classes),
        tuple(hidden_layer_sizes),
        ACTIVATIONS[activation],
        float(dropout),
        float(input_dropout),
        _optimizer_key(optimizer, learning_rate),
        learning_rate is None,
        None if image_shape is None else tuple(image_shape),
    )
    with _TRAINERS_LOCK:
        trainer = _TRAINERS.get(key)
        if trainer is not None:
            _TRAINERS.move_to_end(key)
            return trainer
    trainer = Trainer(
        n_features, n_classes, hidden_layer_sizes, activation, dropout, optimizer, learning_rate,
        input_dropout, image_shape,
    )
    with _TRAINERS_LOCK:
        _TRAINERS[key] = trainer
        while len(_TRAINERS) > MAX_TRAINERS:
            _TRAINERS.popitem(last=False)
    return trainer


def clear_trainers():
    """Forget every cached trainer (their graphs are freed with them)."""
    with _TRAINERS_LOCK:
        _TRAINERS.clear()

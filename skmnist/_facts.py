"""The facts every part of skmnist shares, each stated once.

Names of activations, optimizers and schedules, the classifier's defaults,
the pipeline's presets and the seed rules. The estimator, the engine, the
command line (whose ``--help`` must not import TensorFlow), the report,
the plots and the docs read them from here instead of keeping copies.
This module imports nothing heavy.
"""

import numpy as np

__all__ = [
    "ACTIVATIONS",
    "ACTIVATION_LABELS",
    "DEFAULTS",
    "DEFAULT_LEARNING_RATE",
    "MAX_SEED",
    "OPTIMIZERS",
    "PRESETS",
    "PRESET_SUMMARIES",
    "SCHEDULES",
    "derive_seed",
    "draw_seed",
    "epoch_order",
]

#: scikit-learn's activation names (MLPClassifier's) and two modern ones,
#: mapped to Keras' names (the NumPy twins in ``_inference`` use Keras' names).
ACTIVATIONS = {
    "identity": "linear",
    "logistic": "sigmoid",
    "tanh": "tanh",
    "relu": "relu",
    "elu": "elu",
    "gelu": "gelu",
}

#: How the activations are written for people (plots, reports).
ACTIVATION_LABELS = {
    "identity": "identity",
    "logistic": "logistic",
    "tanh": "tanh",
    "relu": "ReLU",
    "elu": "ELU",
    "gelu": "GELU",
}

#: Optimizer names accepted by ``DenseMLPClassifier(optimizer=...)``, and the
#: ``keras.optimizers`` class each names.
OPTIMIZERS = {"adam": "Adam", "rmsprop": "RMSprop", "sgd": "SGD"}

#: Learning-rate schedules of ``DenseMLPClassifier(learning_rate_schedule=...)``.
SCHEDULES = ("cosine", "constant")

#: Learning rate of a named optimizer when ``learning_rate=None``.
DEFAULT_LEARNING_RATE = 1e-3

#: DenseMLPClassifier's defaults (its signature reads them from here).
DEFAULTS = {
    "hidden_layer_sizes": (512, 256),
    "activation": "relu",
    "dropout": 0.2,
    "input_dropout": 0.0,
    "shift_range": 0.0,
    "rotation_range": 0.0,
    "zoom_range": 0.0,
    "shear_range": 0.0,
    "elastic_alpha": 0.0,
    "elastic_sigma": 4.0,
    "image_shape": "auto",
    "optimizer": "adam",
    "learning_rate": DEFAULT_LEARNING_RATE,
    "learning_rate_schedule": "cosine",
    "epochs": 15,
    "batch_size": 128,
    "early_stopping": False,
    "validation_fraction": 0.1,
    "n_iter_no_change": 5,
    "class_weight": None,
    "warm_start": False,
    "callbacks": None,
    "random_state": None,
    "verbose": 0,
}

#: Named sets of parameters for ``make_mlp_pipeline(preset=...)``; measured
#: on MNIST with 2 CPU cores (``benchmarks/bench_performance.py``).
PRESETS = {
    # The classifier's own defaults: 512-256 ReLU, dropout 0.2, Adam 1e-3 with
    # a cosine schedule, 15 epochs of batches of 128 (98.5-98.6%, ~20 s).
    "default": {},
    # Wider, longer, and a fifth of the pixels dropped at each step; still a
    # plain MLP (no convolution, no augmentation): 98.82-98.86%, ~140 s.
    "best": {
        "hidden_layer_sizes": (1200, 1200),
        "dropout": 0.4,
        "input_dropout": 0.2,
        "epochs": 40,
        "batch_size": 256,
    },
}


def _summary(params):
    if not params:
        return "the classifier's defaults"
    units = "-".join(str(u) for u in params.get("hidden_layer_sizes", DEFAULTS["hidden_layer_sizes"]))
    return (
        f"{units} units, dropout {params.get('dropout', DEFAULTS['dropout'])}, input dropout "
        f"{params.get('input_dropout', DEFAULTS['input_dropout'])}, "
        f"{params.get('epochs', DEFAULTS['epochs'])} epochs of "
        f"{params.get('batch_size', DEFAULTS['batch_size'])}"
    )


#: One line per preset, for ``--help`` and the docs.
PRESET_SUMMARIES = {name: _summary(params) for name, params in PRESETS.items()}

#: Seeds are drawn below this bound (TensorFlow's and NumPy's int32 seeds).
MAX_SEED = 2**31 - 1


def draw_seed(random_state):
    """The seed of one fit, drawn from `random_state` (NumPy's global RNG if None)."""
    from sklearn.utils import check_random_state

    return int(check_random_state(random_state).randint(MAX_SEED))


def derive_seed(seed, offset):
    """A distinct, reproducible seed per layer and purpose, from a fit's seed.

    The weights of Dense layer ``i`` use ``offset = 2 * i``; the dropout layers
    of epoch ``e`` use the seed ``derive_seed(seed, 1000 + e)`` and, from it,
    ``derive_seed(that, j)`` for dropout layer ``j``.
    """
    return (int(seed) * 1_000_003 + int(offset)) % MAX_SEED


def epoch_order(seed, epoch, n_samples):
    """The order in which epoch ``epoch`` of a fit seeded ``seed`` visits the samples."""
    return np.random.default_rng([seed, epoch]).permutation(n_samples)

"""The facts every part of skmnist shares, each stated once.

Names of activations, optimizers and schedules, the classifier's defaults,
the pipeline's presets, the seed rules and ``skmnist serve``'s defaults. The estimator, the engine, the
command line (whose ``--help`` must not import TensorFlow), the report,
the plots and the docs read them from here instead of keeping copies.
This module imports nothing heavy.
"""

import numbers

import numpy as np

__all__ = [
    "ACTIVATIONS",
    "ACTIVATION_LABELS",
    "DEFAULTS",
    "DEFAULT_LEARNING_RATE",
    "DEFAULT_MODEL_FILE",
    "DIGIT_AUGMENTATION",
    "MAX_SEED",
    "NO_DIGIT_AUGMENTATION",
    "OPTIMIZERS",
    "PRESETS",
    "PRESET_SUMMARIES",
    "SCHEDULES",
    "SERVE_BODY_MB_RANGE",
    "SERVE_DEFAULTS",
    "SHORT_FIT_EPOCHS",
    "auto_batch_size",
    "auto_dropout",
    "auto_learning_rate",
    "auto_schedule",
    "derive_seed",
    "draw_seed",
    "epoch_order",
    "is_short_fit",
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

#: Fits of fewer epochs than this are "short": ``dropout="auto"`` is 0 and
#: ``learning_rate_schedule="auto"`` is "constant" for them. Dropout and a
#: decaying rate pay off once a network trains long enough to overfit and to
#: hop around a minimum; in a fit of a few epochs they only slow it down
#: (the tutorials' 32-unit, 2-epoch model: 93.49% with dropout 0.2 and the
#: cosine, 94.94% without either).
SHORT_FIT_EPOCHS = 10


def is_short_fit(epochs):
    """Whether a fit of ``epochs`` epochs is short (see SHORT_FIT_EPOCHS): such fits
    of ``make_mlp_pipeline()`` also leave out its digit augmentation, and
    ``skmnist grid`` estimates them without it. Values that are not integers are
    not short here; the fit's own checks refuse them."""
    return isinstance(epochs, numbers.Integral) and epochs < SHORT_FIT_EPOCHS

#: Dropout of ``dropout="auto"`` in fits of at least SHORT_FIT_EPOCHS epochs.
LONG_FIT_DROPOUT = 0.2


def auto_dropout(dropout, epochs):
    """The dropout a fit of ``epochs`` epochs uses for the parameter value ``dropout``."""
    if dropout != "auto":
        return float(dropout)
    return 0.0 if is_short_fit(epochs) else LONG_FIT_DROPOUT


def auto_schedule(schedule, epochs):
    """The learning-rate schedule a fit of ``epochs`` epochs uses for ``schedule``."""
    if schedule != "auto":
        return schedule
    return "constant" if is_short_fit(epochs) else "cosine"


#: ``batch_size="auto"`` is n_samples // SAMPLES_PER_BATCH_STEP, clipped to
#: [MIN_AUTO_BATCH, MAX_AUTO_BATCH]: 256 from 25,600 samples up (MNIST's
#: 60,000), 32 below 3,200, so a small training set still gets enough steps
#: (1,000 MNIST images, default network: 90.5% with batches of 128, 91.2% of 32),
#: and a large one fewer, cheaper steps (60,000 images, 15 epochs at the auto
#: rate: batches of 256 98.64% in 9.3 s, of 128 98.52% in 12.2 s).
SAMPLES_PER_BATCH_STEP = 100
MIN_AUTO_BATCH, MAX_AUTO_BATCH = 32, 256


def auto_batch_size(batch_size, n_samples):
    """The batch size a fit on ``n_samples`` samples uses for the parameter ``batch_size``."""
    if batch_size != "auto":
        return int(batch_size)
    return int(min(MAX_AUTO_BATCH, max(MIN_AUTO_BATCH, n_samples // SAMPLES_PER_BATCH_STEP)))


#: Learning rate of a named optimizer when ``learning_rate=None``, and of
#: ``learning_rate="auto"`` for batches of up to AUTO_RATE_BATCH samples.
DEFAULT_LEARNING_RATE = 1e-3
#: ``learning_rate="auto"`` grows with the batch over this size, in proportion
#: (the linear scaling rule, Goyal et al. 2017), up to MAX_AUTO_LEARNING_RATE:
#: batches of 256 train at 2e-3 (the default network on MNIST, 15 epochs:
#: 98.40% at 1e-3, 98.51% at 1.4e-3, 98.64% at 2e-3).
AUTO_RATE_BATCH = 128
MAX_AUTO_LEARNING_RATE = 3e-3


def auto_learning_rate(learning_rate, batch_size):
    """The learning rate a fit in batches of ``batch_size`` uses for ``learning_rate``."""
    if not isinstance(learning_rate, str):  # a number, or None (an optimizer's own rate)
        return learning_rate
    scale = max(1.0, batch_size / AUTO_RATE_BATCH)
    return min(MAX_AUTO_LEARNING_RATE, DEFAULT_LEARNING_RATE * scale)

#: DenseMLPClassifier's defaults (its signature reads them from here).
DEFAULTS = {
    "hidden_layer_sizes": (512, 256),
    "activation": "relu",
    "dropout": "auto",
    "input_dropout": 0.0,
    "shift_range": 0.0,
    "rotation_range": 0.0,
    "zoom_range": 0.0,
    "shear_range": 0.0,
    "elastic_alpha": 0.0,
    "elastic_sigma": 4.0,
    "map_fraction": 1.0,
    "stroke_variation": 0.0,
    "image_shape": "auto",
    "optimizer": "adam",
    "learning_rate": "auto",
    "learning_rate_schedule": "auto",
    "epochs": 15,
    "batch_size": "auto",
    "early_stopping": False,
    "validation_fraction": 0.1,
    "n_iter_no_change": 5,
    "class_weight": None,
    "warm_start": False,
    "callbacks": None,
    "random_state": None,
    "verbose": 0,
}

#: How ``make_mlp_pipeline()`` redraws digits by default: half of each batch
#: by small affine maps, and half of the images with other pens (their loops
#: closed, as thick pens close them). Users' digits (tests/_users_digits.py,
#: 12,000 digits, both read by the current prepare_digit_image): 96.02% for the
#: previous default (15 epochs, no augmentation), 97.61% with; MNIST's test set:
#: 98.56% -> 98.84%, in 13.7 s -> 12.4 s (benchmarks/bench_quality.py, 2026-11-26).
DIGIT_AUGMENTATION = {
    "shift_range": 0.08,
    "rotation_range": 10.0,
    "zoom_range": 0.1,
    "shear_range": 10.0,
    "map_fraction": 0.5,
    "stroke_variation": 0.5,
}
#: The same parameters at the classifier's defaults: augmentation off.
NO_DIGIT_AUGMENTATION = {name: DEFAULTS[name] for name in DIGIT_AUGMENTATION}

#: Named sets of parameters for ``make_mlp_pipeline(preset=...)``; measured
#: on MNIST with 2 CPU cores (``benchmarks/bench_quality.py``, figures in
#: docs/performance.md).
PRESETS = {
    # The classifier's defaults (512-256 ReLU, dropout 0.2, Adam with a cosine
    # schedule, batches of 256 at 2e-3 on MNIST: all "auto") for 10 epochs, on
    # digits redrawn by DIGIT_AUGMENTATION. make_mlp_pipeline leaves the
    # augmentation out of fits shorter than SHORT_FIT_EPOCHS.
    "default": {"epochs": 10, **DIGIT_AUGMENTATION},
    # The default network at a higher rate for 10 epochs, on the digits as they
    # are: the quickest to 98.0% and 98.5% (98.66%, against the default's 98.84%).
    "fast": {
        "learning_rate": 3e-3,
        "epochs": 10,
        "batch_size": 256,
    },
    # Wider and longer, on digits redrawn at every step (affine maps and elastic
    # distortions, Simard et al. 2003): still a plain Dense network, 99.3-99.4%.
    "best": {
        "hidden_layer_sizes": (1200, 1200),
        "dropout": 0.3,
        "learning_rate": 1e-3,
        "epochs": 40,
        "batch_size": 256,
        "shift_range": 0.08,
        "rotation_range": 10.0,
        "zoom_range": 0.1,
        "shear_range": 10.0,
        "elastic_alpha": 20.0,
        "elastic_sigma": 4.0,
    },
}


def _summary(params):
    units = "-".join(str(u) for u in params.get("hidden_layer_sizes", DEFAULTS["hidden_layer_sizes"]))
    text = (
        f"{units} units, dropout {params.get('dropout', DEFAULTS['dropout'])}, "
        f"learning rate {params.get('learning_rate', DEFAULTS['learning_rate'])}, "
        f"{params.get('epochs', DEFAULTS['epochs'])} epochs of "
        f"{params.get('batch_size', DEFAULTS['batch_size'])}"
    )
    if params.get("elastic_alpha"):
        text += ", digits redrawn at every step (affine and elastic)"
    elif params.get("rotation_range"):
        text += ", digits redrawn (half of each batch by affine maps, half with other pens)"
    return text


#: One line per preset, for ``--help`` and the docs.
PRESET_SUMMARIES = {name: _summary(params) for name, params in PRESETS.items()}

#: Where ``skmnist train`` writes its model, and where ``serve`` looks for one.
DEFAULT_MODEL_FILE = "skmnist-mlp.skmnist"

#: ``skmnist serve``'s defaults (and ``create_app``'s body limit): this machine
#: only, port 8000, request bodies up to 10 MiB (a phone photo fits).
SERVE_DEFAULTS = {"host": "127.0.0.1", "port": 8000, "max_body_mb": 10.0}

#: The body limits ``skmnist serve --max-body-mb`` accepts, in MiB: from about
#: 1 KB (a JSON digit is about 3 KB) to 1 GiB (bodies are held in memory).
SERVE_BODY_MB_RANGE = (0.001, 1024.0)

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

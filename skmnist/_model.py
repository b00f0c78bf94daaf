"""Build the Keras network behind :class:`~skmnist.DenseMLPClassifier`."""

from ._keras import keras

__all__ = ["ACTIVATIONS", "DEFAULT_LEARNING_RATE", "INPUT_DROPOUT", "OPTIMIZERS", "build_mlp"]

#: scikit-learn's activation names (MLPClassifier's), and two modern ones,
#: mapped to Keras' names.
ACTIVATIONS = {
    "identity": "linear",
    "logistic": "sigmoid",
    "tanh": "tanh",
    "relu": "relu",
    "elu": "elu",
    "gelu": "gelu",
}

#: Optimizer names accepted by ``DenseMLPClassifier(optimizer=...)``.
OPTIMIZERS = {
    "adam": keras.optimizers.Adam,
    "rmsprop": keras.optimizers.RMSprop,
    "sgd": keras.optimizers.SGD,
}

#: Name of the Dropout layer on the inputs (``input_dropout > 0``).
INPUT_DROPOUT = "input_dropout"

#: Learning rate of a named optimizer when ``learning_rate=None``.
DEFAULT_LEARNING_RATE = 1e-3


def _seed(base, offset):
    """A distinct, reproducible seed per layer; None stays None (random)."""
    return None if base is None else (base + offset) % (2**31 - 1)


def build_mlp(
    n_features, n_classes, *, hidden_layer_sizes, activation, dropout, seed, input_dropout=0.0
):
    """Return an uncompiled ``keras.Sequential`` Dense network.

    ``n_features`` inputs (followed by Dropout when ``input_dropout > 0``),
    one Dense layer per entry of ``hidden_layer_sizes``
    (each followed by Dropout when ``dropout > 0``) and a softmax layer of
    ``n_classes`` units. Weights and dropout masks are drawn from ``seed``
    when it is an int, so two builds with the same seed are identical.
    """
    layers = [keras.Input(shape=(n_features,), name="pixels")]
    if input_dropout > 0:
        layers.append(
            keras.layers.Dropout(
                input_dropout, seed=_seed(seed, 2 * len(hidden_layer_sizes) + 1), name=INPUT_DROPOUT
            )
        )
    for i, units in enumerate(hidden_layer_sizes):
        layers.append(
            keras.layers.Dense(
                units,
                activation=ACTIVATIONS[activation],
                kernel_initializer=keras.initializers.GlorotUniform(seed=_seed(seed, 2 * i)),
                name=f"hidden_{i + 1}",
            )
        )
        if dropout > 0:
            layers.append(
                keras.layers.Dropout(dropout, seed=_seed(seed, 2 * i + 1), name=f"dropout_{i + 1}")
            )
    layers.append(
        keras.layers.Dense(
            n_classes,
            activation="softmax",
            kernel_initializer=keras.initializers.GlorotUniform(
                seed=_seed(seed, 2 * len(hidden_layer_sizes))
            ),
            name="output",
        )
    )
    return keras.Sequential(layers, name="dense_mlp")

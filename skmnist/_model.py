"""Build the Keras network behind :class:`~skmnist.DenseMLPClassifier`."""

from ._facts import ACTIVATIONS, OPTIMIZERS, derive_seed
from ._keras import keras

__all__ = ["INPUT_DROPOUT", "build_mlp", "optimizer_class"]

#: Name of the Dropout layer on the inputs (``input_dropout > 0``).
INPUT_DROPOUT = "input_dropout"


def optimizer_class(name):
    """The ``keras.optimizers`` class of an optimizer name of :data:`~skmnist._facts.OPTIMIZERS`."""
    return getattr(keras.optimizers, OPTIMIZERS[name])


def build_mlp(
    n_features, n_classes, *, hidden_layer_sizes, activation, dropout, seed, input_dropout=0.0
):
    """Return an uncompiled ``keras.Sequential`` Dense network.

    ``n_features`` inputs (followed by Dropout when ``input_dropout > 0``),
    one Dense layer per entry of ``hidden_layer_sizes``
    (each followed by Dropout when ``dropout > 0``) and a softmax layer of
    ``n_classes`` units. The Dense layers' Glorot-uniform weights are drawn
    by :func:`~skmnist._facts.derive_seed` from ``seed`` (layer ``i`` uses
    offset ``2 * i``), so two builds with the same seed are identical.
    """
    n_hidden = len(hidden_layer_sizes)

    def init(i):
        return keras.initializers.GlorotUniform(seed=derive_seed(seed, 2 * i))

    layers = [keras.Input(shape=(n_features,), name="pixels")]
    if input_dropout > 0:
        layers.append(
            keras.layers.Dropout(input_dropout, seed=derive_seed(seed, 2 * n_hidden + 1),
                                 name=INPUT_DROPOUT)
        )
    for i, units in enumerate(hidden_layer_sizes):
        layers.append(
            keras.layers.Dense(units, activation=ACTIVATIONS[activation], kernel_initializer=init(i),
                               name=f"hidden_{i + 1}")
        )
        if dropout > 0:
            layers.append(
                keras.layers.Dropout(dropout, seed=derive_seed(seed, 2 * i + 1), name=f"dropout_{i + 1}")
            )
    layers.append(
        keras.layers.Dense(n_classes, activation="softmax", kernel_initializer=init(n_hidden),
                           name="output")
    )
    return keras.Sequential(layers, name="dense_mlp")

import numpy as np

from skmnist._model import build_mlp


def test_builds_dense_layers_with_dropout_and_softmax_output():
    model = build_mlp(784, 10, hidden_layer_sizes=(64, 32), activation="relu", dropout=0.2, seed=0)
    kinds = [type(layer).__name__ for layer in model.layers]
    assert kinds == ["Dense", "Dropout", "Dense", "Dropout", "Dense"]
    assert [layer.units for layer in model.layers if hasattr(layer, "units")] == [64, 32, 10]
    assert model.output_shape == (None, 10)


def test_no_dropout_layer_when_dropout_is_zero():
    model = build_mlp(4, 3, hidden_layer_sizes=(8,), activation="tanh", dropout=0.0, seed=0)
    assert [type(layer).__name__ for layer in model.layers] == ["Dense", "Dense"]


def test_same_seed_same_initial_weights_other_seed_other_weights():
    def weights(seed):
        model = build_mlp(20, 3, hidden_layer_sizes=(8,), activation="relu", dropout=0.1, seed=seed)
        return model.get_weights()[0]

    np.testing.assert_array_equal(weights(5), weights(5))
    assert not np.array_equal(weights(5), weights(6))


def test_input_dropout_adds_a_dropout_layer_before_the_first_hidden_layer():
    model = build_mlp(
        20, 3, hidden_layer_sizes=(8,), activation="relu", dropout=0.5, input_dropout=0.2, seed=0
    )
    assert [layer.name for layer in model.layers] == [
        "input_dropout", "hidden_1", "dropout_1", "output"
    ]
    assert model.layers[0].rate == 0.2
    without = build_mlp(20, 3, hidden_layer_sizes=(8,), activation="relu", dropout=0.5, seed=0)
    assert "input_dropout" not in [layer.name for layer in without.layers]

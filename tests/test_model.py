import numpy as np
import pytest

from skmnist._keras import keras
from skmnist._model import build_mlp, make_optimizer


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


@pytest.mark.parametrize("name, cls", [("adam", "Adam"), ("rmsprop", "RMSprop"), ("sgd", "SGD")])
def test_optimizer_names_give_fresh_optimizers(name, cls):
    optimizer = make_optimizer(name, 0.01)
    assert type(optimizer).__name__ == cls
    assert np.isclose(float(optimizer.learning_rate), 0.01)
    assert make_optimizer(name, 0.01) is not optimizer


def test_optimizer_instance_is_copied_with_its_settings():
    original = keras.optimizers.RMSprop(learning_rate=0.2, rho=0.8)
    copy = make_optimizer(original, None)
    assert copy is not original and np.isclose(float(copy.learning_rate), 0.2)
    assert np.isclose(copy.rho, 0.8)


def test_decay_steps_give_a_cosine_schedule_from_the_learning_rate():
    optimizer = make_optimizer("adam", 0.02, decay_steps=50)
    schedule = optimizer._learning_rate
    assert isinstance(schedule, keras.optimizers.schedules.CosineDecay)
    assert np.isclose(float(schedule(0)), 0.02) and np.isclose(float(schedule(25)), 0.01)

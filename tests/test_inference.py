import numpy as np
import pytest

from skmnist._inference import forward
from skmnist._model import ACTIVATIONS, build_mlp


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_numpy_forward_pass_matches_keras_for_every_activation(activation):
    model = build_mlp(30, 4, hidden_layer_sizes=(16, 8), activation=activation, dropout=0.5, seed=0)
    X = np.random.RandomState(0).uniform(-2, 2, size=(50, 30)).astype(np.float32)
    weights = model.get_weights()
    proba = forward(X, weights[0::2], weights[1::2], ACTIVATIONS[activation])
    np.testing.assert_allclose(proba, model.predict(X, verbose=0), rtol=1e-5, atol=1e-6)


def test_chunked_rows_give_the_same_result_as_one_product(monkeypatch):
    import skmnist._inference as inference

    rng = np.random.RandomState(0)
    coefs = [rng.randn(5, 7).astype(np.float32), rng.randn(7, 3).astype(np.float32)]
    intercepts = [rng.randn(7).astype(np.float32), rng.randn(3).astype(np.float32)]
    X = rng.randn(25, 5).astype(np.float32)
    whole = forward(X, coefs, intercepts, "relu")
    monkeypatch.setattr(inference, "CHUNK_ROWS", 4)
    np.testing.assert_allclose(forward(X, coefs, intercepts, "relu"), whole, rtol=1e-6)

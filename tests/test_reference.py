"""Nothing changes silently: fixed-seed fits and a stored model file from release 0.1.0.

The references in ``tests/reference/`` were written by ``make_reference.py``
with the release before the architecture rework; every later refactoring must
reproduce them bit for bit (same machine kind, same TensorFlow build).
"""

import os

import numpy as np
import pytest

import skmnist
from tests.reference.make_reference import RECIPES, digits, fit_recipe

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "reference")


@pytest.fixture(scope="module")
def stored():
    with np.load(os.path.join(HERE, "fits.npz")) as data:
        return dict(data)


@pytest.mark.parametrize("name", sorted(RECIPES))
def test_fixed_seed_fit_gives_the_stored_probabilities_bit_for_bit(stored, name):
    _, _, X_test = digits()
    np.testing.assert_array_equal(fit_recipe(name).predict_proba(X_test), stored[name])


def test_model_file_written_by_release_0_1_0_still_loads_and_predicts_the_same():
    _, _, X_test = digits()
    images = np.round(X_test.reshape(-1, 8, 8) * 255).astype(np.uint8)
    model = skmnist.load(os.path.join(HERE, "model_v1.skmnist"))
    expected = np.load(os.path.join(HERE, "model_v1_proba.npy"))
    np.testing.assert_array_equal(model.predict_proba(images), expected)
    # and it trains on from the saved optimizer state
    model[-1].partial_fit(X_test, model[-1].predict(X_test))

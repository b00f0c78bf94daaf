"""The private Keras and scikit-learn names skmnist uses still exist and mean what we use them for.

When a release moves one, the test naming it fails here, loudly, before any
training code goes wrong; pyproject.toml bounds the versions to those tested.
"""

import re
import tomllib
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pytest
from packaging.requirements import Requirement

from skmnist import _private_api as private
from skmnist._keras import keras

ROOT = Path(__file__).resolve().parents[1]


def test_every_private_keras_use_is_listed_and_the_module_is_the_only_user():
    used = set()
    for path in (ROOT / "skmnist").glob("*.py"):
        if path.name == "_private_api.py":
            continue
        text = path.read_text()
        used |= set(re.findall(r"\._momentums|\._velocities|_get_variable_index|seed_generator"
                               r"|\._learning_rate\b|_writers|_summary_module|keras\.src|sklearn\.[\w.]*\._\w+", text))
        used |= {f"{path.name}: {line}" for line in text.splitlines()
                 if re.match(r"\s*from sklearn[\w.]* import .*\b_[a-z]", line)}
    assert used == set(), f"private names used outside skmnist/_private_api.py: {used}"
    assert set(private.KERAS_PRIVATE) == {
        "Optimizer._get_variable_index", "Adam._momentums", "Adam._velocities",
        "Dropout.seed_generator.state", "Optimizer._learning_rate", "CSVLogger.csv_file",
        "TensorBoard._writers", "TensorBoard._summary_module",
    }


def test_adam_slots_are_the_moment_variables_of_each_trainable_variable():
    kernel = keras.Variable(np.ones((3, 2), "float32"))
    bias = keras.Variable(np.zeros(2, "float32"))
    adam = keras.optimizers.Adam(0.1)
    adam.build([kernel, bias])
    assert private.has_adam_slots(adam)
    adam.apply([np.full((3, 2), 2.0, "float32"), np.ones(2, "float32")], [kernel, bias])
    m, v = private.adam_slots(adam, kernel)
    assert m.shape == v.shape == (3, 2)
    # Keras' own Adam: m = (1 - beta_1) * g, v = (1 - beta_2) * g^2 after one step
    np.testing.assert_allclose(m.numpy(), 0.1 * 2.0, rtol=1e-6)
    np.testing.assert_allclose(v.numpy(), 0.001 * 4.0, rtol=1e-6)


def test_dropout_seed_state_reseeds_the_masks():
    layer = keras.layers.Dropout(0.5, seed=1)
    x = np.ones((4, 50), "float32")
    state = private.dropout_seed_state(layer)
    assert tuple(state.shape) == (2,)
    state.assign(np.array([7, 0], dtype=state.dtype))
    first = layer(x, training=True).numpy()
    state.assign(np.array([7, 0], dtype=state.dtype))
    np.testing.assert_array_equal(layer(x, training=True).numpy(), first)
    state.assign(np.array([8, 0], dtype=state.dtype))
    assert not np.array_equal(layer(x, training=True).numpy(), first)


def test_optimizer_schedule_is_the_schedule_object_and_none_for_a_float_rate():
    schedule = keras.optimizers.schedules.ExponentialDecay(0.1, 10, 0.5)
    assert private.optimizer_schedule(keras.optimizers.SGD(schedule)) is schedule
    rate = private.optimizer_schedule(keras.optimizers.SGD(0.1))
    assert not isinstance(rate, keras.optimizers.schedules.LearningRateSchedule)


@pytest.mark.parametrize("package", ["tensorflow", "keras", "scikit-learn", "scikeras"])
def test_pyproject_bounds_the_packages_whose_private_names_we_use_to_the_tested_range(package):
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    requirement = next(Requirement(d) for d in dependencies if Requirement(d).name == package)
    assert any(spec.operator in ("<", "<=", "==", "~=") for spec in requirement.specifier), (
        f"{package} has no upper bound in pyproject.toml"
    )
    assert requirement.specifier.contains(version(package)), (
        f"installed {package} {version(package)} is outside {requirement.specifier}"
    )


def test_callbacks_keep_the_closed_resources_we_drop_after_a_keras_fit(tmp_path):
    pytest.importorskip("tensorboard")
    X, y = np.random.RandomState(0).rand(32, 4).astype("float32"), np.arange(32) % 2
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation="softmax")])
    model.compile("sgd", "sparse_categorical_crossentropy")
    logger = keras.callbacks.CSVLogger(str(tmp_path / "log.csv"))
    board = keras.callbacks.TensorBoard(str(tmp_path / "tb"))
    model.fit(X, y, epochs=1, verbose=0, callbacks=[logger, board])
    assert logger.csv_file.closed and "_writers" in vars(board) and "_summary_module" in vars(board)
    for callback in (logger, board):
        private.forget_closed_resources(callback)
    assert logger.csv_file is None
    assert vars(board)["_writers"] == {} and vars(board)["_summary_module"] is None


def test_callbacks_of_reads_what_set_callbacks_set_and_fits_keep_their_bookkeeping_names():
    from sklearn.callback import ProgressBar
    from sklearn.datasets import load_digits
    from sklearn.linear_model import LogisticRegression

    bar = ProgressBar()
    assert private.callbacks_of(LogisticRegression().set_callbacks(bar)) == [bar]
    assert private.callbacks_of(LogisticRegression()) == []

    class Peek:
        seen = set()

        def setup(self, estimator, context):
            pass

        def teardown(self, estimator, context):
            pass

        def on_fit_task_begin(self, estimator, context):
            Peek.seen |= set(vars(estimator))

        def on_fit_task_end(self, estimator, context):
            return False

    X, y = load_digits(return_X_y=True)
    LogisticRegression(max_iter=500).set_callbacks(Peek()).fit(X[:100] / 16, y[:100])
    assert set(private.CALLBACK_BOOKKEEPING) <= Peek.seen

import pickle

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.exceptions import NotFittedError
from sklearn.base import clone, is_classifier
from sklearn.utils.estimator_checks import parametrize_with_checks

from skmnist import DenseMLPClassifier
from skmnist._keras import keras

# Small and quick, yet able to learn the checks' toy problems.
FAST = dict(hidden_layer_sizes=(32,), epochs=20, batch_size=32, random_state=0)
# The checks' problems are tiny (a few steps per epoch): a larger step learns them.
CHECKED = dict(FAST, learning_rate=1e-2)

EXPECTED_FAILED_CHECKS = {
    "check_estimator_tags_renamed": (
        "scikeras' BaseWrapper, a base class we cannot change, still defines the "
        "pre-1.6 `_more_tags`; our `__sklearn_tags__` is the one scikit-learn uses."
    ),
    "check_sample_weight_equivalence_on_dense_data": (
        "mini-batch gradient descent: a sample of weight 2 is not the same as the "
        "sample seen twice in shuffled batches, so the fits differ slightly."
    ),
}


@parametrize_with_checks(
    [DenseMLPClassifier(**CHECKED)], expected_failed_checks=lambda est: EXPECTED_FAILED_CHECKS
)
def test_scikit_learn_estimator_checks(estimator, check):
    check(estimator)


def test_is_a_classifier_and_a_scikeras_keras_classifier():
    from scikeras.wrappers import KerasClassifier

    clf = DenseMLPClassifier()
    assert is_classifier(clf)
    assert isinstance(clf, KerasClassifier)


@pytest.mark.parametrize(
    "params, name",
    [
        ({"hidden_layer_sizes": (0,)}, "hidden_layer_sizes"),
        ({"hidden_layer_sizes": (32, -4)}, "hidden_layer_sizes"),
        ({"learning_rate": -1}, "learning_rate"),
        ({"optimizer": "adamw"}, "optimizer"),
        ({"epochs": 0}, "epochs"),
        ({"dropout": 1.0}, "dropout"),
        ({"input_dropout": 1.0}, "input_dropout"),
        ({"input_dropout": -0.1}, "input_dropout"),
        ({"activation": "swish"}, "activation"),
        ({"validation_fraction": 1.5}, "validation_fraction"),
        ({"validation_fraction": 0.0}, "validation_fraction"),
        ({"validation_fraction": 1.0}, "validation_fraction"),
        ({"learning_rate": 0.0}, "learning_rate"),
        ({"hidden_layer_sizes": (2.5,)}, "hidden_layer_sizes"),
        ({"hidden_layer_sizes": "wide"}, "hidden_layer_sizes"),
        ({"batch_size": 0}, "batch_size"),
    ],
)
def test_invalid_parameter_raises_value_error_naming_it_before_tensorflow_runs(
    blobs, params, name
):
    X, y = blobs
    clf = DenseMLPClassifier(**params)
    with pytest.raises(ValueError, match=name):
        clf.fit(X, y)
    assert not hasattr(clf, "model_")


def test_image_stacks_are_refused_with_a_pointer_to_pixel_scaler():
    with pytest.raises(ValueError, match="PixelScaler"):
        DenseMLPClassifier().fit(np.zeros((4, 28, 28)), [0, 1, 0, 1])


def test_single_class_is_refused_in_plain_words():
    clf = DenseMLPClassifier(**FAST)
    with pytest.raises(ValueError, match="only one class"):
        clf.fit(np.zeros((4, 3)), [7, 7, 7, 7])
    assert not hasattr(clf, "model_")


def test_string_labels_round_trip(blobs):
    X, y = blobs
    names = np.array(["cat", "dog", "emu"])[y]
    clf = DenseMLPClassifier(**FAST).fit(X, names)
    assert list(clf.classes_) == ["cat", "dog", "emu"]
    assert set(clf.predict(X)) <= {"cat", "dog", "emu"}
    assert clf.score(X, names) > 0.9


def test_predict_proba_matches_keras_and_sums_to_one(blobs):
    X, y = blobs
    clf = DenseMLPClassifier(**FAST).fit(X, y)
    proba = clf.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-5)
    np.testing.assert_allclose(proba, clf.model_.predict(X, verbose=0), atol=1e-6)
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[proba.argmax(axis=1)])


def test_same_random_state_gives_bit_identical_fits(blobs):
    X, y = blobs
    params = dict(FAST, dropout=0.3, early_stopping=True)
    first = DenseMLPClassifier(**params).fit(X, y)
    second = DenseMLPClassifier(**params).fit(X, y)
    for a, b in zip(first.coefs_ + first.intercepts_, second.coefs_ + second.intercepts_):
        np.testing.assert_array_equal(a, b)
    assert first.history_ == second.history_
    other = DenseMLPClassifier(**dict(params, random_state=1)).fit(X, y)
    assert not np.array_equal(first.coefs_[0], other.coefs_[0])


def test_input_dropout_drops_pixels_in_training_only_and_is_reproducible(blobs):
    X, y = blobs
    params = dict(FAST, dropout=0.3)
    plain = DenseMLPClassifier(**params).fit(X, y)
    dropped = DenseMLPClassifier(**dict(params, input_dropout=0.2)).fit(X, y)
    again = DenseMLPClassifier(**dict(params, input_dropout=0.2)).fit(X, y)
    for a, b in zip(dropped.coefs_, again.coefs_):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(plain.coefs_[0], dropped.coefs_[0])
    assert [layer.name for layer in dropped.model_.layers][:2] == ["input_dropout", "hidden_1"]
    # Dropout is off at prediction: the NumPy forward pass agrees with Keras'.
    np.testing.assert_allclose(
        dropped.predict_proba(X), dropped.model_.predict(X, verbose=0), atol=1e-6
    )


def test_seeded_fit_leaves_tensorflow_global_state_alone_and_unseeded_fit_works(blobs):
    X, y = blobs
    DenseMLPClassifier(**dict(FAST, dropout=0.2)).fit(X, y)
    from tensorflow.python.framework.config import is_op_determinism_enabled

    assert not is_op_determinism_enabled()
    unseeded = DenseMLPClassifier(
        **dict(FAST, dropout=0.2, learning_rate=1e-2, random_state=None)
    ).fit(X, y)
    assert unseeded.score(X, y) > 0.9
    # and plain Keras random ops without a seed still run
    keras.layers.Dropout(0.5)(np.ones((2, 4), dtype="float32"), training=True)


def test_history_records_each_epoch(blobs):
    X, y = blobs
    clf = DenseMLPClassifier(**dict(FAST, epochs=4)).fit(X, y)
    assert sorted(clf.history_) == ["accuracy", "loss"]
    assert len(clf.history_["loss"]) == 4 == clf.n_iter_
    assert clf.history_["loss"][-1] < clf.history_["loss"][0]


def test_early_stopping_validates_and_keeps_the_best_epoch(blobs):
    X, y = blobs
    clf = DenseMLPClassifier(
        **dict(FAST, epochs=60, early_stopping=True, n_iter_no_change=2, learning_rate=0.05)
    ).fit(X, y)
    assert sorted(clf.history_) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    assert clf.n_iter_ < 60
    best = int(np.argmin(clf.history_["val_loss"]))
    assert clf.n_iter_ == best + 1 + 2  # patience epochs after the best one


def test_partial_fit_needs_classes_first_then_trains_one_epoch_per_call(blobs):
    X, y = blobs
    clf = DenseMLPClassifier(**FAST)
    with pytest.raises(ValueError, match="classes"):
        clf.partial_fit(X, y)
    clf.partial_fit(X[:100], y[:100], classes=[0, 1, 2])
    clf.partial_fit(X[100:], y[100:])
    assert clf.n_iter_ == 2 and len(clf.history_["loss"]) == 2
    with pytest.raises(ValueError, match="not seen"):
        clf.partial_fit(X[:5], [0, 1, 2, 3, 0])


def test_sample_weight_changes_what_is_learned(blobs):
    X, y = blobs
    weight = np.where(y == 2, 0.0, 1.0)
    plain = DenseMLPClassifier(**FAST).fit(X, y)
    weighted = DenseMLPClassifier(**FAST).fit(X, y, sample_weight=weight)
    in_class_2 = y == 2
    assert (
        weighted.predict_proba(X[in_class_2])[:, 2].mean()
        < plain.predict_proba(X[in_class_2])[:, 2].mean() - 0.2
    )


def test_optimizer_instance_is_copied_and_takes_learning_rate(blobs):
    X, y = blobs
    sgd = keras.optimizers.SGD(learning_rate=0.5, momentum=0.9)
    params = dict(FAST, optimizer=sgd, learning_rate_schedule="constant")
    clf = DenseMLPClassifier(**dict(params, learning_rate=0.01)).fit(X, y)
    trained_by = clf._trainer().optimizer
    assert trained_by is not sgd and isinstance(trained_by, keras.optimizers.SGD)
    assert np.isclose(float(trained_by.learning_rate), 0.01)
    assert np.isclose(float(trained_by.momentum), 0.9)
    assert int(trained_by.iterations) == 20 * 10  # 20 epochs of 10 batches
    assert int(sgd.iterations) == 0  # the user's instance was not trained
    kept = DenseMLPClassifier(**dict(params, epochs=1, learning_rate=None)).fit(X, y)
    assert np.isclose(float(kept._trainer().optimizer.learning_rate), 0.5)


def test_cosine_schedule_decays_the_rate_to_zero_over_the_epochs(blobs):
    X, y = blobs
    clf = DenseMLPClassifier(**dict(FAST, epochs=3, learning_rate=0.01,
                                    learning_rate_schedule="cosine")).fit(X, y)
    schedule = clf._trainer().rate
    assert float(schedule.decay_steps) == 3 * 10  # 300 samples in batches of 32
    assert np.isclose(float(schedule(0)), 0.01)
    assert np.isclose(float(schedule(15)), 0.005)
    assert float(schedule(30)) < 1e-9
    assert clf._trainer().current_learning_rate() < 1e-9  # after the 30 steps
    constant = DenseMLPClassifier(
        **dict(FAST, epochs=3, learning_rate=0.01, learning_rate_schedule="constant")
    ).fit(X, y)
    assert np.isclose(float(constant._trainer().optimizer.learning_rate), 0.01)


def test_pickle_round_trip_predicts_the_same_and_trains_on(blobs):
    X, y = blobs
    clf = DenseMLPClassifier(**FAST).fit(X, y)
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(restored.predict_proba(X), clf.predict_proba(X))
    restored.partial_fit(X, y)
    assert restored.n_iter_ == clf.n_iter_ + 1


def test_clone_gives_an_unfitted_copy_with_the_same_params(blobs):
    X, y = blobs
    clf = DenseMLPClassifier(**FAST).fit(X, y)
    copy = clone(clf)
    assert copy.get_params() == clf.get_params()
    assert not hasattr(copy, "model_")


def test_verbose_zero_is_silent_and_one_shows_progress(blobs, capsys):
    X, y = blobs
    DenseMLPClassifier(**dict(FAST, epochs=2, verbose=0)).fit(X, y)
    assert capsys.readouterr().out == ""
    DenseMLPClassifier(**dict(FAST, epochs=2, verbose=1)).fit(X, y)
    out = capsys.readouterr().out
    # not a terminal: one plain line per epoch, no progress bar's escape codes
    lines = out.splitlines()
    assert len(lines) == 2 and lines[1].startswith("Epoch 2/2 - ") and "accuracy: " in lines[1]
    assert not set(out) & {"\x1b", "\r", "\b"}


def test_verbose_one_on_a_terminal_draws_keras_progress_bar(monkeypatch, blobs):
    import io

    from skmnist._progress import ProgressLines

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    assert ProgressLines(1, Terminal()).bar and not ProgressLines(1, io.StringIO()).bar
    assert not ProgressLines(2, Terminal()).bar  # verbose=2: lines, even on a terminal


def test_repr_shows_only_changed_parameters():
    assert repr(DenseMLPClassifier(epochs=3)) == "DenseMLPClassifier(epochs=3)"


# -- bad inputs: plain ValueError/TypeError before TensorFlow sees the data -------


def _unbuilt(clf):
    return not hasattr(clf, "model_") and not hasattr(clf, "coefs_")


@pytest.mark.parametrize("method", ["predict", "predict_proba", "score"])
def test_using_an_unfitted_classifier_is_not_fitted_error(blobs, method):
    X, y = blobs
    args = (X, y) if method == "score" else (X,)
    with pytest.raises(NotFittedError, match="not fitted yet"):
        getattr(DenseMLPClassifier(), method)(*args)


def test_wrong_feature_count_at_predict_names_both_counts(blobs):
    X, y = blobs
    clf = DenseMLPClassifier(**FAST).fit(X, y)
    with pytest.raises(ValueError, match="X has 4 features, but DenseMLPClassifier is expecting 10"):
        clf.predict(X[:, :4])


def test_y_of_another_length_than_x_names_both_lengths(blobs):
    X, y = blobs
    clf = DenseMLPClassifier(**FAST)
    with pytest.raises(ValueError, match="X has 300 samples but y has 299 labels") as info:
        clf.fit(X, y[:-1])
    assert "one label per sample" in str(info.value)
    assert _unbuilt(clf)


@pytest.mark.parametrize(
    "X, error, message",
    [
        (np.array([["a", "b"]] * 4), ValueError, "expects numeric features"),
        (np.full((4, 2), np.nan), ValueError, "NaN"),
        (np.full((4, 2), np.inf), ValueError, "infinity"),
        (sp.csr_matrix(np.ones((4, 2))), TypeError, "toarray"),
        (np.zeros((0, 2)), ValueError, "0 sample"),
        (np.arange(4.0), ValueError, "Expected 2D array, got 1D array"),
        (np.zeros((4, 28, 28, 3)), ValueError, "PixelScaler"),
    ],
    ids=["text", "nan", "inf", "sparse", "empty", "1d", "images"],
)
def test_bad_training_data_is_refused_before_a_network_is_built(X, error, message):
    clf = DenseMLPClassifier(**FAST)
    y = np.array([0, 1, 0, 1])[: X.shape[0]]
    with pytest.raises(error, match=message):
        clf.fit(X, y)
    assert _unbuilt(clf)


@pytest.mark.parametrize(
    "y, message",
    [
        (np.array([0.5, 1.5, 2.25, 3.0]), "Unknown label type: continuous"),
        (np.array([0, 1, np.nan, 1]), "NaN"),
        (np.array([[0, 1], [1, 0], [0, 1], [1, 0]]), "1d array"),
    ],
    ids=["continuous", "nan", "2d"],
)
def test_bad_labels_are_refused_before_a_network_is_built(y, message):
    clf = DenseMLPClassifier(**FAST)
    with pytest.raises(ValueError, match=message):
        clf.fit(np.zeros((4, 2)), y)
    assert _unbuilt(clf)


# -- reproducibility --------------------------------------------------------------

_FIT_IN_A_FRESH_PROCESS = """
import sys
import numpy as np
from sklearn.datasets import load_digits
from skmnist import make_mlp_pipeline

X, y = load_digits(return_X_y=True)
images = (X * 15).reshape(-1, 8, 8)
pipe = make_mlp_pipeline(hidden_layer_sizes=(32, 16), dropout=0.3, epochs=2, batch_size=32,
                         early_stopping=True, random_state=int(sys.argv[1]))
pipe.fit(images[:600], y[:600])
np.save(sys.argv[2], pipe.predict_proba(images[1200:]))
"""


def test_same_random_state_gives_identical_predict_proba_in_two_processes(tmp_path):
    import os
    import subprocess
    import sys

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ, PYTHONPATH=root)
    outs = [tmp_path / f"proba{run}.npy" for run in range(2)]
    runs = [  # side by side: two independent processes
        subprocess.Popen(
            [sys.executable, "-c", _FIT_IN_A_FRESH_PROCESS, "0", str(out)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=root,
        )
        for out in outs
    ]
    for run in runs:
        _, stderr = run.communicate(timeout=600)
        assert run.returncode == 0, stderr
    outputs = [np.load(out) for out in outs]
    assert outputs[0].shape == (597, 10)
    np.testing.assert_array_equal(outputs[0], outputs[1])


def test_seeded_fit_touches_no_global_random_state(blobs, monkeypatch):
    import os
    import random

    import scikeras.wrappers
    from tensorflow.python.eager import context
    from tensorflow.python.framework.config import is_op_determinism_enabled

    def global_seeding(seed):  # scikeras' context that seeds everything globally
        raise AssertionError("DenseMLPClassifier went through scikeras' global seeding")

    monkeypatch.setattr(scikeras.wrappers, "tensorflow_random_state", global_seeding)
    X, y = blobs
    python_state, numpy_state = random.getstate(), np.random.get_state()
    tf_seed = context.global_seed()
    clf = DenseMLPClassifier(**dict(FAST, early_stopping=True)).fit(X, y)
    clf.partial_fit(X, y)
    assert not is_op_determinism_enabled()
    assert "TF_DETERMINISTIC_OPS" not in os.environ
    assert context.global_seed() == tf_seed
    assert random.getstate() == python_state
    np.testing.assert_array_equal(np.random.get_state()[1], numpy_state[1])


def test_random_state_none_gives_a_different_network_at_each_fit(blobs):
    X, y = blobs
    params = dict(FAST, random_state=None, epochs=1)
    first = DenseMLPClassifier(**params).fit(X, y)
    second = DenseMLPClassifier(**params).fit(X, y)
    assert not np.array_equal(first.coefs_[0], second.coefs_[0])


def test_random_state_instance_draws_a_new_seed_at_each_fit_reproducibly(blobs):
    X, y = blobs
    params = dict(FAST, epochs=1)
    rng = np.random.RandomState(7)
    first = DenseMLPClassifier(**dict(params, random_state=rng)).fit(X, y)
    second = first.fit(X, y).coefs_[0].copy()  # the same instance, drawn again
    replay = DenseMLPClassifier(**dict(params, random_state=np.random.RandomState(7))).fit(X, y)
    assert not np.array_equal(second, replay.coefs_[0])
    np.testing.assert_array_equal(
        DenseMLPClassifier(**dict(params, random_state=np.random.RandomState(7))).fit(X, y).coefs_[0],
        replay.coefs_[0],
    )


def test_class_weight_dict_leaves_out_classes_absent_from_a_batch_and_takes_text_labels(blobs):
    X, y = blobs
    clf = DenseMLPClassifier(**dict(FAST, epochs=1, class_weight={0: 5.0}))
    clf.partial_fit(X[y != 0], y[y != 0], classes=[0, 1, 2])  # no sample of class 0
    text = np.array(["0", "1", "2"])[y]
    weighted = DenseMLPClassifier(**dict(FAST, epochs=2, class_weight={"0": 3.0})).fit(X, text)
    same = DenseMLPClassifier(**dict(FAST, epochs=2)).fit(X, text, sample_weight=np.where(y == 0, 3.0, 1.0))
    np.testing.assert_array_equal(weighted.predict_proba(X), same.predict_proba(X))


def test_early_stopping_with_no_finite_validation_loss_reports_and_keeps_the_last_epoch(blobs, capsys):
    X, y = blobs
    clf = DenseMLPClassifier(**dict(FAST, epochs=5, early_stopping=True, n_iter_no_change=2,
                                    verbose=2, learning_rate=1e30, optimizer="sgd"))
    clf.fit(X * 1e30, y)
    out = capsys.readouterr().out
    assert "Early stopping after epoch 2" in out and "no epoch had a finite validation loss" in out


def test_warm_start_after_changing_the_architecture_says_what_to_do(blobs):
    X, y = blobs
    clf = DenseMLPClassifier(**dict(FAST, epochs=1)).fit(X, y)
    clf.set_params(hidden_layer_sizes=(8,), warm_start=True)
    with pytest.raises(ValueError, match="hidden_layer_sizes, optimizer .* changed with set_params"):
        clf.fit(X, y)
    clf.set_params(hidden_layer_sizes=FAST["hidden_layer_sizes"], optimizer="sgd")
    with pytest.raises(ValueError, match="optimizer state does not fit the 'sgd' optimizer"):
        clf.fit(X, y)


def test_initialize_that_fails_leaves_a_fitted_classifier_as_it_was(blobs):
    X, y = blobs
    clf = DenseMLPClassifier(**dict(FAST, epochs=1)).fit(X, y)
    proba = clf.predict_proba(X)
    with pytest.raises(ValueError, match="at least 2 classes"):
        clf.initialize(X[:, :4], np.zeros(len(y)))
    np.testing.assert_array_equal(clf.predict_proba(X), proba)


@pytest.mark.parametrize("epochs, dropout, schedule", [(9, 0.0, "constant"), (10, 0.2, "cosine")])
def test_auto_dropout_and_schedule_follow_the_length_of_the_fit(blobs, epochs, dropout, schedule):
    X, y = blobs
    clf = DenseMLPClassifier(hidden_layer_sizes=(8,), epochs=epochs, random_state=0).fit(X, y)
    trainer = clf._trainer()
    rates = [layer.rate for layer in trainer.dropouts]
    assert rates == ([dropout] if dropout else [])
    assert (float(trainer.rate.decay_steps) > 0) == (schedule == "cosine")
    same = DenseMLPClassifier(hidden_layer_sizes=(8,), epochs=epochs, random_state=0,
                              dropout=dropout, learning_rate_schedule=schedule).fit(X, y)
    np.testing.assert_array_equal(clf.predict_proba(X), same.predict_proba(X))

import _thread
import signal
import threading

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

import skmnist._training as training
from skmnist import DenseMLPClassifier, make_mlp_pipeline
from skmnist._keras import keras
from skmnist._training import Trainer, _fusable_adam, _Rate, clear_trainers, get_trainer

FAST = dict(hidden_layer_sizes=(16,), epochs=3, batch_size=32, random_state=0)


def _proba(params, X, y, **fit):
    return DenseMLPClassifier(**params).fit(X, y, **fit).predict_proba(X)


def test_reused_training_loop_gives_the_same_fit_as_a_new_one(blobs):
    X, y = blobs
    params = dict(FAST, dropout=0.3)
    clear_trainers()
    fresh = _proba(params, X, y)
    _proba(dict(params, random_state=5, learning_rate=0.05, batch_size=7), X, y)  # same loop
    _proba(dict(params, hidden_layer_sizes=(8, 8)), X, y)  # another loop
    np.testing.assert_array_equal(_proba(params, X, y), fresh)


def test_repeated_fits_trace_the_training_loop_once(blobs):
    X, y = blobs
    clear_trainers()
    for batch_size, lr, n in [(32, 1e-3, 300), (7, 1e-2, 200), (64, 3e-3, 299)]:
        weights = np.random.RandomState(0).uniform(0.5, 2, n)
        DenseMLPClassifier(**dict(FAST, batch_size=batch_size, learning_rate=lr)).fit(
            X[:n], y[:n], sample_weight=weights
        )
    trainer = DenseMLPClassifier(**FAST).fit(X, y)._trainer()
    assert trainer._steps.experimental_get_tracing_count() == 1


def _train_three_epochs(X, y, *, fused, optimizer="adam"):
    trainer = Trainer(X.shape[1], 3, (16, 8), "relu", 0.2, optimizer, 1e-2)
    assert trainer.fused_adam == (optimizer == "adam")
    trainer.fused_adam = fused  # before the loop's first call, which traces it
    trainer.reset(0)
    trainer.set_learning_rate(1e-2, 25)  # cosine: the rate changes at every step
    data = (keras.ops.convert_to_tensor(X), keras.ops.convert_to_tensor(y.astype("int32")),
            keras.ops.ones(len(y)))
    for epoch in range(3):
        trainer.run_epoch(data, np.random.RandomState(epoch).permutation(len(y)), 32, epoch)
    return trainer


def test_fused_adam_update_matches_keras_adam_apply(blobs):
    # 30 steps with dropout and a cosine rate: the same update up to float32
    # rounding (a wrong bias correction or epsilon would be far off).
    X, y = blobs
    fused, plain = (_train_three_epochs(X, y, fused=f) for f in (True, False))
    assert int(fused.optimizer.iterations) == int(plain.optimizer.iterations) == 30
    for a, b in zip(fused.weights()[0] + fused.weights()[1], plain.weights()[0] + plain.weights()[1]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    for a, b in zip(fused.optimizer_state(), plain.optimizer_state()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    "optimizer",
    [
        keras.optimizers.Adam(amsgrad=True),
        keras.optimizers.Adam(weight_decay=1e-4),
        keras.optimizers.Adam(clipnorm=1.0),
        keras.optimizers.Adam(use_ema=True),
        keras.optimizers.AdamW(),
        keras.optimizers.RMSprop(),
    ],
    ids=["amsgrad", "weight_decay", "clipnorm", "ema", "adamw", "rmsprop"],
)
def test_only_a_plain_adam_takes_the_fused_update(optimizer):
    assert not _fusable_adam(optimizer)
    assert _fusable_adam(keras.optimizers.Adam(learning_rate=3e-3, beta_1=0.8, epsilon=1e-6))


def test_trainers_are_cached_per_architecture_and_bounded(monkeypatch):
    clear_trainers()
    monkeypatch.setattr(training, "MAX_TRAINERS", 2)
    args = dict(activation="relu", dropout=0.0, optimizer="adam", learning_rate=1e-3)
    first = get_trainer(4, 3, hidden_layer_sizes=(5,), **args)
    assert get_trainer(4, 3, hidden_layer_sizes=(5,), **args) is first
    assert get_trainer(4, 3, hidden_layer_sizes=(6,), **args) is not first
    get_trainer(4, 3, hidden_layer_sizes=(7,), **args)
    assert len(training._TRAINERS) == 2
    assert get_trainer(4, 3, hidden_layer_sizes=(5,), **args) is not first  # evicted


def test_cosine_rate_is_a_half_cosine_and_zero_steps_mean_constant():
    rate = _Rate()
    rate.base.assign(0.02)
    rate.decay_steps.assign(50.0)
    assert np.isclose(float(rate(0)), 0.02) and np.isclose(float(rate(25)), 0.01)
    assert float(rate(50)) < 1e-9 and float(rate(80)) < 1e-9
    rate.decay_steps.assign(0.0)
    assert np.isclose(float(rate(1000)), 0.02)


def _interrupt_on_call(monkeypatch, trainer, call):
    """Make the trainer's compiled loop raise KeyboardInterrupt every ``call``-th call."""
    real, calls = trainer._steps, []

    def steps(*args):
        calls.append(1)
        if len(calls) % call == 0:
            raise KeyboardInterrupt
        return real(*args)

    monkeypatch.setattr(trainer, "_steps", steps)
    return calls


def test_interrupted_first_fit_leaves_the_estimator_unfitted(blobs, monkeypatch):
    X, y = blobs
    monkeypatch.setattr(training, "SAMPLES_PER_CALL", 64)  # several calls per epoch
    clf = DenseMLPClassifier(**FAST)
    calls = _interrupt_on_call(monkeypatch, clf.fit(X, y)._trainer(), call=7)  # mid-epoch 2
    clf = DenseMLPClassifier(**FAST)
    with pytest.raises(KeyboardInterrupt):
        clf.fit(X, y)
    assert len(calls) == 7
    with pytest.raises(NotFittedError):
        clf.predict(X)
    assert vars(clf).keys() == vars(DenseMLPClassifier(**FAST)).keys()


def test_interrupted_refit_keeps_the_previous_fit_and_the_next_fit_is_clean(blobs, monkeypatch):
    X, y = blobs
    monkeypatch.setattr(training, "SAMPLES_PER_CALL", 64)
    clf = DenseMLPClassifier(**FAST).fit(X[:200], y[:200])
    before = clf.predict_proba(X), dict(clf.history_), clf.n_iter_, clf.n_features_in_
    with monkeypatch.context() as patch:
        _interrupt_on_call(patch, clf._trainer(), call=4)
        with pytest.raises(KeyboardInterrupt):
            clf.set_params(epochs=5).fit(X, y)
        with pytest.raises(KeyboardInterrupt):
            clf.partial_fit(X, y)
    np.testing.assert_array_equal(clf.predict_proba(X), before[0])
    assert (clf.history_, clf.n_iter_, clf.n_features_in_) == before[1:]
    # the shared training loop was left mid-epoch: the next fit must not notice
    np.testing.assert_array_equal(
        clf.set_params(epochs=3).fit(X, y).predict_proba(X),
        DenseMLPClassifier(**FAST).fit(X, y).predict_proba(X),
    )


# the interrupt Python drops in a weakref callback is reported as "unraisable"
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_ctrl_c_from_the_terminal_interrupts_a_long_fit_cleanly(blobs):
    X, y = blobs
    clf = DenseMLPClassifier(**dict(FAST, epochs=5_000))  # ~20 s at most if never interrupted
    # Another library (Dask, loky) may have replaced Python's SIGINT handler;
    # interrupt_main() only acts through the default one.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    # SIGINT's effect 1 s in, and again 2 s later if the fit still runs: Python drops
    # a KeyboardInterrupt that lands while a weakref callback runs (the cyclic garbage
    # collector freeing an old trainer), as a user's second Ctrl-C would catch it.
    timers = [threading.Timer(delay, _thread.interrupt_main) for delay in (1.0, 3.0)]
    try:
        for timer in timers:
            timer.start()
        with pytest.raises(KeyboardInterrupt):
            clf.fit(X, y)
    finally:
        for timer in timers:
            timer.cancel()
        signal.signal(signal.SIGINT, previous)
    assert not hasattr(clf, "coefs_") and not hasattr(clf, "classes_")


def test_fast_predictions_agree_with_keras_on_real_digits(mnist_5k):
    X_train, X_test, y_train, _ = mnist_5k
    pipe = make_mlp_pipeline(epochs=2, random_state=0).fit(X_train, y_train)
    X = pipe["scale"].transform(X_test)
    keras_proba = pipe["mlp"].model_.predict(X, verbose=0)
    np.testing.assert_allclose(pipe.predict_proba(X_test), keras_proba, atol=1e-5)
    one = pipe.predict_proba(X_test[:1])
    np.testing.assert_allclose(one, pipe["mlp"].model_(X[:1]).numpy(), atol=1e-5)


def test_model_is_a_keras_copy_of_the_fitted_weights_rebuilt_after_refit(blobs):
    X, y = blobs
    clf = DenseMLPClassifier(**FAST)
    assert not hasattr(clf, "model_")
    clf.fit(X, y)
    model = clf.model_
    assert isinstance(model, keras.Sequential) and clf.model_ is model
    np.testing.assert_array_equal(model.layers[0].get_weights()[0], clf.coefs_[0])
    clf.set_params(random_state=1).fit(X, y)
    assert clf.model_ is not model
    np.testing.assert_array_equal(clf.model_.layers[0].get_weights()[0], clf.coefs_[0])


def test_many_new_architectures_print_no_retracing_warning(capfd, caplog):
    # Each new architecture traces its trainer's loop once; TensorFlow warns after
    # five traces in ten calls, with advice that does not apply to skmnist.
    rng = np.random.RandomState(0)
    X, y = rng.rand(40, 12).astype(np.float32), np.arange(40) % 2
    with caplog.at_level("WARNING"):
        for units in range(3, 11):
            DenseMLPClassifier(hidden_layer_sizes=(units,), epochs=1, random_state=0).fit(X, y)
    out, err = capfd.readouterr()
    assert "retracing" not in out + err + caplog.text


@keras.saving.register_keras_serializable("skmnist_tests")
class _WarmUpSchedule(keras.optimizers.schedules.LearningRateSchedule):
    """A user's schedule, written with tensor operations as Keras asks (Keras'
    optimizers call it from code AutoGraph does not convert, in model.fit as here)."""

    def __call__(self, step):
        return keras.ops.where(step < 5, 1e-4, 1e-2)

    def get_config(self):
        return {}


def test_a_users_own_schedule_trains_in_the_loop_traced_without_autograph():
    rng = np.random.RandomState(0)
    X, y = rng.rand(64, 6).astype(np.float32), np.arange(64) % 2
    clf = DenseMLPClassifier(
        hidden_layer_sizes=(4,), optimizer=keras.optimizers.Adam(learning_rate=_WarmUpSchedule()),
        learning_rate=None, epochs=2, batch_size=16, random_state=0,
    ).fit(X, y)
    assert clf.n_iter_ == 2 and np.isfinite(clf.history_["loss"]).all()
    assert clf.history_["loss"][1] < clf.history_["loss"][0]

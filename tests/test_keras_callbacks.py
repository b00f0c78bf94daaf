"""Keras callbacks, class_weight and warm_start of DenseMLPClassifier, against keras.Model.fit.

skmnist trains in its own compiled loop; ``_keras_callbacks.py`` drives the
user's Keras callbacks as ``keras.Model.fit`` does. Each test runs the same
callbacks under both trainers on the same small data (600 digits) and compares
what does not depend on the batch order or the seeds: the stopping epoch, the
files written, their columns, the hooks and their order, the learning rates.
"""

import copy
import csv
import importlib.util
import inspect
import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV
from sklearn.utils.class_weight import compute_sample_weight

from skmnist import DenseMLPClassifier
from skmnist._keras import keras
from skmnist._model import build_mlp

EPOCHS = 3
BATCH = 32
N_STEPS = -(-600 // BATCH)  # 19 steps per epoch
# A small network, a constant rate (Keras' optimizer has no schedule) and no
# dropout, so that both trainers train the same thing.
SMALL = dict(hidden_layer_sizes=(16,), dropout=0.0, epochs=EPOCHS, batch_size=BATCH,
             learning_rate=1e-3, learning_rate_schedule="constant", random_state=0)
# early_stopping=True holds out a validation set (val_loss, val_accuracy in the
# logs); so many epochs without improvement are needed that it never stops.
VALIDATING = dict(early_stopping=True, validation_fraction=0.2, n_iter_no_change=1000)


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return (X[:600] / 16).astype(np.float32), y[:600]


def small_clf(callbacks=None, **params):
    return DenseMLPClassifier(**{**SMALL, "callbacks": callbacks, **params})


def keras_fit(digits, callbacks, *, epochs=EPOCHS, validation=False, learning_rate=1e-3, X=None):
    """``keras.Model.fit`` of the same network on the same data; returns the model and history."""
    X_train, y = digits
    X_train = X_train if X is None else X
    model = build_mlp(64, 10, hidden_layer_sizes=(16,), activation="relu", dropout=0.0, seed=0)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    validation_data = (X_train[480:], y[480:]) if validation else None
    if validation:
        X_train, y = X_train[:480], y[:480]
    history = model.fit(X_train, y, epochs=epochs, batch_size=BATCH, verbose=0,
                        callbacks=callbacks, validation_data=validation_data, shuffle=True)
    return model, history.history


def flat_weights(clf):
    """The classifier's weights in ``keras.Model.get_weights()`` order."""
    return [w for pair in zip(clf.coefs_, clf.intercepts_) for w in pair]


def assert_weights_equal(actual, expected):
    assert len(actual) == len(expected)
    for a, e in zip(actual, expected):
        np.testing.assert_array_equal(a, e)


def weights_differ(a, b):
    return any(not np.array_equal(x, y) for x, y in zip(a, b))


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.reader(f))


def learning_rate_of(model):
    return float(keras.ops.convert_to_numpy(model.optimizer.learning_rate))


# -- helper callbacks (module-level, so that they pickle) ---------------------------------


class Script(keras.callbacks.Callback):
    """Puts a scripted value under ``logs["scripted"]`` at each epoch's end."""

    def __init__(self, values):
        super().__init__()
        self.values = values

    def on_epoch_end(self, epoch, logs=None):
        logs["scripted"] = self.values[epoch]


class WeightsPerEpoch(keras.callbacks.Callback):
    """Records ``model.get_weights()`` at each epoch's end."""

    def on_train_begin(self, logs=None):
        self.weights = []

    def on_epoch_end(self, epoch, logs=None):
        self.weights.append(self.model.get_weights())


class RatePerEpoch(keras.callbacks.Callback):
    """The optimizer's learning rate at each epoch's begin and end (before later callbacks)."""

    def on_train_begin(self, logs=None):
        self.at_begin, self.at_end = [], []

    def on_epoch_begin(self, epoch, logs=None):
        self.at_begin.append(learning_rate_of(self.model))

    def on_epoch_end(self, epoch, logs=None):
        # the compiled loop writes the rate of each step into the variable: at
        # the epoch's end it holds the rate the last step used
        self.at_end.append(learning_rate_of(self.model))


class Recorder(keras.callbacks.Callback):
    """Records every training hook, its argument and the keys of its logs."""

    def on_train_begin(self, logs=None):
        self.events = [("train_begin", None, None)]

    def on_epoch_begin(self, epoch, logs=None):
        self.events.append(("epoch_begin", epoch, None))

    def on_train_batch_begin(self, batch, logs=None):
        self.events.append(("batch_begin", batch, None))

    def on_train_batch_end(self, batch, logs=None):
        self.events.append(("batch_end", batch, tuple(sorted(logs))))

    def on_epoch_end(self, epoch, logs=None):
        self.events.append(("epoch_end", epoch, tuple(sorted(logs))))

    def on_train_end(self, logs=None):
        self.events.append(("train_end", None, tuple(sorted(logs))))
        self.final_weights = self.model.get_weights()
        self.model_type = type(self.model)


def lambda_recorder():
    """A LambdaCallback recording the same as :class:`Recorder`."""
    events = []
    callback = keras.callbacks.LambdaCallback(
        on_train_begin=lambda logs: events.append(("train_begin", None, None)),
        on_epoch_begin=lambda epoch, logs: events.append(("epoch_begin", epoch, None)),
        on_train_batch_begin=lambda batch, logs: events.append(("batch_begin", batch, None)),
        on_train_batch_end=lambda batch, logs: events.append(
            ("batch_end", batch, tuple(sorted(logs)))),
        on_epoch_end=lambda epoch, logs: events.append(("epoch_end", epoch, tuple(sorted(logs)))),
        on_train_end=lambda logs: events.append(("train_end", None, tuple(sorted(logs)))),
    )
    callback.events = events
    return callback


class StopAtEpoch(keras.callbacks.Callback):
    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.epoch:
            self.model.stop_training = True


def halve_each_epoch(epoch, lr):
    return 1e-3 * 0.5**epoch


def note_epoch(epoch, logs):
    pass


def collapse_batches(events):
    """One ("batches", first, last, keys) per run of batch hooks: Keras calls them per
    step, skmnist per call of its compiled loop (many steps)."""
    out = []
    for name, arg, keys in events:
        if name == "batch_begin":
            if out and out[-1][0] == "batches" and out[-1][3] == "open":
                continue
            if out and out[-1][0] == "batches":
                out[-1] = ("batches", out[-1][1], out[-1][2], "open")
            else:
                out.append(("batches", arg, None, "open"))
        elif name == "batch_end":
            out[-1] = ("batches", out[-1][1], arg, keys)
        else:
            out.append((name, arg, None, keys))
    return out


# -- 1. EarlyStopping ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "script, kwargs, validation, stopped_epoch",
    [
        # the real training loss cannot improve by 10 in an epoch: stop at epoch 1
        (None, dict(monitor="loss", patience=0, min_delta=10.0), False, 1),
        # same on the validation loss (val_loss is in the logs of both)
        (None, dict(monitor="val_loss", patience=0, min_delta=10.0), True, 1),
        # a flat scripted metric: wait 2 epochs after the first
        ([5.0] * 6, dict(monitor="scripted", mode="min", patience=2), False, 2),
        # a baseline never reached: the first epoch does not reset the wait
        ([5.0] * 6, dict(monitor="scripted", mode="min", patience=2, baseline=2.0), False, 1),
        # improvements at epochs 0 and 1, then 2 epochs without
        ([5.0, 3.0, 4.0, 4.0, 4.0, 4.0], dict(monitor="scripted", mode="min", patience=2), False, 3),
        # nothing counts before start_from_epoch
        ([5.0] * 6, dict(monitor="scripted", mode="min", patience=0, start_from_epoch=2), False, 3),
    ],
)
def test_early_stopping_stops_at_the_epoch_keras_fit_stops(digits, script, kwargs, validation,
                                                          stopped_epoch):
    X, y = digits
    epochs = 6

    def callbacks():
        es = keras.callbacks.EarlyStopping(**kwargs)
        return es, ([Script(script)] if script else []) + [es]

    es, cbs = callbacks()
    clf = small_clf(cbs, epochs=epochs, **(VALIDATING if validation else {})).fit(X, y)
    keras_es, keras_cbs = callbacks()
    _, history = keras_fit(digits, keras_cbs, epochs=epochs, validation=validation)

    assert keras_es.stopped_epoch == stopped_epoch  # the setting is as predicted
    assert es.stopped_epoch == keras_es.stopped_epoch
    assert clf.n_iter_ == len(history["loss"]) == stopped_epoch + 1
    assert len(clf.history_["loss"]) == stopped_epoch + 1


@pytest.mark.parametrize("restore", [True, False])
def test_early_stopping_restore_best_weights(digits, restore):
    X, y = digits
    script = [5.0, 3.0, 4.0, 4.0, 4.0, 4.0]  # best epoch 1, stop at epoch 3

    def callbacks():
        es = keras.callbacks.EarlyStopping(monitor="scripted", mode="min", patience=2,
                                           restore_best_weights=restore)
        recorder = WeightsPerEpoch()
        return es, recorder, [Script(script), recorder, es]

    es, recorder, cbs = callbacks()
    clf = small_clf(cbs, epochs=6).fit(X, y)
    keras_es, keras_recorder, keras_cbs = callbacks()
    keras_model, _ = keras_fit(digits, keras_cbs, epochs=6)

    assert es.stopped_epoch == keras_es.stopped_epoch == 3
    assert es.best_epoch == keras_es.best_epoch == 1
    assert len(recorder.weights) == 4
    assert weights_differ(recorder.weights[1], recorder.weights[3])
    expected_epoch = 1 if restore else 3
    assert_weights_equal(flat_weights(clf), recorder.weights[expected_epoch])
    assert_weights_equal(keras_model.get_weights(), keras_recorder.weights[expected_epoch])
    # predictions come from the restored weights
    reference = small_clf(epochs=4).fit(X, y)  # the same 4 epochs, no callbacks
    if restore:
        assert not np.array_equal(clf.predict_proba(X), reference.predict_proba(X))
    else:
        np.testing.assert_array_equal(clf.predict_proba(X), reference.predict_proba(X))


# -- 2. ModelCheckpoint -------------------------------------------------------------------


def test_model_checkpoint_every_epoch_loads_and_predicts_as_the_classifier(digits, tmp_path):
    X, y = digits
    recorder = WeightsPerEpoch()
    pattern = "ckpt-{epoch:02d}.keras"
    checkpoint = keras.callbacks.ModelCheckpoint(str(tmp_path / "sk" / pattern))
    clf = small_clf([recorder, checkpoint]).fit(X, y)
    keras_fit(digits, [keras.callbacks.ModelCheckpoint(str(tmp_path / "k" / pattern))])

    written = sorted(p.name for p in (tmp_path / "sk").iterdir())
    assert written == sorted(p.name for p in (tmp_path / "k").iterdir())
    assert written == ["ckpt-01.keras", "ckpt-02.keras", "ckpt-03.keras"]

    last = keras.models.load_model(tmp_path / "sk" / "ckpt-03.keras")
    proba = keras.ops.convert_to_numpy(last(X, training=False))
    np.testing.assert_allclose(proba, clf.predict_proba(X), rtol=0, atol=1e-5)
    first = keras.models.load_model(tmp_path / "sk" / "ckpt-01.keras")
    assert_weights_equal(first.get_weights(), recorder.weights[0])
    assert weights_differ(first.get_weights(), flat_weights(clf))


def test_model_checkpoint_save_best_only_keeps_the_best_epoch(digits, tmp_path):
    X, y = digits
    recorder = WeightsPerEpoch()
    checkpoint = keras.callbacks.ModelCheckpoint(
        str(tmp_path / "best.keras"), monitor="scripted", mode="min", save_best_only=True)
    clf = small_clf([Script([5.0, 3.0, 4.0]), recorder, checkpoint]).fit(X, y)
    best = keras.models.load_model(tmp_path / "best.keras")
    assert_weights_equal(best.get_weights(), recorder.weights[1])
    assert weights_differ(best.get_weights(), flat_weights(clf))


def test_model_checkpoint_weights_only(digits, tmp_path):
    X, y = digits
    path = tmp_path / "net.weights.h5"
    clf = small_clf([keras.callbacks.ModelCheckpoint(str(path), save_weights_only=True)]).fit(X, y)
    model = build_mlp(64, 10, hidden_layer_sizes=(16,), activation="relu", dropout=0.0, seed=0)
    model.load_weights(path)
    assert_weights_equal(model.get_weights(), flat_weights(clf))


# -- 3. CSVLogger ---------------------------------------------------------------------------


@pytest.mark.parametrize("validation", [False, True])
def test_csv_logger_has_the_columns_keras_fit_writes(digits, tmp_path, validation):
    X, y = digits
    small_clf([keras.callbacks.CSVLogger(str(tmp_path / "sk.csv"))],
              **(VALIDATING if validation else {})).fit(X, y)
    keras_fit(digits, [keras.callbacks.CSVLogger(str(tmp_path / "k.csv"))], validation=validation)

    ours, theirs = read_csv(tmp_path / "sk.csv"), read_csv(tmp_path / "k.csv")
    assert ours[0] == theirs[0] == ["epoch", "accuracy", "loss", "val_accuracy", "val_loss"]
    assert len(ours) == len(theirs) == EPOCHS + 1
    assert [row[0] for row in ours[1:]] == [row[0] for row in theirs[1:]] == ["0", "1", "2"]
    # validation columns hold numbers when validating, "NA" otherwise, in both
    ours_na = [row[-1] == "NA" for row in ours[1:]]
    assert ours_na == [row[-1] == "NA" for row in theirs[1:]] == [not validation] * EPOCHS


# -- 4. TensorBoard -------------------------------------------------------------------------


def event_tags(folder):
    """{tag: [steps]} of the event files under ``folder``."""
    from skmnist._keras import tf

    tags = {}
    for path in sorted(folder.glob("events.out.tfevents.*")):
        for event in tf.compat.v1.train.summary_iterator(str(path)):
            for value in event.summary.value:
                tags.setdefault(value.tag, []).append(event.step)
    return tags


@pytest.mark.parametrize("validation", [False, True])
def test_tensorboard_writes_event_files(digits, tmp_path, validation):
    pytest.importorskip("tensorboard", reason="TensorBoard's summaries need the tensorboard package")
    X, y = digits
    small_clf([keras.callbacks.TensorBoard(str(tmp_path / "sk"))],
              **(VALIDATING if validation else {})).fit(X, y)
    keras_fit(digits, [keras.callbacks.TensorBoard(str(tmp_path / "k"))], validation=validation)

    folders = sorted(p.name for p in (tmp_path / "sk").iterdir())
    assert folders == sorted(p.name for p in (tmp_path / "k").iterdir())
    assert folders == (["train", "validation"] if validation else ["train"])
    for folder in folders:
        ours = event_tags(tmp_path / "sk" / folder)
        theirs = event_tags(tmp_path / "k" / folder)
        epoch_tags = {tag: steps for tag, steps in ours.items() if tag.startswith("epoch_")}
        assert epoch_tags == {tag: steps for tag, steps in theirs.items()
                              if tag.startswith("epoch_")}
        assert epoch_tags["epoch_loss"] == list(range(EPOCHS))
    assert "epoch_learning_rate" in event_tags(tmp_path / "sk" / "train")


# -- 5. ReduceLROnPlateau -------------------------------------------------------------------


def test_reduce_lr_on_plateau_halves_the_rate_each_epoch_as_in_keras(digits, tmp_path):
    X, y = digits
    epochs = 4

    def callbacks(name):
        rates = RatePerEpoch()
        return rates, [
            rates,
            keras.callbacks.ReduceLROnPlateau(monitor="loss", patience=0, min_delta=10.0,
                                              factor=0.5),
            keras.callbacks.CSVLogger(str(tmp_path / name)),
        ]

    rates, cbs = callbacks("sk.csv")
    clf = small_clf(cbs, epochs=epochs).fit(X, y)
    lr_after = learning_rate_of(rates.model)
    keras_rates, keras_cbs = callbacks("k.csv")
    keras_model, _ = keras_fit(digits, keras_cbs, epochs=epochs)

    f32 = [float(np.float32(r)) for r in (1e-3, 1e-3, 5e-4, 2.5e-4)]
    assert keras_rates.at_begin == keras_rates.at_end == f32
    assert rates.at_begin == f32
    assert rates.at_end == f32  # the rate the compiled loop used in each epoch
    assert lr_after == learning_rate_of(keras_model) == float(np.float32(1.25e-4))
    assert clf.n_iter_ == epochs

    ours, theirs = read_csv(tmp_path / "sk.csv"), read_csv(tmp_path / "k.csv")
    assert ours[0] == theirs[0]
    assert "learning_rate" in ours[0]
    column = ours[0].index("learning_rate")
    assert [float(r[column]) for r in ours[1:]] == [float(r[column]) for r in theirs[1:]] == f32


# -- 6. LearningRateScheduler ---------------------------------------------------------------


def test_learning_rate_scheduler_sets_the_rate_of_each_epoch(digits):
    X, y = digits

    def callbacks():
        rates = RatePerEpoch()
        return rates, [keras.callbacks.LearningRateScheduler(halve_each_epoch), rates]

    rates, cbs = callbacks()
    small_clf(cbs).fit(X, y)
    keras_rates, keras_cbs = callbacks()
    keras_fit(digits, keras_cbs)
    f32 = [float(np.float32(1e-3 * 0.5**e)) for e in range(EPOCHS)]
    assert keras_rates.at_begin == keras_rates.at_end == f32
    assert rates.at_begin == rates.at_end == f32


@pytest.mark.parametrize("schedule", ["constant", "cosine"])
def test_learning_rate_scheduler_takes_over_from_epoch_1_even_with_cosine(digits, schedule):
    X, y = digits
    rates = RatePerEpoch()
    cbs = [keras.callbacks.LearningRateScheduler(lambda epoch, lr: 1e-3 * 0.5**epoch), rates]
    small_clf(cbs, learning_rate_schedule=schedule).fit(X, y)
    assert rates.at_end[1:] == [float(np.float32(1e-3 * 0.5**e)) for e in range(1, EPOCHS)]


def test_constant_learning_rate_scheduler_changes_nothing(digits):
    X, y = digits
    plain = small_clf().fit(X, y)
    scheduled = small_clf([keras.callbacks.LearningRateScheduler(lambda epoch, lr: 1e-3)]).fit(X, y)
    np.testing.assert_array_equal(scheduled.predict_proba(X), plain.predict_proba(X))
    # and a different constant does change the result
    other = small_clf([keras.callbacks.LearningRateScheduler(lambda epoch, lr: 2e-3)]).fit(X, y)
    assert not np.array_equal(other.predict_proba(X), plain.predict_proba(X))


def test_learning_rate_scheduler_zero_freezes_the_weights(digits):
    X, y = digits
    recorder = WeightsPerEpoch()
    cbs = [keras.callbacks.LearningRateScheduler(lambda epoch, lr: 1e-3 if epoch == 0 else 0.0),
           recorder]
    clf = small_clf(cbs).fit(X, y)
    assert clf.n_iter_ == EPOCHS
    for weights in recorder.weights[1:]:
        assert_weights_equal(weights, recorder.weights[0])
    assert_weights_equal(flat_weights(clf), recorder.weights[0])
    untrained = small_clf(epochs=1).fit(X, y)  # the same first epoch
    assert_weights_equal(flat_weights(untrained), recorder.weights[0])


# -- 7. TerminateOnNaN ----------------------------------------------------------------------


def test_terminate_on_nan_stops_as_keras_fit_stops(digits):
    X, y = digits
    X_nan = X * np.float32(3e38)  # finite inputs whose products overflow: NaN loss
    epochs = 4
    without = small_clf(epochs=epochs).fit(X_nan, y)
    assert without.n_iter_ == epochs and np.isnan(without.history_["loss"]).all()

    clf = small_clf([keras.callbacks.TerminateOnNaN()], epochs=epochs).fit(X_nan, y)
    _, history = keras_fit(digits, [keras.callbacks.TerminateOnNaN()], epochs=epochs, X=X_nan)
    assert clf.n_iter_ == len(clf.history_["loss"]) == len(history["loss"]) == 1


def test_terminate_on_nan_raise_error_leaves_the_classifier_unfitted(digits):
    X, y = digits
    clf = small_clf([keras.callbacks.TerminateOnNaN(raise_error=True)])
    with pytest.raises(RuntimeError, match="NaN or Inf loss"):
        clf.fit(X * np.float32(3e38), y)
    assert not hasattr(clf, "coefs_")


# -- 8. LambdaCallback, a Callback subclass: hooks, model, params, stop_training ----------------


@pytest.mark.parametrize("make", [Recorder, lambda_recorder], ids=["subclass", "lambda"])
def test_hooks_are_called_in_keras_fit_order(digits, make):
    X, y = digits
    epochs = 2
    ours, theirs = make(), make()
    clf = small_clf([ours], epochs=epochs).fit(X, y)
    keras_fit(digits, [theirs], epochs=epochs)

    expected = [("train_begin", None, None, None)]
    for epoch in range(epochs):
        expected += [("epoch_begin", epoch, None, None),
                     ("batches", 0, N_STEPS - 1, ("accuracy", "loss")),
                     ("epoch_end", epoch, None, ("accuracy", "loss"))]
    expected.append(("train_end", None, None, ("accuracy", "loss")))
    assert collapse_batches(theirs.events) == expected
    assert collapse_batches(ours.events) == expected
    assert ours.params == theirs.params == {"verbose": 0, "epochs": epochs, "steps": N_STEPS}
    assert isinstance(ours.model, keras.Model)
    if isinstance(ours, Recorder):
        assert issubclass(ours.model_type, keras.Model)
        assert_weights_equal(ours.final_weights, flat_weights(clf))


def test_stop_training_in_on_epoch_end_ends_the_fit(digits):
    X, y = digits
    clf = small_clf([StopAtEpoch(1)], epochs=5).fit(X, y)
    _, history = keras_fit(digits, [StopAtEpoch(1)], epochs=5)
    assert clf.n_iter_ == len(history["loss"]) == 2
    assert len(clf.history_["loss"]) == 2


def test_callbacks_see_the_validation_logs(digits):
    X, y = digits
    recorder = Recorder()
    small_clf([recorder], **VALIDATING).fit(X, y)
    theirs = Recorder()
    keras_fit(digits, [theirs], validation=True)
    ours_end = [keys for name, _, keys in recorder.events if name == "epoch_end"]
    theirs_end = [keys for name, _, keys in theirs.events if name == "epoch_end"]
    assert ours_end == theirs_end == [("accuracy", "loss", "val_accuracy", "val_loss")] * EPOCHS


# -- 9. class_weight ----------------------------------------------------------------------


def test_class_weight_dict_equals_sample_weight(digits):
    X, y = digits
    weights = {0: 3.0, 3: 0.25, 7: 2.0}
    by_class = small_clf(class_weight=weights).fit(X, y)
    by_sample = small_clf().fit(X, y, sample_weight=compute_sample_weight(weights, y))
    np.testing.assert_array_equal(by_class.predict_proba(X), by_sample.predict_proba(X))
    plain = small_clf().fit(X, y)
    assert not np.array_equal(by_class.predict_proba(X), plain.predict_proba(X))


def test_class_weight_balanced_equals_balanced_sample_weight(digits):
    X, y = digits
    X, y = X[:400], y[:400]
    keep = (y != 1) | (np.arange(len(y)) % 4 == 0)  # unbalance: drop 3/4 of the ones
    X, y = X[keep], y[keep]
    by_class = small_clf(class_weight="balanced").fit(X, y)
    by_sample = small_clf().fit(X, y, sample_weight=compute_sample_weight("balanced", y))
    np.testing.assert_array_equal(by_class.predict_proba(X), by_sample.predict_proba(X))
    plain = small_clf().fit(X, y)
    assert not np.array_equal(by_class.predict_proba(X), plain.predict_proba(X))


def test_class_weight_with_an_unknown_label_is_refused(digits):
    X, y = digits
    with pytest.raises(ValueError, match=r"not classes of the problem.*\['42'\]"):
        small_clf(class_weight={42: 2.0}).fit(X, y)


def test_partial_fit_refuses_balanced_class_weight(digits):
    X, y = digits
    with pytest.raises(ValueError, match="balanced"):
        small_clf(class_weight="balanced").partial_fit(X, y, classes=np.arange(10))


# -- 10. warm_start -------------------------------------------------------------------------


def test_warm_start_continues_as_one_long_fit(digits):
    X, y = digits
    first, second = Recorder(), Recorder()
    clf = small_clf([first], epochs=2).fit(X, y)
    clf.set_params(warm_start=True, callbacks=[second])
    clf.fit(X, y)
    one_fit = small_clf(epochs=4).fit(X, y)

    np.testing.assert_array_equal(clf.predict_proba(X), one_fit.predict_proba(X))
    assert clf.n_iter_ == one_fit.n_iter_ == 4
    assert clf.history_ == one_fit.history_
    assert len(clf.history_["loss"]) == 4
    # the epochs go on being numbered, as keras.Model.fit(initial_epoch=2, epochs=4)
    assert [arg for name, arg, _ in second.events if name == "epoch_begin"] == [2, 3]
    assert second.params["epochs"] == 4


def test_without_warm_start_a_second_fit_starts_afresh(digits):
    X, y = digits
    clf = small_clf(epochs=2).fit(X, y)
    proba = clf.predict_proba(X)
    clf.fit(X, y)
    np.testing.assert_array_equal(clf.predict_proba(X), proba)
    assert clf.n_iter_ == 2 and len(clf.history_["loss"]) == 2


def test_warm_start_refuses_new_classes(digits):
    X, y = digits
    clf = small_clf(epochs=1, warm_start=True).fit(X[y != 9], y[y != 9])
    with pytest.raises(ValueError, match=r"classes it was not built for: \[9\]"):
        clf.fit(X, y)
    assert clf.n_iter_ == 1  # left as it was


# -- 11. KerasClassifier parameters that do not apply ---------------------------------------


@pytest.mark.parametrize(
    "params, hint",
    [
        (dict(loss="mse"), "sample_weight or class_weight"),
        (dict(model=lambda: None), "hidden_layer_sizes"),
        (dict(metrics=["accuracy"]), "sklearn.metrics"),
        (dict(validation_split=0.1), "early_stopping=True with validation_fraction"),
        (dict(optimizer__beta_1=0.8), "optimizer=keras.optimizers.Adam(beta_1=0.8)"),
    ],
    ids=lambda v: next(iter(v)) if isinstance(v, dict) else None,
)
@pytest.mark.parametrize("how", ["constructor", "set_params"])
def test_inapplicable_keras_classifier_parameters_are_refused(params, hint, how):
    name = next(iter(params))
    with pytest.raises(TypeError) as info:
        if how == "constructor":
            DenseMLPClassifier(**params)
        else:
            DenseMLPClassifier().set_params(**params)
    message = str(info.value)
    assert f"'{name}'" in message
    assert hint in message


def test_unknown_parameter_lists_the_valid_ones():
    with pytest.raises(TypeError, match=r"hidden_layers.*Its parameters are: .*hidden_layer_sizes"):
        DenseMLPClassifier(hidden_layers=(3,))
    with pytest.raises(TypeError, match=r"Its parameters are: .*warm_start"):
        DenseMLPClassifier().set_params(hidden_layers=(3,))


def test_signature_shows_the_real_parameters():
    parameters = inspect.signature(DenseMLPClassifier).parameters
    assert list(parameters)[0] == "hidden_layer_sizes"
    assert sorted(parameters) == sorted(DenseMLPClassifier._get_param_names())
    assert {"callbacks", "class_weight", "warm_start", "early_stopping"} <= set(parameters)
    assert all(p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL) for p in parameters.values())


# -- 12. clone, pickle and GridSearchCV after fits with callbacks -------------------------


def every_callback(folder, tensorboard):
    callbacks = [
        keras.callbacks.EarlyStopping(monitor="loss", patience=5, restore_best_weights=True),
        keras.callbacks.ModelCheckpoint(str(folder / "model.keras")),
        keras.callbacks.ModelCheckpoint(str(folder / "model.weights.h5"), save_weights_only=True),
        keras.callbacks.CSVLogger(str(folder / "log.csv")),
        keras.callbacks.ReduceLROnPlateau(monitor="loss"),
        keras.callbacks.LearningRateScheduler(halve_each_epoch),
        keras.callbacks.TerminateOnNaN(),
        keras.callbacks.LambdaCallback(on_epoch_end=note_epoch),
        Recorder(),
    ]
    if tensorboard:
        callbacks.append(keras.callbacks.TensorBoard(str(folder / "tb")))
    return callbacks


def has_tensorboard():
    return importlib.util.find_spec("tensorboard") is not None


def test_closed_tensorboard_writers_are_forgotten(tmp_path):
    # without the tensorboard package, as TensorFlow alone makes the writers
    from skmnist._private_api import forget_closed_resources

    tensorboard = keras.callbacks.TensorBoard(str(tmp_path), write_graph=False)
    tensorboard.set_model(build_mlp(4, 2, hidden_layer_sizes=(), activation="relu", dropout=0.0,
                                    seed=0))
    tensorboard.on_train_begin()
    assert tensorboard._train_writer is not None  # a writer and tf.summary, as a fit leaves
    tensorboard.on_train_end()
    forget_closed_resources(tensorboard)
    copy.deepcopy(pickle.loads(pickle.dumps(tensorboard)))
    assert tensorboard._train_writer is not None  # a new one, when needed


@pytest.mark.parametrize("tensorboard", [
    False,
    pytest.param(True, marks=pytest.mark.skipif(not has_tensorboard(),
                                                reason="the tensorboard package is missing")),
])
def test_fitted_estimator_with_callbacks_clones_and_pickles(digits, tmp_path, tensorboard):
    X, y = digits
    clf = small_clf(every_callback(tmp_path, tensorboard)).fit(X, y)

    cloned = clone(clf)
    assert not hasattr(cloned, "coefs_")
    assert [type(c) for c in cloned.callbacks] == [type(c) for c in clf.callbacks]
    copy.deepcopy(clf)

    loaded = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))

    # the callbacks are still usable: fit again with the originals, a clone and the loaded copy
    for estimator in (clf, cloned, loaded):
        (tmp_path / "log.csv").unlink()
        estimator.fit(X, y)
        assert len(read_csv(tmp_path / "log.csv")) == 1 + EPOCHS  # header and one row per epoch + 1
    pickle.dumps(loaded)


@pytest.mark.parametrize("tensorboard", [
    False,
    pytest.param(True, marks=pytest.mark.skipif(not has_tensorboard(),
                                                reason="the tensorboard package is missing")),
])
def test_grid_search_with_callbacks(digits, tmp_path, tensorboard):
    # scikeras issue #236: a TensorBoard callback broke pickling in a grid search
    X, y = digits
    clf = small_clf(every_callback(tmp_path, tensorboard), epochs=2)
    search = GridSearchCV(clf, {"hidden_layer_sizes": [(8,), (16,)]}, cv=2).fit(X, y)
    assert search.best_estimator_.n_iter_ == 2
    assert search.cv_results_["mean_test_score"].shape == (2,)
    loaded = pickle.loads(pickle.dumps(search))
    np.testing.assert_array_equal(loaded.predict_proba(X), search.predict_proba(X))
    # a search of an estimator that was fitted before (clone of fitted callbacks)
    clf.fit(X, y)
    GridSearchCV(clf, {"hidden_layer_sizes": [(8,), (16,)]}, cv=2).fit(X, y)
    if tensorboard:
        assert list((tmp_path / "tb" / "train").glob("events.out.tfevents.*"))


class _HookNames(keras.callbacks.Callback):
    """Names of the epoch- and test-level hooks called, in order (batch hooks left out)."""

    def __init__(self):
        super().__init__()
        self.names = []

    def __getattribute__(self, name):
        if name.startswith("on_") and "batch" not in name:
            names = object.__getattribute__(self, "names")
            return lambda *args, **kwargs: names.append(name)
        return object.__getattribute__(self, name)


def test_validation_calls_the_test_hooks_where_keras_fit_calls_them(digits):
    X, y = digits
    ours, theirs = _HookNames(), _HookNames()
    small_clf([ours], **VALIDATING).fit(X, y)
    keras_fit(digits, [theirs], validation=True)
    assert ours.names == theirs.names
    assert ours.names[1:6] == ["on_epoch_begin", "on_test_begin", "on_test_end", "on_epoch_end",
                               "on_epoch_begin"]


# -- the learning rate set from any hook; batch logs; a fit that fails --------------------


class _SetRateIn(keras.callbacks.Callback):
    """Sets the learning rate to ``rate`` in hook ``hook``, and records the rate of each epoch."""

    def __init__(self, hook, rate):
        super().__init__()
        self.hook, self.rate, self.seen = hook, rate, []

    def _maybe_set(self, name):
        if name == self.hook and not getattr(self, "done", False):
            self.model.optimizer.learning_rate = self.rate
            self.done = True

    def on_train_begin(self, logs=None):
        self._maybe_set("on_train_begin")

    def on_train_batch_end(self, batch, logs=None):
        self._maybe_set("on_train_batch_end")

    def on_epoch_end(self, epoch, logs=None):
        self.seen.append(float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate)))


@pytest.mark.parametrize("hook", ["on_train_begin", "on_train_batch_end"])
def test_a_rate_set_in_any_hook_takes_over(digits, hook):
    X, y = digits
    setter = _SetRateIn(hook, 0.0)
    clf = small_clf([setter], learning_rate_schedule="cosine")
    before = small_clf([_SetRateIn(hook, 1e-3)], learning_rate_schedule="cosine")
    clf.fit(X, y)
    assert setter.seen == [0.0] * EPOCHS
    if hook == "on_train_begin":  # rate 0 from the first step: the initial weights stay
        fresh = small_clf(epochs=1).initialize(X, y)
        assert_weights_equal(flat_weights(clf), flat_weights(fresh))
    before.fit(X, y)
    assert weights_differ(flat_weights(before), flat_weights(clf))


class _BatchLogs(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.logs = []

    def on_train_batch_end(self, batch, logs=None):
        self.logs.append(dict(logs))


def test_batch_logs_weigh_accuracy_as_the_epoch_logs_do(digits):
    X, y = digits
    batches = _BatchLogs()
    clf = small_clf([batches], epochs=1).fit(X, y, sample_weight=np.full(len(y), 5.0))
    assert len(batches.logs) == 1  # one call of the compiled loop
    assert batches.logs[0]["accuracy"] == pytest.approx(clf.history_["accuracy"][0])
    assert batches.logs[0]["loss"] == pytest.approx(clf.history_["loss"][0])


class _InterruptAtEpoch1(keras.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        if epoch == 1:
            raise KeyboardInterrupt


def test_an_interrupted_fit_closes_the_csv_file_and_the_estimator_still_pickles(digits, tmp_path):
    X, y = digits
    logger = keras.callbacks.CSVLogger(str(tmp_path / "log.csv"))
    clf = small_clf([logger, _InterruptAtEpoch1()])
    with pytest.raises(KeyboardInterrupt):
        clf.fit(X, y)
    assert not hasattr(clf, "coefs_") and logger.csv_file is None
    pickle.loads(pickle.dumps(clf))
    clf.set_params(callbacks=[logger]).fit(X, y)  # the logger works again
    assert len(read_csv(tmp_path / "log.csv")) == 1 + EPOCHS  # header and one row per epoch

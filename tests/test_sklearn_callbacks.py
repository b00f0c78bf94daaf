"""scikit-learn 1.9's callbacks (``sklearn.callback``) on skmnist's estimators.

Each epoch of a DenseMLPClassifier fit is a subtask of the fit's callback
context (``skmnist/_sklearn_callbacks.py``); these tests check what a
callback sees, that it can stop a fit, that scikit-learn's ScoringMonitor and
ProgressBar work on the classifier, the pipeline and a GridSearchCV of it (in
one process and across loky workers), and that a failing fit still tears the
callbacks down and leaves the estimator as it was. Tiny data: the 8x8 digits.
"""

import os
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.callback import (
    CallbackSupportMixin,
    FitCallback,
    ProgressBar,
    ScoringMonitor,
    _progressbar,
)
from sklearn.datasets import load_digits
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV
from sklearn.utils.validation import check_is_fitted

from skmnist import DenseMLPClassifier, PixelScaler, make_mlp_pipeline
from skmnist._training import Trainer

pytest.importorskip("rich")

SMALL = {"hidden_layer_sizes": (16,), "batch_size": 64, "random_state": 0}


@pytest.fixture(scope="module")
def digits():
    """The 8x8 digits as float32 features in [0, 1], and their labels."""
    X, y = load_digits(return_X_y=True)
    return (X / 16).astype(np.float32), y


@pytest.fixture(scope="module")
def digit_images():
    """The 8x8 digits as uint8 grey-level images (what PixelScaler takes), and labels."""
    X, y = load_digits(return_X_y=True)
    return (X.reshape(-1, 8, 8) * 15).astype(np.uint8), y


class Recorder:
    """A FitCallback that writes down every hook call, in order."""

    def __init__(self, stop_after_epoch=None, raise_after_epoch=None):
        self.stop_after_epoch = stop_after_epoch
        self.raise_after_epoch = raise_after_epoch
        self.events = []

    def setup(self, estimator, context):
        self.events.append(("setup", context.task_name, context.max_subtasks))

    def teardown(self, estimator, context):
        self.events.append(("teardown", context.task_name, None))

    def on_fit_task_begin(self, estimator, context, *, X=None, y=None, metadata=None,
                          fitted_estimator=None):
        self.events.append(("begin", context, fitted_estimator))

    def on_fit_task_end(self, estimator, context, *, X=None, y=None, metadata=None,
                        fitted_estimator=None):
        self.events.append(("end", context, fitted_estimator))
        if context.task_name == "epoch":
            if context.task_id + 1 == self.raise_after_epoch:
                raise RuntimeError("callback failed")
            return context.task_id + 1 == self.stop_after_epoch
        return False

    def count(self, kind):
        return sum(event[0] == kind for event in self.events)

    def tasks(self):
        """(hook, task name, task id) of every begin/end call."""
        return [(kind, ctx.task_name, ctx.task_id) for kind, ctx, _ in self.events
                if kind in ("begin", "end")]

    def epoch_ends(self):
        return [(ctx, est) for kind, ctx, est in self.events
                if kind == "end" and ctx.task_name == "epoch"]


def _fit_tasks(n_epochs):
    """The begin/end sequence of one fit of n_epochs epochs."""
    tasks = [("begin", "fit", 0)]
    for e in range(n_epochs):
        tasks += [("begin", "epoch", e), ("end", "epoch", e)]
    return tasks + [("end", "fit", 0)]


def _callback_warnings(record):
    return [str(w.message) for w in record if "callback" in str(w.message).lower()]


# -- 1. set_callbacks and clone ----------------------------------------------------------


@pytest.mark.parametrize("estimator", [DenseMLPClassifier(), PixelScaler()],
                         ids=["DenseMLPClassifier", "PixelScaler"])
def test_set_callbacks_and_clone_keeps_them(estimator):
    assert isinstance(estimator, CallbackSupportMixin)
    recorder, bar = Recorder(), ProgressBar()
    assert isinstance(recorder, FitCallback)
    assert estimator.set_callbacks(recorder, bar) is estimator
    cloned = clone(estimator)
    assert cloned is not estimator
    assert cloned._skl_callbacks == [recorder, bar]
    assert cloned._skl_callbacks[0] is recorder  # the same instances, as clone documents
    with pytest.raises(TypeError, match="FitCallback protocol"):
        estimator.set_callbacks(Recorder)  # a class, not an instance
    estimator.set_callbacks()
    assert not hasattr(estimator, "_skl_callbacks")


def test_sklearn_callback_in_keras_callbacks_is_refused_with_a_pointer():
    with pytest.raises(TypeError, match="set_callbacks"):
        DenseMLPClassifier(callbacks=[ProgressBar()]).fit(np.zeros((4, 2)), [0, 1, 0, 1])


# -- 2. what a callback sees -------------------------------------------------------------


def test_recorder_sees_fit_and_one_subtask_per_epoch(digits):
    X, y = digits
    recorder = Recorder()
    clf = DenseMLPClassifier(epochs=3, **SMALL).set_callbacks(recorder)
    clf.fit(X, y)

    assert recorder.count("setup") == 1 and recorder.count("teardown") == 1
    assert recorder.events[0][0] == "setup" and recorder.events[-1][0] == "teardown"
    assert recorder.tasks() == _fit_tasks(3)

    root = recorder.events[1][1]
    assert root.task_name == "fit" and root.max_subtasks == 3 and root.parent is None
    assert root.estimator_name == "DenseMLPClassifier"
    ends = recorder.epoch_ends()
    assert [ctx.parent for ctx, _ in ends] == [root] * 3
    assert all(ctx.max_subtasks == 0 for ctx, _ in ends)  # epochs are leaves

    for epoch, (_, fitted) in enumerate(ends, start=1):
        assert fitted is not None and fitted is not clf
        assert fitted.n_iter_ == epoch
        assert len(fitted.history_["loss"]) == epoch
        assert fitted.predict(X[:5]).shape == (5,)
    np.testing.assert_array_equal(ends[-1][1].predict(X), clf.predict(X))
    np.testing.assert_array_equal(ends[-1][1].predict_proba(X), clf.predict_proba(X))
    # the epoch-1 snapshot is not the final network
    assert not np.array_equal(ends[0][1].coefs_[0], clf.coefs_[0])
    # the callback bookkeeping is gone after fit
    assert not hasattr(clf, "_callback_fit_ctx")
    assert not hasattr(clf, "_skl_callbacks_to_teardown")


def test_recorder_with_partial_fit_one_epoch_per_call(digits):
    X, y = digits
    recorder = Recorder()
    clf = DenseMLPClassifier(**SMALL).set_callbacks(recorder)
    for i in range(3):
        clf.partial_fit(X[i::3], y[i::3], classes=np.unique(y))

    assert clf.n_iter_ == 3
    assert recorder.count("setup") == 3 and recorder.count("teardown") == 3
    assert recorder.tasks() == _fit_tasks(1) * 3
    roots = [ctx for kind, ctx, _ in recorder.events if kind == "begin" and ctx.parent is None]
    assert [ctx.max_subtasks for ctx in roots] == [1, 1, 1]
    ends = recorder.epoch_ends()
    assert [fitted.n_iter_ for _, fitted in ends] == [1, 2, 3]
    np.testing.assert_array_equal(ends[-1][1].predict(X), clf.predict(X))


# -- 3. a callback stops the fit ---------------------------------------------------------


def test_callback_returning_true_stops_after_that_epoch(digits):
    X, y = digits
    recorder = Recorder(stop_after_epoch=2)
    clf = DenseMLPClassifier(epochs=5, **SMALL).set_callbacks(recorder)
    clf.fit(X, y)

    assert clf.n_iter_ == 2
    assert len(clf.history_["loss"]) == 2
    assert recorder.tasks() == _fit_tasks(2)
    assert recorder.count("teardown") == 1
    np.testing.assert_array_equal(recorder.epoch_ends()[-1][1].predict(X), clf.predict(X))


# -- 4. ScoringMonitor -------------------------------------------------------------------


def test_scoring_monitor_records_one_score_per_epoch(digits):
    X, y = digits
    monitor = ScoringMonitor(scoring="accuracy")
    clf = DenseMLPClassifier(epochs=3, **SMALL).set_callbacks(monitor)
    clf.fit(X, y)

    rows = monitor.get_logs().data
    assert [(r["task_name"], r["task_id"]) for r in rows] == [("epoch", e) for e in range(3)]
    assert all(r["estimator_name"] == "DenseMLPClassifier" for r in rows)
    assert all(0.0 <= r["accuracy"] <= 1.0 for r in rows)
    # the last epoch's score is the fitted classifier's accuracy on the training data
    assert rows[-1]["accuracy"] == pytest.approx(clf.score(X, y))


@pytest.mark.parametrize("relabel", [lambda y: y + 10, lambda y: np.array(list("abcdefghij"))[y]],
                         ids=["shifted", "strings"])
def test_scoring_monitor_scores_with_the_labels_of_y(digits, relabel):
    X, y = digits
    labels = relabel(y)
    monitor = ScoringMonitor(scoring="accuracy")
    clf = DenseMLPClassifier(epochs=2, **SMALL).set_callbacks(monitor)
    clf.fit(X, labels)
    rows = monitor.get_logs().data
    assert rows[-1]["accuracy"] == pytest.approx(clf.score(X, labels))


# -- 5. ProgressBar ----------------------------------------------------------------------


@pytest.fixture
def progress_messages(monkeypatch):
    """The messages ProgressBar sends to its display thread, in this process."""
    messages = []
    real_send = _progressbar.send

    def spy(handle, message):
        messages.append(dict(message))
        real_send(handle, message)

    monkeypatch.setattr(_progressbar, "send", spy)
    return messages


def _ended_paths(messages):
    return [tuple(m["path"]) for m in messages if m["event"] == "end"]


def test_progressbar_on_classifier(digits, capsys, progress_messages):
    X, y = digits
    clf = DenseMLPClassifier(epochs=3, **SMALL).set_callbacks(ProgressBar())
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        clf.fit(X, y)
    assert not _callback_warnings(record)
    out = capsys.readouterr().out
    assert "DenseMLPClassifier - fit" in out and "100%" in out
    # the bar advanced epoch by epoch
    assert _ended_paths(progress_messages) == [(0, 0), (0, 1), (0, 2), (0,)]


def test_progressbar_on_pipeline(digit_images, capsys, progress_messages):
    X, y = digit_images
    pipe = make_mlp_pipeline(hidden_layer_sizes=(16,), epochs=2, random_state=0)
    pipe.set_callbacks(ProgressBar())
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        pipe.fit(X, y)
    assert not _callback_warnings(record)
    out = capsys.readouterr().out
    assert "Pipeline - fit-transform-scale | PixelScaler - fit" in out
    assert "Pipeline - fit-final-estimator | DenseMLPClassifier - fit" in out
    ended = _ended_paths(progress_messages)
    assert [p for p in ended if len(p) == 3] == [(0, 1, 0), (0, 1, 1)]  # the 2 epochs
    assert ended[-1] == (0,)


@pytest.mark.parametrize("max_propagation_depth", [1, None])
def test_progressbar_on_grid_search(digit_images, capsys, progress_messages,
                                    max_propagation_depth):
    X, y = digit_images
    search = GridSearchCV(
        make_mlp_pipeline(hidden_layer_sizes=(16,), epochs=2, random_state=0),
        {"mlp__learning_rate": [1e-3, 1e-2]}, cv=2,
    )
    search.set_callbacks(ProgressBar(max_propagation_depth=max_propagation_depth))
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        search.fit(X, y)
    assert not _callback_warnings(record)
    assert search.best_estimator_["mlp"].n_iter_ == 2
    out = capsys.readouterr().out
    assert out.count("candidate-split-evaluation | Pipeline - fit") == 4
    assert "refit-with-best-params | Pipeline - fit" in out
    ended = _ended_paths(progress_messages)
    if max_propagation_depth is None:
        # every level is shown, down to the classifier, whose bar advances by epochs
        assert out.count("fit-final-estimator | DenseMLPClassifier - fit") == 5
        # root -> search -> candidate/split k -> final step -> epoch e
        cv_epochs = sorted(p for p in ended if len(p) == 5)
        assert cv_epochs == [(0, 0, k, 1, e) for k in range(4) for e in range(2)]
        # root -> refit -> final step -> epoch e
        assert [p for p in ended if p[:2] == (0, 1) and len(p) == 4] == [(0, 1, 1, 0),
                                                                         (0, 1, 1, 1)]
    else:
        # ProgressBar's default depth (1) stops at the pipeline: no classifier bars.
        assert "DenseMLPClassifier" not in out
        assert not [p for p in ended if len(p) == 5 or (p[:2] == (0, 1) and len(p) == 4)]


_GRID_SCRIPT = textwrap.dedent("""
    import warnings
    import numpy as np
    from sklearn.callback import ProgressBar, ScoringMonitor
    from sklearn.datasets import load_digits
    from sklearn.model_selection import GridSearchCV
    from skmnist import make_mlp_pipeline

    X, y = load_digits(return_X_y=True)
    X = (X.reshape(-1, 8, 8) * 15).astype(np.uint8)
    for depth in (1, None):
        pipe = make_mlp_pipeline(hidden_layer_sizes=(16,), epochs=2, random_state=0)
        monitor = ScoringMonitor(scoring="accuracy")
        pipe["mlp"].set_callbacks(monitor)
        search = GridSearchCV(pipe, {"mlp__learning_rate": [1e-3, 1e-2]}, cv=2, n_jobs=2)
        search.set_callbacks(ProgressBar(max_propagation_depth=depth))
        with warnings.catch_warnings(record=True) as record:
            warnings.simplefilter("always")
            search.fit(X, y)
        rows = [r for log in monitor.get_logs(select="all") for r in log.data]
        print(f"=== depth={depth} epochs_scored={sum(r['task_name'] == 'epoch' for r in rows)}"
              f" best_n_iter={search.best_estimator_['mlp'].n_iter_}")
        for w in record:
            print("WARNING:", w.category.__name__, w.message)
        print("=== end", flush=True)
""")


def test_progressbar_on_grid_search_with_two_workers(tmp_path):
    script = tmp_path / "grid.py"
    script.write_text(_GRID_SCRIPT)
    env = {**os.environ, "SKMNIST_TF_THREADS": "1", "COLUMNS": "100"}
    env.pop("FORCE_COLOR", None)
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          env=env, timeout=240, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout
    default, _, deep = out.partition("=== end")
    for part in (default, deep):
        assert part.count("candidate-split-evaluation | Pipeline - fit") == 4, out
        assert "refit-with-best-params | Pipeline - fit" in part, out
        # 4 cross-validation fits and the refit, 2 epochs each, scored in the workers
        # and shipped back to the main process
        assert "epochs_scored=10 best_n_iter=2" in part, out
        assert not [line for line in part.splitlines()
                    if line.startswith("WARNING:") and "callback" in line.lower()], out
    assert "DenseMLPClassifier" not in default, out
    assert deep.count("fit-final-estimator | DenseMLPClassifier - fit") == 5, out


# -- 6. a failing fit --------------------------------------------------------------------


def _failing_run_epoch(monkeypatch, exc_type, at_call=2):
    real = Trainer.run_epoch
    calls = []

    def run_epoch(self, *args, **kwargs):
        calls.append(None)
        if len(calls) == at_call:
            raise exc_type("epoch failed")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Trainer, "run_epoch", run_epoch)


def _state(clf):
    return {k: v for k, v in clf.__dict__.items() if k != "_skl_callbacks"}


def _assert_same_state(before, after):
    assert sorted(before) == sorted(after)
    for key, value in before.items():
        if key in ("coefs_", "intercepts_", "_optimizer_state"):
            for a, b in zip(value, after[key]):
                np.testing.assert_array_equal(a, b)
        elif isinstance(value, np.ndarray):
            np.testing.assert_array_equal(value, after[key])
        else:
            assert after[key] is value or after[key] == value, key


@pytest.mark.parametrize("failure", ["engine", "engine-interrupt", "callback"])
@pytest.mark.parametrize("prefitted", [False, True], ids=["unfitted", "fitted"])
def test_failed_fit_tears_down_and_restores(digits, monkeypatch, failure, prefitted):
    X, y = digits
    recorder = Recorder(raise_after_epoch=2 if failure == "callback" else None)
    clf = DenseMLPClassifier(epochs=3, **SMALL)
    if prefitted:
        clf.fit(X[::2], y[::2])
    before = _state(clf)
    clf.set_callbacks(recorder)
    exc_type = {"engine": ValueError, "engine-interrupt": KeyboardInterrupt,
                "callback": RuntimeError}[failure]
    if failure != "callback":
        _failing_run_epoch(monkeypatch, exc_type)

    with pytest.raises(exc_type, match="failed"):
        clf.fit(X, y)

    assert recorder.count("setup") == 1 and recorder.count("teardown") == 1
    assert recorder.events[-1][0] == "teardown"
    begun = [(kind, name, i) for kind, name, i in recorder.tasks() if name == "epoch"]
    assert begun[:3] == [("begin", "epoch", 0), ("end", "epoch", 0), ("begin", "epoch", 1)]
    assert not hasattr(clf, "_callback_fit_ctx")
    assert not hasattr(clf, "_skl_callbacks_to_teardown")
    _assert_same_state(before, _state(clf))
    if not prefitted:
        with pytest.raises(NotFittedError):
            check_is_fitted(clf)


def test_failed_partial_fit_tears_down_and_restores(digits, monkeypatch):
    X, y = digits
    recorder = Recorder()
    clf = DenseMLPClassifier(**SMALL).set_callbacks(recorder)
    clf.partial_fit(X, y, classes=np.unique(y))
    before = _state(clf)
    _failing_run_epoch(monkeypatch, ValueError, at_call=1)
    with pytest.raises(ValueError, match="epoch failed"):
        clf.partial_fit(X, y)
    assert recorder.count("setup") == 2 and recorder.count("teardown") == 2
    _assert_same_state(before, _state(clf))
    assert clf.n_iter_ == 1

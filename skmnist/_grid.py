"""Grid search that reports each fit, in the calling process, as it ends.

:func:`fit_grid_search` runs ``search.fit(X, y)`` itself -- same folds, same
fits, same ``cv_results_`` -- with one scikit-learn callback
(:class:`FitReports`, ``sklearn.callback``'s public protocol) set on the
search for the duration: each fold's fit ends in a worker (a loky process,
a local Dask worker) or in this process, and the callback sends its
candidate, fold, test score and time back to a listener in this process,
which calls ``on_fit``. ``GridSearchCV(verbose=...)`` output, by contrast,
is printed inside the workers.

The test score reaches the callback through the search's scorer: for the
duration of the fit, ``search.scoring`` is wrapped by a scorer that
remembers, per thread, the score it just computed; scikit-learn calls the
scorer and then, in the same thread, the callback's ``on_fit_task_end``.
"""

import os
import secrets
import threading
import time
from multiprocessing.connection import Client, Listener

from sklearn.base import is_classifier
from sklearn.metrics import check_scoring
from sklearn.model_selection import GridSearchCV, ParameterGrid, check_cv

from ._private_api import callbacks_of

__all__ = ["FitReports", "fit_grid_search"]

_LAST_SCORE = threading.local()


class _RememberingScorer:
    """A scorer that also remembers, in this thread, the first score of each fit.

    scikit-learn scores the test fold first, then (``return_train_score``)
    the training data: the first score after :class:`FitReports` reset it is
    the test score.
    """

    def __init__(self, scorer):
        self.scorer = scorer

    def __call__(self, estimator, X, y=None, **kwargs):
        score = self.scorer(estimator, X, y, **kwargs)
        if getattr(_LAST_SCORE, "value", None) is None:
            _LAST_SCORE.value = score
        return score


def _score_or_nan(score):
    return float("nan") if score is None else score


class FitReports:
    """scikit-learn callback that calls ``on_fit`` in this process after each fit of a search.

    Set on a ``GridSearchCV`` by :func:`fit_grid_search`. It listens on a
    local endpoint (``multiprocessing.connection``: a Unix socket, a named
    pipe on Windows; a random key) from :meth:`setup` to :meth:`teardown`;
    a copy of it in a worker process connects there to report. Workers that
    cannot reach it (a remote Dask cluster) fit as usual and report nothing.
    If ``on_fit`` raises, the listener goes on receiving (so no worker
    waits on it) and :func:`fit_grid_search` raises that error after the fit.
    """

    def __init__(self, on_fit, candidates, n_splits):
        self.on_fit = on_fit
        self.candidates, self.n_splits = candidates, n_splits
        self.total = len(candidates) * n_splits
        self.error = None

    # pickled to the workers: the address and key, not the listener or on_fit
    def __getstate__(self):
        return {"address": self.address, "authkey": self.authkey, "pid": self.pid}

    def setup(self, estimator, context):
        if getattr(self, "listener", None) is not None:
            return
        self.pid, self.done, self.lock = os.getpid(), 0, threading.Lock()
        self.authkey = secrets.token_bytes(16)
        self.listener = Listener(authkey=self.authkey)  # a fresh local address
        self.address = self.listener.address
        self.thread = threading.Thread(target=self._listen, daemon=True)
        self.thread.start()

    def _listen(self):
        while True:
            try:
                connection = self.listener.accept()
            except OSError:
                return  # closed by teardown
            except Exception:  # a worker that died mid-handshake, a stranger
                continue
            with connection:
                try:
                    message = connection.recv()
                except Exception:
                    continue
            if message is None:
                return
            self._report(message)

    def _report(self, message):
        with self.lock:
            self.done += 1
            index = message["task_id"]
            try:
                self.on_fit(
                    params=self.candidates[index // self.n_splits], split=index % self.n_splits,
                    n_splits=self.n_splits, score=message["score"], seconds=message["seconds"],
                    done=self.done, total=self.total,
                )
            except Exception as exc:  # raised by fit_grid_search once the fit is over
                if self.error is None:
                    self.error = exc

    def on_fit_task_begin(self, estimator, context):
        if context.task_name == "candidate-split-evaluation":
            _LAST_SCORE.started = time.perf_counter()
            _LAST_SCORE.value = None

    def on_fit_task_end(self, estimator, context):
        if context.task_name != "candidate-split-evaluation":
            return False
        started = getattr(_LAST_SCORE, "started", None)
        message = {
            "task_id": context.task_id,
            "score": _score_or_nan(getattr(_LAST_SCORE, "value", None)),
            "seconds": float("nan") if started is None else time.perf_counter() - started,
        }
        _LAST_SCORE.value = None
        if os.getpid() == self.pid and getattr(self, "listener", None) is not None:
            self._report(message)
            return False
        try:
            with Client(self.address, authkey=self.authkey) as connection:
                connection.send(message)
        except (OSError, EOFError):  # another machine, or this search is over: no report
            pass
        return False

    def teardown(self, estimator, context):
        listener = getattr(self, "listener", None)
        if listener is None:
            return
        try:
            with Client(self.address, authkey=self.authkey) as connection:
                connection.send(None)  # reports sent before this one are handled first
        except (OSError, EOFError):
            pass
        self.thread.join(timeout=10)
        listener.close()
        self.listener = None


def _check_search(search):
    if not isinstance(search, GridSearchCV):
        raise TypeError(
            f"fit_grid_search expects a sklearn.model_selection.GridSearchCV; got "
            f"{type(search).__name__}. Build one with GridSearchCV(estimator, param_grid)."
        )
    if not (search.scoring is None or isinstance(search.scoring, str) or callable(search.scoring)):
        raise ValueError(
            "fit_grid_search supports a single metric: scoring=None, a scorer name such "
            f"as 'accuracy', or a callable; got {search.scoring!r}. Call search.fit(X, y) "
            "for multi-metric searches."
        )


def fit_grid_search(search, X, y, *, on_fit=None):
    """Fit a ``GridSearchCV``, reporting every fit in this process as it ends.

    Calls ``search.fit(X, y)`` -- every candidate of ``search.param_grid`` on
    every fold of ``search.cv``, through joblib with ``search.n_jobs`` workers
    of the current backend (loky processes by default, a Dask cluster inside
    ``joblib.parallel_config(backend="dask")``) -- with a scikit-learn
    callback that calls `on_fit` in this process as each fit ends, whichever
    worker ran it. The fitted search is exactly what ``search.fit`` gives.

    Parameters
    ----------
    search : sklearn.model_selection.GridSearchCV
        The search to fit, with a single metric (`scoring` None, a name or a
        callable). Callbacks already set on it are kept.

    X : array-like of shape (n_samples, ...)
        Training samples (raw images for :func:`make_mlp_pipeline`).

    y : array-like of shape (n_samples,)
        Class labels.

    on_fit : callable, default=None
        Called after each fit as ``on_fit(params=..., split=..., n_splits=...,
        score=..., seconds=..., done=..., total=...)``: the candidate's
        parameters (dict), the fold index (from 0), the number of folds, the
        test score, the fit plus scoring time in seconds, the number of fits
        reported so far and the total number of fits. Not called for fits
        on a remote Dask cluster, which cannot reach this machine.

    Returns
    -------
    search : sklearn.model_selection.GridSearchCV
        The same object, fitted.

    Raises
    ------
    TypeError
        If `search` is not a ``GridSearchCV``.
    ValueError
        If `search` asks for several metrics.

    See Also
    --------
    sklearn.model_selection.GridSearchCV.fit : The same search, without the
        per-fit report.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.model_selection import GridSearchCV
    >>> from sklearn.neighbors import KNeighborsClassifier
    >>> from skmnist import fit_grid_search
    >>> X, y = load_digits(return_X_y=True)
    >>> search = GridSearchCV(KNeighborsClassifier(), {"n_neighbors": [1, 15]}, cv=2)
    >>> done = []
    >>> search = fit_grid_search(search, X, y, on_fit=lambda **fit: done.append(fit["done"]))
    >>> sorted(done)
    [1, 2, 3, 4]
    >>> search.best_params_
    {'n_neighbors': 1}
    >>> search.cv_results_["mean_test_score"].round(2).tolist()
    [0.96, 0.94]
    """
    _check_search(search)
    if on_fit is None:
        return search.fit(X, y)
    candidates = list(ParameterGrid(search.param_grid))
    n_splits = check_cv(search.cv, y, classifier=is_classifier(search.estimator)).get_n_splits(X, y)
    reports = FitReports(on_fit, candidates, n_splits)
    scoring, kept = search.scoring, callbacks_of(search)
    search.scoring = _RememberingScorer(check_scoring(search.estimator, scoring))
    search.set_callbacks(*kept, reports)
    try:
        search.fit(X, y)
    finally:
        search.scoring = scoring
        search.set_callbacks(*kept)
    search.scorer_ = search.scorer_.scorer
    if reports.error is not None:
        raise reports.error
    return search

"""Find the parts of a model: its DenseMLPClassifier and its PixelScaler.

A model is a :class:`~skmnist.DenseMLPClassifier`, a
:class:`~sklearn.pipeline.Pipeline` ending in one (such as
:func:`skmnist.make_mlp_pipeline`'s), or a fitted search (anything with a
``best_estimator_``, such as a ``GridSearchCV`` fitted with ``refit=True``)
holding either. The plots and the report find the parts here, by type.
The classes are imported inside the functions: importing the classifier
imports TensorFlow.
"""

__all__ = ["find_classifier", "find_scaler"]


def _inner(estimator):
    """The estimator `estimator` wraps: a search's best estimator, a pipeline's last step."""
    from sklearn.pipeline import Pipeline

    if hasattr(estimator, "best_estimator_"):
        return estimator.best_estimator_
    if isinstance(estimator, Pipeline) and estimator.steps:
        return estimator.steps[-1][1]
    return None


def find_classifier(estimator):
    """Return the DenseMLPClassifier inside `estimator`.

    Parameters
    ----------
    estimator : DenseMLPClassifier, Pipeline or fitted search
        The classifier itself, a Pipeline whose last step is one, or a fitted
        search whose ``best_estimator_`` is either (nested as deep as need be).

    Returns
    -------
    classifier : DenseMLPClassifier
        The classifier found, fitted or not (checking that is the caller's job).

    Raises
    ------
    TypeError
        If there is no DenseMLPClassifier where one is expected.

    Examples
    --------
    >>> from sklearn.model_selection import GridSearchCV
    >>> from skmnist import make_mlp_pipeline
    >>> from skmnist._parts import find_classifier
    >>> pipe = make_mlp_pipeline(hidden_layer_sizes=(32,))
    >>> find_classifier(pipe) is pipe[-1]
    True
    >>> find_classifier(GridSearchCV(pipe, {"mlp__epochs": [1, 2]}))
    Traceback (most recent call last):
    ...
    TypeError: Expected a DenseMLPClassifier, a Pipeline ending in one, or a fitted search ...
    """
    from ._classifier import DenseMLPClassifier

    seen = []
    current = estimator
    while current is not None:
        if isinstance(current, DenseMLPClassifier):
            return current
        seen.append(type(current).__name__)
        current = _inner(current)
    raise TypeError(
        "Expected a DenseMLPClassifier, a Pipeline ending in one, or a fitted search "
        f"(with best_estimator_) holding one; got {' holding '.join(seen)}. Pass the "
        "classifier, the pipeline from skmnist.make_mlp_pipeline, or a search fitted with "
        "refit=True."
    )


def find_scaler(estimator):
    """Return the PixelScaler inside `estimator`, or None if it has none.

    Parameters
    ----------
    estimator : DenseMLPClassifier, Pipeline or fitted search
        As for :func:`find_classifier`; a PixelScaler is looked for among the
        steps of the Pipeline (the one that the search holds, if a search).

    Returns
    -------
    scaler : PixelScaler or None
        The last PixelScaler step of the Pipeline (the one nearest the
        classifier), or None: a bare classifier has no scaler.

    Examples
    --------
    >>> from skmnist import DenseMLPClassifier, make_mlp_pipeline
    >>> from skmnist._parts import find_scaler
    >>> find_scaler(make_mlp_pipeline(center=True)).center
    True
    >>> find_scaler(DenseMLPClassifier()) is None
    True
    """
    from sklearn.pipeline import Pipeline

    from ._scaler import PixelScaler

    while hasattr(estimator, "best_estimator_"):
        estimator = estimator.best_estimator_
    if not isinstance(estimator, Pipeline):
        return None
    found = None
    for _, step in estimator.steps:
        if isinstance(step, PixelScaler):
            found = step
        elif hasattr(step, "best_estimator_") or isinstance(step, Pipeline):
            found = find_scaler(step) or found
    return found

"""The two parts of a loaded model that ``serve`` and ``export`` work with.

Both need the same thing from a model file: a fitted pipeline of
``PixelScaler`` steps (any number, usually one) ending with a fitted
``DenseMLPClassifier``, which maps raw grey images of a known size to class
probabilities. Anything else is refused here, in plain words, once.
"""

__all__ = ["MNIST_PIXELS", "model_parts"]

#: Pixels of one MNIST image, 28x28: what the page, the API and the ONNX file take.
MNIST_PIXELS = 28 * 28


def model_parts(model, what):
    """The scalers and the classifier of a fitted skmnist pipeline.

    Parameters
    ----------
    model : object
        What :func:`skmnist.load` returned.
    what : str
        The command or function asking (for the messages), e.g. ``"skmnist serve"``.

    Returns
    -------
    scalers : list of PixelScaler
        The pipeline's scaling steps, first to last (``"passthrough"`` steps dropped).
    classifier : DenseMLPClassifier
        Its last step.

    Raises
    ------
    TypeError
        If the model is not a Pipeline of PixelScaler steps ending with a
        DenseMLPClassifier.
    ValueError
        If it is not fitted, or not fitted on 28x28 images.
    """
    from sklearn.pipeline import Pipeline
    from sklearn.utils.validation import check_is_fitted

    from ._classifier import DenseMLPClassifier
    from ._scaler import PixelScaler

    expected = (
        f"{what} needs a fitted pipeline of PixelScaler then DenseMLPClassifier, as "
        "'skmnist train' and make_mlp_pipeline() make: it takes raw grey images"
    )
    if not isinstance(model, Pipeline):
        raise TypeError(
            f"{expected}; got a {type(model).__name__}. Save the whole pipeline "
            "(skmnist.save(pipe, path)), not one of its steps."
        )
    steps = [step for _, step in model.steps if step not in (None, "passthrough")]
    if not steps or not isinstance(steps[-1], DenseMLPClassifier):
        raise TypeError(f"{expected}; this pipeline does not end with a DenseMLPClassifier.")
    scalers, classifier = steps[:-1], steps[-1]
    if not scalers or not all(isinstance(step, PixelScaler) for step in scalers):
        names = [type(step).__name__ for step in steps]
        raise TypeError(f"{expected}; this pipeline's steps are {names}.")
    for step in steps:
        try:
            check_is_fitted(step)
        except Exception as exc:  # NotFittedError is a ValueError and an AttributeError
            raise ValueError(
                f"{what} needs a fitted model, but its {type(step).__name__} is not fitted. "
                "Fit the pipeline (skmnist train) before serving or exporting it."
            ) from exc
    if scalers[0].n_features_in_ != MNIST_PIXELS:
        raise ValueError(
            f"{what} handles MNIST's 28x28 = {MNIST_PIXELS} pixel images, but this model was "
            f"fitted on images of {scalers[0].n_features_in_} pixels. Fit it on 28x28 images."
        )
    return scalers, classifier

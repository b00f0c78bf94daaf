"""The ready-made pipeline: PixelScaler then DenseMLPClassifier."""

import inspect

from sklearn.pipeline import Pipeline

from ._classifier import DenseMLPClassifier
from ._facts import DEFAULTS, DIGIT_AUGMENTATION, PRESETS, is_short_fit
from ._scaler import PixelScaler

__all__ = ["PRESETS", "make_mlp_pipeline"]

_SCALER_PARAMS = frozenset(inspect.signature(PixelScaler).parameters)
_MLP_PARAMS = frozenset(inspect.signature(DenseMLPClassifier).parameters)

def make_mlp_pipeline(preset="default", **params):
    """Build the skmnist pipeline: ``PixelScaler`` then ``DenseMLPClassifier``.

    Parameters
    ----------
    preset : {"default", "fast", "best"}, default="default"
        A named starting set of parameters (:data:`PRESETS`), which `params`
        override. "default" is the classifier's defaults for 10 epochs on
        digits redrawn at every step: half of each batch by small affine maps
        (``map_fraction=0.5``), half of the images with other pens
        (``stroke_variation=0.5``), which users' digits need (98.8% test
        accuracy on MNIST, trained in about 13 s on 2 CPU cores); a fit of
        fewer than 10 epochs (``epochs=2``) leaves this augmentation out,
        unless its parameters are given (decided here, when the pipeline is
        made: ``set_params(mlp__epochs=2)`` later keeps it). "best" is a
        wider network trained longer on digits redrawn at every step
        (1200-1200 units, dropout 0.3, 40 epochs of batches of 256, affine
        and elastic augmentation: 99.3-99.4%, under 5 minutes on 2 CPU cores);
        "fast" is the default network in batches of 256 at a rate of 3e-3 for
        10 epochs on the digits as they are (98.7%, the quickest to 98.0% and
        98.5%). Name a preset here: its parameters passed one by one would be
        laid over the default preset, whose augmentation they do not all set.

    **params
        Parameters of either step, by their own names: ``center`` goes to the
        :class:`PixelScaler`, everything else (``hidden_layer_sizes``,
        ``learning_rate``, ``epochs``, ...) to the :class:`DenseMLPClassifier`.
        Omitted ones take the preset's value, else the step's default.

    Returns
    -------
    pipeline : sklearn.pipeline.Pipeline
        ``Pipeline([("scale", PixelScaler(...)), ("mlp", DenseMLPClassifier(...))])``.
        Search it with parameter names such as ``mlp__hidden_layer_sizes``,
        ``mlp__learning_rate`` and ``scale__center``.

    Raises
    ------
    TypeError
        If a parameter belongs to neither step.

    ValueError
        If `preset` is not a name of :data:`PRESETS`.

    See Also
    --------
    PixelScaler : The first step.
    DenseMLPClassifier : The second step.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.base import is_classifier
    >>> from skmnist import make_mlp_pipeline
    >>> pipe = make_mlp_pipeline(hidden_layer_sizes=(32,), learning_rate=1e-3, epochs=2)
    >>> [name for name, _ in pipe.steps]
    ['scale', 'mlp']
    >>> pipe.get_params()["mlp__hidden_layer_sizes"]
    (32,)
    >>> is_classifier(pipe)
    True
    >>> make_mlp_pipeline(preset="best")["mlp"].hidden_layer_sizes
    (1200, 1200)
    >>> rng = np.random.RandomState(0)
    >>> images = rng.randint(0, 256, size=(60, 28, 28)).astype(np.uint8)
    >>> labels = np.repeat([0, 1, 2], 20)
    >>> pipe.set_params(mlp__random_state=0).fit(images, labels).predict(images[:2]).shape
    (2,)
    """
    if not isinstance(preset, str) or preset not in PRESETS:
        raise ValueError(
            f"make_mlp_pipeline() got preset={preset!r}; expected one of "
            f"{sorted(PRESETS)}. Leave it out for the defaults, or pass parameters "
            "such as hidden_layer_sizes=(1024, 1024) yourself."
        )
    given = params
    params = {**PRESETS[preset], **params}
    epochs = params.get("epochs", DEFAULTS["epochs"])
    if preset == "default" and is_short_fit(epochs):
        # a short fit learns the digits as they are faster than redrawn ones
        params = {k: v for k, v in params.items() if k not in DIGIT_AUGMENTATION or k in given}
    unknown = sorted(set(params) - _SCALER_PARAMS - _MLP_PARAMS)
    if unknown:
        raise TypeError(
            f"make_mlp_pipeline() got unknown parameter(s) {unknown}. It accepts the "
            f"parameters of PixelScaler {sorted(_SCALER_PARAMS)} and of "
            f"DenseMLPClassifier {sorted(_MLP_PARAMS)}."
        )
    scaler = PixelScaler(**{k: v for k, v in params.items() if k in _SCALER_PARAMS})
    mlp = DenseMLPClassifier(**{k: v for k, v in params.items() if k in _MLP_PARAMS})
    return Pipeline([("scale", scaler), ("mlp", mlp)])

"""Every repair scikeras 0.13 needs under scikit-learn 1.9, in one base class.

scikeras 0.13 (unmaintained) predates ``__sklearn_tags__`` and routes its
parameters in ways that break ``clone``. :class:`RepairedKerasClassifier` is
a ``scikeras.wrappers.KerasClassifier`` with these repairs, and nothing else:

- the method resolution order puts ``ClassifierMixin`` before
  ``BaseEstimator`` (else ``is_classifier`` is False: no stratified
  cross-validation, no ``from_estimator`` displays);
- parameters are the arguments of ``__init__`` (scikeras lists the instance
  ``__dict__``), with scikit-learn's ``set_params`` and ``repr``;
- KerasClassifier parameters that a subclass does not take (its
  :attr:`inapplicable_params`) are refused, by the constructor (through the
  metaclass) and by ``set_params``, with the reason and what to use instead, rather than
  Python's "unexpected keyword argument".
"""

import inspect

from sklearn.base import BaseEstimator, ClassifierMixin

from ._keras import keras  # noqa: F401  (scikeras imports Keras: quietly, first)

from scikeras.wrappers import KerasClassifier  # noqa: E402

__all__ = ["DENSE_MLP_REFUSALS", "RepairedKerasClassifier", "reject_inapplicable"]

#: scikeras' routing prefixes (``optimizer__beta_1=...``): nothing is routed here.
_ROUTED = ("model__", "build_fn__", "optimizer__", "loss__", "metrics__", "callbacks__",
           "fit__", "predict__", "compile__")


class _ClassifierMixinBeforeBaseEstimator(type):
    """Metaclass that moves ``ClassifierMixin`` just before ``BaseEstimator``.

    scikeras declares ``KerasClassifier(BaseWrapper, ClassifierMixin)``, so
    ``BaseEstimator`` precedes ``ClassifierMixin`` in the MRO and
    ``BaseEstimator.__sklearn_tags__`` wins. No subclass can reorder them by
    its bases (the MRO would be inconsistent), but a metaclass may define the
    MRO; this one keeps scikeras' classes first and puts the mixin where
    scikit-learn requires it.
    """

    def mro(cls):
        order = super().mro()
        if ClassifierMixin in order and BaseEstimator in order:
            order.remove(ClassifierMixin)
            order.insert(order.index(BaseEstimator), ClassifierMixin)
        return order

    def __init__(cls, name, bases, namespace):
        super().__init__(name, bases, namespace)
        # inspect.signature(cls) would otherwise show __call__'s (*args, **kwargs)
        init = inspect.signature(cls.__init__)
        cls.__signature__ = init.replace(parameters=list(init.parameters.values())[1:])

    def __call__(cls, *args, **kwargs):
        # Before __init__, so that scikeras' parameters get a reason, not
        # "unexpected keyword argument" (and __init__ keeps no **kwargs).
        valid = set(cls._get_param_names())
        reject_inapplicable(cls, [name for name in kwargs if name not in valid])
        return super().__call__(*args, **kwargs)


#: The KerasClassifier parameters that skmnist's Dense MLP does not take: name ->
#: why, and what to use instead (its ``inapplicable_params``).
DENSE_MLP_REFUSALS = {
    "model": "it builds its own Dense network from hidden_layer_sizes, activation, "
    "dropout and input_dropout. To train a network of your own, use "
    "scikeras.wrappers.KerasClassifier(model=...).",
    "build_fn": "it builds its own Dense network (see 'model'); use hidden_layer_sizes.",
    "loss": "the loss is always the cross-entropy of its softmax output; weigh it with "
    "sample_weight or class_weight.",
    "metrics": "training logs loss and accuracy; for other scores use sklearn.metrics, or "
    "cross_validate(..., scoring=...).",
    "validation_split": "use early_stopping=True with validation_fraction (a stratified "
    "hold-out, as MLPClassifier's).",
    "validation_batch_size": "validation runs in NumPy in one pass; nothing to set.",
    "shuffle": "batches are always shuffled, reproducibly from random_state.",
    "run_eagerly": "training always runs in a compiled TensorFlow loop.",
    "<routed>": "nothing is routed to Keras here. Pass a configured optimizer instance "
    "instead (optimizer=keras.optimizers.Adam(beta_1=0.8)), and callbacks as instances.",
}


def reject_inapplicable(cls, names):
    """TypeError for KerasClassifier parameters (or unknown ones) ``cls`` does not take."""
    for name in names:
        reason = cls.inapplicable_params.get(name)
        if reason is None and name.startswith(_ROUTED):
            reason = cls.inapplicable_params["<routed>"]
        if reason is not None:
            raise TypeError(
                f"{cls.__name__} does not take scikeras' {name!r} parameter: {reason}"
            )
    if names:
        valid = ", ".join(sorted(cls._get_param_names()))
        raise TypeError(
            f"{cls.__name__} got unexpected parameters {sorted(names)}. Its parameters are: "
            f"{valid}."
        )


class RepairedKerasClassifier(KerasClassifier, metaclass=_ClassifierMixinBeforeBaseEstimator):
    """``scikeras.wrappers.KerasClassifier`` repaired for scikit-learn 1.9.

    Subclasses define ``__init__`` with explicit parameters, as every
    scikit-learn estimator, and :attr:`inapplicable_params`.
    """

    #: KerasClassifier parameters a subclass does not take: name -> why, and
    #: what to use instead. ``"<routed>"`` covers ``optimizer__beta_1`` & co.
    inapplicable_params: dict = {}

    _get_param_names = BaseEstimator.__dict__["_get_param_names"]
    __repr__ = BaseEstimator.__repr__

    def set_params(self, **params):
        """Set parameters, refusing scikeras' that do not apply (see the class docs).

        Parameters
        ----------
        **params : dict
            Estimator parameters.

        Returns
        -------
        self : estimator instance
        """
        valid = set(self._get_param_names())
        reject_inapplicable(type(self), [name for name in params if name not in valid])
        return BaseEstimator.set_params(self, **params)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()  # ClassifierMixin's: a classifier
        tags.classifier_tags.multi_label = False
        return tags

    def __sklearn_is_fitted__(self):
        return hasattr(self, "coefs_")

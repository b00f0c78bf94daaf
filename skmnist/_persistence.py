"""Save and load fitted models in a format that never runs code when read.

A model file is a zip archive of a JSON manifest and NumPy ``.npy`` arrays;
nothing in it is unpickled, and only the classes of a fixed allow-list can be
rebuilt. The layout is documented in ``docs/persistence.md``.
"""

import json
import os
import tempfile
import warnings
import zipfile
import zlib

from ._facts import DEFAULTS
from ._files import usual_permissions
from ._persistence_archive import (
    FORMAT,
    FORMAT_VERSION,
    MANIFEST,
    MANIFEST_CHECKSUM,
    check_classes,
    open_archive,
    read_manifest,
)
from ._persistence_values import Reader, Writer, refuse, sha256

__all__ = ["load", "save"]


def _describe(estimator, writer):
    """The manifest entry of ``estimator``, its arrays added to ``writer``."""
    from sklearn.pipeline import Pipeline

    from ._classifier import DenseMLPClassifier
    from ._scaler import PixelScaler

    cls = type(estimator)
    if cls is Pipeline:
        params = estimator.get_params(deep=False)
        steps = params.pop("steps")
        if params.get("memory") is not None:
            raise ValueError(
                f"skmnist.save does not store a Pipeline's memory (here {params['memory']!r}): "
                "it is a cache folder on this machine, which a loaded model must never read. "
                "Set pipe.set_params(memory=None) before saving."
            )
        return {
            "class": "Pipeline",
            "params": {k: writer.param("Pipeline", k, v) for k, v in params.items()},
            "steps": [[str(name), _describe(step, writer)] for name, step in steps],
        }
    if cls not in (PixelScaler, DenseMLPClassifier):
        hint = ""
        if hasattr(estimator, "cv_results_") or hasattr(estimator, "param_grid"):
            hint = (
                " For a fitted search, save the model it refitted: "
                "skmnist.save(search.best_estimator_, path)."
            )
        raise TypeError(
            f"skmnist.save saves a fitted DenseMLPClassifier, PixelScaler or a Pipeline of "
            f"them, not {cls.__module__}.{cls.__qualname__}.{hint}"
        )
    params = estimator.get_params(deep=False)
    if params.get("callbacks") is not None:
        warnings.warn(
            f"skmnist.save does not store the Keras callbacks of {cls.__name__} (they are "
            "code, and a model file never holds code): the loaded model has callbacks=None.",
            UserWarning,
            stacklevel=3,
        )
        params["callbacks"] = None
    entry = {
        "class": cls.__name__,
        "params": {k: writer.param(cls.__name__, k, v) for k, v in params.items()},
        "fitted": writer.state(estimator._get_fitted_state()),
    }
    output = getattr(estimator, "_sklearn_output_config", None)
    if output:
        entry["output"] = {k: str(v) for k, v in output.items() if isinstance(v, str)}
    return entry


def save(estimator, path):
    """Save a fitted skmnist model to a file that is safe to load.

    The file is a zip archive holding a JSON manifest (format version, the
    skmnist version, class names, parameters and fitted attributes such as
    ``classes_`` and ``history_``) and the weights as NumPy ``.npy`` arrays,
    with SHA-256 checksums. Unlike a pickle or joblib file, loading it with
    :func:`load` never runs code stored in it. The file is written to a
    temporary name and then renamed, so an existing file at `path` is only
    replaced by a complete one.

    Parameters
    ----------
    estimator : DenseMLPClassifier, PixelScaler or Pipeline
        A fitted :class:`DenseMLPClassifier` or :class:`PixelScaler`, or a fitted
        :class:`~sklearn.pipeline.Pipeline` of them such as
        :func:`make_mlp_pipeline` returns. For a fitted
        :class:`~sklearn.model_selection.GridSearchCV`, save its
        ``best_estimator_``. An `optimizer` parameter given as an instance is
        saved only if it is one of Keras' built-in optimizers.

    path : str or path-like
        Where to write the file; ``.skmnist`` is the customary extension.

    Returns
    -------
    path : str
        The absolute path written.

    Raises
    ------
    sklearn.exceptions.NotFittedError
        If the estimator (or a step) is not fitted.
    TypeError
        If it is not one of the classes above.
    ValueError
        If a parameter cannot be saved without pickling (a custom optimizer
        class, an arbitrary Python object).

    See Also
    --------
    load : Read the file back.

    Notes
    -----
    The optimizer's state (such as Adam's moment estimates) and the fit's
    seed are saved too, so :meth:`~DenseMLPClassifier.partial_fit` after
    :func:`load` goes on exactly as it would have without saving. The format
    is described in ``docs/persistence.md``.

    Examples
    --------
    >>> import os, tempfile
    >>> from sklearn.datasets import load_digits
    >>> import skmnist
    >>> X, y = load_digits(return_X_y=True)
    >>> pipe = skmnist.make_mlp_pipeline(hidden_layer_sizes=(32,), epochs=3, random_state=0)
    >>> pipe = pipe.fit(X[:500].reshape(-1, 8, 8) * 15, y[:500])
    >>> path = os.path.join(tempfile.mkdtemp(), "digits.skmnist")
    >>> _ = skmnist.save(pipe, path)
    >>> loaded = skmnist.load(path)
    >>> bool((loaded.predict_proba(X[500:510].reshape(-1, 8, 8) * 15)
    ...       == pipe.predict_proba(X[500:510].reshape(-1, 8, 8) * 15)).all())
    True
    """
    from . import __version__

    writer = Writer()
    model = _describe(estimator, writer)
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "skmnist_version": __version__,
        "model": model,
        "arrays": {name: sha256(data) for name, data in writer.arrays.items()},
    }
    manifest_bytes = json.dumps(manifest, indent=1, allow_nan=False).encode("utf-8")
    path = os.path.abspath(os.fspath(path))
    folder = os.path.dirname(path)
    fd, tmp = tempfile.mkstemp(prefix=".skmnist-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as file, zipfile.ZipFile(file, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr(MANIFEST, manifest_bytes)
            zf.writestr(MANIFEST_CHECKSUM, sha256(manifest_bytes) + "\n")
            for name, data in writer.arrays.items():
                zf.writestr(name, data)
        usual_permissions(tmp)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


# -- reading ------------------------------------------------------------------


def _param_names(name):
    """The parameters of the class ``name``, without importing TensorFlow."""
    if name == "DenseMLPClassifier":
        return set(DEFAULTS)  # its signature is read from there
    if name == "PixelScaler":
        from ._scaler import PixelScaler

        return set(PixelScaler._get_param_names())
    from sklearn.pipeline import Pipeline

    return set(Pipeline._get_param_names()) - {"steps"}


def _check_entry(reader, entry):
    """Everything about ``entry`` (and its steps) that can be checked before TensorFlow
    is imported: parameter names, the pipeline's memory, the fitted state's presence,
    the weights' declared shapes, the output transform. A wrong file costs
    milliseconds, not the seconds of importing TensorFlow."""
    name = entry["class"]
    params = entry.get("params")
    if not isinstance(params, dict):
        raise reader.corrupt(f"the parameters of {name} are missing")
    unknown = sorted(set(params) - _param_names(name))
    if unknown:
        raise refuse(
            reader.path,
            f"unknown parameters {unknown} for {name}: the file was written by "
            "another version of skmnist. Upgrade skmnist to load it.",
        )
    output = entry.get("output")
    if output is not None:
        transform = output.get("transform") if isinstance(output, dict) else output
        if transform not in ("default", "pandas", "polars"):
            raise reader.corrupt(f"unknown output transform {transform!r} for {name}")
    if name == "Pipeline":
        if params.get("memory") is not None:
            # joblib would unpickle whatever lies in that folder at the next fit
            raise refuse(
                reader.path,
                f"the pipeline's memory parameter is {params['memory']!r}: a cache folder, "
                "whose files joblib unpickles when the pipeline is fitted. skmnist.save never "
                "writes one (it refuses to); the file was crafted or modified.",
            )
        for _, step in entry["steps"]:
            _check_entry(reader, step)
        return
    fitted = entry.get("fitted")
    if not isinstance(fitted, dict):
        raise reader.corrupt(f"the fitted state of {name} is missing")
    if name == "DenseMLPClassifier":
        sizes = (reader.param(params["hidden_layer_sizes"]) if "hidden_layer_sizes" in params
                 else DEFAULTS["hidden_layer_sizes"])
        try:
            _check_declared_shapes(reader, sizes, fitted)
        except (TypeError, ValueError) as exc:
            if str(exc).startswith(f"{reader.path}:"):
                raise
            raise refuse(reader.path, f"cannot rebuild {name}: {exc}") from exc


def _build(reader, entry):
    """The estimator of a checked ``entry`` (see :func:`_check_entry`)."""
    from sklearn.pipeline import Pipeline

    name = entry["class"]
    params = {k: reader.param(v) for k, v in entry["params"].items()}
    if name == "Pipeline":
        steps = [(step_name, _build(reader, step)) for step_name, step in entry["steps"]]
        pipeline = Pipeline(steps, **params)
        pipeline._validate_params()
        return pipeline
    from ._classifier import DenseMLPClassifier
    from ._scaler import PixelScaler

    cls = {"PixelScaler": PixelScaler, "DenseMLPClassifier": DenseMLPClassifier}[name]
    estimator = cls(**params)
    try:
        estimator._set_fitted_state(reader.state(entry["fitted"]))
    except (KeyError, AttributeError) as exc:
        raise reader.corrupt(f"the fitted state of {name} is incomplete ({exc!r})") from exc
    except (TypeError, ValueError) as exc:  # parameters or weights that do not fit
        if str(exc).startswith(f"{reader.path}:"):
            raise
        raise refuse(reader.path, f"cannot rebuild {name}: {exc}") from exc
    output = entry.get("output")
    if output is not None:
        estimator.set_output(transform=output.get("transform") if isinstance(output, dict)
                             else output)
    return estimator


def _check_declared_shapes(reader, hidden_layer_sizes, fitted):
    """The weights' shapes, as the arrays' headers declare them, against the parameters:
    before any array is read or any network built, so that memory follows the model."""
    from ._input_checks import check_hidden_layer_sizes

    n_features = fitted.get("n_features_in_")
    if isinstance(n_features, bool) or not isinstance(n_features, int) or n_features < 1:
        raise reader.corrupt(f"invalid n_features_in_ {n_features!r}")
    classes = reader.header(fitted.get("classes_"))[0]
    if len(classes) != 1:
        raise reader.corrupt(f"classes_ declares the shape {classes}, not a list of labels")
    hidden = check_hidden_layer_sizes("DenseMLPClassifier", hidden_layer_sizes)
    units = [n_features, *hidden, *classes]
    shapes = {"coefs_": list(zip(units[:-1], units[1:])), "intercepts_": [(b,) for b in units[1:]]}
    for key, expected in shapes.items():
        entries = fitted.get(key)
        declared = [reader.header(e)[0] for e in entries] if isinstance(entries, list) else None
        if declared != expected:
            raise reader.corrupt(
                f"{key} declares shapes {declared}, but the parameters make {expected}"
            )
    allowed = {(), *shapes["coefs_"], *shapes["intercepts_"]}
    state = fitted.get("optimizer_state") or []
    if not isinstance(state, list) or len(state) > 1 + 3 * 2 * len(shapes["coefs_"]):
        raise reader.corrupt("the optimizer state has more variables than any optimizer keeps")
    for entry in state:
        if reader.header(entry)[0] not in allowed:
            raise reader.corrupt("the optimizer state holds a variable the network has no use for")


def load(path):
    """Load a model saved by :func:`save`, without running code from the file.

    The file is checked before anything is built: it must be a zip archive with
    a skmnist manifest of a format version this skmnist reads, every member's
    SHA-256 must match, and every class named must be one of
    ``Pipeline``, ``PixelScaler`` and ``DenseMLPClassifier``; then, still
    before TensorFlow is imported, the parameters' names and the weights'
    shapes as the arrays declare them. Arrays are read with
    ``allow_pickle=False``; nothing is unpickled and no module named in the
    file is imported.

    Parameters
    ----------
    path : str or path-like
        A file written by :func:`save`.

    Returns
    -------
    estimator : DenseMLPClassifier, PixelScaler or Pipeline
        The fitted estimator, predicting exactly as the one saved. Its Keras
        network ``model_`` is rebuilt with the saved weights.

    Raises
    ------
    ValueError
        If the file is a pickle or joblib file, not a zip archive, not written
        by :func:`save`, modified or corrupted since (checksum mismatch),
        written in a newer format version, or names a class or parameter this
        skmnist does not know. The message names the file and the problem.

    See Also
    --------
    save : Write such a file.

    Examples
    --------
    >>> import os, pickle, tempfile
    >>> import skmnist
    >>> path = os.path.join(tempfile.mkdtemp(), "model.pkl")
    >>> with open(path, "wb") as file:
    ...     pickle.dump({"not": "a model"}, file)
    >>> skmnist.load(path)
    Traceback (most recent call last):
    ...
    ValueError: ...: not a skmnist model file: it is a pickle (or joblib) file. ...
    """
    path = os.fspath(path)
    with open_archive(path) as zf:
        try:
            manifest = read_manifest(path, zf)
            model = manifest.get("model")
            check_classes(path, model, {"Pipeline", "PixelScaler", "DenseMLPClassifier"})
            reader = Reader(path, zf, manifest)
            _check_entry(reader, model)  # all that needs no TensorFlow, first
            return _build(reader, model)
        except (zipfile.BadZipFile, EOFError, zlib.error) as exc:  # a member cut or damaged
            raise refuse(path, f"the archive is damaged ({exc}).") from exc
        except Exception as exc:  # whatever a crafted file provokes: a ValueError naming it
            if isinstance(exc, ValueError) and str(exc).startswith(f"{path}:"):
                raise
            raise refuse(path, f"cannot load it ({type(exc).__name__}: {exc}).") from exc

"""Save and load fitted models in a format that never runs code when read.

A model file is a zip archive of a JSON manifest and NumPy ``.npy`` arrays;
nothing in it is unpickled, and only the classes of a fixed allow-list can be
rebuilt. The layout is documented in ``docs/persistence.md``.
"""

import hashlib
import io
import json
import os
import tempfile
import zipfile
import zlib
from numbers import Integral, Real

import numpy as np

from ._files import usual_permissions

__all__ = ["load", "save"]

#: Name and version of the format; a reader refuses a version newer than its own.
FORMAT = "skmnist-model"
FORMAT_VERSION = 1

MANIFEST = "manifest.json"
MANIFEST_CHECKSUM = "manifest.sha256"
_PICKLE_PROTOCOL = b"\x80"  # first byte of a pickle of protocol 2 or later
_COMPRESSED = {b"\x1f\x8b": "gzip", b"x\x01": "zlib", b"x\x5e": "zlib", b"x\x9c": "zlib",
               b"x\xda": "zlib", b"BZ": "bz2", b"\xfd7": "xz", b"\x04\x22": "lz4"}


# -- writing ------------------------------------------------------------------


class _Writer:
    """Collects the arrays of a model and turns parameters into JSON."""

    def __init__(self):
        self.arrays = {}

    def array(self, value):
        value = np.asarray(value)
        entry = {}
        if value.dtype == object:
            # Labels or names held as Python objects: saved as text when they are all
            # strings (an object array can only be saved by pickling it).
            if not all(isinstance(v, str) for v in value.ravel()):
                raise ValueError(
                    "skmnist.save can store labels and feature names that are numbers or "
                    f"strings, not arbitrary Python objects (got {value.ravel()[:3]!r}...). "
                    "Convert them to str or int before fitting."
                )
            value, entry["object"] = value.astype(str), True
        name = f"arrays/{len(self.arrays)}.npy"
        buffer = io.BytesIO()
        np.save(buffer, value, allow_pickle=False)
        self.arrays[name] = buffer.getvalue()
        entry["array"] = name
        return entry

    def param(self, owner, name, value):
        """A parameter as JSON; tuples and non-JSON values are tagged."""
        if value is None or isinstance(value, (bool, str)):
            return value
        if isinstance(value, np.generic):
            value = value.item()
        if isinstance(value, Integral):
            return int(value)
        if isinstance(value, Real):
            value = float(value)
            if not np.isfinite(value):
                return {"float": repr(value)}
            return value
        if isinstance(value, (tuple, list)):
            items = [self.param(owner, name, v) for v in value]
            return {"tuple": items} if isinstance(value, tuple) else items
        if isinstance(value, np.random.RandomState):
            kind, keys, pos, has_gauss, cached = value.get_state()
            return {
                "random_state": {
                    "kind": kind,
                    "keys": self.array(keys),
                    "pos": int(pos),
                    "has_gauss": int(has_gauss),
                    "cached_gaussian": float(cached),
                }
            }
        from ._keras import keras

        if isinstance(value, keras.optimizers.Optimizer):
            return {"keras_optimizer": _serialize_optimizer(value, owner, name)}
        raise ValueError(
            f"skmnist.save cannot store the {name!r} parameter of {owner}: "
            f"{type(value).__name__} values are not saved (only None, booleans, numbers, "
            "strings, tuples and lists of them, RandomState instances and built-in Keras "
            "optimizers). Set it to such a value, or save with pickle or joblib if the "
            "file never leaves your hands."
        )


def _builtin_optimizers():
    from ._keras import keras

    return {
        name: cls
        for name, cls in vars(keras.optimizers).items()
        if isinstance(cls, type)
        and issubclass(cls, keras.optimizers.Optimizer)
        and cls is not keras.optimizers.Optimizer
    }


def _builtin_schedules():
    from ._keras import keras

    base = keras.optimizers.schedules.LearningRateSchedule
    return {
        name: cls
        for name, cls in vars(keras.optimizers.schedules).items()
        if isinstance(cls, type) and issubclass(cls, base) and cls is not base
    }


def _plain(config):
    """True if ``config`` holds only JSON numbers, strings, booleans and None."""
    return all(v is None or isinstance(v, (bool, int, float, str)) for v in config.values())


def _serialize_optimizer(optimizer, owner, name):
    cls = type(optimizer)
    if _builtin_optimizers().get(cls.__name__) is not cls:
        raise ValueError(
            f"skmnist.save cannot store the {name!r} parameter of {owner}: "
            f"{cls.__module__}.{cls.__qualname__} is not one of Keras' built-in "
            f"optimizers ({', '.join(sorted(_builtin_optimizers()))}), and a model file "
            "never names code to import. Use a built-in optimizer or its name."
        )
    config = dict(optimizer.get_config())
    rate = config.get("learning_rate")
    if not isinstance(rate, (int, float)):
        from ._keras import keras

        schedule = getattr(optimizer, "_learning_rate", None)
        if not isinstance(schedule, keras.optimizers.schedules.LearningRateSchedule) or (
            _builtin_schedules().get(type(schedule).__name__) is not type(schedule)
        ):
            raise ValueError(
                f"skmnist.save cannot store the learning rate of the {name!r} parameter "
                f"of {owner}: only a number or a built-in Keras schedule is saved."
            )
        config["learning_rate"] = {
            "class_name": type(schedule).__name__,
            "config": _to_json(schedule.get_config()),
        }
        if not _plain(config["learning_rate"]["config"]):
            raise ValueError(
                f"skmnist.save cannot store the learning-rate schedule of {owner}'s "
                f"{name!r} parameter: its settings are not plain numbers."
            )
    rest = {k: v for k, v in config.items() if k != "learning_rate"}
    rest = _to_json(rest)
    if not _plain(rest):
        raise ValueError(
            f"skmnist.save cannot store the {name!r} parameter of {owner}: its settings "
            "are not plain numbers, strings or booleans."
        )
    return {"class_name": cls.__name__, "config": dict(rest, learning_rate=config["learning_rate"])}


def _to_json(config):
    out = {}
    for key, value in config.items():
        if isinstance(value, np.generic):
            value = value.item()
        out[key] = value
    return out


def _fitted_attributes(estimator, writer, names):
    fitted = {}
    for attr in names:
        if not hasattr(estimator, attr):
            continue
        value = getattr(estimator, attr)
        if attr == "feature_names_in_":
            fitted[attr] = [str(v) for v in value]
        elif attr in ("n_features_in_", "n_iter_"):
            fitted[attr] = int(value)
        elif attr == "image_shape_":
            fitted[attr] = [int(v) for v in value]
        elif attr == "history_":  # arrays, as a diverged fit may have NaN losses
            fitted[attr] = {
                str(k): writer.array(np.asarray(values, dtype=np.float64))
                for k, values in value.items()
            }
        else:  # arrays: classes_
            fitted[attr] = writer.array(value)
    return fitted


def _describe(estimator, writer):
    """The manifest entry of ``estimator``, its arrays added to ``writer``."""
    from sklearn.pipeline import Pipeline
    from sklearn.utils.validation import check_is_fitted

    from ._classifier import DenseMLPClassifier
    from ._scaler import PixelScaler

    cls = type(estimator)
    if cls is Pipeline:
        params = estimator.get_params(deep=False)
        steps = params.pop("steps")
        return {
            "class": "Pipeline",
            "params": {k: writer.param("Pipeline", k, v) for k, v in params.items()},
            "steps": [[str(name), _describe(step, writer)] for name, step in steps],
        }
    if cls not in (PixelScaler, DenseMLPClassifier):
        from sklearn.model_selection._search import BaseSearchCV

        hint = ""
        if isinstance(estimator, BaseSearchCV):
            hint = (
                " For a fitted search, save the model it refitted: "
                "skmnist.save(search.best_estimator_, path)."
            )
        raise TypeError(
            f"skmnist.save saves a fitted DenseMLPClassifier, PixelScaler or a Pipeline of "
            f"them, not {cls.__module__}.{cls.__qualname__}.{hint}"
        )
    check_is_fitted(estimator)
    params = estimator.get_params(deep=False)
    entry = {
        "class": cls.__name__,
        "params": {k: writer.param(cls.__name__, k, v) for k, v in params.items()},
    }
    if cls is PixelScaler:
        entry["fitted"] = _fitted_attributes(
            estimator, writer, ["n_features_in_", "feature_names_in_", "image_shape_"]
        )
    else:
        entry["fitted"] = _fitted_attributes(
            estimator,
            writer,
            ["classes_", "n_features_in_", "feature_names_in_", "history_", "n_iter_"],
        )
        entry["fitted"]["coefs_"] = [writer.array(a) for a in estimator.coefs_]
        entry["fitted"]["intercepts_"] = [writer.array(a) for a in estimator.intercepts_]
        # what partial_fit needs to go on exactly as without saving
        state = getattr(estimator, "_optimizer_state", None)
        if state is not None:
            entry["fitted"]["optimizer_state"] = [writer.array(a) for a in state]
        if getattr(estimator, "_seed_", None) is not None:
            entry["fitted"]["seed"] = int(estimator._seed_)
    output = getattr(estimator, "_sklearn_output_config", None)
    if output:
        entry["output"] = {k: str(v) for k, v in output.items() if isinstance(v, str)}
    return entry


def _sha256(data):
    return hashlib.sha256(data).hexdigest()


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

    writer = _Writer()
    model = _describe(estimator, writer)
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "skmnist_version": __version__,
        "model": model,
        "arrays": {name: _sha256(data) for name, data in writer.arrays.items()},
    }
    manifest_bytes = json.dumps(manifest, indent=1, allow_nan=False).encode("utf-8")
    path = os.path.abspath(os.fspath(path))
    folder = os.path.dirname(path)
    fd, tmp = tempfile.mkstemp(prefix=".skmnist-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as file, zipfile.ZipFile(file, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr(MANIFEST, manifest_bytes)
            zf.writestr(MANIFEST_CHECKSUM, _sha256(manifest_bytes) + "\n")
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


def _refuse(path, problem):
    return ValueError(f"{path}: {problem}")


def _open(path):
    """The zip archive at ``path``, or a ValueError saying what the file is instead."""
    with open(path, "rb") as file:
        head = file.read(4)
    if zipfile.is_zipfile(path):
        return zipfile.ZipFile(path)
    if head[:1] == _PICKLE_PROTOCOL:
        kind = "a pickle (or joblib) file"
    elif head[:2] in _COMPRESSED:
        kind = f"a {_COMPRESSED[head[:2]]}-compressed file (perhaps a compressed joblib pickle)"
    else:
        kind = "not a zip archive"
    raise _refuse(
        path,
        f"not a skmnist model file: it is {kind}. skmnist.load reads only files written by "
        "skmnist.save, and never unpickles, because unpickling runs code stored in the "
        "file. Load a pickle or joblib file with pickle.load or joblib.load only if you "
        "trust where it comes from.",
    )


def _read_manifest(path, zf):
    names = set(zf.namelist())
    if MANIFEST not in names or MANIFEST_CHECKSUM not in names:
        raise _refuse(
            path,
            f"not a skmnist model file: the zip archive has no {MANIFEST}. Read only files "
            "written by skmnist.save.",
        )
    raw = zf.read(MANIFEST)
    try:
        manifest = json.loads(raw)
    except ValueError as exc:
        raise _refuse(path, f"the manifest is not valid JSON ({exc}); the file is corrupt.") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise _refuse(path, f"not a skmnist model file (its manifest is not of format {FORMAT!r}).")
    version = manifest.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise _refuse(path, f"invalid format version {version!r}; the file is corrupt.")
    if version > FORMAT_VERSION:
        raise _refuse(
            path,
            f"written in format version {version} by skmnist "
            f"{manifest.get('skmnist_version', '?')}, but this skmnist reads format versions "
            f"up to {FORMAT_VERSION}. Upgrade skmnist to load it.",
        )
    expected = zf.read(MANIFEST_CHECKSUM).decode("ascii", "replace").strip()
    if _sha256(raw) != expected:
        raise _refuse(
            path,
            "checksum mismatch in the manifest: the file was modified or corrupted after "
            "skmnist.save wrote it. Save the model again, or get an intact copy.",
        )
    arrays = manifest.get("arrays")
    if not isinstance(arrays, dict) or set(arrays) != names - {MANIFEST, MANIFEST_CHECKSUM}:
        raise _refuse(
            path,
            "the archive's members do not match its manifest: the file was modified after "
            "skmnist.save wrote it. Save the model again, or get an intact copy.",
        )
    for name, checksum in arrays.items():  # every member, before anything is built
        if _sha256(zf.read(name)) != checksum:
            raise _refuse(
                path,
                f"checksum mismatch in {name}: the file was modified or corrupted after "
                "skmnist.save wrote it. Save the model again, or get an intact copy.",
            )
    return manifest


class _Reader:
    def __init__(self, path, zf, manifest):
        self.path, self.zf, self.checksums = path, zf, manifest["arrays"]

    def corrupt(self, what):
        return _refuse(self.path, f"{what}; the file is corrupt or was modified.")

    def array(self, entry):
        if not isinstance(entry, dict) or entry.get("array") not in self.checksums:
            raise self.corrupt(f"bad array reference {entry!r}")
        name = entry["array"]
        data = self.zf.read(name)
        if _sha256(data) != self.checksums[name]:
            raise _refuse(
                self.path,
                f"checksum mismatch in {name}: the file was modified or corrupted after "
                "skmnist.save wrote it. Save the model again, or get an intact copy.",
            )
        try:
            value = np.load(io.BytesIO(data), allow_pickle=False)
        except ValueError as exc:
            raise self.corrupt(f"{name} is not a plain NumPy array ({exc})") from exc
        return value.astype(object) if entry.get("object") else value

    def param(self, value):
        if value is None or isinstance(value, (bool, int, float, str)):
            return value
        if isinstance(value, list):
            return [self.param(v) for v in value]
        if isinstance(value, dict) and len(value) == 1:
            (tag, content), = value.items()
            if tag == "tuple" and isinstance(content, list):
                return tuple(self.param(v) for v in content)
            if tag == "float" and content in ("nan", "inf", "-inf"):
                return float(content)
            if tag == "random_state" and isinstance(content, dict):
                state = np.random.RandomState()
                try:
                    state.set_state((
                        content["kind"], self.array(content["keys"]), content["pos"],
                        content["has_gauss"], content["cached_gaussian"],
                    ))
                except (KeyError, TypeError, ValueError) as exc:
                    raise self.corrupt(f"invalid random state ({exc})") from exc
                return state
            if tag == "keras_optimizer" and isinstance(content, dict):
                return self.optimizer(content)
        raise self.corrupt(f"unknown parameter value {value!r}")

    def optimizer(self, content):
        classes = _builtin_optimizers()
        name, config = content.get("class_name"), content.get("config")
        if name not in classes or not isinstance(config, dict):
            raise _refuse(
                self.path,
                f"unknown optimizer {name!r}: only Keras' built-in optimizers "
                f"({', '.join(sorted(classes))}) are loaded.",
            )
        config = dict(config)
        rate = config.get("learning_rate")
        if isinstance(rate, dict):
            schedules = _builtin_schedules()
            if rate.get("class_name") not in schedules or not isinstance(
                rate.get("config"), dict
            ) or not _plain(rate["config"]):
                raise _refuse(
                    self.path, f"unknown learning-rate schedule {rate.get('class_name')!r}."
                )
            config["learning_rate"] = schedules[rate["class_name"]].from_config(rate["config"])
        elif not isinstance(rate, (int, float)):
            raise self.corrupt(f"invalid optimizer learning rate {rate!r}")
        if not _plain({k: v for k, v in config.items() if k != "learning_rate"}):
            raise self.corrupt("invalid optimizer settings")
        try:
            return classes[name].from_config(config)
        except (TypeError, ValueError) as exc:
            raise self.corrupt(f"invalid settings for optimizer {name} ({exc})") from exc


def _check_classes(path, entry, allowed):
    """Refuse unknown class names anywhere in the tree, before building anything."""
    if not isinstance(entry, dict):
        raise _refuse(path, "the manifest's model entry is malformed; the file is corrupt.")
    name = entry.get("class")
    if name not in allowed:
        raise _refuse(
            path,
            f"unknown class {name!r} in the model file: skmnist.load rebuilds only "
            f"{', '.join(sorted(allowed))}. The file was written by another program or a "
            "newer skmnist.",
        )
    if name == "Pipeline":
        steps = entry.get("steps")
        if not isinstance(steps, list) or not steps:
            raise _refuse(path, "the pipeline in the manifest has no steps; the file is corrupt.")
        for step in steps:
            if not (isinstance(step, list) and len(step) == 2 and isinstance(step[0], str)):
                raise _refuse(path, "a pipeline step in the manifest is malformed.")
            _check_classes(path, step[1], allowed)


def _params(reader, cls, entry):
    params = entry.get("params")
    if not isinstance(params, dict):
        raise reader.corrupt(f"the parameters of {cls.__name__} are missing")
    known = set(cls._get_param_names()) - {"steps"}
    unknown = sorted(set(params) - known)
    if unknown:
        raise _refuse(
            reader.path,
            f"unknown parameters {unknown} for {cls.__name__}: the file was written by "
            "another version of skmnist. Upgrade skmnist to load it.",
        )
    return {k: reader.param(v) for k, v in params.items()}


def _build(reader, entry):
    from sklearn.pipeline import Pipeline

    name = entry["class"]
    if name == "Pipeline":
        steps = [(step_name, _build(reader, step)) for step_name, step in entry["steps"]]
        return Pipeline(steps, **_params(reader, Pipeline, entry))
    from ._classifier import DenseMLPClassifier
    from ._scaler import PixelScaler

    cls = {"PixelScaler": PixelScaler, "DenseMLPClassifier": DenseMLPClassifier}[name]
    estimator = cls(**_params(reader, cls, entry))
    fitted = entry.get("fitted")
    if not isinstance(fitted, dict):
        raise reader.corrupt(f"the fitted state of {name} is missing")
    try:
        n_features = int(fitted["n_features_in_"])
        names = fitted.get("feature_names_in_")
        if cls is PixelScaler:
            estimator.n_features_in_ = n_features
            estimator.image_shape_ = tuple(int(v) for v in fitted["image_shape_"])
        else:
            estimator._restore(
                n_features,
                reader.array(fitted["classes_"]),
                [reader.array(e) for e in fitted["coefs_"]],
                [reader.array(e) for e in fitted["intercepts_"]],
                history={
                    str(k): [float(v) for v in reader.array(ref)]
                    for k, ref in fitted["history_"].items()
                },
                n_iter=int(fitted["n_iter_"]),
                seed=int(fitted.get("seed", 0)),
                optimizer_state=(
                    None
                    if fitted.get("optimizer_state") is None
                    else [reader.array(ref) for ref in fitted["optimizer_state"]]
                ),
            )
        if names is not None:
            estimator.feature_names_in_ = np.asarray([str(v) for v in names], dtype=object)
    except (KeyError, AttributeError) as exc:
        raise reader.corrupt(f"the fitted state of {name} is incomplete ({exc!r})") from exc
    except (TypeError, ValueError) as exc:  # parameters or weights that do not fit
        if str(exc).startswith(f"{reader.path}:"):
            raise
        raise _refuse(reader.path, f"cannot rebuild {name}: {exc}") from exc
    output = entry.get("output")
    if isinstance(output, dict) and output.get("transform"):
        estimator.set_output(transform=str(output["transform"]))
    return estimator


def load(path):
    """Load a model saved by :func:`save`, without running code from the file.

    The file is checked before anything is built: it must be a zip archive with
    a skmnist manifest of a format version this skmnist reads, every member's
    SHA-256 must match, and every class named must be one of
    ``Pipeline``, ``PixelScaler`` and ``DenseMLPClassifier``. Arrays are read
    with ``allow_pickle=False``; nothing is unpickled and no module named in
    the file is imported.

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
    with _open(path) as zf:
        try:
            manifest = _read_manifest(path, zf)
            model = manifest.get("model")
            _check_classes(path, model, {"Pipeline", "PixelScaler", "DenseMLPClassifier"})
            return _build(_Reader(path, zf, manifest), model)
        except (zipfile.BadZipFile, EOFError, zlib.error) as exc:  # a member cut or damaged
            raise _refuse(path, f"the archive is damaged ({exc}).") from exc

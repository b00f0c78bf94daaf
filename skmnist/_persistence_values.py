"""Model files' values: parameters, fitted states and Keras optimizers, to JSON and arrays and back.

:class:`Writer` turns an estimator's parameters and its fitted state (the
plain values of ``_get_fitted_state``: arrays, numbers, strings, lists and
dicts of them) into JSON with arrays stored as ``.npy`` members;
:class:`Reader` turns them back, refusing anything else. Nothing is
unpickled; only Keras' built-in optimizers and schedules are rebuilt.
"""

import hashlib
import io
from numbers import Integral, Real

import numpy as np

from ._files import npy_header
from ._private_api import optimizer_schedule

__all__ = ["Reader", "Writer", "refuse", "sha256"]


def sha256(data):
    """The hex SHA-256 of ``data`` (bytes), as the manifest records it."""
    return hashlib.sha256(data).hexdigest()


class Writer:
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

    def state(self, value):
        """A fitted state's plain value as JSON, arrays stored as members."""
        if isinstance(value, np.ndarray):
            return self.array(value)
        if isinstance(value, np.generic):
            return value.item()
        if isinstance(value, dict):
            return {str(k): self.state(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.state(v) for v in value]
        return value

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
        if isinstance(value, dict) and all(
            isinstance(k, (str, Integral)) and not isinstance(k, bool) for k in value
        ):  # class_weight: labels (numbers or text) to weights
            return {"dict": [[self.param(owner, name, k), self.param(owner, name, v)]
                             for k, v in value.items()]}
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
            "strings, tuples and lists of them, dicts of labels to numbers, RandomState "
            "instances and built-in Keras optimizers). Set it to such a value, or save with pickle or joblib if the "
            "file never leaves your hands."
        )


def _builtin_optimizers():
    from ._keras import keras

    return {
        name: cls
        for name, cls in vars(keras.optimizers).items()
        if isinstance(cls, type)
        and issubclass(cls, keras.optimizers.Optimizer)
        and cls not in (keras.optimizers.Optimizer, keras.optimizers.LossScaleOptimizer)
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

        schedule = optimizer_schedule(optimizer)
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


def refuse(path, problem):
    return ValueError(f"{path}: {problem}")



#: NumPy kinds an array of a model file may have: numbers, booleans, text labels.
_ARRAY_KINDS = frozenset("biufU")


class Reader:
    def __init__(self, path, zf, manifest):
        self.path, self.zf, self.checksums = path, zf, manifest["arrays"]
        self.used = set()

    def corrupt(self, what):
        return refuse(self.path, f"{what}; the file is corrupt or was modified.")

    def header(self, entry):
        """The (shape, dtype) an array entry declares, checked, without reading its data."""
        if not isinstance(entry, dict) or entry.get("array") not in self.checksums:
            raise self.corrupt(f"bad array reference {entry!r}")
        return self._check_header(entry["array"])

    def _check_header(self, name):
        """The member's .npy header: a plain dtype and a shape whose size is the member's."""
        info = self.zf.getinfo(name)
        with self.zf.open(name) as member:
            try:
                shape, dtype = npy_header(member, info.file_size)
            except ValueError as exc:
                raise self.corrupt(f"{name} {exc}") from exc
        if dtype.kind not in _ARRAY_KINDS or dtype.itemsize == 0 or dtype.hasobject:
            raise self.corrupt(f"{name} holds values of type {dtype}, not numbers or text")
        return shape, dtype

    def array(self, entry):
        if not isinstance(entry, dict) or entry.get("array") not in self.checksums:
            raise self.corrupt(f"bad array reference {entry!r}")
        name = entry["array"]
        if name in self.used:  # one array may not stand for several (a memory multiplier)
            raise self.corrupt(f"{name} is referenced more than once")
        self.used.add(name)
        self._check_header(name)
        data = self.zf.read(name)
        if sha256(data) != self.checksums[name]:
            raise refuse(
                self.path,
                f"checksum mismatch in {name}: the file was modified or corrupted after "
                "skmnist.save wrote it. Save the model again, or get an intact copy.",
            )
        try:
            value = np.load(io.BytesIO(data), allow_pickle=False)
        except ValueError as exc:
            raise self.corrupt(f"{name} is not a plain NumPy array ({exc})") from exc
        return value.astype(object) if entry.get("object") else value

    def state(self, value):
        """A fitted state written by :meth:`Writer.state`, arrays read back."""
        if isinstance(value, dict):
            if "array" in value:
                return self.array(value)
            return {str(k): self.state(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.state(v) for v in value]
        return value

    def param(self, value):
        if value is None or isinstance(value, (bool, int, float, str)):
            return value
        if isinstance(value, list):
            return [self.param(v) for v in value]
        if isinstance(value, dict) and len(value) == 1:
            (tag, content), = value.items()
            if tag == "tuple" and isinstance(content, list):
                return tuple(self.param(v) for v in content)
            if tag == "dict" and isinstance(content, list) and all(
                isinstance(item, list) and len(item) == 2
                and isinstance(item[0], (str, int)) and not isinstance(item[0], bool)
                for item in content
            ):
                return {key: self.param(value) for key, value in content}
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
            raise refuse(
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
                raise refuse(
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

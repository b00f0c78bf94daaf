import hashlib
import json
import os
import pickle
import subprocess
import sys
import zipfile

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV

import skmnist
from skmnist import DenseMLPClassifier, load, make_mlp_pipeline, save
from skmnist._keras import keras
from skmnist._persistence_archive import FORMAT_VERSION, MANIFEST, MANIFEST_CHECKSUM

FAST = dict(hidden_layer_sizes=(16, 8), epochs=3, batch_size=32, random_state=0)
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def fitted_clf():
    from sklearn.datasets import make_blobs

    X, y = make_blobs(n_samples=300, centers=3, n_features=10, random_state=0)
    X = ((X - X.min()) / (X.max() - X.min())).astype(np.float32)
    return DenseMLPClassifier(**FAST).fit(X, y), X, y


@pytest.fixture(scope="module")
def fitted_pipe():
    rng = np.random.RandomState(0)
    images = rng.randint(0, 256, size=(120, 8, 8)).astype(np.uint8)
    labels = np.repeat(["zero", "one", "two"], 40)
    pipe = make_mlp_pipeline(**FAST).fit(images, labels)
    return pipe, images, labels


def _rewrite(path, changes, *, fix_manifest_checksum=False):
    """Rewrite the archive at ``path`` with some members replaced."""
    with zipfile.ZipFile(path) as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    members.update(changes)
    if fix_manifest_checksum:
        members[MANIFEST_CHECKSUM] = (hashlib.sha256(members[MANIFEST]).hexdigest() + "\n").encode()
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)


def _manifest(path):
    with zipfile.ZipFile(path) as zf:
        return json.loads(zf.read(MANIFEST))


def test_save_and_load_are_public_names():
    assert {"save", "load"} <= set(skmnist.__all__)
    assert skmnist.save is save and skmnist.load is load


def test_classifier_round_trip_predicts_identically_and_is_fitted(fitted_clf, tmp_path):
    clf, X, y = fitted_clf
    path = save(clf, tmp_path / "clf.skmnist")
    loaded = load(path)
    assert type(loaded) is DenseMLPClassifier
    assert loaded.get_params() == clf.get_params()
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))
    np.testing.assert_array_equal(loaded.predict(X), clf.predict(X))
    assert loaded.score(X, y) == clf.score(X, y)
    np.testing.assert_array_equal(loaded.classes_, clf.classes_)
    assert loaded.n_features_in_ == 10 and loaded.n_iter_ == clf.n_iter_ == 3
    assert loaded.history_ == clf.history_
    # the Keras network is rebuilt with the weights
    np.testing.assert_allclose(loaded.model_.predict(X, verbose=0), clf.predict_proba(X), atol=1e-6)


def test_loaded_classifier_trains_on_with_partial_fit_as_the_saved_one(fitted_clf, tmp_path):
    clf, X, y = fitted_clf
    loaded = load(save(clf, tmp_path / "clf.skmnist"))
    loaded.partial_fit(X, y)
    assert loaded.n_iter_ == 4
    assert not np.array_equal(loaded.coefs_[0], clf.coefs_[0])
    unsaved = pickle.loads(pickle.dumps(clf)).partial_fit(X, y)  # optimizer state kept
    for a, b in zip(loaded.coefs_ + loaded.intercepts_, unsaved.coefs_ + unsaved.intercepts_):
        np.testing.assert_array_equal(a, b)


def test_input_dropout_is_saved_and_partial_fit_after_load_goes_on_exactly(fitted_clf, tmp_path):
    _, X, y = fitted_clf
    clf = DenseMLPClassifier(**dict(FAST, input_dropout=0.2, dropout=0.1)).fit(X, y)
    loaded = load(save(clf, tmp_path / "clf.skmnist"))
    assert loaded.input_dropout == 0.2
    assert loaded.model_.layers[0].name == "input_dropout"
    loaded.partial_fit(X, y)
    unsaved = pickle.loads(pickle.dumps(clf)).partial_fit(X, y)
    for a, b in zip(loaded.coefs_ + loaded.intercepts_, unsaved.coefs_ + unsaved.intercepts_):
        np.testing.assert_array_equal(a, b)


def test_pipeline_round_trip_with_string_labels(fitted_pipe, tmp_path):
    pipe, images, labels = fitted_pipe
    loaded = load(save(pipe, tmp_path / "pipe.skmnist"))
    assert [name for name, _ in loaded.steps] == ["scale", "mlp"]
    assert loaded[0].image_shape_ == (8, 8)
    np.testing.assert_array_equal(loaded.predict_proba(images), pipe.predict_proba(images))
    np.testing.assert_array_equal(loaded.predict(images), pipe.predict(images))
    assert loaded.classes_.tolist() == ["one", "two", "zero"]


def test_object_labels_and_feature_names_survive(tmp_path):
    rng = np.random.RandomState(0)
    X = pd.DataFrame(rng.randint(0, 256, size=(90, 4)), columns=["a", "b", "c", "d"])
    y = pd.Series(np.repeat(["x", "y", "z"], 30), dtype=object)
    pipe = make_mlp_pipeline(**FAST).fit(X, y)
    loaded = load(save(pipe, tmp_path / "frame.skmnist"))
    assert loaded.classes_.dtype == pipe.classes_.dtype
    assert loaded.classes_.tolist() == ["x", "y", "z"]
    assert loaded[0].feature_names_in_.tolist() == ["a", "b", "c", "d"]
    np.testing.assert_array_equal(loaded.predict_proba(X), pipe.predict_proba(X))


def test_round_trip_in_a_fresh_process_predicts_identically(fitted_pipe, tmp_path):
    pipe, images, _ = fitted_pipe
    path = save(pipe, tmp_path / "pipe.skmnist")
    np.save(tmp_path / "images.npy", images)
    code = (
        "import sys, numpy as np, skmnist; "
        "m = skmnist.load(sys.argv[1]); "
        "np.save(sys.argv[3], m.predict_proba(np.load(sys.argv[2])))"
    )
    env = dict(os.environ, PYTHONPATH=ROOT)
    result = subprocess.run(
        [sys.executable, "-c", code, path, str(tmp_path / "images.npy"), str(tmp_path / "p.npy")],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    np.testing.assert_array_equal(np.load(tmp_path / "p.npy"), pipe.predict_proba(images))


def test_builtin_optimizer_instance_and_random_state_instance_are_kept(fitted_clf, tmp_path):
    _, X, y = fitted_clf
    clf = DenseMLPClassifier(
        **dict(FAST, optimizer=keras.optimizers.Nadam(beta_1=0.8), learning_rate=None,
               random_state=np.random.RandomState(3))
    ).fit(X, y)
    loaded = load(save(clf, tmp_path / "opt.skmnist"))
    assert type(loaded.optimizer) is keras.optimizers.Nadam
    assert loaded.optimizer.beta_1 == 0.8
    saved_state, loaded_state = clf.random_state.get_state(), loaded.random_state.get_state()
    np.testing.assert_array_equal(loaded_state[1], saved_state[1])
    assert loaded_state[2:] == saved_state[2:]
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))


def test_custom_optimizer_class_is_refused_when_saving(fitted_clf, tmp_path):
    _, X, y = fitted_clf

    class MyAdam(keras.optimizers.Adam):
        pass

    clf = DenseMLPClassifier(**dict(FAST, optimizer=MyAdam())).fit(X, y)
    with pytest.raises(ValueError, match="not one of Keras' built-in optimizers"):
        save(clf, tmp_path / "custom.skmnist")
    assert not list(tmp_path.iterdir())  # no file, not even a temporary one


def test_unfitted_or_foreign_estimators_are_refused(fitted_pipe, tmp_path):
    with pytest.raises(NotFittedError):
        save(DenseMLPClassifier(), tmp_path / "x.skmnist")
    with pytest.raises(NotFittedError):
        save(make_mlp_pipeline(), tmp_path / "x.skmnist")
    pipe, images, labels = fitted_pipe
    search = GridSearchCV(pipe, {"scale__center": [False]}, cv=2)
    with pytest.raises(TypeError, match="best_estimator_"):
        save(search, tmp_path / "x.skmnist")
    from sklearn.linear_model import LogisticRegression

    with pytest.raises(TypeError, match="LogisticRegression"):
        save(LogisticRegression().fit([[0], [1]], [0, 1]), tmp_path / "x.skmnist")


def test_tampered_weights_are_refused(fitted_clf, tmp_path):
    clf, _, _ = fitted_clf
    path = save(clf, tmp_path / "clf.skmnist")
    with zipfile.ZipFile(path) as zf:
        name = max(zf.namelist(), key=lambda n: zf.getinfo(n).file_size * n.endswith(".npy"))
        data = bytearray(zf.read(name))
    data[-1] ^= 0x01
    _rewrite(path, {name: bytes(data)})
    with pytest.raises(ValueError, match=f"checksum mismatch in {name}"):
        load(path)


def test_tampered_manifest_is_refused(fitted_clf, tmp_path):
    clf, _, _ = fitted_clf
    path = save(clf, tmp_path / "clf.skmnist")
    manifest = _manifest(path)
    manifest["model"]["params"]["activation"] = "tanh"
    _rewrite(path, {MANIFEST: json.dumps(manifest).encode()})
    with pytest.raises(ValueError, match="checksum mismatch in the manifest"):
        load(path)


def test_extra_member_is_refused(fitted_clf, tmp_path):
    clf, _, _ = fitted_clf
    path = save(clf, tmp_path / "clf.skmnist")
    _rewrite(path, {"payload.pkl": pickle.dumps(1)})
    with pytest.raises(ValueError, match="do not match its manifest"):
        load(path)


def test_newer_format_version_is_refused(fitted_clf, tmp_path):
    clf, _, _ = fitted_clf
    path = save(clf, tmp_path / "clf.skmnist")
    manifest = _manifest(path)
    manifest["format_version"] = FORMAT_VERSION + 1
    _rewrite(path, {MANIFEST: json.dumps(manifest).encode()}, fix_manifest_checksum=True)
    with pytest.raises(ValueError, match=f"format version {FORMAT_VERSION + 1}.*Upgrade skmnist"):
        load(path)


@pytest.mark.parametrize("name", ["os.system", "LogisticRegression", "builtins.eval"])
def test_unknown_class_names_are_refused_without_importing_them(fitted_clf, tmp_path, name):
    clf, _, _ = fitted_clf
    path = save(clf, tmp_path / "clf.skmnist")
    manifest = _manifest(path)
    manifest["model"]["class"] = name
    _rewrite(path, {MANIFEST: json.dumps(manifest).encode()}, fix_manifest_checksum=True)
    with pytest.raises(ValueError, match=f"unknown class '{name}'"):
        load(path)


def test_unknown_optimizer_class_is_refused(fitted_clf, tmp_path):
    clf, _, _ = fitted_clf
    path = save(clf, tmp_path / "clf.skmnist")
    manifest = _manifest(path)
    manifest["model"]["params"]["optimizer"] = {
        "keras_optimizer": {"class_name": "os.system", "config": {"learning_rate": 0.1}}
    }
    _rewrite(path, {MANIFEST: json.dumps(manifest).encode()}, fix_manifest_checksum=True)
    with pytest.raises(ValueError, match="unknown optimizer 'os.system'"):
        load(path)


class _Exploit:
    """Unpickling this writes a marker file: proof that code ran."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


@pytest.mark.parametrize("writer", ["pickle", "joblib", "joblib-compressed"])
def test_pickle_and_joblib_files_are_refused_without_running_them(tmp_path, writer):
    marker = tmp_path / "code-ran"
    path = tmp_path / "model.bin"
    if writer == "pickle":
        path.write_bytes(pickle.dumps(_Exploit(str(marker))))
    else:
        joblib.dump(_Exploit(str(marker)), path, compress=3 if writer.endswith("compressed") else 0)
    with pytest.raises(ValueError, match="never unpickles"):
        load(path)
    assert not marker.exists()


def test_zip_archives_of_other_kinds_and_plain_files_are_refused(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(ValueError, match="not a zip archive"):
        load(text)
    npz = tmp_path / "arrays.npz"
    np.savez(npz, a=np.arange(3))
    with pytest.raises(ValueError, match="no manifest.json"):
        load(npz)


def test_save_replaces_an_existing_file_and_leaves_no_temporary_file(fitted_clf, fitted_pipe, tmp_path):
    clf, X, _ = fitted_clf
    path = tmp_path / "model.skmnist"
    path.write_bytes(b"old")
    save(clf, path)
    assert [p.name for p in tmp_path.iterdir()] == ["model.skmnist"]
    np.testing.assert_array_equal(load(path).predict_proba(X), clf.predict_proba(X))


def test_pickle_and_joblib_still_work_on_fitted_pipelines(fitted_pipe, tmp_path):
    pipe, images, _ = fitted_pipe
    for restored in (
        pickle.loads(pickle.dumps(pipe)),
        joblib.load(joblib.dump(pipe, tmp_path / "pipe.joblib")[0]),
    ):
        np.testing.assert_array_equal(restored.predict_proba(images), pipe.predict_proba(images))


def test_history_with_nan_losses_round_trips(fitted_clf, tmp_path):
    clf, X, y = fitted_clf
    diverged = pickle.loads(pickle.dumps(clf))
    diverged.history_ = {"loss": [0.5, float("nan")], "accuracy": [0.9, 0.1]}
    loaded = load(save(diverged, tmp_path / "nan.skmnist"))
    assert loaded.history_["accuracy"] == [0.9, 0.1]
    assert loaded.history_["loss"][0] == 0.5 and np.isnan(loaded.history_["loss"][1])


def test_parameters_that_do_not_fit_the_weights_are_refused_naming_the_file(fitted_clf, tmp_path):
    clf, _, _ = fitted_clf
    path = save(clf, tmp_path / "clf.skmnist")
    for key, value, message in [
        ("hidden_layer_sizes", {"tuple": [16, 9]}, "coefs_ declares shapes .* but the parameters make"),
        ("activation", "swish", "activation"),
    ]:
        manifest = _manifest(path)
        manifest["model"]["params"][key] = value
        _rewrite(path, {MANIFEST: json.dumps(manifest).encode()}, fix_manifest_checksum=True)
        with pytest.raises(ValueError, match=message) as info:
            load(path)
        assert str(info.value).startswith(f"{path}: ")
        save(clf, path)


def test_saved_file_has_the_permissions_of_a_new_file(fitted_clf, tmp_path):
    import os
    import stat

    umask = os.umask(0o022)
    try:
        path = skmnist.save(fitted_clf[0], tmp_path / "model.skmnist")
    finally:
        os.umask(umask)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o644


def test_class_weight_dict_is_saved_and_loaded(tmp_path):
    from sklearn.datasets import make_blobs

    X, y = make_blobs(n_samples=120, centers=3, n_features=4, random_state=0)
    labels = np.array(["a", "b", "c"])[y]
    for weights in ({"a": 2.0, "c": 0.5}, {0: 2.0, 2: 0.5}):
        target = labels if "a" in weights else y
        clf = DenseMLPClassifier(**dict(FAST, class_weight=weights)).fit(X, target)
        loaded = load(save(clf, tmp_path / "weighted.skmnist"))
        assert loaded.class_weight == weights
        np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))


def test_a_parameter_left_out_of_the_file_takes_its_default(tmp_path):
    # a file without hidden_layer_sizes (another writer, an older skmnist) loads with
    # the default, when its weights fit the default network
    rng = np.random.RandomState(0)
    X, y = rng.rand(40, 6).astype(np.float32), np.arange(40) % 2
    clf = DenseMLPClassifier(epochs=1, random_state=0).fit(X, y)  # default (512, 256)
    path = save(clf, tmp_path / "clf.skmnist")
    manifest = _manifest(path)
    del manifest["model"]["params"]["hidden_layer_sizes"]
    _rewrite(path, {MANIFEST: json.dumps(manifest).encode()}, fix_manifest_checksum=True)
    np.testing.assert_array_equal(load(path).predict_proba(X), clf.predict_proba(X))

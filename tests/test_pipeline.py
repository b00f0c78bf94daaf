import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone, is_classifier
from sklearn.model_selection import GridSearchCV, StratifiedKFold, check_cv, cross_val_score

from skmnist import DenseMLPClassifier, PixelScaler, make_mlp_pipeline

# Small and quick, yet well above chance on 1,000 MNIST images.
QUICK = dict(hidden_layer_sizes=(32,), epochs=5, batch_size=32, learning_rate=3e-3, random_state=0)


def test_builds_scaler_then_classifier_with_parameters_routed_by_name():
    pipe = make_mlp_pipeline(center=True, hidden_layer_sizes=(64,), learning_rate=3e-3)
    assert [name for name, _ in pipe.steps] == ["scale", "mlp"]
    assert isinstance(pipe["scale"], PixelScaler) and pipe["scale"].center is True
    assert isinstance(pipe["mlp"], DenseMLPClassifier)
    params = pipe.get_params()
    assert params["mlp__hidden_layer_sizes"] == (64,)
    assert params["mlp__learning_rate"] == 3e-3


def test_unknown_parameter_is_a_type_error_listing_valid_ones():
    with pytest.raises(TypeError, match="hidden_layer_size.*accepts"):
        make_mlp_pipeline(hidden_layer_size=(64,))


def test_pipeline_is_a_classifier_so_cross_validation_is_stratified():
    pipe = make_mlp_pipeline()
    assert is_classifier(pipe)
    assert isinstance(check_cv(3, np.array([0, 1] * 10), classifier=is_classifier(pipe)), StratifiedKFold)


def test_real_mnist_5k_subset_reaches_over_90_percent(mnist_5k):
    X_train, X_test, y_train, y_test = mnist_5k
    pipe = make_mlp_pipeline(random_state=0).fit(X_train, y_train)
    assert pipe.score(X_test, y_test) > 0.90


def test_cross_val_score_on_label_sorted_data_is_stratified(mnist_5k):
    # Sorted labels: unstratified 3-fold CV would test each fold on digits the
    # model never saw, scoring about 0.
    X, _, y, _ = mnist_5k
    order = np.argsort(y, kind="stable")
    X, y = X[order][::5], y[order][::5]
    scores = cross_val_score(make_mlp_pipeline(**QUICK), X, y, cv=3)
    assert scores.min() > 0.7


def test_grid_search_over_units_and_learning_rate_then_reports(mnist_5k):
    import matplotlib

    matplotlib.use("Agg")
    from sklearn.metrics import ConfusionMatrixDisplay, classification_report

    X_train, X_test, y_train, y_test = mnist_5k
    grid = {"mlp__hidden_layer_sizes": [(16,), (32,)], "mlp__learning_rate": [1e-3, 1e-2]}
    search = GridSearchCV(make_mlp_pipeline(**QUICK), grid, cv=2)
    search.fit(X_train[:1000], y_train[:1000])
    assert len(search.cv_results_["params"]) == 4
    assert search.best_params_["mlp__learning_rate"] in (1e-3, 1e-2)
    display = ConfusionMatrixDisplay.from_estimator(search, X_test, y_test)
    assert display.confusion_matrix.sum() == len(y_test)
    report = classification_report(y_test, search.predict(X_test), output_dict=True)
    assert report["accuracy"] > 0.8


def test_dataframe_input_with_pixel_names(mnist_5k):
    X_train, X_test, y_train, y_test = mnist_5k
    columns = [f"pixel{i}" for i in range(1, 785)]
    frame = pd.DataFrame(X_train[:1000].reshape(1000, -1), columns=columns)
    pipe = make_mlp_pipeline(**QUICK).set_output(transform="pandas")
    pipe.fit(frame, pd.Series(y_train[:1000], name="class"))
    assert list(pipe["scale"].feature_names_in_) == columns
    assert list(pipe["mlp"].feature_names_in_) == columns
    test = pd.DataFrame(X_test.reshape(len(X_test), -1), columns=columns)
    assert pipe.score(test, y_test) > 0.8


def test_string_labels_through_the_pipeline(mnist_5k):
    X_train, X_test, y_train, y_test = mnist_5k
    words = np.array(["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"])
    pipe = make_mlp_pipeline(**QUICK).fit(X_train[:1000], words[y_train[:1000]])
    assert set(pipe.classes_) == set(words)
    assert pipe.score(X_test, words[y_test]) > 0.8


def test_fitted_pipeline_survives_pickle_and_clone(mnist_5k):
    X_train, X_test, y_train, _ = mnist_5k
    pipe = make_mlp_pipeline(**QUICK).fit(X_train[:500], y_train[:500])
    restored = pickle.loads(pickle.dumps(pipe))
    np.testing.assert_array_equal(restored.predict_proba(X_test), pipe.predict_proba(X_test))
    fresh = clone(pipe)
    assert fresh.get_params()["mlp__hidden_layer_sizes"] == (32,)
    assert not hasattr(fresh["mlp"], "model_")


def test_presets_start_from_named_parameters_that_arguments_override():
    from skmnist._facts import PRESETS

    best = make_mlp_pipeline(preset="best")["mlp"]
    assert best.hidden_layer_sizes == PRESETS["best"]["hidden_layer_sizes"]
    assert best.epochs == PRESETS["best"]["epochs"]
    assert make_mlp_pipeline(preset="best", epochs=3)["mlp"].epochs == 3
    default = make_mlp_pipeline(preset="default")["mlp"].get_params()
    assert default == make_mlp_pipeline()["mlp"].get_params()


def test_unknown_preset_is_a_value_error_listing_the_names():
    with pytest.raises(ValueError, match=r"preset='fastest'.*\['best', 'default', 'fast'\]"):
        make_mlp_pipeline(preset="fastest")


# -- bad inputs through the whole pipeline: refused before TensorFlow sees them --


def _images(n=30, side=8):
    return np.random.RandomState(0).randint(0, 256, size=(n, side, side)).astype(np.uint8)


def _with(images, value):
    bad = images.astype(np.float64)
    bad[0, 1, 2] = value
    return bad


_LABELS = np.repeat([0, 1, 2], 10)
_BAD_IMAGES = {
    "nan": (lambda: _with(_images(), np.nan), ValueError, "NaN"),
    "inf": (lambda: _with(_images(), np.inf), ValueError, "Infinite"),
    "-inf": (lambda: _with(_images(), -np.inf), ValueError, "Infinite"),
    "negative": (lambda: _with(_images(), -1), ValueError, "Negative values"),
    "above_255": (lambda: _with(_images(), 300), ValueError, "Values above 255"),
    "text": (lambda: _images().astype(str), ValueError, "holds text"),
    "sparse": (lambda: __import__("scipy.sparse").sparse.csr_matrix(_images().reshape(30, -1)),
               TypeError, "toarray"),
    "1d": (lambda: _images().reshape(-1), ValueError, "stack of images"),
    "colour": (lambda: np.zeros((30, 8, 8, 3), dtype=np.uint8), ValueError, "grey-scale"),
}


@pytest.mark.parametrize("case", list(_BAD_IMAGES))
def test_bad_images_are_refused_by_fit_and_predict(case):
    make, error, message = _BAD_IMAGES[case]
    pipe = make_mlp_pipeline(hidden_layer_sizes=(4,), epochs=1, random_state=0)
    with pytest.raises(error, match=message):
        pipe.fit(make(), _LABELS)
    assert not hasattr(pipe["mlp"], "model_")
    pipe.fit(_images(), _LABELS)
    with pytest.raises(error, match=message):
        pipe.predict(make())


def test_pipeline_refuses_empty_input_wrong_size_lengths_and_single_class():
    pipe = make_mlp_pipeline(hidden_layer_sizes=(4,), epochs=1, random_state=0)
    with pytest.raises(ValueError, match="0 sample"):
        pipe.fit(np.zeros((0, 8, 8)), [])
    with pytest.raises(ValueError, match="X has 30 samples but y has 20 labels"):
        pipe.fit(_images(), _LABELS[:20])
    with pytest.raises(ValueError, match="only one class"):
        pipe.fit(_images(), np.zeros(30))
    assert not hasattr(pipe["mlp"], "model_")
    pipe.fit(_images(), _LABELS)
    with pytest.raises(ValueError, match="4x4 = 16 pixels.*8x8 = 64 pixels"):
        pipe.predict(_images(side=4))
    with pytest.raises(ValueError, match="0 sample"):
        pipe.predict(np.zeros((0, 8, 8)))


def test_pipeline_warns_about_already_scaled_images():
    with pytest.warns(UserWarning, match="look already scaled"):
        make_mlp_pipeline(hidden_layer_sizes=(4,), epochs=1).fit(_images() / 255, _LABELS)

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from sklearn.dummy import DummyClassifier  # noqa: E402
from sklearn.model_selection import GridSearchCV  # noqa: E402

from skmnist import DenseMLPClassifier, make_mlp_pipeline  # noqa: E402
from skmnist.plotting import (  # noqa: E402
    plot_confusion_matrix,
    plot_digits,
    plot_history,
    plot_misclassified,
    plot_network,
)


def _titles(fig):
    return [ax.get_title() for ax in fig.axes if ax.images]


@pytest.fixture(scope="module")
def small_images():
    """60 random 28x28 uint8 'images' of 3 classes (enough to fit a pipeline)."""
    rng = np.random.RandomState(0)
    y = np.repeat([0, 1, 2], 20)
    X = rng.randint(0, 60, size=(60, 28, 28)).astype(np.uint8)
    for label in range(3):  # a bright band per class makes them learnable
        X[y == label, 8 * label : 8 * label + 6] = 255
    return X, y


@pytest.fixture(scope="module")
def fitted_pipe(small_images):
    X, y = small_images
    pipe = make_mlp_pipeline(
        hidden_layer_sizes=(16, 8), epochs=4, early_stopping=True, validation_fraction=0.25,
        random_state=0,
    )
    return pipe.fit(X, y)


def test_plot_digits_shows_n_images_in_a_grid_titled_with_labels(small_images):
    X, y = small_images
    fig = plot_digits(X, y, n=36)
    assert len([ax for ax in fig.axes if ax.images]) == 36
    assert len(fig.axes) == 36  # 6x6
    assert _titles(fig)[:3] == ["0", "0", "0"]
    assert fig.axes[0].images[0].get_array().shape == (28, 28)


def test_plot_digits_accepts_flat_rows_and_fewer_images_than_n(small_images):
    X, y = small_images
    fig = plot_digits(X[:5].reshape(5, -1), n=36)
    assert len([ax for ax in fig.axes if ax.images]) == 5
    assert _titles(fig) == [""] * 5


def test_plot_digits_marks_wrong_predictions_in_red(small_images):
    X, y = small_images
    y_pred = y.copy()
    y_pred[1] = 2
    fig = plot_digits(X, y, n=4, y_pred=y_pred)
    assert _titles(fig) == ["0: 0", "0: 2", "0: 0", "0: 0"]
    colours = [ax.title.get_color() for ax in fig.axes if ax.images]
    assert colours[1] != colours[0]


def test_plot_digits_refuses_non_square_flat_rows_and_bad_n():
    with pytest.raises(ValueError, match="not a square image"):
        plot_digits(np.zeros((3, 10)))
    with pytest.raises(ValueError, match="positive integer"):
        plot_digits(np.zeros((3, 4, 4)), n=0)


def test_plot_misclassified_shows_only_mistakes_most_confident_first():
    X = np.zeros((6, 28, 28))
    clf = DummyClassifier(strategy="prior").fit(X.reshape(6, -1), [1, 1, 1, 1, 7, 7])

    class Flat:  # the dummy wants flat rows; a pipeline would accept images
        classes_ = clf.classes_

        def predict_proba(self, X):
            return clf.predict_proba(np.reshape(X, (len(X), -1)))

    fig = plot_misclassified(Flat(), X, [1, 7, 7, 1, 7, 1], n=25)
    assert _titles(fig) == ["7 → 1 (66%)"] * 3
    assert fig.get_suptitle().startswith("3 of 6 images misclassified (50.00%)")


def test_plot_misclassified_with_no_mistake_says_so():
    X = np.zeros((3, 4))
    clf = DummyClassifier().fit(X, [5, 5, 5])
    fig = plot_misclassified(clf, np.zeros((3, 2, 2)), [5, 5, 5])
    assert [t.get_text() for t in fig.axes[0].texts] == ["No misclassified image"]
    assert fig.get_suptitle() == "0 of 3 images misclassified (0.00%)"


def test_plot_misclassified_titles_use_the_estimators_predictions(fitted_pipe, small_images):
    X, y = small_images
    wrong_labels = (y + 1) % 3  # every image labelled wrongly on purpose
    fig = plot_misclassified(fitted_pipe, X, wrong_labels, n=4)
    y_pred = fitted_pipe.predict(X)
    mistakes = np.flatnonzero(y_pred != wrong_labels)
    assert len(_titles(fig)) == min(4, len(mistakes))
    for title in _titles(fig):
        true, rest = title.split(" → ")
        assert true != rest.split(" ")[0]


def test_plot_history_has_training_and_validation_curves_per_epoch(fitted_pipe):
    fig = plot_history(fitted_pipe)
    loss_ax, acc_ax = fig.axes
    assert (loss_ax.get_title(), acc_ax.get_title()) == ("Loss", "Accuracy")
    history = fitted_pipe[-1].history_
    lines = {line.get_label(): line for line in loss_ax.get_lines()}
    assert {"training", "validation"} <= set(lines)
    np.testing.assert_allclose(lines["training"].get_ydata(), history["loss"])
    np.testing.assert_allclose(lines["validation"].get_ydata(), history["val_loss"])
    assert list(lines["training"].get_xdata()) == list(range(1, len(history["loss"]) + 1))
    acc = {line.get_label(): line for line in acc_ax.get_lines()}
    np.testing.assert_allclose(acc["validation"].get_ydata(), history["val_accuracy"])


def test_plot_history_finds_the_classifier_inside_a_grid_search(small_images):
    X, y = small_images
    search = GridSearchCV(
        make_mlp_pipeline(hidden_layer_sizes=(8,), epochs=2, random_state=0),
        {"mlp__learning_rate": [1e-3]}, cv=2,
    ).fit(X, y)
    fig = plot_history(search)
    labels = [line.get_label() for line in fig.axes[0].get_lines()]
    assert labels == ["training"]  # no validation without early stopping
    assert len(fig.axes[0].get_lines()[0].get_xdata()) == 2


def test_plot_history_and_network_refuse_an_unfitted_or_foreign_estimator():
    with pytest.raises(TypeError, match="fitted DenseMLPClassifier"):
        plot_history(DenseMLPClassifier())
    with pytest.raises(TypeError, match="got DummyClassifier"):
        plot_network(DummyClassifier())


def test_plot_network_draws_every_layer_with_units_and_activation(fitted_pipe):
    fig = plot_network(fitted_pipe)
    ax = fig.axes[0]
    assert ax.get_title() == "Dense network: 784 → 16 → 8 → 3 (12,723 parameters)"
    texts = [t.get_text() for t in ax.texts]
    for name in ("input", "hidden 1", "hidden 2", "output"):
        assert name in texts
    notes = "\n".join(texts)
    assert "16 units\nReLU\ndropout 0.2\n12,560 weights" in notes
    assert "784 inputs\n(28×28 pixels)\nscaled to [0, 1]" in notes
    assert "3 units\nsoftmax\nclasses 0, 1, 2" in notes
    # 8 drawn nodes for the input and the 16-unit layer (7 and a gap), 8 and 3 for the rest
    assert len(ax.patches) == 7 + 7 + 8 + 3
    assert texts.count("⋮") == 2


def test_plot_confusion_matrix_shows_counts_and_row_rates(fitted_pipe, small_images):
    X, y = small_images
    fig = plot_confusion_matrix(fitted_pipe, X, y)
    counts_ax, rates_ax = [ax for ax in fig.axes if ax.images]
    assert counts_ax.get_title() == "Counts"
    assert rates_ax.get_title() == "Rates (each row sums to 1)"
    counts = np.array([int(t.get_text()) for t in counts_ax.texts]).reshape(3, 3)
    assert counts.sum() == len(y)
    np.testing.assert_array_equal(counts.sum(axis=1), np.bincount(y))
    rates = np.array([float(t.get_text()) for t in rates_ax.texts]).reshape(3, 3)
    np.testing.assert_allclose(rates.sum(axis=1), 1, atol=0.02)
    assert counts_ax.get_xlabel() == "Predicted label"


def test_figures_save_as_png(tmp_path, fitted_pipe, small_images):
    X, y = small_images
    for name, fig in {
        "digits": plot_digits(X, y),
        "history": plot_history(fitted_pipe),
        "network": plot_network(fitted_pipe),
        "cm": plot_confusion_matrix(fitted_pipe, X, y),
    }.items():
        fig.savefig(tmp_path / f"{name}.png")
        assert (tmp_path / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from sklearn.datasets import load_digits  # noqa: E402
from sklearn.dummy import DummyClassifier  # noqa: E402
from sklearn.model_selection import GridSearchCV  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from skmnist import DenseMLPClassifier, PixelScaler, make_mlp_pipeline  # noqa: E402
from skmnist._parts import find_classifier, find_scaler  # noqa: E402
from skmnist.plotting import (  # noqa: E402
    plot_confusion_matrix,
    plot_digits,
    plot_grid_search,
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
        hidden_layer_sizes=(16, 8), dropout=0.2, epochs=4, early_stopping=True,
        validation_fraction=0.25, random_state=0,
    )
    return pipe.fit(X, y)


@pytest.fixture(scope="module")
def digits_search():
    """A 2 x 2 grid search over a bare DenseMLPClassifier on scikit-learn's 8x8 digits."""
    X, y = load_digits(return_X_y=True)
    grid = {"hidden_layer_sizes": [(16,), (8, 8)], "learning_rate": [0.01, 0.001]}
    search = GridSearchCV(DenseMLPClassifier(epochs=2, random_state=0), grid, cv=2)
    return search.fit(X[:400] / 16, y[:400])


def test_find_classifier_unwraps_pipelines_and_searches(fitted_pipe, digits_search):
    assert find_classifier(fitted_pipe) is fitted_pipe[-1]
    assert find_classifier(fitted_pipe[-1]) is fitted_pipe[-1]
    assert find_classifier(digits_search) is digits_search.best_estimator_
    search = GridSearchCV(make_mlp_pipeline(), {"mlp__epochs": [1]})
    search.best_estimator_ = fitted_pipe  # as a fitted search holds it
    assert find_classifier(search) is fitted_pipe[-1]
    unfitted = DenseMLPClassifier()
    assert find_classifier(make_pipeline(StandardScaler(), unfitted)) is unfitted


def test_find_classifier_refuses_anything_else_in_plain_words():
    with pytest.raises(TypeError, match="got DummyClassifier. Pass the classifier"):
        find_classifier(DummyClassifier())
    with pytest.raises(TypeError, match="got Pipeline holding DummyClassifier"):
        find_classifier(make_pipeline(StandardScaler(), DummyClassifier()))
    with pytest.raises(TypeError, match="got GridSearchCV. .*refit=True"):
        find_classifier(GridSearchCV(make_mlp_pipeline(), {"mlp__epochs": [1]}))  # not fitted


def test_find_scaler_finds_the_pixel_scaler_or_none(fitted_pipe, digits_search):
    assert find_scaler(fitted_pipe) is fitted_pipe[0]
    assert isinstance(find_scaler(make_mlp_pipeline(center=True)), PixelScaler)
    assert find_scaler(digits_search) is None  # a bare classifier has no scaler
    assert find_scaler(make_pipeline(StandardScaler(), DenseMLPClassifier())) is None


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
    assert _titles(fig) == ["0", "0 → 2", "0", "0"]  # misclassified.png's wording
    colours = [ax.title.get_color() for ax in fig.axes if ax.images]
    assert colours[1] != colours[0] == colours[2]


def test_image_titles_are_readable_and_dark(small_images):
    from matplotlib.colors import to_rgb

    X, y = small_images
    fig = plot_digits(X, y, n=4, y_pred=y)
    for ax in fig.axes:
        assert ax.title.get_fontsize() >= 11
        assert max(to_rgb(ax.title.get_color())) < 0.2  # near black, not grey


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


def test_plot_history_labels_accuracy_plainly_in_large_type(fitted_pipe):
    fig = plot_history(fitted_pipe)
    assert [ax.get_ylabel() for ax in fig.axes] == ["cross-entropy", "accuracy"]
    for ax in fig.axes:
        assert ax.xaxis.label.get_fontsize() >= 12 and ax.title.get_fontsize() >= 13
    assert "overfitting" in fig.get_suptitle()


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
    assert "fit with early_stopping=True to see them" in fig.get_suptitle()


def test_plot_history_and_network_refuse_an_unfitted_or_foreign_estimator():
    with pytest.raises(TypeError, match="fitted DenseMLPClassifier"):
        plot_history(DenseMLPClassifier())
    with pytest.raises(TypeError, match="got DummyClassifier"):
        plot_network(DummyClassifier())
    with pytest.raises(TypeError, match="DenseMLPClassifier in the Pipeline given is not fitted"):
        plot_network(make_mlp_pipeline())


def test_plot_network_draws_every_layer_with_units_and_activation(fitted_pipe):
    fig = plot_network(fitted_pipe)
    ax = fig.axes[0]
    assert ax.get_title() == "Dense network: 784 → 16 → 8 → 3 (12,723 parameters)"
    texts = [t.get_text() for t in ax.texts]
    for name in ("input", "hidden 1", "hidden 2", "output"):
        assert name in texts
    notes = "\n".join(texts)
    assert "16 units\nReLU\ndropout 0.2\n12,560 parameters" in notes
    assert "weights" not in notes  # one word for one count, as in the title
    assert "784 inputs\n(28×28 pixels)\nscaled to [0, 1]" in notes
    assert "3 units\nsoftmax\nclasses 0, 1, 2" in notes
    # 8 drawn nodes for the input and the 16-unit layer (7 and a gap), 8 and 3 for the rest
    assert len(ax.patches) == 7 + 7 + 8 + 3
    assert texts.count("⋮") == 2


def test_plot_network_leaves_no_wide_empty_margin_below_the_notes(fitted_pipe, tmp_path):
    from PIL import Image

    fig = plot_network(fitted_pipe)
    fig.savefig(tmp_path / "network.png", dpi=100)
    with Image.open(tmp_path / "network.png") as image:
        ink = np.asarray(image.convert("L")) < 128
    rows = np.flatnonzero(ink.any(axis=1))
    assert ink.shape[0] - 1 - rows.max() < 0.05 * ink.shape[0]  # the last text line is near


def _cells_of(ax):
    """The texts of a confusion matrix panel, by (row, column) of their cell."""
    return {(round(t.get_position()[1]), round(t.get_position()[0])): t.get_text()
            for t in ax.texts}


def test_plot_confusion_matrix_shows_counts_and_row_percentages(fitted_pipe, small_images):
    X, y = small_images
    fig = plot_confusion_matrix(fitted_pipe, X, y)
    counts_ax, rates_ax = [ax for ax in fig.axes if ax.images]
    assert counts_ax.get_title() == "Counts"
    assert rates_ax.get_title() == "% of each true label"
    from sklearn.metrics import confusion_matrix

    expected = confusion_matrix(y, fitted_pipe.predict(X))
    counts = np.zeros((3, 3), int)
    for (i, j), text in _cells_of(counts_ax).items():
        counts[i, j] = int(text.replace(",", ""))
    np.testing.assert_array_equal(counts, expected)
    for (i, j), text in _cells_of(rates_ax).items():
        assert text.endswith("%")
        assert float(text[:-1]) == pytest.approx(100 * expected[i, j] / expected[i].sum(), abs=0.05)
    assert counts_ax.get_xlabel() == "Predicted label"


def test_confusion_matrix_mistakes_have_their_own_scale_and_zeros_stay_blank():
    X = np.zeros((1100, 1))
    # 1000 correct 0s, 90 correct 1s, 7 ones read as 0 and 3 zeros read as 1
    y = np.array([0] * 1003 + [1] * 97)
    y_pred = np.array([0] * 1000 + [1] * 3 + [1] * 90 + [0] * 7)

    class Fixed:
        classes_ = np.array([0, 1, 2])

        def predict(self, X):
            return y_pred

    fig = plot_confusion_matrix(Fixed(), X, y)
    counts_ax, rates_ax = [ax for ax in fig.axes if ax.images]
    cells = _cells_of(counts_ax)
    assert cells == {(0, 0): "1,000", (0, 1): "3", (1, 0): "7", (1, 1): "90"}  # no "0"
    assert _cells_of(rates_ax) == {(0, 0): "99.7%", (0, 1): "0.3%", (1, 0): "7.2%",
                                   (1, 1): "92.8%"}
    diagonal, mistakes = counts_ax.images
    assert mistakes.norm.vmax == 7  # the largest mistake, not the 1,000 correct
    shown = np.ma.getmaskarray(mistakes.get_array())
    assert shown[0, 0] and shown[1, 1] and shown[2, 2]  # the diagonal is not on the scale
    assert shown[0, 2] and not shown[1, 0]  # zero cells are blank
    assert mistakes.cmap(mistakes.norm(7))[:3] != mistakes.cmap(mistakes.norm(3))[:3]
    assert "most confused (true → predicted): 1 → 0 (7), 0 → 1 (3)" in fig.get_suptitle()


def test_confused_pairs_ranks_mistakes_by_count_then_share():
    from skmnist._plot_confusion import confused_pairs

    y = [7, 7, 7, 7, 9, 9, 9, 1, 1]
    y_pred = [2, 2, 7, 7, 4, 4, 9, 7, 1]
    pairs = confused_pairs(y, y_pred)
    assert [(p["true"], p["predicted"], p["count"]) for p in pairs] == [
        (9, 4, 2), (7, 2, 2), (1, 7, 1)  # 9 -> 4 is 2/3 of the 9s, 7 -> 2 half of the 7s
    ]
    assert pairs[0]["share"] == pytest.approx(2 / 3)
    assert confused_pairs(y, y_pred, n=1) == pairs[:1]
    assert confused_pairs([1, 2], [1, 2]) == []


def test_figures_save_as_png(tmp_path, fitted_pipe, small_images):
    X, y = small_images
    for name, fig in {
        "digits": plot_digits(X, y),
        "history": plot_history(fitted_pipe),
        "network": plot_network(fitted_pipe),
        "cm": plot_confusion_matrix(fitted_pipe, X, y),
        "grid": plot_grid_search(
            {"params": [{"hidden_layer_sizes": (8,), "learning_rate": 0.1}],
             "mean_test_score": [0.5]}
        ),
    }.items():
        fig.savefig(tmp_path / f"{name}.png")
        assert (tmp_path / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def _cells(ax):
    return [t.get_text() for t in ax.texts]


def test_plot_grid_search_draws_mean_scores_of_a_real_search(digits_search):
    import matplotlib.pyplot as plt

    figures_before = plt.get_fignums()
    fig = plot_grid_search(digits_search)
    assert plt.get_fignums() == figures_before  # no pyplot figure made
    ax = fig.axes[0]
    assert ax.get_title() == (
        "Mean cross-validated accuracy (%) ± standard deviation over 2 folds; "
        "the best framed in red"
    )
    assert (ax.get_ylabel(), ax.get_xlabel()) == ("hidden layer sizes", "learning rate")
    assert [t.get_text() for t in ax.get_yticklabels()] == ["16", "8,8"]  # the grid's order
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0.001", "0.01"]  # increasing
    results = digits_search.cv_results_
    expected = {
        (p["hidden_layer_sizes"], p["learning_rate"]): (mean, std)
        for p, mean, std in zip(results["params"], results["mean_test_score"],
                                results["std_test_score"])
    }
    order = [(sizes, rate) for sizes in [(16,), (8, 8)] for rate in [0.001, 0.01]]
    assert _cells(ax) == [f"{100 * expected[k][0]:.2f} ± {100 * expected[k][1]:.2f}"
                          for k in order]
    np.testing.assert_allclose(
        np.ma.filled(ax.images[0].get_array(), np.nan).ravel(),
        [100 * expected[k][0] for k in order],
    )
    assert fig.axes[1].get_ylabel() == "mean accuracy (%)"  # the colour bar
    assert plot_grid_search(results).axes[0].texts[0].get_text() == _cells(ax)[0]


def test_plot_grid_search_marks_the_best_cell_and_takes_a_title():
    cv_results = {
        "params": [{"hidden_layer_sizes": (8,), "learning_rate": rate} for rate in (0.1, 0.01)]
        + [{"hidden_layer_sizes": (16,), "learning_rate": rate} for rate in (0.1, 0.01)],
        "mean_test_score": [0.90, 0.95, 0.97, 0.93],
        "std_test_score": [0.01, 0.02, 0.005, 0.0],
        "split0_test_score": [0.9] * 4, "split1_test_score": [0.9] * 4,
        "split2_test_score": [0.9] * 4,
    }
    fig = plot_grid_search(cv_results, title="On 1,000 images, 2 epochs per fit")
    ax = fig.axes[0]
    assert ax.get_title().splitlines() == [
        "On 1,000 images, 2 epochs per fit",
        "Mean cross-validated accuracy (%) ± standard deviation over 3 folds; "
        "the best framed in red",
    ]
    bold = [t.get_text() for t in ax.texts if t.get_fontweight() == "bold"]
    assert bold == ["97.00 ± 0.50"]  # (16,) at 0.1: row 1, column 1 (rates increase)
    (frame,) = ax.patches
    assert frame.get_xy() == pytest.approx((1 - 0.48, 1 - 0.48))


def test_plot_grid_search_of_a_pipeline_grid_keeps_the_best_and_leaves_gaps_blank(tmp_path):
    cv_results = {
        "params": [
            {"mlp__hidden_layer_sizes": [32], "mlp__learning_rate": 0.01, "mlp__epochs": 1},
            {"mlp__hidden_layer_sizes": (32,), "mlp__learning_rate": 0.01, "mlp__epochs": 2},
            {"mlp__hidden_layer_sizes": (64, 32), "mlp__learning_rate": 0.001, "mlp__epochs": 1},
        ],
        "mean_test_score": np.array([0.90, 0.92, np.nan]),  # the last candidate's fits failed
    }
    fig = plot_grid_search(cv_results)
    ax = fig.axes[0]
    assert ax.get_title() == (
        "Mean cross-validated accuracy (%); the best framed in red\n"
        "(each cell: the best over the other parameters)"
    )
    assert [t.get_text() for t in ax.get_yticklabels()] == ["32", "64,32"]
    assert _cells(ax) == ["92.00"]  # one cell with a score (no std given); the others blank
    fig.savefig(tmp_path / "heatmap.png", dpi=120)
    assert (tmp_path / "heatmap.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plot_grid_search_refuses_what_it_cannot_draw():
    with pytest.raises(TypeError, match="fitted search .* or its cv_results_ dict; got list"):
        plot_grid_search([0.9, 0.8])
    with pytest.raises(TypeError, match="got GridSearchCV"):
        plot_grid_search(GridSearchCV(DummyClassifier(), {"strategy": ["prior"]}))
    cv_results = {"params": [{"C": 1.0}], "mean_test_score": [0.5]}
    with pytest.raises(ValueError, match="'hidden_layer_sizes'.*rows= and columns="):
        plot_grid_search(cv_results)
    fig = plot_grid_search(
        {"params": [{"C": 1.0, "gamma": None}], "mean_test_score": [0.5]}, rows="C",
        columns="gamma",
    )
    assert (fig.axes[0].get_ylabel(), fig.axes[0].get_xlabel()) == ("C", "gamma")
    with pytest.raises(ValueError, match="no mean_test_score"):
        plot_grid_search({"params": [{"C": 1.0}], "mean_test_score_acc": [0.5]})

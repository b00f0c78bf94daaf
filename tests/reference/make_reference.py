"""Write the reference fits that guard against silent changes (run once per format/behaviour change).

    python tests/reference/make_reference.py

It fits a few fixed-seed classifiers on scikit-learn's 8x8 digits (several
activations, optimizers, early stopping, partial_fit, sample weights) and
stores their ``predict_proba`` on held-out digits in ``fits.npz``, and saves a
fitted pipeline as ``model_v1.skmnist`` with the release that writes it.
``tests/test_reference.py`` refits the same recipes and demands bit-identical
probabilities, and loads the stored file. The recipes live here, once: the
test imports them.
"""

import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))

#: name -> (parameters, how to train: "fit", "partial_fit" or "weighted")
RECIPES = {
    "relu_adam_cosine": (dict(hidden_layer_sizes=(32,), epochs=3, batch_size=32), "fit"),
    "tanh_rmsprop_input_dropout": (
        dict(hidden_layer_sizes=(16, 16), activation="tanh", optimizer="rmsprop",
             learning_rate_schedule="constant", input_dropout=0.1, epochs=3, batch_size=64),
        "fit",
    ),
    "logistic_sgd": (
        dict(hidden_layer_sizes=(24,), activation="logistic", optimizer="sgd",
             learning_rate=0.1, dropout=0.0, epochs=4, batch_size=16),
        "fit",
    ),
    "gelu_early_stopping": (
        dict(hidden_layer_sizes=(32,), activation="gelu", early_stopping=True,
             n_iter_no_change=2, epochs=30, batch_size=32),
        "fit",
    ),
    "elu_partial_fit": (dict(hidden_layer_sizes=(20,), activation="elu", batch_size=32), "partial_fit"),
    "identity_weighted": (
        dict(hidden_layer_sizes=(12,), activation="identity", epochs=2, batch_size=32), "weighted"
    ),
}


#: Release 0.1.0's defaults that later releases changed: every recipe is fitted
#: with them, so that the references stay what that release computed (both
#: are "auto" now, which differs from them for fits of fewer than 10 epochs).
RELEASE_0_1_0_DEFAULTS = dict(dropout=0.2, learning_rate_schedule="cosine")


def digits():
    """8x8 digits as floats in [0, 1]: 1,200 to train, the rest to predict."""
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    X = (X / 16).astype(np.float32)
    return X[:1200], y[:1200], X[1200:]


def fit_recipe(name):
    """The classifier of recipe ``name``, trained as the recipe says (random_state=0)."""
    from skmnist import DenseMLPClassifier

    params, how = RECIPES[name]
    X, y, _ = digits()
    clf = DenseMLPClassifier(random_state=0, **{**RELEASE_0_1_0_DEFAULTS, **params})
    if how == "partial_fit":
        for start in range(0, 1200, 400):
            clf.partial_fit(X[start : start + 400], y[start : start + 400], classes=np.arange(10))
    elif how == "weighted":
        clf.fit(X, y, sample_weight=np.where(y % 2 == 0, 2.0, 0.5))
    else:
        clf.fit(X, y)
    return clf


def reference_pipeline():
    """The pipeline stored as ``model_v1.skmnist``: 8x8 images as 0-255 grey levels."""
    from skmnist import make_mlp_pipeline

    X, y, _ = digits()
    images = np.round(X.reshape(-1, 8, 8) * 255).astype(np.uint8)
    return make_mlp_pipeline(hidden_layer_sizes=(16,), epochs=2, random_state=0).fit(images, y)


def main():
    import skmnist

    _, _, X_test = digits()
    probas = {name: fit_recipe(name).predict_proba(X_test) for name in RECIPES}
    np.savez(os.path.join(HERE, "fits.npz"), **probas)
    pipe = reference_pipeline()
    skmnist.save(pipe, os.path.join(HERE, "model_v1.skmnist"))
    images = np.round(X_test.reshape(-1, 8, 8) * 255).astype(np.uint8)
    np.save(os.path.join(HERE, "model_v1_proba.npy"), pipe.predict_proba(images))
    print(f"wrote the references with skmnist {skmnist.__version__}")


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(HERE)))
    main()

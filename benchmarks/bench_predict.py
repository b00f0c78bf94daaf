"""Prediction and training speed of skmnist against the usual alternatives.

Side by side, in one process, on real MNIST (``SKMNIST_DATA``), with the same
network (784 -> 512 -> 256 -> 10, ReLU) everywhere:

- skmnist: ``make_mlp_pipeline()`` (predictions in NumPy);
- hand-written Keras: the same ``keras.Sequential``, ``model.predict``;
- scikeras alone: ``KerasClassifier`` on the same network behind the same
  ``PixelScaler`` (predictions through ``model.predict``);
- scikit-learn: ``MLPClassifier(hidden_layer_sizes=(512, 256))``.

Each model is trained for one epoch on the 60,000 training images (timed,
``--fit-repeats`` times), then predicts one image and the 10,000 test images
(timed, ``--repeats`` times). Medians are reported, with ratios to skmnist.

    SKMNIST_DATA=../shared/datasets/mnist python benchmarks/bench_predict.py
"""

import argparse
import statistics
import time
import warnings

from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline

from skmnist import PixelScaler, load_mnist, make_mlp_pipeline
from skmnist._keras import keras
from scikeras.wrappers import KerasClassifier

HIDDEN = (512, 256)


def _keras_model(meta=None):
    model = keras.Sequential(
        [keras.Input((784,))]
        + [keras.layers.Dense(units, activation="relu") for units in HIDDEN]
        + [keras.layers.Dense(10, activation="softmax")]
    )
    model.compile(
        optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"]
    )
    return model


class _HandWrittenKeras:
    """The tutorial way: scale by hand, ``model.fit``, ``model.predict``."""

    def fit(self, X, y):
        self.model = _keras_model()
        self.model.fit(X.reshape(len(X), -1) / 255.0, y, epochs=1, batch_size=128, verbose=0)
        return self

    def predict(self, X):
        proba = self.model.predict(X.reshape(len(X), -1) / 255.0, verbose=0)
        return proba.argmax(axis=1)


def _contenders():
    return {
        "skmnist pipeline": lambda: make_mlp_pipeline(epochs=1, dropout=0.0),
        "hand-written Keras": _HandWrittenKeras,
        "scikeras KerasClassifier": lambda: make_pipeline(
            PixelScaler(),
            KerasClassifier(
                _keras_model, loss="sparse_categorical_crossentropy", epochs=1,
                batch_size=128, verbose=0,
            ),
        ),
        "sklearn MLPClassifier": lambda: make_pipeline(
            PixelScaler(), MLPClassifier(hidden_layer_sizes=HIDDEN, max_iter=1, batch_size=128)
        ),
    }


def _median_seconds(func, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30, help="timings of each predict")
    parser.add_argument("--fit-repeats", type=int, default=3, help="timings of each fit")
    args = parser.parse_args(argv)

    X_train, X_test, y_train, y_test = load_mnist(return_X_y=True)
    one = X_test[:1]
    rows = {}
    for name, make in _contenders().items():
        fitted = []

        def fit():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                fitted.append(make().fit(X_train, y_train))

        fit_s = _median_seconds(fit, args.fit_repeats)
        model = fitted[-1]
        model.predict(X_test[:10])  # warm-up: first-call tracing is not what we time
        accuracy = float((model.predict(X_test) == y_test).mean())
        one_s = _median_seconds(lambda: model.predict(one), args.repeats)
        all_s = _median_seconds(lambda: model.predict(X_test), max(3, args.repeats // 5))
        rows[name] = (fit_s, one_s, all_s, accuracy)
        print(f"{name}: fit {fit_s:.2f} s, 1 image {1e3 * one_s:.3f} ms, "
              f"10k images {1e3 * all_s:.1f} ms, accuracy {accuracy:.4f}", flush=True)

    base = rows["skmnist pipeline"]
    print("\n| 1 epoch on 60k, then predict | fit (median) | predict 1 image | "
          "predict 10k images | test accuracy after 1 epoch |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, (fit_s, one_s, all_s, accuracy) in rows.items():
        print(
            f"| {name} | {fit_s:.1f} s ({fit_s / base[0]:.2f}x) | "
            f"{1e3 * one_s:.3f} ms ({one_s / base[1]:.1f}x) | "
            f"{1e3 * all_s:.1f} ms ({all_s / base[2]:.1f}x) | {accuracy:.4f} |"
        )
    print("\nRatios are to the skmnist pipeline (higher = slower than skmnist).")


if __name__ == "__main__":
    main()

"""Reproduce three classic Keras MNIST tutorials through the skmnist pipeline.

Each tutorial's model is rebuilt with ``make_mlp_pipeline``, trained on the
60,000 MNIST training images and scored on the 10,000 test images; the table
compares the measured test accuracy with the published one. The script exits
with status 1 if any model lands more than 0.5 points away.

Run it with MNIST available (``SKMNIST_DATA`` or a download)::

    python examples/reproduce_tutorials.py [--random-state 0]

``SKMNIST_EXAMPLE_SMALL=1`` makes it a smoke run on 3,000 training images (CI), with
no comparison.
"""

import argparse
import os
import sys
import time

from skmnist import load_mnist, make_mlp_pipeline

#: (name, published test accuracy in %, pipeline parameters)
TUTORIALS = [
    (
        "32 ReLU, RMSprop 1e-3, 2 epochs, batch 32",
        94.70,
        dict(hidden_layer_sizes=(32,), dropout=0.0, optimizer="rmsprop",
             learning_rate=1e-3, learning_rate_schedule="constant", epochs=2, batch_size=32),
    ),
    (
        "512 ReLU, RMSprop, 5 epochs, batch 128",
        97.75,
        dict(hidden_layer_sizes=(512,), dropout=0.0, optimizer="rmsprop",
             learning_rate=1e-3, learning_rate_schedule="constant", epochs=5,
             batch_size=128),
    ),
    (
        "64-64 ReLU, Adam, 5 epochs, batch 32, inputs in [-0.5, 0.5]",
        96.33,
        dict(hidden_layer_sizes=(64, 64), dropout=0.0, optimizer="adam",
             learning_rate=1e-3, learning_rate_schedule="constant", epochs=5, batch_size=32, center=True),
    ),
]
TOLERANCE = 0.5  # percentage points


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--random-state", type=int, default=0, help="seed of every fit")
    args = parser.parse_args(argv)

    X_train, X_test, y_train, y_test = load_mnist(return_X_y=True)
    small = os.environ.get("SKMNIST_EXAMPLE_SMALL") == "1"
    if small:  # a smoke run (CI): 3,000 images, so the published figures do not apply
        X_train, y_train = X_train[:3000], y_train[:3000]
    rows = []
    for name, published, params in TUTORIALS:
        pipe = make_mlp_pipeline(random_state=args.random_state, **params)
        start = time.perf_counter()
        pipe.fit(X_train, y_train)
        seconds = time.perf_counter() - start
        measured = 100 * pipe.score(X_test, y_test)
        rows.append((name, published, measured, seconds))
        print(f"{name}: {measured:.2f}% in {seconds:.0f} s", file=sys.stderr, flush=True)

    print("\n| tutorial model | published | measured | difference | fit time |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, published, measured, seconds in rows:
        print(f"| {name} | {published:.2f}% | {measured:.2f}% | "
              f"{measured - published:+.2f} | {seconds:.0f} s |")
    if small:
        print("\nSKMNIST_EXAMPLE_SMALL=1: trained on 3,000 images, not compared with the "
              "published figures.")
        return 0
    off = [name for name, published, measured, _ in rows if abs(measured - published) > TOLERANCE]
    if off:
        print(f"\nMore than {TOLERANCE} points from the published figure: {off}")
        return 1
    print(f"\nAll within {TOLERANCE} points of the published figures.")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The figure of docs/reports.md's "Measured": how much reading photos costs a model.

    SKMNIST_DATA=... python docs/figures/redrawn_digits_accuracy.py

Trains the model of ``skmnist train --hidden-layer-sizes 256 --epochs 3`` (seed 0) and
classifies 1,000 MNIST test digits twice: as MNIST ships them, and redrawn as photos
by ``tests/test_images.py``'s ``_redraw`` (dark ink on light paper, 3-5 times larger,
anywhere on a larger canvas, noise; half PNG, half JPEG) then read back by
``prepare_digit_image``.
"""

import pathlib
import sys
import tempfile

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from skmnist import load_mnist, make_mlp_pipeline, prepare_digit_image  # noqa: E402
from tests.test_images import _redraw  # noqa: E402


def main():
    X_train, X_test, y_train, y_test = load_mnist(return_X_y=True)
    model = make_mlp_pipeline(hidden_layer_sizes=(256,), epochs=3, random_state=0)
    model.fit(X_train, y_train)
    rng = np.random.RandomState(1)
    index = rng.choice(len(X_test), 1000, replace=False)
    with tempfile.TemporaryDirectory() as folder:
        photos = [_redraw(X_test[i], rng, pathlib.Path(folder) / f"{n}.{'png' if n % 2 else 'jpg'}")
                  for n, i in enumerate(index)]
        prepared = np.array([prepare_digit_image(path) for path in photos]).reshape(1000, -1)
    redrawn = (model.predict(prepared) == y_test[index]).mean()
    original = (model.predict(X_test[index]) == y_test[index]).mean()
    print(f"redrawn and prepared: {redrawn:.1%}; as MNIST ships them: {original:.1%}")


if __name__ == "__main__":
    main()

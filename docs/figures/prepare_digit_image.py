"""Draw docs/_static/prepare_digit_image.png: users' images and what the model sees.

    SKMNIST_DATA=... python docs/figures/prepare_digit_image.py

Trains the default pipeline (``make_mlp_pipeline(random_state=0)``, about 15 s on 2
cores) and shows three images as users make them, each with the 28x28 digit that
``prepare_digit_image`` makes of it and the model's answer: a "4" drawn with a thick
pen on a 600x450 canvas, and two MNIST test digits redrawn as in
``tests/_users_digits.py`` (a thick pen that fills the loop of a "9", a slanted "7").
"""

import io
import pathlib
import sys

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from PIL import Image, ImageDraw  # noqa: E402

from skmnist import load_mnist, make_mlp_pipeline, prepare_digit_image  # noqa: E402
from tests._users_digits import redraw  # noqa: E402


def drawn_four():
    """A "4" drawn with a thick dark pen on light paper, as a JPEG file."""
    canvas = Image.new("L", (600, 450), 242)
    pen = ImageDraw.Draw(canvas)
    pen.line([(330, 70), (170, 290), (390, 290)], fill=25, width=16, joint="curve")
    pen.line([(330, 70), (325, 390)], fill=25, width=16)
    buffer = io.BytesIO()
    canvas.convert("RGB").save(buffer, "JPEG", quality=90)
    buffer.seek(0)
    return Image.open(buffer)


def redrawn(X_test, y_test, digit, pen, slant_sign, seed):
    """Test ``digit`` number ``seed`` as redraw() draws it with a pen ``pen[0]`` to
    ``pen[1]`` times as thick as MNIST's and a slant of 10-15° of the given sign, as a
    JPEG file."""

    class Pick(np.random.RandomState):
        calls = 0

        def uniform(self, low=0.0, high=1.0, size=None):
            self.calls += 1
            if self.calls == 2:  # the pen
                return super().uniform(*pen)
            if self.calls == 3:  # the slant, in degrees
                return slant_sign * super().uniform(10, 15)
            return super().uniform(low, high, size)

    index = np.flatnonzero(y_test == digit)[seed]
    photo, _ = redraw(X_test[index], Pick(seed))
    return photo


def main():
    X_train, X_test, y_train, y_test = load_mnist(return_X_y=True)
    model = make_mlp_pipeline(random_state=0).fit(X_train, y_train)
    images = [drawn_four(), redrawn(X_test, y_test, 9, (2.5, 3.0), -1, 3),
              redrawn(X_test, y_test, 7, (1.0, 1.5), 1, 0)]
    fig, axes = plt.subplots(2, 3, figsize=(8.4, 6.2))
    for column, image in enumerate(images):
        digit = prepare_digit_image(image)
        proba = model.predict_proba(digit.reshape(1, -1))[0]
        top = int(np.argmax(proba))
        axes[0, column].imshow(np.asarray(image.convert("L")), cmap="gray", vmin=0, vmax=255)
        axes[0, column].set_title(f"{image.width}×{image.height} JPG", fontsize=10)
        axes[1, column].imshow(digit, cmap="gray", vmin=0, vmax=255)
        axes[1, column].set_title(f"28×28 → {model.classes_[top]} ({proba[top]:.0%})", fontsize=10)
        for row in (0, 1):
            axes[row, column].set_xticks([])
            axes[row, column].set_yticks([])
    axes[0, 0].set_ylabel("your image", fontsize=11)
    axes[1, 0].set_ylabel("prepared", fontsize=11)
    fig.tight_layout()
    out = ROOT / "docs" / "_static" / "prepare_digit_image.png"
    fig.savefig(out, dpi=80)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()

"""MNIST test digits redrawn as users draw them: thicker or thinner pens, slanted,
anywhere on the paper, any size, photographed as JPEG.

Shared by ``tests/test_users_digits.py`` and ``benchmarks/bench_quality.py``.
"""

import io

import numpy as np

#: MNIST's strokes are about 1.8 pixels wide in a 28x28 image: 9% of the 20-pixel box
#: (skmnist._digit_pen.MNIST_STROKE_WIDTH), written out so that the digits drawn do not
#: depend on the rounding of 0.09 x 20.
MNIST_STROKE = 1.8


def redraw(digit, rng):
    """One MNIST digit (28x28 uint8) as a user's JPEG photo, and how it was drawn.

    The strokes are 1-3 times as thick as MNIST's, the digit is slanted by up
    to ±15°, scaled by 0.6-1.4 after being drawn 3-5 times MNIST's size, and
    placed anywhere on light paper with dark ink, with noise and JPEG
    compression of quality 60-95. Returns ``(PIL image, thickness factor)``.
    """
    from PIL import Image, ImageFilter

    k = rng.uniform(3, 5)
    size = int(28 * k)
    ink = Image.fromarray(digit).resize((size, size), Image.BICUBIC)
    thickness = rng.uniform(1, 3)
    grow = int(round((thickness - 1) * MNIST_STROKE * k))  # a max filter of size s adds s - 1
    if grow >= 1:
        ink = ink.filter(ImageFilter.MaxFilter(grow + 1 if grow % 2 == 0 else grow + 2))
    slant = np.tan(np.radians(rng.uniform(-15, 15)))
    pad = size // 2
    sheet = Image.new("L", (size + 2 * pad, size + 2 * pad), 0)
    sheet.paste(ink, (pad, pad))
    width, height = sheet.size
    sheet = sheet.transform((width, height), Image.AFFINE, (1, slant, -slant * height / 2, 0, 1, 0),
                            resample=Image.BILINEAR)
    sheet = sheet.crop(sheet.getbbox())
    scale = rng.uniform(0.6, 1.4)
    sheet = sheet.resize((max(8, int(sheet.width * scale)), max(8, int(sheet.height * scale))),
                         Image.BILINEAR)
    width, height = sheet.width + rng.randint(20, 300), sheet.height + rng.randint(20, 300)
    paper, pen = int(rng.randint(190, 250)), int(rng.randint(0, 70))
    canvas = Image.new("L", (width, height), paper)
    canvas.paste(Image.new("L", sheet.size, pen),
                 (rng.randint(0, width - sheet.width + 1), rng.randint(0, height - sheet.height + 1)),
                 mask=sheet)
    noisy = np.asarray(canvas, dtype=float) + rng.normal(0, 4, (height, width))
    buffer = io.BytesIO()
    Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8)).convert("RGB").save(
        buffer, "JPEG", quality=int(rng.randint(60, 95)))
    buffer.seek(0)
    return Image.open(buffer), thickness


def users_digits(X_test, y_test, n, seed=0):
    """``n`` test digits redrawn and prepared by ``prepare_digit_image``: (images, labels, thickness)."""
    from skmnist import prepare_digit_image

    rng = np.random.RandomState(seed)
    index = rng.choice(len(X_test), size=n, replace=False)
    images, thickness = [], []
    for i in index:
        photo, factor = redraw(X_test[i], rng)
        images.append(prepare_digit_image(photo))
        thickness.append(factor)
    return np.array(images), y_test[index], np.array(thickness)

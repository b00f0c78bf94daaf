"""Digit augmentation inside the compiled training loop: random affine maps and
elastic distortions, drawn per image and per step, applied on the graph.

Each training batch is re-drawn before the network sees it, as Simard et al.
(2003) did for MNIST: every image gets its own random rotation, shear, zoom
and shift (an affine map about the image centre) and, optionally, an elastic
distortion (a random displacement field per pixel, smoothed by a Gaussian of
``elastic_sigma`` pixels and scaled to ``elastic_alpha`` pixels). Both maps
are composed into one field of source coordinates, read with bilinear
interpolation; pixels read from outside the image take the image's
background (its smallest value, 0 for ``PixelScaler``'s output and -0.5 with
``center=True``).

The random numbers come from TensorFlow's stateless generators, seeded by the
fit's seed, the epoch and the step: a fixed ``random_state`` gives the same
fit, bit for bit, and no Python runs per batch. The ranges are variables, so
one traced loop serves every setting of a grid search. Nothing here runs at
predict time.
"""

import math

from ._keras import tf

__all__ = ["AUGMENTATION_PARAMS", "Augmenter", "augmentation_settings", "image_shape_of"]

#: The classifier's augmentation parameters, in the order the augmenter takes them.
AUGMENTATION_PARAMS = (
    "shift_range", "rotation_range", "zoom_range", "shear_range", "elastic_alpha", "elastic_sigma"
)


def augmentation_settings(estimator):
    """The augmentation parameters of ``estimator`` as floats, or None when all are off.

    ``elastic_sigma`` alone does not turn augmentation on: it only shapes the
    elastic distortion that ``elastic_alpha > 0`` asks for.
    """
    settings = {name: float(getattr(estimator, name)) for name in AUGMENTATION_PARAMS}
    active = [name for name in AUGMENTATION_PARAMS if name != "elastic_sigma"]
    if not any(settings[name] > 0 for name in active):
        return None
    return settings


def image_shape_of(image_shape, n_features, owner):
    """The ``(height, width)`` of flattened images of ``n_features`` pixels.

    ``"auto"`` means square images (28 x 28 for MNIST's 784 pixels); other
    shapes are given as a pair whose product is ``n_features``.
    """
    if isinstance(image_shape, str):  # "auto", checked by the parameter constraints
        side = math.isqrt(n_features)
        if side * side != n_features:
            raise ValueError(
                f"{owner} got images of {n_features} pixels, which are not square, so "
                "image_shape='auto' cannot tell their height and width for augmentation. "
                "Pass image_shape=(height, width), or turn augmentation off (shift_range, "
                "rotation_range, zoom_range, shear_range and elastic_alpha all 0)."
            )
        return side, side
    try:
        height, width = (int(v) for v in image_shape)
    except (TypeError, ValueError):
        raise ValueError(
            f"{owner} got image_shape={image_shape!r}; expected 'auto' or a pair of "
            "positive integers (height, width)."
        ) from None
    if height < 1 or width < 1 or height * width != n_features:
        raise ValueError(
            f"{owner} got image_shape={image_shape!r}, but the images have {n_features} "
            f"pixels ({height} x {width} = {height * width}). Pass the shape of the images "
            "given to the pipeline, such as (28, 28)."
        )
    return height, width


def _gaussian_matrix(size, sigma):
    """``G`` with ``G @ f`` = ``f`` convolved with a normalised Gaussian of ``sigma``
    (a tensor), zero outside the image, as Simard et al.'s smoothing."""
    x = tf.cast(tf.range(size), tf.float32)
    d = tf.reshape(x, [-1, 1]) - tf.reshape(x, [1, -1])
    taps = tf.cast(tf.range(-(size - 1), size), tf.float32)
    sigma = tf.maximum(sigma, 1e-3)
    total = tf.reduce_sum(tf.exp(-0.5 * tf.square(taps / sigma)))
    return tf.exp(-0.5 * tf.square(d / sigma)) / total


class Augmenter:
    """Random affine and elastic maps for a batch of flattened ``height x width`` images.

    The settings are variables (:meth:`set`), read by the traced graph.
    """

    def __init__(self, image_shape):
        self.height, self.width = (int(v) for v in image_shape)
        self.settings = {
            name: tf.Variable(0.0, dtype=tf.float32, trainable=False, name=name)
            for name in AUGMENTATION_PARAMS
        }

    def set(self, settings):
        """Take new ranges (a dict of :data:`AUGMENTATION_PARAMS`; None turns all off)."""
        for name, variable in self.settings.items():
            variable.assign(0.0 if settings is None else float(settings[name]))

    def __call__(self, x, seed):
        """Augment ``x`` (shape ``(batch, height * width)``) with the stateless ``seed``."""
        s = self.settings
        h, w = self.height, self.width
        n = tf.shape(x)[0]
        images = tf.reshape(x, [n, h, w])
        seeds = tf.random.experimental.stateless_split(seed, num=2)
        u = tf.random.stateless_uniform([n, 6], seeds[0], -1.0, 1.0)
        degrees = math.pi / 180.0
        angle = u[:, 0] * s["rotation_range"] * degrees
        shear = u[:, 1] * s["shear_range"] * degrees
        zoom = 1.0 + u[:, 2] * s["zoom_range"]
        shift_y = u[:, 3] * s["shift_range"] * h
        shift_x = u[:, 4] * s["shift_range"] * w
        # Output pixel p (about the centre) reads the source at A·p - shift, where
        # A rotates, shears and scales by 1/zoom.
        cy, cx = (h - 1) / 2.0, (w - 1) / 2.0
        rows = tf.cast(tf.range(h), tf.float32) - cy
        cols = tf.cast(tf.range(w), tf.float32) - cx
        py = tf.reshape(rows, [1, h, 1])
        px = tf.reshape(cols, [1, 1, w])

        def per_image(v):
            return tf.reshape(v, [n, 1, 1])

        cos, sin, tan = tf.cos(angle), tf.sin(angle), tf.tan(shear)
        a11, a12 = per_image(cos / zoom), per_image((-sin + cos * tan) / zoom)
        a21, a22 = per_image(sin / zoom), per_image((cos + sin * tan) / zoom)
        src_x = a11 * px + a12 * py + cx - per_image(shift_x)
        src_y = a21 * px + a22 * py + cy - per_image(shift_y)
        dx, dy = self._elastic_field(n, seeds[1])
        src_x, src_y = src_x + dx, src_y + dy
        return tf.reshape(_bilinear(images, src_y, src_x), [n, h * w])

    def _elastic_field(self, n, seed):
        """Smoothed random displacements ``(dx, dy)`` of ``elastic_alpha`` pixels (or zeros)."""
        s = self.settings
        h, w = self.height, self.width

        def field():
            noise = tf.random.stateless_uniform([2 * n, h, w], seed, -1.0, 1.0)
            # a separable Gaussian blur as two small matrix products
            smooth = tf.matmul(_gaussian_matrix(h, s["elastic_sigma"]), noise)
            smooth = tf.matmul(smooth, _gaussian_matrix(w, s["elastic_sigma"]))  # symmetric
            smooth = tf.reshape(smooth, [2, n, h, w]) * s["elastic_alpha"]
            return smooth[0], smooth[1]

        def none():
            zeros = tf.zeros([n, h, w])
            return zeros, zeros

        return tf.cond(s["elastic_alpha"] > 0, field, none)


def _bilinear(images, src_y, src_x):
    """``images`` (n, h, w) read at real coordinates, background outside the image."""
    shape = tf.shape(images)
    n, h, w = shape[0], shape[1], shape[2]
    background = tf.reduce_min(images, axis=[1, 2], keepdims=True)
    flat = tf.reshape(images - background, [-1])
    y0, x0 = tf.floor(src_y), tf.floor(src_x)
    fy, fx = src_y - y0, src_x - x0
    y0, x0 = tf.cast(y0, tf.int32), tf.cast(x0, tf.int32)
    base = tf.reshape(tf.range(n) * h * w, [-1, 1, 1])
    out = tf.zeros_like(src_y)
    for dy, weight_y in ((0, 1.0 - fy), (1, fy)):
        for dx, weight_x in ((0, 1.0 - fx), (1, fx)):
            yy, xx = y0 + dy, x0 + dx
            inside = (yy >= 0) & (yy < h) & (xx >= 0) & (xx < w)
            index = base + tf.clip_by_value(yy, 0, h - 1) * w + tf.clip_by_value(xx, 0, w - 1)
            value = tf.gather(flat, index)
            out += tf.where(inside, value * weight_y * weight_x, 0.0)
    return out + background

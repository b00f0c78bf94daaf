"""Digit augmentation inside the compiled training loop: other pens, random affine
maps and elastic distortions, drawn per image and per step, applied on the graph.

Other pens (``stroke_variation``): a thick pen fills small loops and gaps,
and :func:`~skmnist.prepare_digit_image` then evens the strokes back to
MNIST's width, so a user's "8" or "9" may reach the network with closed
loops. Two grey closings of each image (max then min over 3x3 or 5x5
pixels, which fill holes and gaps up to 2 or 4 pixels wide) are computed
once per fit and kept in bfloat16 (2 bytes a pixel) beside the images; at
every step, each image is replaced by one of them with probability
``stroke_variation``, before any affine map.

Each training batch (or its first ``map_fraction``) is re-drawn before the
network sees it, as Simard et al. (2003) did for MNIST: every image gets
its own random rotation, shear, zoom
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

from ._facts import DEFAULTS
from ._keras import tf

__all__ = [
    "AUGMENTATION_PARAMS", "Augmenter", "augmentation_settings", "closed_strokes", "image_shape_of",
    "no_strokes",
]

#: The classifier's augmentation parameters, in the order the augmenter takes them.
AUGMENTATION_PARAMS = (
    "shift_range", "rotation_range", "zoom_range", "shear_range", "elastic_alpha", "elastic_sigma",
    "map_fraction", "stroke_variation",
)
#: Those that move pixels (the affine and elastic maps); their ranges are 0 when off.
_MAPS = ("shift_range", "rotation_range", "zoom_range", "shear_range", "elastic_alpha")
#: The widths (in pixels) of the closings of ``stroke_variation``'s variants.
STROKE_CLOSINGS = (3, 5)
#: Images closed per call: 3 MB of 28x28 float32 images stay in the caches
#: (0.31 s for MNIST's 60,000 images against 0.43 s in chunks of 8,192 on 2 cores).
_CLOSING_CHUNK = 1024


def augmentation_settings(estimator):
    """The augmentation parameters of ``estimator`` as floats, or None when all are off.

    ``elastic_sigma`` and ``map_fraction`` alone do not turn augmentation on:
    they only shape the maps that the ranges ask for.
    """
    settings = {name: float(getattr(estimator, name)) for name in AUGMENTATION_PARAMS}
    if not any(settings[name] > 0 for name in (*_MAPS, "stroke_variation")):
        return None
    return settings


def _grow(images):
    """Grey dilation of ``images`` (n, h, w) over 3x3 pixels: the largest value around
    each pixel (pixels beyond the edge do not count), as a max over rows, then columns."""
    padded = tf.pad(images, [[0, 0], [1, 1], [1, 1]], constant_values=-math.inf)
    rows = tf.maximum(tf.maximum(padded[:, :-2], padded[:, 1:-1]), padded[:, 2:])
    return tf.maximum(tf.maximum(rows[:, :, :-2], rows[:, :, 1:-1]), rows[:, :, 2:])


def _shrink(images):
    """Grey erosion over 3x3 pixels (the smallest value around each pixel)."""
    return -_grow(-images)


# One graph for every number and shape of images (a fit's last chunk, a CV fold):
# without a signature each new shape would trace, and keep, a graph of its own.
@tf.function(autograph=False, input_signature=[tf.TensorSpec([None, None, None], tf.float32)])
def _closings(images):
    """``images`` (n, h, w) closed over 3x3 and 5x5 squares, as bfloat16: the bright
    strokes grow by 2 or 4 pixels and shrink back, which fills the holes and gaps
    narrower than that. (5x5 is 3x3 twice; max and min commute with rounding, so
    rounding last gives the same values as rounding first.)"""
    grown = _grow(images)
    grown_twice = _grow(grown)
    return (tf.cast(_shrink(grown), tf.bfloat16),
            tf.cast(_shrink(_shrink(grown_twice)), tf.bfloat16))


def closed_strokes(X, image_shape):
    """The variants of ``stroke_variation`` for the flattened images ``X`` (a tensor).

    Returns a bfloat16 tensor of shape ``(len(STROKE_CLOSINGS) * n, height * width)``:
    row ``i + k * n`` is image ``i`` closed over ``STROKE_CLOSINGS[k]`` pixels.
    """
    height, width = (int(v) for v in image_shape)
    n = int(X.shape[0])
    closed = [[] for _ in STROKE_CLOSINGS]
    for start in range(0, n, _CLOSING_CHUNK):  # chunks that stay in the caches: faster
        chunk = tf.reshape(X[start : start + _CLOSING_CHUNK], [-1, height, width])
        for parts, images in zip(closed, _closings(chunk)):
            parts.append(tf.reshape(images, [-1, height * width]))
    if not n:
        return no_strokes(height * width)
    return tf.concat([part for parts in closed for part in parts], axis=0)


def no_strokes(n_features):
    """The empty stand-in for :func:`closed_strokes` when ``stroke_variation`` is 0."""
    return tf.zeros([0, int(n_features)], tf.bfloat16)


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
                "Pass image_shape=(height, width) (make_mlp_pipeline(image_shape=(28, 20)) "
                "for images of 28 x 20), or turn augmentation off (shift_range, "
                "rotation_range, zoom_range, shear_range, elastic_alpha and "
                "stroke_variation all 0; make_mlp_pipeline() redraws digits by default)."
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
    """Other pens, random affine and elastic maps for a batch of flattened
    ``height x width`` images.

    The settings are variables (:meth:`set`), read by the traced graph.
    """

    def __init__(self, image_shape):
        self.height, self.width = (int(v) for v in image_shape)
        self.settings = {
            name: tf.Variable(0.0, dtype=tf.float32, trainable=False, name=name)
            for name in AUGMENTATION_PARAMS
        }

    def set(self, settings):
        """Take new ranges (a dict of :data:`AUGMENTATION_PARAMS`, the classifier's
        defaults for those not given; None turns all off)."""
        for name, variable in self.settings.items():
            variable.assign(0.0 if settings is None else float(settings.get(name, DEFAULTS[name])))

    def __call__(self, x, seed, strokes=None, rows=None):
        """Augment ``x`` (shape ``(batch, height * width)``) with the stateless ``seed``.

        ``strokes`` are :func:`closed_strokes` of the training images and ``rows``
        the batch's rows in them (both needed when ``stroke_variation > 0``).
        """
        s = self.settings
        if strokes is not None:
            x = tf.cond(s["stroke_variation"] > 0,
                        lambda: self._other_pens(x, seed, strokes, rows), lambda: x)
        moved = tf.reduce_any(tf.stack([s[name] > 0 for name in _MAPS]))
        return tf.cond(moved, lambda: self._maps_on_a_fraction(x, seed), lambda: x)

    def _maps_on_a_fraction(self, x, seed):
        """The maps on the first ``map_fraction`` of the batch (at least one image): a
        random part, since every epoch visits the images in a new random order."""
        n = tf.shape(x)[0]
        k = tf.cast(tf.math.ceil(self.settings["map_fraction"] * tf.cast(n, tf.float32)), tf.int32)
        k = tf.clip_by_value(k, 1, n)
        return tf.cond(k < n, lambda: tf.concat([self._maps(x[:k], seed), x[k:]], axis=0),
                       lambda: self._maps(x, seed))

    def _other_pens(self, x, seed, strokes, rows):
        """Each image replaced, with probability ``stroke_variation``, by one of its closings."""
        n_images = tf.shape(strokes)[0] // len(STROKE_CLOSINGS)
        u = tf.random.stateless_uniform(
            [tf.shape(x)[0], 2], tf.random.experimental.stateless_fold_in(seed, 1), 0.0, 1.0)
        which = tf.cast(u[:, 1] * len(STROKE_CLOSINGS), tf.int32)
        which = tf.minimum(which, len(STROKE_CLOSINGS) - 1)
        closed = tf.cast(tf.gather(strokes, rows + which * n_images), tf.float32)
        return tf.where(tf.reshape(u[:, 0] < self.settings["stroke_variation"], [-1, 1]), closed, x)

    def _maps(self, x, seed):
        """The affine map and elastic distortion of every image."""
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
    """``images`` (n, h, w) read at real coordinates, background outside the image.

    The image is framed by background (one row and column before it, two
    after) and the coordinates are clipped to that frame, so each of the four
    neighbours is one gather with no test of whether it lies inside: outside
    the image every neighbour reads background (weight 0 or value 0), as
    masking each neighbour did, to the bit, with half the operations.
    """
    shape = tf.shape(images)
    n, h, w = shape[0], shape[1], shape[2]
    background = tf.reduce_min(images, axis=[1, 2], keepdims=True)
    framed = tf.pad(images - background, [[0, 0], [1, 2], [1, 2]])
    flat = tf.reshape(framed, [-1])
    src_y = tf.clip_by_value(src_y, -1.0, tf.cast(h, tf.float32))
    src_x = tf.clip_by_value(src_x, -1.0, tf.cast(w, tf.float32))
    y0, x0 = tf.floor(src_y), tf.floor(src_x)
    fy, fx = src_y - y0, src_x - x0
    row = w + 3  # the framed image's width
    corner = (tf.reshape(tf.range(n) * (h + 3) * row, [-1, 1, 1])
              + (tf.cast(y0, tf.int32) + 1) * row + tf.cast(x0, tf.int32) + 1)
    out = None
    for offset_y, weight_y in ((0, 1.0 - fy), (row, fy)):
        for offset_x, weight_x in ((0, 1.0 - fx), (1, fx)):
            term = tf.gather(flat, corner + (offset_y + offset_x)) * weight_y * weight_x
            out = term if out is None else out + term
    return out + background

import sys
import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from sklearn.exceptions import NotFittedError
from sklearn.utils.estimator_checks import parametrize_with_checks

from skmnist import PixelScaler


@parametrize_with_checks([PixelScaler(), PixelScaler(center=True)])
def test_scikit_learn_estimator_checks(estimator, check):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check(estimator)
    # some checks pass data in [0, 1], which PixelScaler rightly warns about
    for warning in caught:
        assert "the images look already scaled" in str(warning.message), warning


def test_the_already_scaled_warning_comes_once_per_call_from_the_users_line():
    from skmnist import make_mlp_pipeline

    X = np.random.RandomState(0).rand(30, 4, 4)  # already scaled: the mistake warned about
    y = np.arange(30) % 3
    pipe = make_mlp_pipeline(hidden_layer_sizes=(4,), epochs=1, random_state=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        line = sys._getframe().f_lineno + 1
        pipe.fit(X, y)
        pipe.score(X, y)
    ours = [w for w in caught if "already scaled" in str(w.message)]
    assert [(w.filename, w.lineno) for w in ours] == [(__file__, line), (__file__, line + 1)]


@pytest.fixture
def images():
    rng = np.random.RandomState(0)
    return rng.randint(0, 256, size=(6, 28, 28)).astype(np.uint8)


def test_scales_pixels_to_unit_interval_as_float32(images):
    Xt = PixelScaler().fit_transform(images)
    assert Xt.dtype == np.float32
    assert Xt.shape == (6, 784)
    np.testing.assert_allclose(Xt, images.reshape(6, 784) / 255.0, rtol=1e-6)


def test_center_shifts_to_minus_half_plus_half():
    X = np.array([[0, 255, 51]], dtype=np.uint8)
    np.testing.assert_allclose(PixelScaler(center=True).fit_transform(X), [[-0.5, 0.5, -0.3]], atol=1e-6)


@pytest.mark.parametrize(
    "layout",
    [
        lambda a: a,
        lambda a: a[..., np.newaxis],
        lambda a: a.reshape(len(a), -1),
        lambda a: a.reshape(len(a), -1).astype(np.float64),
        lambda a: a.tolist(),
        lambda a: pd.DataFrame(a.reshape(len(a), -1)),
    ],
    ids=["n_h_w", "n_h_w_1", "flat", "float64", "nested_list", "dataframe"],
)
def test_accepts_every_image_layout_with_the_same_result(images, layout):
    expected = PixelScaler().fit_transform(images)
    np.testing.assert_array_equal(PixelScaler().fit_transform(layout(images)), expected)


def test_remembers_image_shape(images):
    assert PixelScaler().fit(images[:, :, :20]).image_shape_ == (28, 20)
    assert PixelScaler().fit(images.reshape(6, -1)).image_shape_ == (28, 28)
    assert PixelScaler().fit(np.zeros((2, 10))).image_shape_ == (1, 10)


def test_transform_accepts_another_layout_with_the_same_pixel_count(images):
    scaler = PixelScaler().fit(images)
    np.testing.assert_array_equal(
        scaler.transform(images.reshape(6, -1)), scaler.transform(images)
    )


def test_transform_rejects_images_of_another_size_naming_both_sizes(images):
    scaler = PixelScaler().fit(images)
    with pytest.raises(ValueError, match="784 features") as info:
        scaler.transform(images[:, :14, :14])
    assert "X has 196 features" in str(info.value)
    assert "14x14 = 196 pixels" in str(info.value) and "28x28 = 784 pixels" in str(info.value)
    with pytest.raises(ValueError, match="X has 100 features.*expecting 784"):
        scaler.transform(images.reshape(6, -1)[:, :100])


@pytest.mark.parametrize(
    "value, message", [(-1, "Negative values in data"), (256, "Values above 255")]
)
def test_rejects_pixels_outside_0_255(images, value, message):
    bad = images.astype(np.int16)
    bad[0, 0, 0] = value
    with pytest.raises(ValueError, match=message) as info:
        PixelScaler().fit(bad)
    assert "[0, 255]" in str(info.value)


def test_rejects_colour_images_with_a_hint():
    with pytest.raises(ValueError, match="grey-scale"):
        PixelScaler().fit(np.zeros((2, 28, 28, 3), dtype=np.uint8))


def test_feature_names_default_to_openml_pixel_names(images):
    names = PixelScaler().fit(images).get_feature_names_out()
    assert names[0] == "pixel1" and names[-1] == "pixel784" and len(names) == 784


def test_feature_names_follow_dataframe_columns(images):
    frame = pd.DataFrame(images.reshape(6, -1), columns=[f"p{i}" for i in range(784)])
    scaler = PixelScaler().fit(frame)
    assert list(scaler.feature_names_in_[:2]) == ["p0", "p1"]
    assert list(scaler.get_feature_names_out()[:2]) == ["p0", "p1"]


def test_set_output_pandas_gives_named_float32_frame(images):
    out = PixelScaler().set_output(transform="pandas").fit_transform(images)
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns[:2]) == ["pixel1", "pixel2"]
    assert (out.dtypes == np.float32).all()


# -- bad inputs: each refused in plain words, in fit and in transform ----------


def _with(images, value):
    bad = images.astype(np.float64)
    bad[0, 3, 4] = value
    return bad


@pytest.mark.parametrize(
    "value, message",
    [
        (np.nan, r"NaN \(missing\) values in data passed to PixelScaler \(1 of 4,704 pixels\)"),
        (np.inf, r"Infinite values \(inf or -inf\)"),
        (-np.inf, r"Infinite values \(inf or -inf\)"),
        (-0.5, "Negative values"),
        (255.5, "Values above 255"),
    ],
    ids=["nan", "inf", "-inf", "negative", "above_255"],
)
@pytest.mark.parametrize("method", ["fit", "transform"])
def test_non_finite_and_out_of_range_pixels_are_refused(images, value, message, method):
    scaler = PixelScaler().fit(images)
    with pytest.raises(ValueError, match=message) as info:
        getattr(scaler, method)(_with(images, value))
    assert "[0, 255]" in str(info.value)


def test_already_scaled_floats_are_warned_about_but_still_scaled(images):
    scaled = images / 255.0
    with pytest.warns(UserWarning, match="look already scaled") as record:
        scaler = PixelScaler().fit(scaled)
    assert "X * 255" in str(record[0].message)
    assert record[0].filename == __file__  # points at the caller's line
    with pytest.warns(UserWarning, match="look already scaled"):
        out = scaler.transform(scaled)
    np.testing.assert_allclose(out, scaled.reshape(6, -1) / 255, rtol=1e-6)


@pytest.mark.parametrize(
    "X",
    [
        np.array([[0.0, 1.0], [1.0, 0.0]]),  # binary images as floats
        np.array([[0, 1], [1, 0]], dtype=np.uint8),
        np.array([[True, False], [False, True]]),
        np.zeros((2, 4)),  # black images
        np.array([[0.0, 0.5], [2.0, 200.0]]),  # fractional grey levels in 0-255
    ],
    ids=["binary_float", "binary_uint8", "bool", "black", "fractional_0_255"],
)
def test_raw_images_that_merely_look_dark_are_not_warned_about(X):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        PixelScaler().fit_transform(X)


@pytest.mark.parametrize(
    "X, error, message",
    [
        (np.array([["a", "b"], ["c", "d"]]), ValueError, "holds text"),
        (
            pd.DataFrame({"p1": ["0", "1"], "p2": [3, 4]}).astype({"p1": "string"}),
            ValueError,
            "holds text",
        ),
        (np.array([[0, {"x": 1}], [2, 3]], dtype=object), TypeError, "not numbers"),
        (np.array([[0, "12"], [2, 3]], dtype=object), ValueError, "holds text"),
    ],
    ids=["str_array", "string_column", "object_dict", "object_str"],
)
def test_non_numeric_pixels_are_refused(X, error, message):
    with pytest.raises(error, match=message) as info:
        PixelScaler().fit(X)
    assert "numeric pixel intensities in [0, 255]" in str(info.value)


def test_sparse_matrices_are_refused_with_a_pointer_to_toarray(images):
    X = sp.csr_matrix(images.reshape(6, -1))
    with pytest.raises(TypeError, match=r"toarray"):
        PixelScaler().fit(X)
    with pytest.raises(TypeError, match=r"toarray"):
        PixelScaler().fit(images).transform(X)


@pytest.mark.parametrize(
    "X, shape", [(np.arange(784), "(784,)"), (np.float64(3), "()")], ids=["1d", "scalar"]
)
def test_one_dimensional_input_is_refused_with_how_to_pass_one_image(X, shape):
    with pytest.raises(ValueError, match="stack of images") as info:
        PixelScaler().fit(X)
    assert shape in str(info.value) and "X.reshape(1, -1)" in str(info.value)


@pytest.mark.parametrize(
    "shape", [(2, 28, 28, 3), (2, 28, 28, 4), (2, 28, 28, 1, 1)], ids=["rgb", "rgba", "5d"]
)
def test_several_channels_or_more_dimensions_are_refused(shape):
    with pytest.raises(ValueError, match=r"got an array of shape \(2, 28, 28") as info:
        PixelScaler().fit(np.zeros(shape, dtype=np.uint8))
    assert "(n_samples, height, width)" in str(info.value)


@pytest.mark.parametrize(
    "X, message",
    [(np.zeros((0, 28, 28)), "0 sample"), (np.zeros((3, 0)), "0 feature")],
    ids=["no_images", "no_pixels"],
)
def test_empty_input_is_refused(X, message):
    with pytest.raises(ValueError, match=message):
        PixelScaler().fit(X)
    with pytest.raises(ValueError, match=message):
        PixelScaler().fit(np.zeros((2, 28, 28))).transform(X)


def test_ragged_images_are_refused():
    with pytest.raises(ValueError, match="every image of the same size"):
        PixelScaler().fit([np.zeros((28, 28)), np.zeros((20, 20))])


def test_transform_before_fit_is_not_fitted_error(images):
    with pytest.raises(NotFittedError):
        PixelScaler().transform(images)


# -- properties over shapes, dtypes and value ranges -----------------------------

_DTYPES = [np.uint8, np.uint16, np.int16, np.int32, np.int64, np.float32, np.float64]
_LAYOUTS = ["n_h_w", "n_h_w_1", "flat"]


@st.composite
def image_stacks(draw, low=0, high=255):
    """Raw images (whole grey levels, or any float in range for float dtypes)."""
    dtype = np.dtype(draw(st.sampled_from(_DTYPES)))
    n, h, w = draw(st.tuples(*[st.integers(1, 6)] * 3))
    if dtype.kind == "f":
        elements = st.floats(low, high, width=8 * dtype.itemsize, allow_subnormal=False)
    else:
        elements = st.integers(max(low, np.iinfo(dtype).min), min(high, np.iinfo(dtype).max))
    images = draw(hnp.arrays(dtype, (n, h, w), elements=elements))
    layout = draw(st.sampled_from(_LAYOUTS))
    X = {"n_h_w": images, "n_h_w_1": images[..., None], "flat": images.reshape(n, h * w)}[layout]
    return images, X, layout


@settings(max_examples=60, deadline=None)
@given(image_stacks(), st.booleans())
def test_property_output_is_float32_flat_and_in_range(stack, center):
    images, X, layout = stack
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # tiny floats may look already scaled
        scaler = PixelScaler(center=center).fit(X)
        out = scaler.transform(X)
    n, h, w = images.shape
    assert out.dtype == np.float32 and out.shape == (n, h * w)
    low, high = (-0.5, 0.5) if center else (0.0, 1.0)
    assert out.min() >= low and out.max() <= high
    expected = images.reshape(n, -1).astype(np.float64) / 255 - (0.5 if center else 0)
    np.testing.assert_allclose(out, expected, rtol=1e-6, atol=1e-6)
    assert scaler.n_features_in_ == h * w
    if layout != "flat":
        assert scaler.image_shape_ == (h, w)


@settings(max_examples=40, deadline=None)
@given(image_stacks(), st.sampled_from(["flat", "n_h_w"]))
def test_property_any_layout_with_the_same_pixel_count_transforms_alike(stack, other):
    images, X, _ = stack
    n = len(images)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        scaler = PixelScaler().fit(X)
        again = images.reshape(n, -1) if other == "flat" else images
        np.testing.assert_array_equal(scaler.transform(again), scaler.transform(X))


@settings(max_examples=40, deadline=None)
@given(
    image_stacks(),
    st.one_of(
        st.floats(-1e6, -1e-3),
        st.floats(255.001, 1e6),
        st.sampled_from([np.nan, np.inf, -np.inf]),
    ),
    st.data(),
)
def test_property_any_pixel_outside_0_255_is_refused(stack, bad, data):
    images, _, _ = stack
    X = images.astype(np.float64)
    index = tuple(data.draw(st.integers(0, size - 1)) for size in X.shape)
    X[index] = bad
    with pytest.raises(ValueError, match=r"\[0, 255\]"):
        PixelScaler().fit(X)


@settings(max_examples=40, deadline=None)
@given(
    hnp.arrays(
        st.sampled_from([np.float32, np.float64]),
        st.tuples(st.integers(1, 5), st.integers(2, 30)),
        elements=st.floats(0, 1, width=32),
    )
)
def test_property_fractional_floats_in_unit_interval_warn_whole_numbers_do_not(X):
    fractional = bool(np.any(X != np.round(X)))
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        PixelScaler().fit(X)
    scaled_warnings = [w for w in record if "look already scaled" in str(w.message)]
    assert bool(scaled_warnings) == fractional

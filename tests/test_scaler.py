import numpy as np
import pandas as pd
import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from skmnist import PixelScaler


@parametrize_with_checks([PixelScaler(), PixelScaler(center=True)])
def test_scikit_learn_estimator_checks(estimator, check):
    check(estimator)


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


def test_transform_rejects_images_of_another_size(images):
    scaler = PixelScaler().fit(images)
    with pytest.raises(ValueError, match="784 features"):
        scaler.transform(images[:, :14, :14])


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

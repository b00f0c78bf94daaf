"""Shared fixtures: real MNIST subsets, read from SKMNIST_DATA."""

import os

import numpy as np
import pytest


@pytest.fixture(scope="session")
def mnist():
    """The real MNIST, as (X_train, X_test, y_train, y_test).

    Read from $SKMNIST_DATA (CI sets it); a broken folder there fails the tests
    that use it. Without SKMNIST_DATA they are skipped, never downloaded.
    """
    if not os.environ.get("SKMNIST_DATA"):
        pytest.skip("SKMNIST_DATA is not set: point it at a folder holding MNIST")
    from skmnist import load_mnist

    return load_mnist(download=False, return_X_y=True)


@pytest.fixture(scope="session")
def mnist_5k(mnist):
    """A stratified 5,000-image training subset and 2,000 test images."""
    from sklearn.model_selection import train_test_split

    X_train, X_test, y_train, y_test = mnist
    X_small, _, y_small, _ = train_test_split(
        X_train, y_train, train_size=5000, stratify=y_train, random_state=0
    )
    return X_small, X_test[:2000], y_small, y_test[:2000]


@pytest.fixture
def blobs():
    """An easy 3-class problem with 10 features, as floats in [0, 1]."""
    from sklearn.datasets import make_blobs

    X, y = make_blobs(n_samples=300, centers=3, n_features=10, random_state=0)
    X = (X - X.min()) / (X.max() - X.min())
    return X.astype(np.float32), y


@pytest.fixture(scope="session")
def trained_model_file(mnist, tmp_path_factory):
    """A model file written by ``skmnist train`` (256 ReLU units, 3 epochs, all 60,000 images)."""
    from skmnist._cli import main

    path = tmp_path_factory.mktemp("model") / "mnist-256.skmnist"
    status = main([
        "train", "--hidden-layer-sizes", "256", "--epochs", "3", "--random-state", "0",
        "--no-download", "--quiet", "--output", str(path),
    ])
    assert status == 0
    return path


#: With SKMNIST_REQUIRE_ALL=1 (CI sets it), a test that skips fails instead, unless
#: its reason is one of these: CI installs everything the README's dev extra and
#: .ci/run bring (MNIST, Chromium, the serve and onnx extras), so any other skip
#: means a test silently did not run. scikit-learn's array-API check of
#: parametrize_with_checks skips itself unless SCIPY_ARRAY_API=1 was set before
#: SciPy was imported; the estimators take NumPy input only, so it stays skipped.
ALLOWED_SKIPS = ("SCIPY_ARRAY_API is not set",)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if not (report.skipped and os.environ.get("SKMNIST_REQUIRE_ALL") == "1"):
        return
    if hasattr(report, "wasxfail"):
        return
    reason = str(report.longrepr[-1]) if isinstance(report.longrepr, tuple) else str(report.longrepr)
    if any(allowed in reason for allowed in ALLOWED_SKIPS):
        return
    report.outcome = "failed"
    report.longrepr = f"skipped under SKMNIST_REQUIRE_ALL=1 (CI must run every test): {reason}"

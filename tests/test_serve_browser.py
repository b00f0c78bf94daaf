"""The page of ``skmnist serve`` in a real browser: Debian's Chromium, driven by Playwright.

The test draws MNIST test digits on the canvas with mouse strokes (one stroke
per run of ink in each row of the digit, six times MNIST's size) and reads
the label the page shows. Playwright drives the system's Chromium
(``executable_path``); no browser is downloaded.
"""

import os
import shutil

import numpy as np
import pytest

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")
pytest.importorskip("PIL.Image")
sync_api = pytest.importorskip(
    "playwright.sync_api", reason="Playwright is not installed: pip install playwright "
    "(its driver comes with it; the browser is the system's Chromium)")

from tests._serve_server import drawing_png, row_strokes, serve_model  # noqa: E402

#: Where to copy the screenshots (for the docs), if set.
SCREENSHOT_DIR = os.environ.get("SKMNIST_SCREENSHOT_DIR")


def _chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    pytest.skip("no Chromium on this machine: install it (apt-get install chromium) to test "
                "the page of skmnist serve in a browser")


@pytest.fixture(scope="module")
def browser():
    executable = _chromium()
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, args=["--no-sandbox", "--disable-gpu"])
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def url(trained_model_file):
    with serve_model(trained_model_file) as url:
        yield url


@pytest.fixture
def page(browser, url):
    page = browser.new_page(viewport={"width": 900, "height": 640})
    outside = []
    page.on("request", lambda request: outside.append(request.url)
            if not request.url.startswith((url, "data:", "blob:")) else None)
    page.goto(url + "/")
    page.wait_for_selector("#bars .bar")  # the model's classes have arrived
    yield page
    assert not outside, f"the page fetched from outside the server: {outside}"
    page.close()


def _settled(page):
    """Wait until the page shows the prediction of its latest picture."""
    page.wait_for_function(
        "() => { const a = document.getElementById('app');"
        " return a.dataset.shown === a.dataset.version; }", timeout=15_000)


def _draw(page, strokes):
    box = page.locator("#canvas").bounding_box()
    scale = box["width"] / 200
    for stroke in strokes:
        (x, y), rest = stroke[0], stroke[1:]
        page.mouse.move(box["x"] + x * scale, box["y"] + y * scale)
        page.mouse.down()
        for x, y in rest:
            page.mouse.move(box["x"] + x * scale, box["y"] + y * scale, steps=4)
        page.mouse.up()
    _settled(page)


def _label(page):
    return page.inner_text("#label").strip()


def _canvas_ink(page):
    """How many of the canvas's pixels are dark."""
    return page.evaluate(
        "() => { const c = document.getElementById('canvas');"
        " const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
        " let n = 0; for (let i = 0; i < d.length; i += 4) if (d[i] < 128) n++; return n; }")


@pytest.fixture(scope="module")
def digits(mnist):
    """The first test image of each class, 0 to 9."""
    _, X_test, _, y_test = mnist
    first = [int(np.flatnonzero(y_test == label)[0]) for label in range(10)]
    return X_test[first], y_test[first]


def test_digits_drawn_with_the_mouse_are_read_correctly(page, digits, tmp_path):
    X, y = digits
    shown = []
    assert page.locator("#clear").is_disabled() and page.locator("#undo").is_disabled()
    for digit in X:
        if page.locator("#clear").is_enabled():
            page.click("#clear")
        _settled(page)
        assert _label(page) == "\u2013" and _canvas_ink(page) == 0
        _draw(page, row_strokes(digit))
        shown.append(_label(page))
        assert page.locator("#bars .bar span").count() == 10
        assert page.evaluate(  # the 28x28 image the model saw is drawn
            "() => { const d = document.getElementById('seen').getContext('2d')"
            ".getImageData(0, 0, 28, 28).data; let m = 0;"
            " for (let i = 0; i < d.length; i += 4) m = Math.max(m, d[i]); return m; }") > 200
    page.screenshot(path=str(tmp_path / "serve-page.png"))
    if SCREENSHOT_DIR:
        page.screenshot(path=os.path.join(SCREENSHOT_DIR, "serve-page.png"))
    correct = sum(label == str(expected) for label, expected in zip(shown, y))
    assert correct >= 9, f"the page read {shown} for {y.tolist()}"


def test_the_label_updates_while_drawing_and_undo_takes_back_a_stroke(page, digits):
    strokes = row_strokes(digits[0][1])  # a 1
    box = page.locator("#canvas").bounding_box()
    scale = box["width"] / 200
    (x, y), rest = strokes[0][0], strokes[1:]
    page.mouse.move(box["x"] + x * scale, box["y"] + y * scale)
    page.mouse.down()  # one long stroke down the middle, still held
    page.mouse.move(box["x"] + x * scale, box["y"] + 170 * scale, steps=20)
    _settled(page)
    assert _label(page).isdigit(), "no prediction while the button is still down"
    page.mouse.up()
    _settled(page)
    ink = _canvas_ink(page)
    _draw(page, [[(30, 100), (170, 100)]])  # a cross stroke
    assert _canvas_ink(page) > ink
    page.click("#undo")
    _settled(page)
    assert _canvas_ink(page) == ink
    page.click("#clear")
    _settled(page)
    assert _canvas_ink(page) == 0 and _label(page) == "\u2013"


def test_a_picked_photo_is_read(page, digits, tmp_path):
    path = tmp_path / "four.png"
    path.write_bytes(drawing_png(digits[0][4]))
    page.set_input_files("#file", str(path))
    _settled(page)
    assert _label(page) == "4"


def test_the_page_fits_a_phone_screen(browser, url, digits, tmp_path):
    page = browser.new_page(viewport={"width": 360, "height": 740}, has_touch=True,
                            device_scale_factor=2)
    page.goto(url + "/")
    page.wait_for_selector("#bars .bar")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 360
    box = page.locator("#canvas").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 360 and box["width"] >= 250
    assert page.locator("#clear").is_visible() and page.locator("#undo").is_visible()
    _draw(page, row_strokes(digits[0][7]))
    assert _label(page) == "7"
    page.screenshot(path=str(tmp_path / "serve-phone.png"), full_page=True)
    if SCREENSHOT_DIR:
        page.screenshot(path=os.path.join(SCREENSHOT_DIR, "serve-phone.png"), full_page=True)
    page.close()

import csv
import datetime
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("matplotlib")
Image = pytest.importorskip("PIL.Image")

from skmnist import make_mlp_pipeline  # noqa: E402
from skmnist._cli import main  # noqa: E402
from skmnist._report import FILES, _render_page, model_summary, write_report  # noqa: E402

IMAGES = ["confusion_matrix.png", "misclassified.png", "digits.png", "history.png", "network.png"]
#: Chromium flags this machine needs (no sandbox as root, no network, throw-away profile).
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--hide-scrollbars",
]


@pytest.fixture(scope="module")
def small_report(mnist_5k, tmp_path_factory):
    """A report on 500 test images of a small pipeline fitted in memory."""
    X_train, X_test, y_train, y_test = mnist_5k
    pipe = make_mlp_pipeline(
        hidden_layer_sizes=(32,), epochs=2, early_stopping=True, random_state=0
    ).fit(X_train[:2000], y_train[:2000])
    output = tmp_path_factory.mktemp("report")
    summary = write_report(
        pipe, X_test[:500], y_test[:500], output,
        model_name="<b>mine</b> & yours.skmnist", data_source="a test",
        now=datetime.datetime(2026, 1, 2, 3, 4, tzinfo=datetime.timezone.utc),
    )
    return pipe, X_test[:500], y_test[:500], output, summary


def test_report_writes_every_file(small_report):
    _, _, _, output, summary = small_report
    assert sorted(p.name for p in output.iterdir()) == sorted(FILES)
    for name in IMAGES:
        with Image.open(output / name) as image:
            assert image.format == "PNG" and min(image.size) > 200
    assert summary["index"] == str(output / "index.html")


def test_classification_report_text_and_csv_agree_with_the_predictions(small_report):
    pipe, X, y, output, summary = small_report
    accuracy = float(np.mean(pipe.predict(X) == y))
    assert summary["accuracy"] == accuracy and summary["n_test"] == 500
    text = (output / "classification_report.txt").read_text()
    assert "macro avg" in text and f"{accuracy:.4f}" in text
    with open(output / "classification_report.csv", newline="") as file:
        rows = list(csv.DictReader(file))
    assert [row["label"] for row in rows] == [
        *map(str, range(10)), "accuracy", "macro avg", "weighted avg"
    ]
    assert sum(int(row["support"]) for row in rows[:10]) == 500
    assert float(rows[10]["f1-score"]) == pytest.approx(accuracy, abs=1e-4)


def test_index_html_shows_headline_figures_with_escaped_text(small_report):
    pipe, X, y, output, summary = small_report
    page = (output / "index.html").read_text()
    assert f"{summary['accuracy']:.2%}" in page
    assert "500" in page and "2026-01-02 03:04 UTC" in page
    assert "784 → 32 → 10" in page and "relu" in page
    assert "&lt;b&gt;mine&lt;/b&gt; &amp; yours.skmnist" in page and "<b>mine" not in page


def test_page_template_ships_in_the_package_and_escapes_every_value():
    import importlib.resources
    import tomllib
    from pathlib import Path

    template = importlib.resources.files("skmnist").joinpath("templates", "report.html")
    assert template.is_file()
    pyproject = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())
    assert "templates/*.html" in pyproject["tool"]["setuptools"]["package-data"]["skmnist"]
    evil = '<i>"x" & \'y\'</i>'
    page = _render_page(
        model_name=evil, data_source=evil, date=evil, version=evil, n_test=evil,
        n_misclassified=evil, cards=[(evil, evil)], parameters=[(evil, evil)],
        report_rows=[(evil, [evil] * 4)], validated=True,
        confused=[{"true": evil, "predicted": evil, "count": evil, "share": evil,
                   "examples": [evil]}],
        images={name: evil for name in ("confusion", "misclassified", "digits", "network",
                                        "history")},
    )
    assert "<i>" not in page and "{{" not in page and "{%" not in page
    escaped = "&lt;i&gt;&#34;x&#34; &amp; &#39;y&#39;&lt;/i&gt;"
    assert page.count(escaped) == 29  # every value, in text and in attributes
    assert f'<img src="{escaped}"' in page


def test_page_lists_the_most_confused_pairs_with_their_images(small_report):
    import base64
    import io

    from sklearn.metrics import confusion_matrix

    pipe, X, y, output, _ = small_report
    page = (output / "index.html").read_text()
    section = page[page.index('<section id="confused-pairs">'):]
    section = section[:section.index("</section>")]
    rows = re.findall(
        r'<tr><th scope="row">(\d)</th><td>(\d)</td><td>(\d+)</td><td>([\d.]+)%</td>\n'
        r'<td class="examples">(.*?)</td></tr>', section,
    )
    matrix = confusion_matrix(y, pipe.predict(X), labels=range(10))
    np.fill_diagonal(matrix, 0)
    assert 0 < len(rows) <= 10
    counts = [int(count) for _, _, count, _, _ in rows]
    assert counts == sorted(counts, reverse=True) and counts[0] == matrix.max()
    for true, predicted, count, share, examples in rows:
        assert int(count) == matrix[int(true), int(predicted)]
        assert float(share) == pytest.approx(100 * int(count) / np.sum(y == int(true)), abs=0.005)
        uris = re.findall(r'<img class="thumb" src="data:image/png;base64,([^"]+)" '
                          rf'alt="a {true} predicted as {predicted}">', examples)
        assert len(uris) == min(int(count), 6)
        with Image.open(io.BytesIO(base64.b64decode(uris[0]))) as image:
            assert image.size == (28, 28)


def test_page_says_why_there_are_no_validation_curves(mnist_5k, tmp_path):
    X_train, X_test, y_train, y_test = mnist_5k
    pipe = make_mlp_pipeline(hidden_layer_sizes=(16,), epochs=1, random_state=0)
    pipe.fit(X_train[:500], y_train[:500])
    write_report(pipe, X_test[:200], y_test[:200], tmp_path)
    page = (tmp_path / "index.html").read_text()
    assert "no validation curves" in page and "--early-stopping" in page


def test_model_summary_finds_the_parts_inside_a_search():
    from sklearn.model_selection import GridSearchCV

    rng = np.random.RandomState(0)
    X, y = rng.randint(0, 256, size=(40, 8, 8)).astype(np.uint8), np.repeat([0, 1], 20)
    search = GridSearchCV(
        make_mlp_pipeline(hidden_layer_sizes=(4,), epochs=1, center=True, random_state=0),
        {"mlp__learning_rate": [0.01]}, cv=2,
    ).fit(X, y)
    rows = dict(model_summary(search))
    assert rows["layers"] == "64 → 4 → 2" and rows["parameters"] == "270"
    assert rows["learning rate"] == "0.01" and rows["pixels scaled to"] == "[-0.5, 0.5]"
    assert rows["digits redrawn in training"] == "no"  # 1 epoch: the default's augmentation left out


def test_model_summary_says_how_the_digits_were_redrawn():
    from skmnist._report import _redrawing
    from skmnist._facts import DIGIT_AUGMENTATION, NO_DIGIT_AUGMENTATION

    assert _redrawing(NO_DIGIT_AUGMENTATION) == "no"
    assert _redrawing(DIGIT_AUGMENTATION) == (
        "other pens for 50% of the images; shift 0.08 of the width, rotation 10°, zoom 0.1, "
        "shear 10° on 50% of each batch")
    assert _redrawing({**NO_DIGIT_AUGMENTATION, "elastic_alpha": 34.0}) == (
        "elastic distortion 34 pixels")


def test_the_report_names_every_map_of_the_augmentation():
    from skmnist._augment import _MAPS
    from skmnist._report import _MAP_LABELS

    assert [name for name, _, _ in _MAP_LABELS] == list(_MAPS)


def test_index_html_is_self_contained_with_relative_links(small_report):
    *_, output, _ = small_report
    page = (output / "index.html").read_text()
    links = [link for link in re.findall(r'(?:src|href)="([^"]*)"', page)
             if not link.startswith("data:image/png;base64,")]  # the inline examples
    assert sorted(set(links)) == sorted(
        set(IMAGES) | {"classification_report.txt", "classification_report.csv"}
    )
    assert "<script" not in page and "http" not in page.replace("http-equiv", "")


def _chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    pytest.skip(
        "no Chromium on this machine: install it (apt-get install chromium) to check the "
        "report page in a real browser"
    )


def _browse(tmp_path, *args):
    result = subprocess.run(
        [_chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}", *args],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def test_chromium_loads_every_image_of_the_page(small_report, tmp_path):
    *_, output, _ = small_report
    # A copy of the page, in the same folder, with a script that records what loaded.
    probe = output / "probe.html"
    probe.write_text(
        (output / "index.html").read_text().replace(
            "</body>",
            "<script>window.addEventListener('load', () => document.body.setAttribute("
            "'data-loaded', [...document.images].map(i => i.getAttribute('src') + '=' + "
            "i.naturalWidth + 'x' + i.naturalHeight).join(' ')));</script></body>",
        )
    )
    try:
        dom = _browse(tmp_path, "--virtual-time-budget=10000", "--dump-dom", probe.as_uri())
    finally:
        probe.unlink()
    loaded = dict(item.rsplit("=", 1)
                  for item in re.search(r'data-loaded="([^"]*)"', dom)[1].split())
    thumbnails = {src: size for src, size in loaded.items() if src.startswith("data:")}
    loaded = {src: size for src, size in loaded.items() if src not in thumbnails}
    assert thumbnails and set(thumbnails.values()) == {"28x28"}  # decoded
    assert sorted(loaded) == sorted(IMAGES)
    for name, size in loaded.items():
        with Image.open(output / name) as image:
            assert size == f"{image.size[0]}x{image.size[1]}"  # decoded, at its full size


def _red_and_dark(shot):
    with Image.open(shot) as image:
        pixels = np.asarray(image.convert("RGB"), dtype=int)
    red = (pixels[..., 0] - pixels[..., 2] > 80).mean()  # the confusion matrix's mistakes
    dark = (pixels.max(axis=2) < 60).mean()  # digits' ink and text
    return pixels.shape, red, dark


def test_chromium_screenshot_shows_the_figures(small_report, tmp_path):
    *_, output, _ = small_report
    # The page as written, and a copy whose images are missing, for comparison.
    broken = output / "broken.html"
    broken.write_text((output / "index.html").read_text().replace('.png"', '.missing.png"')
                      .replace('src="data:', 'src="missing:'))
    try:
        shots = {}
        for name, page in {"page": output / "index.html", "broken": broken}.items():
            shots[name] = tmp_path / f"{name}.png"
            _browse(tmp_path, "--window-size=1400,4000", f"--screenshot={shots[name]}",
                    page.as_uri())
    finally:
        broken.unlink()
    shape, red, dark = _red_and_dark(shots["page"])
    assert shape[:2] == (4000, 1400)
    _, red_without, dark_without = _red_and_dark(shots["broken"])
    assert red > 0.005 and red > 10 * red_without
    assert dark > 0.01 and dark > 2 * dark_without


def test_skmnist_report_command_on_a_model_saved_by_train(trained_model_file, tmp_path, capsys):
    output = tmp_path / "report"
    assert main(["report", str(trained_model_file), "--output", str(output), "--no-download"]) == 0
    out = capsys.readouterr().out
    accuracy = float(re.search(r"Test accuracy (0\.\d+) on 10,000 images", out)[1])
    assert accuracy > 0.95
    assert sorted(p.name for p in output.iterdir()) == sorted(FILES)
    page = (output / "index.html").read_text()
    assert f"{accuracy:.2%}" in page and "10,000" in page and "784 → 256 → 10" in page
    assert "mnist-256.skmnist" in page


def test_skmnist_report_refuses_a_file_that_is_not_a_model(tmp_path, capsys):
    (tmp_path / "model.skmnist").write_text("hello")
    status = main(["report", str(tmp_path / "model.skmnist"), "--output", str(tmp_path / "r")])
    assert status == 1
    assert capsys.readouterr().err.startswith("skmnist report: error:")
    assert not (tmp_path / "r").exists()


def test_report_and_predict_help_do_not_import_tensorflow_or_matplotlib():
    code = (
        "import sys\n"
        "from skmnist._cli import main\n"
        "for argv in (['report', '--help'], ['predict', '--help']):\n"
        "    try:\n"
        "        main(argv)\n"
        "    except SystemExit as exit:\n"
        "        assert exit.code == 0\n"
        "assert not {'tensorflow', 'keras', 'matplotlib', 'PIL'} & set(sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "--output DIR" in result.stdout and "IMAGE" in result.stdout

"""``skmnist serve``'s JSON API, on a real uvicorn server in its own process on 127.0.0.1."""

import io
import json
import struct
import sys
import threading
import time
import zlib

import numpy as np
import pytest

httpx = pytest.importorskip("httpx")
pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")
Image = pytest.importorskip("PIL.Image")

from tests._serve_server import drawing_png, pixels_json, serve_model  # noqa: E402

LIMIT_MB = 2  # the server below refuses bodies over 2 MiB


@pytest.fixture(scope="module")
def server(trained_model_file):
    with serve_model(trained_model_file, "--max-body-mb", str(LIMIT_MB)) as url:
        with httpx.Client(base_url=url, timeout=30) as client:
            yield client


@pytest.fixture(scope="module")
def model(trained_model_file):
    from skmnist import load

    return load(trained_model_file)


@pytest.fixture(scope="module")
def digits(mnist):
    """The first test image of each class, 0 to 9, and its label."""
    _, X_test, _, y_test = mnist
    first = [int(np.flatnonzero(y_test == label)[0]) for label in range(10)]
    return X_test[first], y_test[first]


def _png(array, mode="L"):
    buffer = io.BytesIO()
    Image.fromarray(array, mode).save(buffer, "PNG")
    return buffer.getvalue()


def _chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _png_bomb(side=30_000):
    """A valid PNG header claiming side x side grey pixels (900 million), in 100 bytes."""
    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header)
            + _chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + _chunk(b"IEND", b""))


def _assert_refused(answer, status, *words):
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/json")
    detail = answer.json()["detail"]
    assert isinstance(detail, str) and "Traceback" not in answer.text
    for word in words:
        assert word.lower() in detail.lower(), detail
    return detail


# -- the good answers --------------------------------------------------------


def test_health_and_model_description(server):
    assert server.get("/api/health").json()["status"] == "ok"
    info = server.get("/api/model").json()
    assert info["classes"] == list(range(10))
    assert [step["class"] for step in info["steps"]] == ["PixelScaler", "DenseMLPClassifier"]
    assert info["steps"][1]["params"]["hidden_layer_sizes"] == [256]
    assert set(info["last_scores"]) >= {"loss", "accuracy"} and info["epochs_trained"] == 3
    assert info["limits"]["max_body_bytes"] == LIMIT_MB * 1024 * 1024


def test_openapi_schema_describes_the_three_kinds_of_body(server):
    schema = server.get("/openapi.json").json()
    predict = schema["paths"]["/api/predict"]["post"]
    assert {"image/png", "multipart/form-data", "application/json"} <= set(
        predict["requestBody"]["content"])
    assert {"200", "400", "413", "415", "422"} <= set(predict["responses"])
    assert "/api/model" in schema["paths"] and "/api/health" in schema["paths"]


def test_png_drawings_are_read_as_the_pipeline_reads_them(server, model, digits):
    from skmnist import prepare_digit_image

    X, y = digits
    labels = []
    for digit in X:
        png = drawing_png(digit)
        answer = server.post("/api/predict", content=png, headers={"content-type": "image/png"})
        assert answer.status_code == 200, answer.text
        body = answer.json()
        seen = np.array(body["image"], dtype=np.uint8)
        expected = prepare_digit_image(Image.open(io.BytesIO(png)))
        np.testing.assert_array_equal(seen, expected)
        np.testing.assert_allclose(body["probabilities"], model.predict_proba(seen[None])[0],
                                   atol=1e-6)
        assert body["classes"] == list(range(10)) and body["timing_ms"]["prepare"] > 0
        labels.append(body["label"])
    assert np.sum(np.array(labels) == y) >= 9, (labels, y.tolist())


def test_a_multipart_form_field_image_gives_the_same_answer(server, digits):
    png = drawing_png(digits[0][3])
    raw = server.post("/api/predict", content=png, headers={"content-type": "image/png"})
    form = server.post("/api/predict", files={"image": ("three.png", png, "image/png")})
    assert form.status_code == 200
    assert form.json()["probabilities"] == raw.json()["probabilities"]


def test_json_pixels_are_predicted_as_predict_proba_does(server, model, mnist):
    _, X_test, _, y_test = mnist
    for digit, label in zip(X_test[:20], y_test[:20]):
        answer = server.post("/api/predict", content=pixels_json(digit),
                             headers={"content-type": "application/json"})
        assert answer.status_code == 200
        body = answer.json()
        np.testing.assert_allclose(body["probabilities"], model.predict_proba(digit[None])[0],
                                   atol=1e-6)
        assert body["label"] == int(model.predict(digit[None])[0])
        np.testing.assert_array_equal(body["image"], digit)


def test_a_jpeg_photo_with_a_dark_digit_on_light_paper(server, digits):
    digit = np.asarray(Image.fromarray(255 - digits[0][7]).resize((640, 480)))
    buffer = io.BytesIO()
    Image.fromarray(digit).convert("RGB").save(buffer, "JPEG", quality=85)
    answer = server.post("/api/predict", content=buffer.getvalue(),
                         headers={"content-type": "image/jpeg"})
    assert answer.status_code == 200 and answer.json()["label"] == 7


# -- bad requests: a plain JSON message, and the next request is served ------------


def _tiff_with_nan():
    floats = np.zeros((40, 30), dtype=np.float32)
    floats[5:35, 12:18] = 200.0
    floats[0, 0] = np.nan
    buffer = io.BytesIO()
    Image.fromarray(floats, "F").save(buffer, "TIFF")
    return buffer.getvalue()


def _bad_requests():
    white = _png(np.full((200, 200), 255, np.uint8))
    png = _png(np.full((50, 50), 255, np.uint8) - np.eye(50, dtype=np.uint8) * 255)
    return [
        ("not an image", {"content": b"hello, world", "headers": {"content-type": "image/png"}},
         400, ["not an image"]),
        ("empty body", {"content": b"", "headers": {"content-type": "image/png"}}, 400, ["empty"]),
        ("truncated PNG", {"content": png[: len(png) // 2],
                           "headers": {"content-type": "image/png"}}, 400, ["could not read"]),
        ("decompression bomb", {"content": _png_bomb(), "headers": {"content-type": "image/png"}},
         400, ["pixels", "limit"]),
        ("blank canvas", {"content": white, "headers": {"content-type": "image/png"}}, 400,
         ["no digit"]),
        ("TIFF of floats with a NaN", {"content": _tiff_with_nan(),
                                       "headers": {"content-type": "image/tiff"}}, 400,
         ["not a number", "finite"]),
        ("form without image", {"files": {"photo": ("a.png", png, "image/png")}}, 400,
         ["'image'"]),
        ("not JSON", {"content": b"{pixels: 1", "headers": {"content-type": "application/json"}},
         400, ["not valid json"]),
        ("blank pixels", {"json": {"pixels": [[0] * 28] * 28}}, 400, ["no digit"]),
        ("27 rows", {"json": {"pixels": [[0] * 28] * 27}}, 422, ["28 rows"]),
        ("ragged rows", {"json": {"pixels": [[0] * 28] * 27 + [[0] * 5]}}, 422, ["28"]),
        ("value 256", {"json": {"pixels": [[256] * 28] * 28}}, 422, ["0 to 255", "256"]),
        ("negative value", {"json": {"pixels": [[-1] + [0] * 27] * 28}}, 422, ["-1"]),
        ("text values", {"json": {"pixels": [["7"] * 28] * 28}}, 422, ["numbers"]),
        ("NaN", {"content": ('{"pixels": ' + json.dumps([[0] * 28] * 28).replace("0", "NaN", 1)
                             + "}").encode(), "headers": {"content-type": "application/json"}},
         422, ["nan"]),
        ("no pixels field", {"json": {"image": [1, 2]}}, 422, ['"pixels"']),
        ("a list, not an object", {"json": [[0] * 28] * 28}, 422, ['"pixels"']),
        ("unsupported type", {"content": b"7", "headers": {"content-type": "text/plain"}}, 415,
         ["content type"]),
    ]


@pytest.mark.parametrize("name, request_, status, words", _bad_requests(),
                         ids=[case[0] for case in _bad_requests()])
def test_a_bad_request_is_refused_plainly_and_the_next_is_served(
    server, digits, name, request_, status, words
):
    _assert_refused(server.post("/api/predict", **request_), status, *words)
    answer = server.post("/api/predict", content=pixels_json(digits[0][4]),
                         headers={"content-type": "application/json"})
    assert answer.status_code == 200 and answer.json()["label"] == 4


def test_bodies_over_the_limit_are_413_declared_or_streamed(server, digits):
    big = b"\x00" * (LIMIT_MB * 1024 * 1024 + 1)
    _assert_refused(server.post("/api/predict", content=big,
                                headers={"content-type": "image/png"}), 413, "limit")

    def chunks():  # no Content-Length: the server counts while reading
        for start in range(0, len(big), 256 * 1024):
            yield big[start : start + 256 * 1024]

    _assert_refused(server.post("/api/predict", content=chunks(),
                                headers={"content-type": "image/png"}), 413, "limit")
    answer = server.post("/api/predict", content=drawing_png(digits[0][1]),
                         headers={"content-type": "image/png"})
    assert answer.status_code == 200 and answer.json()["label"] == 1


def test_a_body_just_under_the_limit_is_read(server):
    png = _png(np.full((50, 50), 255, np.uint8))
    padded = png + b"\x00" * (LIMIT_MB * 1024 * 1024 - len(png))  # trailing bytes after IEND
    _assert_refused(server.post("/api/predict", content=padded,
                                headers={"content-type": "image/png"}), 400, "no digit")


def test_unknown_paths_and_methods_are_json_4xx(server):
    for answer, status in ((server.get("/nowhere"), 404), (server.get("/api/predict"), 405)):
        assert answer.status_code == status
        assert answer.headers["content-type"].startswith("application/json")
        assert isinstance(answer.json()["detail"], str)
    assert server.get("/").headers["content-type"].startswith("text/html")


def test_a_small_png_of_many_pixels_does_not_hold_up_other_requests(server, digits):
    # 40 megapixels (the limit) in about 40 KB: decoded in a worker thread, chosen by
    # its pixels, not its bytes, so that JSON digits are answered meanwhile. Decoded on
    # the event loop, one after the other, they would hold each JSON request until done.
    big = _png(np.zeros((5000, 8000), np.uint8))
    assert len(big) < 100_000
    answers, finished = [], []

    def send_big():
        with httpx.Client(base_url=server.base_url, timeout=120) as client:
            answers.append(client.post("/api/predict", content=big,
                                       headers={"content-type": "image/png"}))
        finished.append(time.perf_counter())

    senders = [threading.Thread(target=send_big) for _ in range(4)]  # 2 at a time
    started = time.perf_counter()
    for sender in senders:
        sender.start()
    latencies = []
    try:
        time.sleep(0.1)  # let the big bodies arrive first
        while any(sender.is_alive() for sender in senders) or not latencies:
            start = time.perf_counter()
            answer = server.post("/api/predict", content=pixels_json(digits[0][2]),
                                 headers={"content-type": "application/json"})
            latencies.append(time.perf_counter() - start)
            assert answer.status_code == 200 and answer.json()["label"] == 2
    finally:
        for sender in senders:
            sender.join()
    assert len(answers) == 4
    for answer in answers:
        _assert_refused(answer, 400, "no digit")
    big_seconds = max(finished) - started
    shown = ([round(t, 3) for t in latencies], round(big_seconds, 3))
    assert max(latencies) < 1.0, shown
    assert max(latencies) < max(0.05, big_seconds / 2), shown


def test_model_values_that_are_not_finite_are_null_in_the_json(trained_model_file):
    import anyio

    from skmnist import create_app, load

    model = load(trained_model_file)
    model[-1].history_["loss"][-1] = float("nan")  # a fit that diverged in its last epoch
    model[-1].set_params(learning_rate=float("inf"))  # the .skmnist format keeps inf

    async def ask():
        transport = httpx.ASGITransport(app=create_app(model))
        async with httpx.AsyncClient(transport=transport, base_url="http://skmnist") as client:
            return await client.get("/api/model")

    answer = anyio.run(ask)
    assert answer.status_code == 200, answer.text
    info = answer.json()
    assert info["last_scores"]["loss"] is None
    assert isinstance(info["last_scores"]["accuracy"], float)
    assert info["steps"][1]["params"]["learning_rate"] is None


# -- the command line and the defaults ----------------------------------------------


def test_serve_defaults_bind_this_machine_only_and_read_the_trained_file():
    from skmnist._cli_parser import DEFAULT_OUTPUT, build_parser
    from skmnist._facts import SERVE_DEFAULTS
    from skmnist._serve import DEFAULT_HOST, DEFAULT_PORT
    from skmnist._serve_app import DEFAULT_MAX_BODY_BYTES

    args = build_parser().parse_args(["serve"])
    assert (args.model, args.host, args.port) == (DEFAULT_OUTPUT, "127.0.0.1", 8000)
    assert (DEFAULT_HOST, DEFAULT_PORT) == (SERVE_DEFAULTS["host"], SERVE_DEFAULTS["port"])
    assert args.max_body_mb * 1024 * 1024 == DEFAULT_MAX_BODY_BYTES == 10 * 1024 * 1024


@pytest.mark.parametrize("option, value, words", [
    ("--max-body-mb", "inf", "MiB from 0.001 to 1024"),
    ("--max-body-mb", "nan", "MiB from 0.001 to 1024"),
    ("--max-body-mb", "1e-7", "MiB from 0.001 to 1024"),
    ("--max-body-mb", "0", "MiB from 0.001 to 1024"),
    ("--max-body-mb", "4096", "MiB from 0.001 to 1024"),
    ("--max-body-mb", "ten", "MiB from 0.001 to 1024"),
    ("--port", "0", "port number from 1 to 65535"),
    ("--port", "65536", "port number from 1 to 65535"),
])
def test_serve_options_out_of_range_are_refused_in_plain_words(option, value, words, capsys):
    from skmnist._cli import main

    with pytest.raises(SystemExit) as exit_:
        main(["serve", option, value])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert words in err and repr(value) in err and "Traceback" not in err


def test_serve_options_in_range_are_read():
    from skmnist._cli_parser import build_parser

    args = build_parser().parse_args(["serve", "--max-body-mb", "0.5", "--port", "65535"])
    assert (args.max_body_mb, args.port) == (0.5, 65535)


@pytest.mark.parametrize("host, warned", [("127.0.0.1", False), ("localhost", False),
                                          ("::1", False), ("0.0.0.0", True), ("::", True),
                                          ("192.168.1.20", True)])
def test_binding_beyond_loopback_is_warned_about(host, warned):
    from skmnist._serve import binding_warning

    message = binding_warning(host)
    assert (message is not None) == warned
    if host in ("0.0.0.0", "::"):
        assert "all network interfaces" in message


def test_serve_without_a_model_file_says_how_to_make_one(tmp_path, capsys, monkeypatch):
    from skmnist._cli import main

    monkeypatch.chdir(tmp_path)
    assert main(["serve"]) == 1
    err = capsys.readouterr().err
    assert "skmnist-mlp.skmnist" in err and "skmnist train" in err and "Traceback" not in err


def test_serve_refuses_what_is_not_a_fitted_pipeline():
    from sklearn.pipeline import Pipeline

    from skmnist import DenseMLPClassifier, PixelScaler, create_app

    with pytest.raises(TypeError, match="pipeline of PixelScaler then DenseMLPClassifier"):
        create_app(PixelScaler())
    with pytest.raises(ValueError, match="not fitted"):
        create_app(Pipeline([("scale", PixelScaler()), ("mlp", DenseMLPClassifier())]))


def test_the_serve_command_does_not_need_tensorflow_for_help():
    import subprocess

    code = ("import sys\nfrom skmnist._cli import main\ntry:\n    main(['serve', '--help'])\n"
            "except SystemExit:\n    pass\nprint('tensorflow' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip().endswith("False") and "--max-body-mb" in result.stdout


def test_the_load_benchmark_runs_and_prints_its_table(trained_model_file):
    import subprocess
    from pathlib import Path

    bench = Path(__file__).resolve().parent.parent / "benchmarks" / "bench_serve.py"
    result = subprocess.run(
        [sys.executable, str(bench), "--quick", "--model", str(trained_model_file),
         "--clients", "1", "8", "--seconds", "0.5"],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "| body | clients | requests | predictions/s | p50 (ms) | p99 (ms) |" in result.stdout
    assert "| png | 8 |" in result.stdout and "| json | 8 |" in result.stdout

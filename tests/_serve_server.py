"""Start ``skmnist serve`` in its own process on a free port of 127.0.0.1, and draw digits.

Shared by the API tests, the browser test and ``benchmarks/bench_serve.py``.
"""

import contextlib
import io
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request


def free_port():
    """A TCP port of 127.0.0.1 nobody listens on (at the moment of asking)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def serve_model(model_path, *options, log_path=None, timeout=90):
    """Run ``python -m skmnist serve MODEL --port P OPTIONS`` until the block ends.

    Yields the base URL (``http://127.0.0.1:P``) once ``/api/health`` answers 200.
    The server's output goes to `log_path` (a temporary file if None) and is shown
    if it stops or never answers.
    """
    port = free_port()
    log_path = log_path or os.path.join(os.path.dirname(os.fspath(model_path)),
                                        f"serve-{port}.log")
    url = f"http://127.0.0.1:{port}"
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "skmnist", "serve", os.fspath(model_path), "--port",
             str(port), *options],
            stdout=log, stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"skmnist serve stopped (status {process.returncode}):\n"
                                   + open(log_path).read())
            try:
                with urllib.request.urlopen(url + "/api/health", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"skmnist serve did not answer within {timeout} s:\n"
                                   + open(log_path).read())
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def row_strokes(digit, *, threshold=128, scale=6.0, offset=16.0):
    """Strokes that redraw a 28x28 MNIST digit on a 200x200 canvas: one per run of ink in a row.

    Each stroke is a list of (x, y) canvas points; with a brush about 16 pixels wide
    the rows merge into the digit's shape, about 6 times MNIST's size.
    """
    strokes = []
    for row in range(digit.shape[0]):
        ink = digit[row] > threshold
        col = 0
        while col < digit.shape[1]:
            if ink[col]:
                end = col
                while end + 1 < digit.shape[1] and ink[end + 1]:
                    end += 1
                y = offset + (row + 0.5) * scale
                strokes.append([(offset + (col + 0.5) * scale, y),
                                (offset + (end + 0.5) * scale, y)])
                col = end + 1
            else:
                col += 1
    return strokes


def drawing_png(digit, *, brush=16):
    """A 200x200 PNG of `digit` drawn as the page draws it: black strokes on white."""
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (200, 200), "white")
    draw = ImageDraw.Draw(image)
    for stroke in row_strokes(digit):
        draw.line(stroke, fill="black", width=brush)
        for x, y in stroke:  # round caps, as the page's canvas draws them
            draw.ellipse([x - brush / 2, y - brush / 2, x + brush / 2, y + brush / 2],
                         fill="black")
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def pixels_json(digit):
    """The JSON body ``{"pixels": ...}`` of a 28x28 digit."""
    return json.dumps({"pixels": digit.tolist()}).encode()

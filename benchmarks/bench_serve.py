"""Load on ``skmnist serve``: predictions per second and latency, on loopback.

Starts ``python -m skmnist serve MODEL`` in its own process on a free port of
127.0.0.1, then, from this process, sends single-image ``POST /api/predict``
requests with 1, 8 and 32 concurrent clients (asyncio, one keep-alive
connection each), for two bodies:

- ``png``: a 200x200 PNG drawing, black strokes on white, as the page sends
  it (50 MNIST test digits redrawn with the page's brush);
- ``json``: ``{"pixels": ...}``, one 28x28 MNIST test image.

Each (body, clients) cell runs until ``--requests`` requests or ``--seconds``
seconds, whichever comes first, after a short warm-up; every request has a
10 s timeout, so the whole run is bounded (about 6 x (seconds + 1) s, plus
the server's start). Prints a markdown table: throughput, p50 and p99
latency, failed requests (any answer but 200, or no answer), and whether
the goals are met (8 clients: PNG >= 300/s with p99 <= 50 ms, JSON >= 800/s).

    SKMNIST_DATA=/path/to/mnist python benchmarks/bench_serve.py [--model FILE]

Without ``--model`` it serves ``skmnist-mlp.skmnist`` (what ``skmnist train``
writes) if there is one here, else it first fits the default network for one
epoch (the speed of a prediction depends on the network's size, not on its
accuracy). The client shares the machine with the server: on 2 cores, the
server has about one.
"""

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests._serve_server import drawing_png, pixels_json, serve_model  # noqa: E402

GOALS = {("png", 8): (300, 50.0), ("json", 8): (800, None)}
TIMEOUT = 10.0


def _model_file(path, workdir):
    if path:
        return path
    if os.path.exists("skmnist-mlp.skmnist"):
        return "skmnist-mlp.skmnist"
    from skmnist import load_mnist, make_mlp_pipeline, save

    print("No skmnist-mlp.skmnist here: fitting the default network for 1 epoch ...",
          file=sys.stderr, flush=True)
    data = load_mnist(download=False)
    pipe = make_mlp_pipeline(epochs=1, random_state=0).fit(data.X_train, data.y_train)
    path = os.path.join(workdir, "bench-default.skmnist")
    save(pipe, path)
    return path


def _bodies(n=50):
    from skmnist import load_mnist

    X = load_mnist(download=False).X_test[:n]
    return {
        "png": [(drawing_png(x), b"image/png") for x in X],
        "json": [(pixels_json(x), b"application/json") for x in X],
    }


async def _client(host, port, bodies, state):
    reader = writer = None
    try:
        while True:
            index = state["next"]
            if index >= state["limit"] or time.perf_counter() > state["deadline"]:
                return
            state["next"] = index + 1
            body, kind = bodies[index % len(bodies)]
            request = (b"POST /api/predict HTTP/1.1\r\nHost: %s\r\nContent-Type: %s\r\n"
                       b"Content-Length: %d\r\n\r\n" % (host.encode(), kind, len(body))) + body
            start = time.perf_counter()
            try:
                if writer is None:
                    reader, writer = await asyncio.open_connection(host, port)
                writer.write(request)
                head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), TIMEOUT)
                status = int(head[9:12])
                length, close = 0, False
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                    elif name.strip().lower() == b"connection" and b"close" in value.lower():
                        close = True
                answer = await asyncio.wait_for(reader.readexactly(length), TIMEOUT)
                ok = status == 200 and answer.startswith(b'{"label":')
            except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, ValueError):
                ok, close = False, True
            elapsed = time.perf_counter() - start
            if state["measuring"]:
                state["latencies"].append(elapsed)
                state["failed"] += not ok
            if close and writer is not None:
                writer.close()
                reader = writer = None
    finally:
        if writer is not None:
            writer.close()


async def _run(host, port, bodies, clients, requests, seconds, warmup=0.5):
    state = {"next": 0, "limit": 10**9, "deadline": time.perf_counter() + warmup,
             "measuring": False, "latencies": [], "failed": 0}
    await asyncio.gather(*[_client(host, port, bodies, state) for _ in range(clients)])
    state.update(next=0, limit=requests, measuring=True)
    start = time.perf_counter()
    state["deadline"] = start + seconds
    await asyncio.gather(*[_client(host, port, bodies, state) for _ in range(clients)])
    wall = time.perf_counter() - start
    latencies = sorted(state["latencies"])
    n = len(latencies)
    return {
        "requests": n,
        "failed": state["failed"],
        "per_second": n / wall,
        "p50_ms": 1e3 * statistics.median(latencies),
        "p99_ms": 1e3 * latencies[min(n - 1, int(0.99 * n))],
    }


def _table(rows):
    lines = ["| body | clients | requests | predictions/s | p50 (ms) | p99 (ms) | failed | goal |",
             "|---|---:|---:|---:|---:|---:|---:|---|"]
    met = True
    for (kind, clients), row in rows.items():
        goal = GOALS.get((kind, clients))
        verdict = ""
        if goal:
            rate, p99 = goal
            ok = row["per_second"] >= rate and (p99 is None or row["p99_ms"] <= p99)
            ok = ok and row["failed"] == 0
            met &= ok
            verdict = ("met" if ok else "MISSED") + f" (≥ {rate}/s" + (
                f", p99 ≤ {p99:g} ms)" if p99 else ")")
        lines.append(f"| {kind} | {clients} | {row['requests']:,} | {row['per_second']:,.0f} | "
                     f"{row['p50_ms']:.1f} | {row['p99_ms']:.1f} | {row['failed']} | {verdict} |")
    return "\n".join(lines), met


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", help="model file to serve (default: see above)")
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--bodies", nargs="+", choices=["png", "json"], default=["png", "json"])
    parser.add_argument("--seconds", type=float, default=5.0,
                        help="longest measurement per cell (default: %(default)s)")
    parser.add_argument("--requests", type=int, default=3000,
                        help="most requests per cell (default: %(default)s)")
    parser.add_argument("--quick", action="store_true", help="a few requests: checks it runs")
    args = parser.parse_args(argv)
    if args.quick:
        args.seconds, args.requests = min(args.seconds, 1.0), min(args.requests, 50)
    try:
        from uvloop import run  # the faster event loop, when installed
    except ImportError:
        run = asyncio.run
    with tempfile.TemporaryDirectory() as workdir:
        model = _model_file(args.model, workdir)
        bodies = _bodies()
        rows = {}
        with serve_model(model, log_path=os.path.join(workdir, "serve.log")) as url:
            host, port = url.split("//")[1].split(":")
            for kind in args.bodies:
                for clients in args.clients:
                    rows[kind, clients] = run(_run(
                        host, int(port), bodies[kind], clients, args.requests, args.seconds))
                    print(f"{kind:>4} x {clients:>2} clients: {rows[kind, clients]}",
                          file=sys.stderr, flush=True)
    table, met = _table(rows)
    print(f"\nskmnist serve on 127.0.0.1, model {os.path.basename(model)}, "
          f"{os.cpu_count()} CPU cores (client and server share them)\n")
    print(table)
    failed = sum(row["failed"] for row in rows.values())
    return 0 if (met or args.quick) and not failed else 1


if __name__ == "__main__":
    sys.exit(main())

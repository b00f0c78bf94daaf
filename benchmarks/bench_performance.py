"""skmnist against the tutorial's Keras script and scikit-learn's MLPClassifier.

One command, one process, side by side on the real MNIST (read from
``$SKMNIST_DATA``)::

    python benchmarks/bench_performance.py            # about 20 minutes on 2 cores

It writes ``benchmarks/results/performance.md`` (the tables, with the targets
of the performance issue and whether each is met) and
``benchmarks/results/time_to_accuracy.png``. Every timing is a median of
repeated runs; comparisons are ratios of medians measured in this run.
``--repeats`` changes the number of runs, ``--quick`` shrinks everything to a
smoke test (a few seconds of work per section; its figures mean nothing).
"""

import argparse
import gc
import logging
import os
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # run from a checkout without installing

from skmnist import load_mnist, make_mlp_pipeline  # noqa: E402
from skmnist._keras import keras, tf  # noqa: E402
from skmnist._facts import PRESETS  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.neural_network import MLPClassifier  # noqa: E402

TUTORIAL = dict(
    hidden_layer_sizes=(32,),
    optimizer="rmsprop",
    learning_rate=1e-3,
    learning_rate_schedule="constant",
    dropout=0.0,
    epochs=2,
    batch_size=32,
)


def median_time(func, repeats, *, collect=False):
    times, results = [], []
    for _ in range(repeats):
        if collect:  # before a fit: a full collection costs ~0.1 s with TensorFlow loaded
            gc.collect()
        start = time.perf_counter()
        results.append(func())
        times.append(time.perf_counter() - start)
    return statistics.median(times), results


def rss_mib():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


# -- the three contenders on the tutorial model ------------------------------------


def keras_tutorial(X_train, y_train, X_test, y_test, seed):
    """The classic tutorial script: Sequential, RMSprop, model.fit, model.evaluate."""
    keras.utils.set_random_seed(seed)
    model = keras.Sequential(
        [
            keras.Input(shape=(784,)),
            keras.layers.Dense(32, activation="relu"),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    x = X_train.reshape(-1, 784).astype("float32") / 255
    model.fit(x, y_train, epochs=2, batch_size=32, verbose=0)
    return model.evaluate(X_test.reshape(-1, 784).astype("float32") / 255, y_test, verbose=0)[1]


def mlp_tutorial(seed):
    return MLPClassifier((32,), batch_size=32, max_iter=2, learning_rate_init=1e-3,
                         random_state=seed)


def fit_mlp(clf, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return clf.fit(X.reshape(len(X), -1) / 255, y)


def bench_tutorial(data, repeats):
    X_train, X_test, y_train, y_test = data
    rows = {}
    seeds = iter(range(1000))

    t, accs = median_time(lambda: keras_tutorial(X_train, y_train, X_test, y_test, next(seeds)), repeats, collect=True)
    rows["hand-written Keras script"] = (t, statistics.median(accs))

    def ours():
        pipe = make_mlp_pipeline(**TUTORIAL, random_state=next(seeds)).fit(X_train, y_train)
        return pipe.score(X_test, y_test)

    ours()  # the first fit of an architecture traces its training loop; shown apart
    t, accs = median_time(ours, repeats, collect=True)
    rows["skmnist pipeline"] = (t, statistics.median(accs))
    first = median_time(
        lambda: make_mlp_pipeline(**dict(TUTORIAL, hidden_layer_sizes=(33,))).fit(X_train, y_train), 1
    )[0]
    rows["skmnist pipeline, first fit of a new architecture"] = (first, None)

    def mlp():
        clf = fit_mlp(mlp_tutorial(next(seeds)), X_train, y_train)
        return clf.score(X_test.reshape(len(X_test), -1) / 255, y_test)

    t, accs = median_time(mlp, repeats, collect=True)
    rows["MLPClassifier((32,))"] = (t, statistics.median(accs))
    return rows


# -- prediction latency -----------------------------------------------------------------


def bench_predict(data, repeats):
    X_train, X_test, y_train, y_test = data
    pipes = {
        "tutorial model (32 units)": (
            make_mlp_pipeline(**TUTORIAL, random_state=0).fit(X_train, y_train),
            fit_mlp(mlp_tutorial(0), X_train, y_train),
        ),
        "default pipeline vs MLPClassifier((512,))": (
            make_mlp_pipeline(epochs=1, random_state=0).fit(X_train, y_train),
            fit_mlp(MLPClassifier((512,), batch_size=128, max_iter=1, random_state=0), X_train, y_train),
        ),
    }
    rows = {}
    for name, (pipe, mlp) in pipes.items():
        for n in (1, 10_000):
            X = X_test[:n]
            reps = repeats * (200 if n == 1 else 10)
            ours = median_time(lambda: pipe.predict(X), reps)[0]
            theirs = median_time(lambda: mlp.predict(X.reshape(len(X), -1) / 255), reps)[0]
            rows[(name, n)] = (ours, theirs)
        ours_p = pipe.predict_proba(X_test)
        keras_p = pipe["mlp"].model_.predict(pipe["scale"].transform(X_test), verbose=0)
        rows[(name, "max |ours - model.predict|")] = float(np.max(np.abs(ours_p - keras_p)))
    return rows


# -- repeated small fits ---------------------------------------------------------------------


class _CountRetracing(logging.Handler):
    def __init__(self):
        super().__init__()
        self.count = 0

    def emit(self, record):
        if "retracing" in record.getMessage():
            self.count += 1


def bench_repeated(data, cycles, n_images):
    X_train, X_test, y_train, y_test = data
    handler = _CountRetracing()
    tf.get_logger().addHandler(handler)
    times, rss = [], []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for i in range(cycles):
            start = time.perf_counter()
            pipe = make_mlp_pipeline(hidden_layer_sizes=(32,), epochs=2, random_state=i)
            pipe.fit(X_train[:n_images], y_train[:n_images]).score(X_test[:1000], y_test[:1000])
            times.append(time.perf_counter() - start)
            del pipe
            gc.collect()
            rss.append(rss_mib())
    tf.get_logger().removeHandler(handler)
    retracing = handler.count + sum("retracing" in str(w.message) for w in caught)
    return times, rss, retracing


# -- default pipeline, best preset, time to accuracy ----------------------------------------


class _TimeToAccuracy(keras.callbacks.Callback):
    """Records (seconds since fit started, test accuracy) after each epoch, off the clock."""

    def __init__(self, X_eval, y_eval, activation):
        super().__init__()
        self.X_eval, self.y_eval, self.activation = X_eval, y_eval, activation

    def on_train_begin(self, logs=None):
        self.curve, self.paused, self.started = [], 0.0, time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        from skmnist._inference import forward

        now = time.perf_counter()
        elapsed = now - self.started - self.paused
        weights = self.model.get_weights()
        proba = forward(self.X_eval, weights[0::2], weights[1::2], self.activation)
        self.curve.append((elapsed, float(np.mean(proba.argmax(axis=1) == self.y_eval))))
        self.paused += time.perf_counter() - now


def timed_pipeline(params, X_test, y_test, preset="default"):
    """The pipeline of ``preset`` and ``params``, recording its time-to-accuracy curve in
    ``pipe.curve``. (A preset's parameters given as ``params`` would be laid over the
    default preset, whose augmentation they may not set: pass the preset's name.)"""
    from skmnist._facts import ACTIVATIONS

    pipe = make_mlp_pipeline(preset, **params)
    X_eval = pipe["scale"].fit(X_test).transform(X_test)
    timer = _TimeToAccuracy(X_eval, y_test, ACTIVATIONS[pipe["mlp"].activation])
    pipe.set_params(mlp__callbacks=[timer])
    pipe.timer = timer
    return pipe


def fit_seeds(params, data, repeats, preset="default"):
    """``make_mlp_pipeline(preset, **params)`` with seeds 0, 1, ...: (fit seconds, test
    accuracy, curve) per run."""
    X_train, X_test, y_train, y_test = data
    runs = []
    for seed in range(repeats):
        pipe = timed_pipeline(dict(params, random_state=seed), X_test, y_test, preset)
        gc.collect()  # off the clock
        start = time.perf_counter()
        pipe.fit(X_train, y_train)
        runs.append((time.perf_counter() - start, pipe.score(X_test, y_test), pipe.timer.curve))
    return runs


def bench_default(data, repeats, epochs_mlp=5):
    X_train, X_test, y_train, y_test = data
    ours = fit_seeds({}, data, repeats)
    X_flat, X_test_flat = X_train.reshape(len(X_train), -1) / 255, X_test.reshape(len(X_test), -1) / 255
    theirs = []
    for seed in range(repeats):
        clf = MLPClassifier((512,), batch_size=128, max_iter=epochs_mlp, random_state=seed)
        start = time.perf_counter()
        fit_mlp(clf, X_train, y_train)
        theirs.append((time.perf_counter() - start, clf.score(X_test_flat, y_test)))
    # MLPClassifier's time to accuracy: one epoch per partial_fit, timed without scoring
    clf, curve, clock = MLPClassifier((512,), batch_size=128, random_state=0), [], 0.0
    for _ in range(epochs_mlp):
        start = time.perf_counter()
        clf.partial_fit(X_flat, y_train, classes=np.arange(10))
        clock += time.perf_counter() - start
        curve.append((clock, clf.score(X_test_flat, y_test)))
    return ours, theirs, curve


# -- report --------------------------------------------------------------------------------------


def plot(curves, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5), layout="constrained")
    for label, curve, style in curves:
        seconds, accuracy = zip(*curve)
        ax.plot(seconds, np.asarray(accuracy) * 100, style, label=label, marker="o", markersize=3)
    ax.axhline(98.5, color="grey", linestyle=":", linewidth=1)
    # at the right edge, under the line: the fast curves cross it on the left
    ax.text(0.995, 98.48, "98.5%", color="grey", fontsize=8, ha="right", va="top",
            transform=ax.get_yaxis_transform())
    ax.set(xlabel="training time (s)", ylabel="test accuracy (%)",
           title="Test accuracy after each epoch against training time (MNIST, 2 CPU cores)")
    lowest = min(min(acc for _, acc in curve) for _, curve, _ in curves) * 100
    highest = max(max(acc for _, acc in curve) for _, curve, _ in curves) * 100
    ax.set_ylim(max(90.0, min(96.0, lowest - 0.3)), max(99.2, highest + 0.1))
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    fig.savefig(path, dpi=110)


def verdict(ok):
    return "**met**" if ok else "**NOT met**"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="tiny smoke run; figures mean nothing")
    parser.add_argument("--output", default=str(HERE / "results"))
    args = parser.parse_args(argv)
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)

    X_train, X_test, y_train, y_test = load_mnist(download=False, return_X_y=True)
    if args.quick:
        X_train, y_train, X_test, y_test = X_train[:3000], y_train[:3000], X_test[:1000], y_test[:1000]
        args.repeats = 1
    data = (X_train, X_test, y_train, y_test)
    lines = [
        "# skmnist performance benchmark",
        "",
        f"`python benchmarks/bench_performance.py{' --quick' if args.quick else ''}`, "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()} CPU cores, "
        f"TensorFlow {tf.__version__}, Keras {keras.__version__}; MNIST "
        f"{len(X_train)} training / {len(X_test)} test images. Times are medians of "
        f"{args.repeats} runs unless said otherwise; ratios are of medians from this run.",
        "",
    ]
    checks = []

    print("tutorial model ...", flush=True)
    rows = bench_tutorial(data, args.repeats)
    keras_t, keras_acc = rows["hand-written Keras script"]
    mlp_t, _ = rows["MLPClassifier((32,))"]
    ours_t, ours_acc = rows["skmnist pipeline"]
    lines += [
        "## The tutorial model: 32 ReLU units, RMSprop 1e-3, 2 epochs, batch 32",
        "",
        "| contender | fit time (s) | vs Keras script | vs MLPClassifier | test accuracy |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for name, (t, acc) in rows.items():
        acc_text = "" if acc is None else f"{acc:.2%}"
        lines.append(f"| {name} | {t:.2f} | {t / keras_t:.2f}x | {t / mlp_t:.2f}x | {acc_text} |")
    lines.append("")
    checks += [
        ("tutorial fit ≤ 0.6x the Keras script", f"{ours_t / keras_t:.2f}x", ours_t <= 0.6 * keras_t),
        ("tutorial fit ≤ 2x MLPClassifier", f"{ours_t / mlp_t:.2f}x", ours_t <= 2 * mlp_t),
        ("tutorial accuracy within 0.5 points of the Keras script",
         f"{(ours_acc - keras_acc) * 100:+.2f} points", abs(ours_acc - keras_acc) <= 0.005),
    ]

    print("prediction latency ...", flush=True)
    rows = bench_predict(data, args.repeats)
    lines += [
        "## Prediction latency on raw uint8 images",
        "",
        "skmnist: `pipe.predict(X_raw)` (reshape and scaling inside the pipeline). "
        "MLPClassifier: `mlp.predict(X_raw.reshape(n, -1) / 255)`, reshape and /255 inside the "
        "timed call.",
        "",
        "| models | images | skmnist (ms) | MLPClassifier (ms) | ratio |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for key, value in rows.items():
        if isinstance(key[1], int):
            ours, theirs = value
            lines.append(f"| {key[0]} | {key[1]:,} | {ours * 1e3:.2f} | {theirs * 1e3:.2f} | {ours / theirs:.2f}x |")
    lines.append("")
    for key, value in rows.items():
        if not isinstance(key[1], int):
            lines.append(f"- {key[0]}: largest difference between `predict_proba` and "
                         f"`model_.predict` over the test images: {value:.1e}")
    lines.append("")
    for name in ("tutorial model (32 units)", "default pipeline vs MLPClassifier((512,))"):
        one, ten_k = rows[(name, 1)], rows[(name, 10_000)]
        checks += [
            (f"{name}: predict 1 image ≤ 2 ms", f"{one[0] * 1e3:.2f} ms", one[0] <= 2e-3),
            (f"{name}: predict 10,000 images ≤ 1.0x MLPClassifier", f"{ten_k[0] / ten_k[1]:.2f}x",
             ten_k[0] <= ten_k[1]),
        ]

    print("repeated fits ...", flush=True)
    cycles, n_images = (20, 3000) if not args.quick else (6, 1000)
    times, rss, retracing = bench_repeated(data, cycles, n_images)
    growth = (rss[-1] - rss[0]) / (len(rss) - 1)
    early, late = statistics.median(times[1:6]), statistics.median(times[-5:])
    lines += [
        f"## {cycles} repeated fit + score cycles on {n_images:,} images (what GridSearchCV does)",
        "",
        "`make_mlp_pipeline(hidden_layer_sizes=(32,), epochs=2, random_state=i)`, fit then "
        "score on 1,000 test images, a new pipeline each cycle.",
        "",
        "| cycle | " + " | ".join(str(i + 1) for i in range(cycles)) + " |",
        "| --- | " + " | ".join("---:" for _ in range(cycles)) + " |",
        "| seconds | " + " | ".join(f"{t:.2f}" for t in times) + " |",
        "| RSS after (MiB) | " + " | ".join(f"{m:.0f}" for m in rss) + " |",
        "",
        f"- memory growth per cycle (cycle 1 to {cycles}): {growth:.2f} MiB",
        f"- median seconds, cycles 2-6: {early:.3f}; last 5 cycles: {late:.3f} "
        f"(ratio {late / early:.2f})",
        f"- TensorFlow retracing warnings: {retracing}",
        "",
    ]
    checks += [
        ("memory growth ≤ 1 MiB per repeated fit", f"{growth:.2f} MiB", growth <= 1.0),
        ("no retracing warnings", str(retracing), retracing == 0),
        ("no slowdown over the cycles (last 5 ≤ 1.2x cycles 2-6)", f"{late / early:.2f}x",
         late <= 1.2 * early),
    ]

    print("default pipeline vs MLPClassifier((512,)) ...", flush=True)
    ours, theirs, mlp_curve = bench_default(data, args.repeats)
    ours_t = statistics.median(t for t, _, _ in ours)
    ours_acc = statistics.median(a for _, a, _ in ours)
    mlp_t = statistics.median(t for t, _ in theirs)
    mlp_acc = statistics.median(a for _, a in theirs)
    print("best preset ...", flush=True)
    best = fit_seeds({}, data, args.repeats, preset="best") if not args.quick else [(np.nan, np.nan, [(0, 0)])]
    best_t = statistics.median(t for t, _, _ in best)
    best_acc = statistics.median(a for _, a, _ in best)
    best_curve = best[0][2]
    lines += [
        "## Default pipeline and best preset against MLPClassifier((512,))",
        "",
        "| model | fit time (s) | vs MLPClassifier | test accuracy |",
        "| --- | ---: | ---: | ---: |",
        f"| `make_mlp_pipeline()` (defaults; {args.repeats} runs, seeds 0..) | {ours_t:.1f} | "
        f"{ours_t / mlp_t:.2f}x | {ours_acc:.2%} (runs: {', '.join(f'{a:.2%}' for _, a, _ in ours)}) |",
        f"| `MLPClassifier((512,), batch_size=128, max_iter=5)` | {mlp_t:.1f} | 1.00x | {mlp_acc:.2%} |",
        f"| `make_mlp_pipeline(preset=\"best\")` ({len(best)} runs, seeds 0..) | {best_t:.1f} | "
        f"{best_t / mlp_t:.2f}x | {best_acc:.2%} (runs: {', '.join(f'{a:.2%}' for _, a, _ in best)}; "
        f"{', '.join(f'{t:.0f} s' for t, _, _ in best)}) |",
        "",
        "![time to accuracy](time_to_accuracy.png)",
        "",
    ]
    checks += [
        ("default pipeline ≥ 98.5% test accuracy", f"{ours_acc:.2%}", ours_acc >= 0.985),
        ("default fit ≤ 2x MLPClassifier((512,)) for 5 epochs", f"{ours_t / mlp_t:.2f}x",
         ours_t <= 2 * mlp_t),
        ("best preset ≥ 98.8%", f"{best_acc:.2%}", best_acc >= 0.988),
        ("best preset fit ≤ 5 minutes", f"{best_t:.0f} s", best_t <= 300),
    ]
    plot(
        [
            ("make_mlp_pipeline() (seed 0)", ours[0][2], "-"),
            ('make_mlp_pipeline(preset="best") (seed 0)', best_curve, "-"),
            ("MLPClassifier((512,)), 5 epochs", mlp_curve, "--"),
        ],
        out / "time_to_accuracy.png",
    )

    lines[4:4] = ["## Targets", "", "| target | measured | |", "| --- | ---: | --- |"] + [
        f"| {name} | {value} | {verdict(ok)} |" for name, value, ok in checks
    ] + [""]
    report = "\n".join(lines) + "\n"
    (out / "performance.md").write_text(report)
    print(report)
    return 0 if all(ok for _, _, ok in checks) else 1


if __name__ == "__main__":
    sys.exit(main())

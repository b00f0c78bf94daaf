"""Cold start: what a user's whole script, a fresh worker process and a first fit cost.

Every measurement is a fresh Python process (``sys.executable -c SCRIPT``), run
``--repeats`` times, one after the other; the table gives the median wall time of
the process and its peak resident memory (from ``os.wait4``). MNIST is read from
``$SKMNIST_DATA``. ::

    python benchmarks/bench_cold_start.py                 # about 5 minutes on 2 cores
    python benchmarks/bench_cold_start.py --tree before=/path/to/old/checkout

Scripts: ``import skmnist`` alone; the tutorial model (32 ReLU, RMSprop 1e-3,
2 epochs, batch 32: load MNIST, fit, score) with skmnist, as the tutorial's
hand-written Keras script and with ``MLPClassifier``; the default pipeline
(load, fit, score). Then, in one process per architecture, the first-fit
overhead: the first fit of an architecture minus a second fit of it (another
seed), both of one epoch on 60,000 images. ``--tree NAME=PATH`` runs the
skmnist scripts against another checkout too (its package first on
``PYTHONPATH``), for before/after comparisons; ratios are of medians of this run.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

LOAD = """
import os, time
t0 = time.perf_counter()
{imports}
from skmnist import load_mnist
X, X_test, y, y_test = load_mnist(download=False, return_X_y=True)
"""

SCRIPTS = {
    "import skmnist": ("skmnist", "import skmnist"),
    # what any script that fits with skmnist pays first: TensorFlow and Keras
    "import TensorFlow and Keras (skmnist._keras)": ("skmnist", "import skmnist._keras"),
    # the same job's floor in scikit-learn: Python, NumPy, scikit-learn, the data
    "load MNIST with scikit-learn imported": ("sklearn", LOAD.format(
        imports="from sklearn.neural_network import MLPClassifier")),
    "tutorial model, skmnist": ("skmnist", LOAD.format(imports="from skmnist import make_mlp_pipeline") + """
pipe = make_mlp_pipeline(hidden_layer_sizes=(32,), optimizer="rmsprop", learning_rate=1e-3,
                         epochs=2, batch_size=32, random_state=0)
print(pipe.fit(X, y).score(X_test, y_test))
"""),
    "tutorial model, hand-written Keras": ("keras", LOAD.format(imports="import keras") + """
model = keras.Sequential([keras.Input(shape=(784,)), keras.layers.Dense(32, activation="relu"),
                          keras.layers.Dense(10, activation="softmax")])
model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(X.reshape(-1, 784).astype("float32") / 255, y, epochs=2, batch_size=32, verbose=0)
print(model.evaluate(X_test.reshape(-1, 784).astype("float32") / 255, y_test, verbose=0)[1])
"""),
    "tutorial model, MLPClassifier": ("sklearn", LOAD.format(
        imports="from sklearn.neural_network import MLPClassifier\nimport warnings\n"
                "warnings.simplefilter('ignore')") + """
clf = MLPClassifier((32,), batch_size=32, max_iter=2, learning_rate_init=1e-3, random_state=0)
clf.fit(X.reshape(len(X), -1) / 255, y)
print(clf.score(X_test.reshape(len(X_test), -1) / 255, y_test))
"""),
    "default pipeline": ("skmnist", LOAD.format(imports="from skmnist import make_mlp_pipeline") + """
print(make_mlp_pipeline(random_state=0).fit(X, y).score(X_test, y_test))
"""),
}

FIRST_FIT = LOAD.format(imports="from skmnist import make_mlp_pipeline") + """
{first_array}
times = []
for seed in (0, 1):
    pipe = make_mlp_pipeline(hidden_layer_sizes={sizes}, epochs=1, random_state=seed)
    start = time.perf_counter()
    pipe.fit(X, y)
    times.append(time.perf_counter() - start)
print("FIT", times[0], times[1])
"""

#: Made before the fits in the second measurement of the first-fit overhead: the
#: first large array of a process (PixelScaler's 188 MB output) sometimes waits
#: 0.1-0.45 s for the kernel to find huge pages, whatever library allocates it.
FIRST_LARGE_ARRAY = "import numpy; numpy.ones(50_000_000, numpy.float32).sum()"

ARCHITECTURES = {"tutorial (32,)": (32,), "default (512, 256)": (512, 256),
                 "best (1200, 1200)": (1200, 1200)}


def run_measured(code, tree):
    """Run ``code`` in a fresh process: (wall seconds, peak RSS in MiB from
    ``os.wait4``, its standard output)."""
    env = dict(os.environ, PYTHONPATH=str(tree), TF_CPP_MIN_LOG_LEVEL="2")
    out_path = Path(os.environ.get("TMPDIR", "/tmp")) / f"cold_start_{os.getpid()}.out"
    with open(out_path, "w") as out, open(os.devnull, "w") as err:
        start = time.perf_counter()
        process = subprocess.Popen([sys.executable, "-c", code], env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    text = out_path.read_text()
    out_path.unlink()
    if process.returncode != 0:
        raise RuntimeError(f"script failed (exit {process.returncode}):\n{code}")
    return wall, usage.ru_maxrss / 1024, text


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--first-fit-repeats", type=int, default=5,
                        help="processes per architecture for the first-fit overhead")
    parser.add_argument("--tree", action="append", default=[], metavar="NAME=PATH",
                        help="another checkout to run the skmnist scripts against")
    parser.add_argument("--quick", action="store_true",
                        help="one run of the two shortest scripts and one architecture (a smoke test)")
    parser.add_argument("--output", default=str(ROOT / "benchmarks" / "results"))
    args = parser.parse_args(argv)
    scripts, architectures = SCRIPTS, ARCHITECTURES
    if args.quick:
        args.repeats = 1
        scripts = {k: SCRIPTS[k] for k in ("import skmnist", "tutorial model, skmnist")}
        args.first_fit_repeats = 1
        architectures = {"tutorial (32,)": (32,)}
    trees = {"this tree": ROOT}
    for item in args.tree:
        name, _, path = item.partition("=")
        trees[name] = Path(path).resolve()

    rows, medians = [], {}
    for label, (kind, code) in scripts.items():
        for tree_name, tree in trees.items():
            if kind != "skmnist" and tree_name != "this tree":
                continue
            runs = [run_measured(code, tree) for _ in range(args.repeats)]
            wall = statistics.median(r[0] for r in runs)
            rss = statistics.median(r[1] for r in runs)
            name = label if len(trees) == 1 or kind != "skmnist" else f"{label} ({tree_name})"
            medians[name] = wall
            rows.append((name, wall, rss, ", ".join(f"{r[0]:.2f}" for r in runs)))
            print(f"{name}: {wall:.2f} s, {rss:.0f} MiB", flush=True)

    lines = [
        "# Cold start: whole processes",
        "",
        (f"`python benchmarks/bench_cold_start.py`, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
        f"{os.cpu_count()} CPU cores; each line is a fresh process, median of {args.repeats}. "
        "First fits: 1 epoch on 60,000 images, batch size auto (256). The default "
        "pipeline trains 10 epochs on digits redrawn at every step (other pens: their "
        "closings take about 400 MiB more at their peak)."),
        "",
        "| script | wall (s, median) | peak RSS (MiB) | runs (s) |",
        "| --- | ---: | ---: | --- |",
    ] + [f"| {name} | {wall:.2f} | {rss:.0f} | {runs} |" for name, wall, rss, runs in rows]
    ours = medians.get("tutorial model, skmnist")
    keras_t = medians.get("tutorial model, hand-written Keras")
    mlp_t = medians.get("tutorial model, MLPClassifier")
    if ours and keras_t and mlp_t:
        lines += ["", (f"- tutorial script: {ours / mlp_t:.2f}x MLPClassifier's (goal ≤ 1.3x), "
                      f"{ours / keras_t:.2f}x the Keras script's (goal ≤ 0.45x)")]

    tf_import = medians.get("import TensorFlow and Keras (skmnist._keras)")
    floor = medians.get("load MNIST with scikit-learn imported")
    if ours and mlp_t and keras_t and tf_import:
        lines += [(f"- what bounds it: a process that imports TensorFlow and Keras (Python, "
                   f"scikit-learn, TensorFlow, Keras, nothing else) takes {tf_import:.2f} s, "
                   f"{tf_import / mlp_t:.2f}x MLPClassifier's whole script and "
                   f"{tf_import / keras_t:.2f}x the Keras script's (which pays it too), before "
                   "any data is read or any training")]
    if ours and floor and tf_import:
        lines += [(f"- the tutorial script beyond that import: {ours - tf_import:.2f} s "
                   f"(loading MNIST, the fit, the score); MLPClassifier's script spends "
                   f"{floor:.2f} s on Python, scikit-learn and loading MNIST, "
                   f"{mlp_t - floor:.2f} s on its fit and score")]

    lines += ["", (f"## First-fit overhead (first fit minus a second fit, 1 epoch, one process, "
                   f"median of {args.first_fit_repeats} processes)"), "",
              ("The last column makes and frees a 200 MB array before the fits: a process's "
               "first large array sometimes waits 0.1-0.45 s for the kernel's huge pages on "
               "this machine, whoever allocates it (here PixelScaler's output)."), "",
              ("| architecture | first fit (s) | second fit (s) | overhead (s) | "
               "overhead after a first large array (s) |"),
              "| --- | ---: | ---: | ---: | ---: |"]
    for label, sizes in architectures.items():
        measured = {}
        for first_array in ("", FIRST_LARGE_ARRAY):
            fits = []
            for _ in range(args.first_fit_repeats):
                code = FIRST_FIT.format(sizes=sizes, first_array=first_array)
                _, _, text = run_measured(code, ROOT)
                first, second = (float(v) for v in text.split("FIT")[-1].split())
                fits.append((first, second))
            measured[first_array] = (statistics.median(f for f, _ in fits),
                                     statistics.median(s for _, s in fits),
                                     statistics.median(f - s for f, s in fits))
        first, second, overhead = measured[""]
        lines.append(f"| {label} | {first:.2f} | {second:.2f} | {overhead:.2f} | "
                     f"{measured[FIRST_LARGE_ARRAY][2]:.2f} |")
        print(f"first fit {label}: overhead {overhead:.2f} s, "
              f"{measured[FIRST_LARGE_ARRAY][2]:.2f} s after a first large array", flush=True)
    report = "\n".join(lines) + "\n"
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    (out / "cold_start.md").write_text(report)
    print(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())

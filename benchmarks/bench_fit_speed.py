"""Training speed of two source trees side by side: the tutorial fit and the default fit.

    SKMNIST_DATA=../shared/datasets/mnist python benchmarks/bench_fit_speed.py \\
        --tree before=/path/to/old/checkout --tree after=.

For a refactoring that must not slow training down: each tree's skmnist is
imported in its own fresh process (alternating between the trees, ``--rounds``
times), which loads MNIST, fits once to warm up (tracing), then times
``--repeats`` fits of each model on all 60,000 training images:

- tutorial: 32 ReLU units, RMSprop 1e-3 constant, no dropout, 2 epochs of 32;
- default: the classifier's defaults (512-256, dropout 0.2, Adam, cosine,
  batches of 128) for ``--default-epochs`` epochs (3: the time per epoch is
  what matters).

It prints a Markdown table of medians over all timed fits of each tree, and
the ratio of each tree to the first. ``--quick`` shrinks it to a smoke test.
"""

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import time

TUTORIAL = dict(hidden_layer_sizes=(32,), optimizer="rmsprop", learning_rate=1e-3,
                learning_rate_schedule="constant", dropout=0.0, epochs=2, batch_size=32)


def worker(tree, repeats, default_epochs, n_images):
    """In a fresh process: time the fits with the skmnist of ``tree``; print JSON."""
    sys.path.insert(0, os.path.abspath(tree))
    import skmnist

    assert os.path.dirname(skmnist.__file__) == os.path.join(os.path.abspath(tree), "skmnist")
    X, _, y, _ = skmnist.load_mnist(download=False, return_X_y=True)
    X, y = X[:n_images], y[:n_images]
    models = {"tutorial": TUTORIAL, "default": dict(epochs=default_epochs)}
    times = {}
    for name, params in models.items():
        pipe = skmnist.make_mlp_pipeline(random_state=0, **params)
        pipe.fit(X, y)  # warm-up: traces the training loop
        times[name] = []
        for _ in range(repeats):
            gc.collect()  # a full collection costs ~0.1-0.4 s with TensorFlow loaded: off the clock
            start = time.perf_counter()
            pipe.fit(X, y)
            times[name].append(time.perf_counter() - start)
    print(json.dumps(times))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tree", action="append", required=True, metavar="NAME=PATH")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--default-epochs", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="tiny smoke run; figures mean nothing")
    parser.add_argument("--worker", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        tree, repeats, epochs, n = args.worker
        return worker(tree, int(repeats), int(epochs), int(n))
    trees = dict(item.split("=", 1) for item in args.tree)
    rounds, repeats, epochs, n = (1, 1, 1, 2000) if args.quick else (
        args.rounds, args.repeats, args.default_epochs, 60000)
    results = {name: {"tutorial": [], "default": []} for name in trees}
    for _ in range(rounds):
        for name, path in trees.items():
            out = subprocess.run(
                [sys.executable, __file__, "--tree", "x=.", "--worker", path, str(repeats),
                 str(epochs), str(n)],
                capture_output=True, text=True, check=True,
            ).stdout
            for model, times in json.loads(out.strip().splitlines()[-1]).items():
                results[name][model].extend(times)
    first = next(iter(trees))
    print(f"| model | {' | '.join(trees)} | {' | '.join(f'{t} / {first}' for t in list(trees)[1:])} |")
    print("|---|" + "---:|" * (2 * len(trees) - 1))
    for model in ("tutorial", "default"):
        medians = {t: statistics.median(results[t][model]) for t in trees}
        cells = [f"{medians[t]:.2f} s" for t in trees]
        ratios = [f"{medians[t] / medians[first]:.3f}" for t in list(trees)[1:]]
        print(f"| {model} fit | {' | '.join(cells)} | {' | '.join(ratios)} |")
    for tree in trees:
        for model in ("tutorial", "default"):
            print(f"{tree} {model}: " + " ".join(f"{t:.2f}" for t in results[tree][model]))
    print(f"\nmedians of {rounds} processes x {repeats} fits per tree, alternating; "
          f"default fit = {epochs} epochs on {n:,} images")


if __name__ == "__main__":
    main()

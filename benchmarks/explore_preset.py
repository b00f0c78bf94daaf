"""Try recipes for the best preset on the real MNIST.

A plain ReLU MLP trained by an in-graph loop like skmnist's Trainer (fused Adam,
cosine learning-rate schedule, batches gathered by a NumPy permutation), with the
options the preset search needed: input dropout, label smoothing, decoupled
weight decay and warm-up. Prints the test accuracy every ``--eval-every`` epochs
against the training time (evaluation off the clock), and appends one JSON line
per run to ``--log``::

    SKMNIST_DATA=../shared/datasets/mnist python benchmarks/explore_preset.py \\
        --sizes 1200,1200 --dropout 0.4 --in-drop 0.2 --epochs 40 --seed 0

The table "How the best preset was chosen" in ``docs/performance.md`` came from
it. Its random streams differ from skmnist's, so its runs match the pipeline's in
level, not bit for bit.
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

BETA_1, BETA_2, EPSILON = 0.9, 0.999, 1e-7  # Keras' Adam defaults


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="1200,1200", help="hidden layer sizes, comma-separated")
    p.add_argument("--dropout", type=float, default=0.5, help="dropout after each hidden layer")
    p.add_argument("--in-drop", type=float, default=0.0, help="dropout of the input pixels")
    p.add_argument("--ls", type=float, default=0.0, help="label smoothing")
    p.add_argument("--wd", type=float, default=0.0, help="decoupled weight decay (AdamW style)")
    p.add_argument("--lr", type=float, default=1e-3, help="peak learning rate")
    p.add_argument("--bs", type=int, default=256, help="batch size")
    p.add_argument("--epochs", type=int, default=40)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=0, help="TensorFlow threads (0: all)")
    p.add_argument("--fused", type=int, default=1, help="1: ResourceApplyAdam, 0: op by op")
    p.add_argument("--warm", type=float, default=0.0, help="linear warm-up, fraction of steps")
    p.add_argument("--eval-every", type=int, default=5)
    p.add_argument("--log", default="explore_preset.jsonl")
    return p.parse_args(argv)


def main(argv=None):
    a = parse_args(argv)
    if a.threads:
        os.environ["SKMNIST_TF_THREADS"] = str(a.threads)
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from skmnist import load_mnist
    from skmnist._keras import tf

    X_train, X_test, y_train, y_test = load_mnist(download=False, return_X_y=True)
    n = len(X_train)
    X = tf.constant(X_train.reshape(n, -1).astype(np.float32) / 255)
    Y = tf.constant(y_train.astype(np.int32))
    X_test = X_test.reshape(len(X_test), -1).astype(np.float32) / 255

    sizes = [int(s) for s in a.sizes.split(",")]
    rng = np.random.RandomState(a.seed)
    dims = [X.shape[1], *sizes, 10]
    kernels, biases = [], []
    for fan_in, fan_out in zip(dims[:-1], dims[1:]):  # Glorot uniform, zero biases
        limit = np.sqrt(6 / (fan_in + fan_out))
        kernels.append(tf.Variable(rng.uniform(-limit, limit, (fan_in, fan_out)).astype(np.float32)))
        biases.append(tf.Variable(np.zeros(fan_out, np.float32)))
    variables = [v for pair in zip(kernels, biases) for v in pair]
    momentums = [tf.Variable(tf.zeros_like(v)) for v in variables]
    velocities = [tf.Variable(tf.zeros_like(v)) for v in variables]
    iterations = tf.Variable(0.0)
    steps_per_epoch = -(-n // a.bs)
    total = steps_per_epoch * a.epochs
    warm = a.warm * total

    def rate(step):
        cosine = a.lr * 0.5 * (1 + tf.cos(np.pi * tf.minimum(step, total) / total))
        if warm > 0:
            cosine = tf.where(step < warm, a.lr * (step + 1) / warm, cosine)
        return cosine

    def forward(x, seed):
        h = x
        if a.in_drop > 0:
            h = tf.nn.experimental.stateless_dropout(h, a.in_drop, seed=[seed, 99])
        for i in range(len(sizes)):
            h = tf.nn.relu(h @ kernels[i] + biases[i])
            if a.dropout > 0:
                h = tf.nn.experimental.stateless_dropout(h, a.dropout, seed=[seed, i])
        return h @ kernels[-1] + biases[-1]

    def adam(grads, lr):
        beta_1_power, beta_2_power = tf.pow(BETA_1, iterations), tf.pow(BETA_2, iterations)
        for v, g, m, s in zip(variables, grads, momentums, velocities):
            if a.wd > 0 and len(v.shape) == 2:
                v.assign_sub(lr / a.lr * a.wd * v)  # decoupled, follows the schedule
            if a.fused:
                tf.raw_ops.ResourceApplyAdam(
                    var=v.handle, m=m.handle, v=s.handle, beta1_power=beta_1_power,
                    beta2_power=beta_2_power, lr=lr, beta1=BETA_1, beta2=BETA_2,
                    epsilon=EPSILON, grad=g,
                )
            else:
                m.assign_add((g - m) * (1 - BETA_1))
                s.assign_add((tf.square(g) - s) * (1 - BETA_2))
                alpha = lr * tf.sqrt(1 - beta_2_power) / (1 - beta_1_power)
                v.assign_sub(m * alpha / (tf.sqrt(s) + EPSILON))

    @tf.function(input_signature=[tf.TensorSpec([None], tf.int32), tf.TensorSpec([], tf.int32)])
    def epoch(order, number):
        for step in tf.range(steps_per_epoch):
            idx = order[step * a.bs : tf.minimum((step + 1) * a.bs, n)]
            xb, yb = tf.gather(X, idx), tf.gather(Y, idx)
            with tf.GradientTape() as tape:
                logits = forward(xb, number * 100000 + step)
                target = tf.one_hot(yb, 10)
                if a.ls > 0:
                    target = target * (1 - a.ls) + a.ls / 10
                loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(target, logits))
            grads = tape.gradient(loss, variables)
            iterations.assign_add(1.0)
            adam(grads, rate(iterations - 1))
        return tf.constant(0)

    def accuracy():
        h = X_test
        for kernel, bias in zip(kernels[:-1], biases[:-1]):
            h = np.maximum(h @ kernel.numpy() + bias.numpy(), 0)
        return float(((h @ kernels[-1].numpy() + biases[-1].numpy()).argmax(1) == y_test).mean())

    train_time, curve = 0.0, []
    for e in range(a.epochs):
        order = tf.constant(rng.permutation(n).astype(np.int32))
        start = time.perf_counter()
        epoch(order, tf.constant(e))
        train_time += time.perf_counter() - start
        if (e + 1) % a.eval_every == 0 or e + 1 == a.epochs:
            curve.append((e + 1, round(train_time, 1), accuracy()))
            print(f"epoch {e + 1}: {train_time:.1f} s, test accuracy {curve[-1][2]:.4f}", flush=True)
    result = dict(vars(a), time=round(train_time, 1), acc=curve[-1][2], curve=curve)
    print("RESULT", json.dumps(result), flush=True)
    with open(a.log, "a") as f:
        f.write(json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Fit the skmnist pipeline on MNIST, score it and print the classification report.

    python examples/analysis.py

Set ``SKMNIST_EXAMPLE_SMALL=1`` for a quick run on 3,000 training images and one
epoch (what CI does). The fitted pipeline is saved as ``analysis-model.skmnist`` in
the current directory (read it back with ``skmnist.load``).
"""

import os

from sklearn.metrics import classification_report

import skmnist
from skmnist import load_mnist, make_mlp_pipeline

SMALL = os.environ.get("SKMNIST_EXAMPLE_SMALL") == "1"

X_train, X_test, y_train, y_test = load_mnist(return_X_y=True)
if SMALL:
    X_train, y_train = X_train[:3000], y_train[:3000]

pipe = make_mlp_pipeline(epochs=1 if SMALL else 15, random_state=0)
pipe.fit(X_train, y_train)
print(f"Test accuracy: {pipe.score(X_test, y_test):.4f}")
print(classification_report(y_test, pipe.predict(X_test), digits=4))
path = skmnist.save(pipe, "analysis-model.skmnist")
print(f"Saved to {path}")

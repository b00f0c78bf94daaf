"""Draw the confusion matrix of the skmnist pipeline on MNIST's test images.

    python examples/confusion_matrix.py

Set ``SKMNIST_EXAMPLE_SMALL=1`` for a quick run (3,000 training images, one epoch).
Writes ``confusion_matrix.png`` in the current directory.
"""

import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from sklearn.metrics import ConfusionMatrixDisplay  # noqa: E402

from skmnist import load_mnist, make_mlp_pipeline  # noqa: E402

SMALL = os.environ.get("SKMNIST_EXAMPLE_SMALL") == "1"

X_train, X_test, y_train, y_test = load_mnist(return_X_y=True)
if SMALL:
    X_train, y_train = X_train[:3000], y_train[:3000]
pipe = make_mlp_pipeline(epochs=1 if SMALL else 15, random_state=0).fit(X_train, y_train)

fig, ax = plt.subplots(figsize=(6, 5.5), layout="constrained")
ConfusionMatrixDisplay.from_estimator(pipe, X_test, y_test, ax=ax, colorbar=False)
ax.set_title(f"skmnist pipeline, test accuracy {pipe.score(X_test, y_test):.2%}")
fig.savefig("confusion_matrix.png", dpi=100)
print("Wrote confusion_matrix.png")

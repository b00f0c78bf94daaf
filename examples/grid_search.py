"""Grid-search hidden units and learning rate, then draw mean CV accuracy as a heatmap.

    python examples/grid_search.py

Set ``SKMNIST_EXAMPLE_SMALL=1`` for a quick run (2,000 images, a 2 x 2 grid, 2 folds,
one epoch). Writes ``grid_heatmap.png`` in the current directory. For progress lines,
parallel workers and Dask, see ``skmnist grid --help`` and ``docs/grid.md``.
"""

import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.model_selection import GridSearchCV  # noqa: E402

from skmnist import load_mnist, make_mlp_pipeline  # noqa: E402

SMALL = os.environ.get("SKMNIST_EXAMPLE_SMALL") == "1"

X_train, X_test, y_train, y_test = load_mnist(return_X_y=True)
n_images = 2000 if SMALL else 20000
X, y = X_train[:n_images], y_train[:n_images]
grid = {
    "mlp__hidden_layer_sizes": [(32,), (128,)] if SMALL else [(32,), (128,), (512, 256)],
    "mlp__learning_rate": [1e-3, 1e-2] if SMALL else [1e-3, 3e-3, 1e-2],
}
pipe = make_mlp_pipeline(epochs=1 if SMALL else 3, random_state=0)
search = GridSearchCV(pipe, grid, cv=2 if SMALL else 3).fit(X, y)
print("best:", search.best_params_, f"mean CV accuracy {search.best_score_:.4f}")
print(f"test accuracy of the refitted best model: {search.score(X_test, y_test):.4f}")

results = pd.DataFrame(search.cv_results_)
results["hidden"] = results["param_mlp__hidden_layer_sizes"].map(lambda s: "-".join(map(str, s)))
table = results.pivot(index="hidden", columns="param_mlp__learning_rate", values="mean_test_score")
fig, ax = plt.subplots(figsize=(5, 3.5), layout="constrained")
image = ax.imshow(table.to_numpy(), cmap="viridis")
ax.set_xticks(range(table.shape[1]), [f"{lr:g}" for lr in table.columns])
ax.set_yticks(range(table.shape[0]), table.index)
middle = (table.to_numpy().min() + table.to_numpy().max()) / 2
for (i, j), value in pd.DataFrame(table.to_numpy()).stack().items():
    colour = "black" if value > middle else "white"  # readable on viridis' light end
    ax.text(j, i, f"{value:.3f}", ha="center", va="center", color=colour)
ax.set(xlabel="learning rate", ylabel="hidden units", title="Mean CV accuracy")
fig.colorbar(image)
fig.savefig("grid_heatmap.png", dpi=100)
print("Wrote grid_heatmap.png")

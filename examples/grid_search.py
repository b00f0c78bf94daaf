"""Grid-search hidden units and learning rate, then draw mean CV accuracy as a heatmap.

    python examples/grid_search.py

Set ``SKMNIST_EXAMPLE_SMALL=1`` for a quick run (2,000 images, a 2 x 2 grid, 2 folds,
one epoch). Writes ``grid_heatmap.png`` in the current directory. For progress lines,
parallel workers and Dask, see ``skmnist grid --help`` and ``docs/grid.md``.
"""

import os

from sklearn.model_selection import GridSearchCV

from skmnist import load_mnist, make_mlp_pipeline
from skmnist.plotting import plot_grid_search

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

fig = plot_grid_search(search)  # hidden layer sizes x learning rate
fig.savefig("grid_heatmap.png", dpi=100)
print("Wrote grid_heatmap.png")

"""The README's analysis script: fit, score, grid search, confusion matrix, report, save.

    python examples/analysis.py

Takes about 18 seconds on 2 CPU cores (18.2 s measured, median of two runs), most of it the grid search's
27 fits, one line each as it ends. Writes ``confusion_matrix.png`` and
``analysis-model.skmnist`` (the best model; read it back with ``skmnist.load``) in
the current directory. Set ``SKMNIST_EXAMPLE_SMALL=1`` for a quick run on 3,000
training images and one epoch (what CI does). The README shows this script
without the lines about SKMNIST_EXAMPLE_SMALL (tests/test_docs.py checks it).
"""

import os

from sklearn.metrics import classification_report
from sklearn.model_selection import GridSearchCV

import skmnist
from skmnist import load_mnist, make_mlp_pipeline
from skmnist.plotting import plot_confusion_matrix

SMALL = os.environ.get("SKMNIST_EXAMPLE_SMALL") == "1"

X_train, X_test, y_train, y_test = load_mnist(return_X_y=True)
if SMALL:
    X_train, y_train = X_train[:3000], y_train[:3000]
pipe = make_mlp_pipeline(hidden_layer_sizes=(32,), learning_rate=1e-3, epochs=2)
if SMALL:
    pipe.set_params(mlp__epochs=1)
pipe.fit(X_train, y_train)
print(f"Test accuracy: {pipe.score(X_test, y_test):.4f}")

grid = {"mlp__hidden_layer_sizes": [(32,), (128,), (512,)],
        "mlp__learning_rate": [1e-3, 3e-3, 1e-2]}
search = GridSearchCV(pipe, grid, cv=3, verbose=3).fit(X_train, y_train)  # a line per fit
print(f"Best: {search.best_params_}, mean CV accuracy {search.best_score_:.4f}")

fig = plot_confusion_matrix(search, X_test, y_test)  # mistakes on their own colour scale
fig.savefig("confusion_matrix.png", dpi=100)
print(f"Confusion matrix saved to {os.path.abspath('confusion_matrix.png')}")
print(classification_report(y_test, search.predict(X_test), digits=4))
path = skmnist.save(search.best_estimator_, "analysis-model.skmnist")
print(f"Best model saved to {path}")

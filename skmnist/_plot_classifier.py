"""Figures of a fitted DenseMLPClassifier itself: its training history and its network.

Part of :mod:`skmnist.plotting`, which re-exports both functions; like the
others, they return a :class:`matplotlib.figure.Figure` built with
matplotlib's object API.
"""

import math

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Circle

from ._facts import ACTIVATION_LABELS, auto_dropout
from ._parts import find_classifier, find_scaler

__all__ = ["plot_history", "plot_network"]

#: A fixed pair of colours for training and validation.
_TRAIN_COLOUR = "tab:blue"
_VAL_COLOUR = "tab:orange"
#: Font size of the axis labels, in points (titles a little larger).
_FONT = 12


def _fitted_classifier(estimator):
    """The fitted DenseMLPClassifier inside `estimator`; a TypeError if it is not fitted."""
    mlp = find_classifier(estimator)
    if not hasattr(mlp, "coefs_"):
        where = "" if mlp is estimator else f" in the {type(estimator).__name__}"
        raise TypeError(
            f"Expected a fitted DenseMLPClassifier; the DenseMLPClassifier{where} given is not "
            "fitted. Fit it first (an unfitted classifier has no history_ or coefs_)."
        )
    return mlp


# -- training --------------------------------------------------------------


def plot_history(estimator):
    """Plot the loss and the accuracy of each training epoch.

    Parameters
    ----------
    estimator : fitted DenseMLPClassifier, or a Pipeline or search holding one
        The classifier's ``history_`` is plotted: training loss and accuracy,
        and the validation ones (``val_loss``, ``val_accuracy``) when it was
        fitted with ``early_stopping=True``, which holds out
        ``validation_fraction`` of the training set: a validation curve that
        falls behind the training curve shows overfitting.

    Returns
    -------
    fig : matplotlib.figure.Figure
        Two axes, titled "Loss" and "Accuracy", one line per series; with
        validation data, a dotted line marks the epoch whose weights were kept.
        Without, the title says how to get validation curves.

    Raises
    ------
    TypeError
        If no fitted DenseMLPClassifier is found in `estimator`.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skmnist import DenseMLPClassifier
    >>> from skmnist.plotting import plot_history
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = DenseMLPClassifier((32,), epochs=3, random_state=0).fit(X / 16, y)
    >>> fig = plot_history(clf)
    >>> [ax.get_title() for ax in fig.axes]
    ['Loss', 'Accuracy']
    >>> [line.get_label() for line in fig.axes[0].get_lines()]
    ['training']
    """
    history = _fitted_classifier(estimator).history_
    if not history.get("loss"):
        raise ValueError("The classifier's history_ is empty: it has not been trained yet.")
    fig = Figure(figsize=(10, 4.3), layout="constrained")
    axes = fig.subplots(1, 2)
    epochs = np.arange(1, len(history["loss"]) + 1)
    validated = bool(history.get("val_loss"))
    best = int(np.argmin(history["val_loss"])) + 1 if validated else None
    for ax, key, title in ((axes[0], "loss", "Loss"), (axes[1], "accuracy", "Accuracy")):
        ax.plot(epochs, history[key], marker="o", color=_TRAIN_COLOUR, label="training")
        if history.get(f"val_{key}"):
            ax.plot(
                epochs, history[f"val_{key}"], marker="s", color=_VAL_COLOUR, label="validation"
            )
        if best is not None:
            ax.axvline(best, color="grey", linestyle=":", label=f"best epoch ({best})")
        ax.set_title(title, fontsize=_FONT + 2)
        ax.set_xlabel("epoch", fontsize=_FONT)
        ax.set_ylabel("cross-entropy" if key == "loss" else "accuracy", fontsize=_FONT)
        ax.tick_params(labelsize=_FONT - 1)
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=_FONT - 1)
    title = f"Training history ({len(epochs)} epoch{'s' if len(epochs) > 1 else ''})"
    if validated:
        title += ": a widening gap between training and validation means overfitting"
    else:
        title += "; no validation curves (fit with early_stopping=True to see them)"
    fig.suptitle(title, fontsize=_FONT + 1)
    return fig


# -- network ---------------------------------------------------------------


def _layer_specs(mlp, scaler):
    """One dict per layer to draw: name, units, notes, colour."""
    n_inputs = mlp.coefs_[0].shape[0]
    side = math.isqrt(n_inputs)
    notes = [f"{n_inputs:,} inputs"]
    if side * side == n_inputs:
        notes.append(f"({side}×{side} pixels)")
    if scaler is not None:
        notes.append("scaled to [-0.5, 0.5]" if scaler.center else "scaled to [0, 1]")
    if getattr(mlp, "input_dropout", 0):
        notes.append(f"dropout {mlp.input_dropout:g}")
    specs = [{"name": "input", "units": n_inputs, "notes": notes, "colour": "#bbbbbb"}]
    activation = ACTIVATION_LABELS.get(str(mlp.activation), str(mlp.activation))
    n_hidden = len(mlp.coefs_) - 1
    dropout = auto_dropout(mlp.dropout, mlp.epochs)  # "auto" as the fit resolved it
    for i, (coef, bias) in enumerate(zip(mlp.coefs_, mlp.intercepts_)):
        params = f"{coef.size + bias.size:,} parameters"
        if i < n_hidden:
            notes = [f"{coef.shape[1]:,} units", activation]
            if dropout:
                notes.append(f"dropout {dropout:g}")
            specs.append(
                {"name": f"hidden {i + 1}", "units": coef.shape[1], "notes": [*notes, params],
                 "colour": "#6aa6d8"}
            )
        else:
            classes = list(mlp.classes_)
            shown = (
                f"{classes[0]} … {classes[-1]}" if len(classes) > 4 else ", ".join(map(str, classes))
            )
            specs.append(
                {"name": "output", "units": coef.shape[1],
                 "notes": [f"{coef.shape[1]:,} units", "softmax", f"classes {shown}", params],
                 "colour": "#f0a35e"}
            )
    return specs


def plot_network(estimator, *, max_nodes=8):
    """Draw the Dense network: its layers, their units and activations.

    Parameters
    ----------
    estimator : fitted DenseMLPClassifier, or a Pipeline or search holding one
        The network to draw. A :class:`~skmnist.PixelScaler` before the
        classifier is noted under the input layer.

    max_nodes : int, default=8
        Most units drawn per layer; larger layers are drawn with a gap (⋮) and
        their real size written below.

    Returns
    -------
    fig : matplotlib.figure.Figure
        One axes; each layer is a column of circles with a text below it
        (name, units, activation, dropout, parameters: weights and biases),
        and the title gives the layer sizes and the total number of
        parameters.

    Raises
    ------
    TypeError
        If no fitted DenseMLPClassifier is found in `estimator`.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skmnist import DenseMLPClassifier
    >>> from skmnist.plotting import plot_network
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = DenseMLPClassifier((32, 16), epochs=1, random_state=0).fit(X / 16, y)
    >>> fig = plot_network(clf)
    >>> fig.axes[0].get_title()
    'Dense network: 64 → 32 → 16 → 10 (2,778 parameters)'
    """
    mlp = _fitted_classifier(estimator)
    specs = _layer_specs(mlp, find_scaler(estimator))
    max_nodes = max(3, int(max_nodes))
    n_layers = len(specs)
    step, spacing, radius = 2.0, 0.42, 0.14  # between layers, between nodes, node size
    half = max_nodes * spacing / 2
    # Below the nodes: the name, then the notes, 0.22 units a line at 10 points.
    bottom = -half - 0.65 - 0.22 * max(len(spec["notes"]) for spec in specs)
    width, height = step * (n_layers - 1) + 2.0, half + 0.2 - bottom
    fig = Figure(figsize=(0.85 * width + 0.2, 0.85 * height + 0.3), layout="constrained")
    ax = fig.subplots()
    ax.set_axis_off()
    ax.set_aspect("equal")
    positions = []
    for layer, spec in enumerate(specs):
        x = step * layer
        drawn = min(spec["units"], max_nodes)
        ys = half - spacing / 2 - spacing * np.arange(drawn) - (max_nodes - drawn) * spacing / 2
        gap = None
        if spec["units"] > max_nodes:  # leave out the middle node, write ⋮ there
            gap = drawn // 2
            ax.text(x, ys[gap], "⋮", ha="center", va="center", fontsize=14)
            ys = np.delete(ys, gap)
        positions.append(ys)
        for yy in ys:
            ax.add_patch(Circle((x, yy), radius, facecolor=spec["colour"], edgecolor="black",
                                linewidth=0.8, zorder=3))
        ax.text(x, -half - 0.2, spec["name"], ha="center", va="top", fontsize=12,
                fontweight="bold")
        ax.text(x, -half - 0.6, "\n".join(spec["notes"]), ha="center", va="top", fontsize=10,
                linespacing=1.35)
    for layer in range(n_layers - 1):
        x = step * layer
        for y0 in positions[layer]:
            for y1 in positions[layer + 1]:
                ax.plot([x + radius, x + step - radius], [y0, y1], color="grey", linewidth=0.4,
                        alpha=0.5, zorder=1)
    ax.set_xlim(-1.0, width - 1.0)
    ax.set_ylim(bottom, half + 0.2)
    sizes = " → ".join(str(spec["units"]) for spec in specs)
    total = sum(c.size + b.size for c, b in zip(mlp.coefs_, mlp.intercepts_))
    ax.set_title(f"Dense network: {sizes} ({total:,} parameters)", fontsize=13)
    return fig

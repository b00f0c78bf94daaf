"""Write the evaluation report of a fitted model: figures, tables and a web page.

``write_report`` evaluates a model on test images and writes, into one
folder, the figures of :mod:`skmnist.plotting` as PNG files, the
classification report as text and CSV, and ``index.html``, a self-contained
page (inline style, no script, figures by relative path) that shows them all
under the headline figures, with a table of the most confused pairs whose
example images are inlined as ``data:`` URIs. ``skmnist report`` calls it on MNIST's test set.
The page is the Jinja2 template ``templates/report.html``, rendered with
autoescaping on: this module computes the values, the template lays them out.
"""

import base64
import csv
import datetime
import io
import os
from pathlib import Path

import numpy as np

from ._facts import auto_dropout, auto_schedule
from ._parts import find_classifier, find_scaler

__all__ = ["FILES", "write_report"]

#: The files written, in the order the page shows them.
FILES = (
    "confusion_matrix.png",
    "classification_report.txt",
    "classification_report.csv",
    "misclassified.png",
    "history.png",
    "network.png",
    "digits.png",
    "index.html",
)
_DPI = 100
#: Rows of the "most confused pairs" table, and example images per row.
_PAIRS = 10
_EXAMPLES = 6


def model_summary(model):
    """The fitted model's parameters worth showing, as (name, text) pairs."""
    mlp = find_classifier(model)
    sizes = [mlp.coefs_[0].shape[0]] + [c.shape[1] for c in mlp.coefs_]
    total = sum(c.size + b.size for c, b in zip(mlp.coefs_, mlp.intercepts_))
    rows = [("layers", " → ".join(str(s) for s in sizes)), ("parameters", f"{total:,}")]
    params = mlp.get_params(deep=False)
    for name in ("activation", "dropout", "input_dropout", "optimizer", "learning_rate",
                 "learning_rate_schedule", "batch_size", "epochs", "early_stopping", "random_state"):
        if name in params:
            value = params[name]
            if name == "optimizer" and not isinstance(value, str):
                value = type(value).__name__
            elif value == "auto" and name in ("dropout", "learning_rate_schedule"):
                resolve = auto_dropout if name == "dropout" else auto_schedule
                value = f"auto ({resolve(value, params['epochs'])})"
            rows.append((name.replace("_", " "), str(value)))
    if hasattr(mlp, "n_iter_"):
        rows.append(("epochs run", str(mlp.n_iter_)))
    rows.append(("digits redrawn in training", _redrawing(params)))
    scaler = find_scaler(model)
    if scaler is not None:
        rows.append(("pixels scaled to", "[-0.5, 0.5]" if scaler.center else "[0, 1]"))
    return rows


def _redrawing(params):
    """How the classifier's parameters redraw the training digits, in words ("no" when not)."""
    parts = []
    if params.get("stroke_variation", 0) > 0:
        parts.append(f"other pens for {params['stroke_variation']:.0%} of the images")
    maps = [f"{label} {params[name]:g}{unit}" for name, label, unit in _MAP_LABELS
            if params.get(name, 0) > 0]
    if maps:
        share = params.get("map_fraction", 1.0)
        parts.append(", ".join(maps) + (f" on {share:.0%} of each batch" if share < 1 else ""))
    return "; ".join(parts) or "no"


#: The maps of the augmentation, as the report names them.
_MAP_LABELS = (("shift_range", "shift", " of the width"), ("rotation_range", "rotation", "°"),
               ("zoom_range", "zoom", ""), ("shear_range", "shear", "°"),
               ("elastic_alpha", "elastic distortion", " pixels"))


def _write_classification_report(report, y_test, y_pred, output):
    from sklearn.metrics import classification_report

    text = classification_report(y_test, y_pred, digits=4, zero_division=0)
    (output / "classification_report.txt").write_text(text, encoding="utf-8")
    with open(output / "classification_report.csv", "w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(["label", "precision", "recall", "f1-score", "support"])
        for label, row in report.items():
            if label == "accuracy":
                writer.writerow(["accuracy", "", "", f"{row:.4f}", len(y_test)])
            else:
                writer.writerow([label, *(f"{row[k]:.4f}" for k in ("precision", "recall",
                                                                    "f1-score")),
                                 int(row["support"])])


def _save(fig, path):
    fig.savefig(path, dpi=_DPI)
    return path.name


def _report_rows(report, n):
    """The classification report's rows as (label, [precision, recall, f1, support])."""
    rows = []
    for label, row in report.items():
        if label == "accuracy":
            cells = ["", "", f"{row:.4f}", f"{n:,}"]
        else:
            cells = [f"{row['precision']:.4f}", f"{row['recall']:.4f}", f"{row['f1-score']:.4f}",
                     f"{int(row['support']):,}"]
        rows.append((str(label), cells))
    return rows


def _data_uri(image):
    """A small grey-scale image as a ``data:image/png;base64,...`` URI, dark ink on white."""
    from matplotlib.image import imsave

    buffer = io.BytesIO()
    vmax = 255 if image.max() > 1 else 1
    imsave(buffer, image, cmap="binary", vmin=0, vmax=vmax, format="png")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _confused_rows(X_test, y_test, y_pred):
    """The most confused pairs as rows for the page: labels, count, share and example images."""
    from ._plot_confusion import confused_pairs
    from .plotting import _images

    images = _images(X_test, "X_test")
    rows = []
    for pair in confused_pairs(y_test, y_pred, n=_PAIRS):
        which = np.flatnonzero((y_test == pair["true"]) & (y_pred == pair["predicted"]))
        rows.append({
            "true": str(pair["true"]),
            "predicted": str(pair["predicted"]),
            "count": f"{pair['count']:,}",
            "share": f"{pair['share']:.2%}",
            "examples": [_data_uri(images[i]) for i in which[:_EXAMPLES]],
        })
    return rows


def _render_page(**values):
    """The HTML of ``templates/report.html`` filled with `values`, each one escaped."""
    try:
        import jinja2
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError(
            "skmnist's report page is rendered by Jinja2, which is not installed. Install it "
            "with pip install \"skmnist[plot]\" (or pip install jinja2)."
        ) from None
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("skmnist", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    return environment.get_template("report.html").render(**values)


def write_report(model, X_test, y_test, output, *, model_name="model", data_source="", now=None):
    """Evaluate `model` on ``(X_test, y_test)`` and write the report into `output`.

    Parameters
    ----------
    model : fitted pipeline (or classifier) that takes `X_test` as is
        Usually read by :func:`skmnist.load`.
    X_test : array of shape (n_samples, 28, 28)
        Test images.
    y_test : array of shape (n_samples,)
        Their labels.
    output : path-like
        Folder to write into; created if missing; files of the same names are
        replaced.
    model_name : str
        How the page names the model (the file name).
    data_source : str
        Where the test images came from, for the page.
    now : datetime.datetime, default=None
        Date written on the page; None is the current UTC time.

    Returns
    -------
    summary : dict
        ``accuracy``, ``n_test``, ``n_misclassified`` and ``index`` (the
        path of index.html).
    """
    from sklearn.metrics import classification_report

    from . import __version__
    from .plotting import (
        plot_confusion_matrix,
        plot_digits,
        plot_history,
        plot_misclassified,
        plot_network,
    )

    output = Path(output)
    output.mkdir(parents=True, exist_ok=True)
    y_test = np.asarray(y_test)
    y_pred = np.asarray(model.predict(X_test))
    accuracy = float(np.mean(y_pred == y_test))
    n_wrong = int(np.sum(y_pred != y_test))
    report = classification_report(y_test, y_pred, digits=4, output_dict=True, zero_division=0)
    _write_classification_report(report, y_test, y_pred, output)

    images = {
        "confusion": _save(plot_confusion_matrix(model, X_test, y_test),
                           output / "confusion_matrix.png"),
        "misclassified": _save(plot_misclassified(model, X_test, y_test, n=36),
                               output / "misclassified.png"),
        "digits": _save(plot_digits(X_test, y_test, n=36, y_pred=y_pred), output / "digits.png"),
        "network": _save(plot_network(model), output / "network.png"),
    }
    try:
        images["history"] = _save(plot_history(model), output / "history.png")
    except ValueError:  # a model saved without its training history
        (output / "history.png").unlink(missing_ok=True)
        images["history"] = None

    now = now or datetime.datetime.now(datetime.timezone.utc)
    date = now.strftime("%Y-%m-%d %H:%M UTC")
    page = _render_page(
        model_name=model_name,
        data_source=data_source,
        date=date,
        version=__version__,
        n_test=f"{len(y_test):,}",
        n_misclassified=f"{n_wrong:,}",
        cards=[
            (f"{accuracy:.2%}", "test accuracy"),
            (f"{len(y_test):,}", "test images"),
            (f"{n_wrong:,}", "misclassified"),
            (f"{report['macro avg']['f1-score']:.4f}", "macro F1"),
        ],
        parameters=model_summary(model),
        report_rows=_report_rows(report, len(y_test)),
        confused=_confused_rows(X_test, y_test, y_pred),
        validated=bool((getattr(find_classifier(model), "history_", None) or {}).get("val_loss")),
        images=images,
    )
    index = output / "index.html"
    index.write_text(page, encoding="utf-8")
    return {
        "accuracy": accuracy,
        "n_test": len(y_test),
        "n_misclassified": n_wrong,
        "index": os.fspath(index),
    }

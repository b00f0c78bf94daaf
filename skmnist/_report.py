"""Write the evaluation report of a fitted model: figures, tables and a web page.

``write_report`` evaluates a model on test images and writes, into one
folder, the figures of :mod:`skmnist.plotting` as PNG files, the
classification report as text and CSV, and ``index.html``, a self-contained
page (inline style, no script, images by relative path) that shows them all
under the headline figures. ``skmnist report`` calls it on MNIST's test set.
"""

import csv
import datetime
import html
import os
from pathlib import Path

import numpy as np

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

_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0;
       color: #222; background: #fafafa; line-height: 1.45; }
header, section, footer, .row { max-width: 1340px; margin: 0 auto; padding: 0 24px; }
header { padding-top: 20px; }
h1 { font-size: 1.7em; margin: 0.4em 0 0.2em; }
h2 { font-size: 1.3em; margin: 1.6em 0 0.4em; border-bottom: 1px solid #ddd; }
.sub { color: #555; margin: 0 0 1em; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; }
.card { background: white; border: 1px solid #ddd; border-radius: 8px; padding: 10px 16px;
        min-width: 150px; }
.card .value { font-size: 1.6em; font-weight: 600; }
.card .label { color: #555; font-size: 0.9em; }
table { border-collapse: collapse; background: white; }
th, td { border: 1px solid #ddd; padding: 4px 10px; text-align: right; }
th:first-child, td:first-child { text-align: left; }
thead th { background: #f0f0f0; }
img { max-width: 100%; height: auto; background: white; border: 1px solid #ddd; }
.row { display: flex; margin: 0 auto; padding: 0 24px; flex-wrap: wrap; gap: 0 40px; align-items: flex-start; }
.row > section { margin: 0; padding: 0; flex: 1 1 560px; min-width: 0; }
figure { margin: 0.5em 0; }
figcaption { color: #555; font-size: 0.9em; }
footer { color: #777; font-size: 0.85em; padding: 2em 24px; }
"""


def _find_mlp(model):
    if hasattr(model, "best_estimator_"):
        model = model.best_estimator_
    return model.steps[-1][1] if hasattr(model, "steps") else model


def model_summary(model):
    """The model's parameters worth showing, as (name, text) pairs."""
    mlp = _find_mlp(model)
    rows = []
    coefs = getattr(mlp, "coefs_", None)
    if coefs is not None:
        sizes = [coefs[0].shape[0]] + [c.shape[1] for c in coefs]
        rows.append(("layers", " → ".join(str(s) for s in sizes)))
        total = sum(c.size + b.size for c, b in zip(coefs, mlp.intercepts_))
        rows.append(("weights", f"{total:,}"))
    params = mlp.get_params(deep=False) if hasattr(mlp, "get_params") else {}
    for name in ("activation", "dropout", "input_dropout", "optimizer", "learning_rate",
                 "learning_rate_schedule", "batch_size", "epochs", "early_stopping", "random_state"):
        if name in params:
            value = params[name]
            if name == "optimizer" and not isinstance(value, str):
                value = type(value).__name__
            rows.append((name.replace("_", " "), str(value)))
    if hasattr(mlp, "n_iter_"):
        rows.append(("epochs run", str(mlp.n_iter_)))
    for _, step in getattr(model, "steps", [])[:-1]:
        if type(step).__name__ == "PixelScaler":
            rows.append(("pixels scaled to", "[-0.5, 0.5]" if step.center else "[0, 1]"))
    return rows


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


def _report_table(report, n):
    e = html.escape
    rows = []
    for label, row in report.items():
        if label == "accuracy":
            cells = ["", "", f"{row:.4f}", f"{n:,}"]
        else:
            cells = [f"{row['precision']:.4f}", f"{row['recall']:.4f}", f"{row['f1-score']:.4f}",
                     f"{int(row['support']):,}"]
        rows.append(f"<tr><th scope=\"row\">{e(str(label))}</th>"
                    + "".join(f"<td>{e(c)}</td>" for c in cells) + "</tr>")
    return (
        "<table>\n<thead><tr><th>label</th><th>precision</th><th>recall</th><th>f1-score</th>"
        "<th>support</th></tr></thead>\n<tbody>\n" + "\n".join(rows) + "\n</tbody>\n</table>"
    )


def _figure(src, alt, caption):
    e = html.escape
    if src is None:
        return f"<p><em>{e(caption)}</em></p>"
    return (f'<figure><img src="{e(src)}" alt="{e(alt)}">'
            f"<figcaption>{e(caption)}</figcaption></figure>")


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
    y_pred = model.predict(X_test)
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
    e = html.escape
    cards = [
        (f"{accuracy:.2%}", "test accuracy"),
        (f"{len(y_test):,}", "test images"),
        (f"{n_wrong:,}", "misclassified"),
        (f"{report['macro avg']['f1-score']:.4f}", "macro F1"),
    ]
    cards_html = "\n".join(
        f'<div class="card"><div class="value">{e(v)}</div><div class="label">{e(k)}</div></div>'
        for v, k in cards
    )
    params_html = "\n".join(
        f"<tr><th scope=\"row\">{e(k)}</th><td>{e(v)}</td></tr>" for k, v in model_summary(model)
    )
    date = now.strftime("%Y-%m-%d %H:%M UTC")
    page = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>skmnist report: {e(model_name)}</title>
<style>{_STYLE}</style>
</head>
<body>
<header>
<h1>skmnist report: {e(model_name)}</h1>
<p class="sub">Evaluated on {len(y_test):,} test images{e(f" from {data_source}" if data_source else "")}
on {e(date)}.</p>
<div class="cards">
{cards_html}
</div>
</header>
<div class="row">
<section id="model">
<h2>Model</h2>
<table>
<tbody>
{params_html}
</tbody>
</table>
</section>
<section id="classification-report">
<h2>Classification report</h2>
{_report_table(report, len(y_test))}
<p>Also as <a href="classification_report.txt">text</a> and
<a href="classification_report.csv">CSV</a>.</p>
</section>
</div>
<section id="confusion-matrix">
<h2>Confusion matrix</h2>
<p>Rows are true labels, columns predictions; the right panel divides each row by its total,
so its diagonal is each digit's recall.</p>
{_figure(images["confusion"], "Confusion matrix: counts and row-normalised rates",
         "Confusion matrix on the test set.")}
</section>
<div class="row">
<section id="misclassified">
<h2>Misclassified images</h2>
{_figure(images["misclassified"], "Misclassified test images, most confident first",
         f"{n_wrong:,} mistakes; the most confident are shown, titled true → predicted "
         "(confidence).")}
</section>
<section id="digits">
<h2>First test images</h2>
{_figure(images["digits"], "The first 36 test images with their predictions",
         "The first 36 test images, titled true label: prediction (red when wrong).")}
</section>
</div>
<div class="row">
<section id="history">
<h2>Training history</h2>
{_figure(images["history"], "Loss and accuracy per training epoch",
         "Loss and accuracy per epoch (validation too when trained with early stopping)."
         if images["history"] else "The model file holds no training history.")}
</section>
<section id="network">
<h2>Network</h2>
{_figure(images["network"], "Diagram of the network's layers", "Layers, units and activations.")}
</section>
</div>
<footer>Written by skmnist {e(__version__)} on {e(date)}.</footer>
</body>
</html>
"""
    index = output / "index.html"
    index.write_text(page, encoding="utf-8")
    return {
        "accuracy": accuracy,
        "n_test": len(y_test),
        "n_misclassified": n_wrong,
        "index": os.fspath(index),
    }

"""The model card: an HTML page with the metrics, the ROC curve and the calibration plot as embedded PNGs."""
from __future__ import annotations

import base64
import html
import io
import json

import matplotlib

matplotlib.use("Agg")  # no display on servers and CI
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.calibration import calibration_curve  # noqa: E402
from sklearn.metrics import roc_curve  # noqa: E402


def _png(fig) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=80, bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def roc_png(y: np.ndarray, p: np.ndarray, baseline_p: np.ndarray | None) -> str:
    fig, ax = plt.subplots(figsize=(4.5, 4))
    fpr, tpr, _ = roc_curve(y, p)
    ax.plot(fpr, tpr, label="gradient boosting")
    if baseline_p is not None:
        bfpr, btpr, _ = roc_curve(y, baseline_p)
        ax.plot(bfpr, btpr, label="logistic baseline", linestyle="--")
    ax.plot([0, 1], [0, 1], color="grey", linewidth=0.8)
    ax.set_xlabel("false positive rate")
    ax.set_ylabel("true positive rate (defaults caught)")
    ax.set_title("ROC on the holdout")
    ax.legend(loc="lower right")
    return _png(fig)


def calibration_png(y: np.ndarray, p: np.ndarray) -> str:
    fig, ax = plt.subplots(figsize=(4.5, 4))
    observed, predicted = calibration_curve(y, p, n_bins=10, strategy="quantile")
    ax.plot(predicted, observed, marker="o", label="model")
    ax.plot([0, 1], [0, 1], color="grey", linewidth=0.8, label="perfect")
    ax.set_xlabel("predicted probability of default")
    ax.set_ylabel("observed default rate")
    ax.set_title("Calibration on the holdout (deciles)")
    ax.legend(loc="upper left")
    return _png(fig)


def inputs_section(manifest: dict) -> str:
    """What the model reads and how risk may move, in plain words."""
    spec = manifest["feature_spec"]
    monitoring_only = spec.get("monitoring_only", [])
    if spec.get("protected_inputs_used"):
        protected = ("<p><b>This model uses gender and marital status as inputs</b>, because training was asked to "
                     "(<code>--use-protected</code>). US law (ECOA, Regulation B) forbids deciding credit on them: "
                     "use this version for research only.</p>")
    else:
        named = " and ".join(html.escape(n.replace("_", " ")) for n in monitoring_only) or "no protected attribute"
        protected = (f"<p>The model does <b>not</b> use {named}. Applications still carry them; they are checked, "
                     "logged and used only to measure fairness (below and on <code>/monitoring/fairness</code>).</p>")
    constrained = [f for f in spec["features"] if f.get("monotone")]
    if spec.get("monotone_constraints") and constrained:
        words = {1: "never lowers the risk", -1: "never raises the risk"}
        items = "".join(
            f"<li>a higher <code>{html.escape(f['name'])}</code> {words[int(f['monotone'])]}</li>" for f in constrained
        )
        monotone = f"<p>Risk moves the right way with each constrained input (monotone constraints in training):</p><ul>{items}</ul>"
    else:
        monotone = "<p>Trained <b>without</b> monotone constraints (<code>--no-monotone</code>).</p>"
    return f"<h2>Inputs</h2>{protected}{monotone}"


def fairness_section(manifest: dict) -> str:
    """Per protected attribute and group: approvals, defaults, ranking and the four-fifths rule, on the holdout."""
    parts = ["<h2>Fairness on the holdout</h2><p>Adverse impact ratio: the group's approval rate over the highest "
             "group's; under 0.8 fails the four-fifths rule (<span style=\"color:#b00\">red</span>). Equal opportunity: "
             "the approval rate among applicants who repaid.</p>"]
    def cell(value):
        return "n/a" if value is None else f"{value:.4f}"

    def row(group: str, g: dict) -> str:
        style = ' style="color:#b00"' if not g["four_fifths_ok"] else ""
        values = [g["approval_rate"], g["default_rate"], g["roc_auc"], g["adverse_impact_ratio"], g["approval_rate_repaid"]]
        return f"<tr{style}><td>{html.escape(group)}</td><td>{g['count']}</td>" + "".join(f"<td>{cell(v)}</td>" for v in values) + "</tr>"

    for attribute, groups in manifest.get("fairness", {}).items():
        rows = "".join(row(group, g) for group, g in groups.items())
        parts.append(
            f"<h3>{html.escape(attribute.replace('_', ' '))}</h3><table><tr><th>group</th><th>count</th><th>approval rate</th>"
            f"<th>default rate</th><th>ROC-AUC</th><th>adverse impact ratio</th><th>approval rate, repaid</th></tr>{rows}</table>"
        )
    return "".join(parts)


def master_scale_section(manifest: dict, y: np.ndarray, p: np.ndarray) -> str:
    """The version's rating grades with what the holdout shows in each: the promise (mean PD) beside the outcome."""
    scale = manifest.get("master_scale")
    if not scale:
        return ""
    uppers = np.array([band["upper"] for band in scale["grades"]])
    # A grade holds (previous bound, bound]: the first bound a probability does not exceed.
    index = np.minimum(np.searchsorted(uppers, p, side="left"), len(uppers) - 1)
    rows = []
    lower = 0.0
    for i, band in enumerate(scale["grades"]):
        members = index == i
        count = int(members.sum())
        mean_pd = f"{p[members].mean():.2%}" if count else "n/a"
        observed = f"{y[members].mean():.2%}" if count else "n/a"
        rows.append(
            f"<tr><th>{html.escape(band['grade'])}</th><td>{lower:.2%} &lt; PD &le; {band['upper']:.2%}</td>"
            f"<td>{count}</td><td>{mean_pd}</td><td>{observed}</td></tr>"
        )
        lower = band["upper"]
    return (
        "<h2>Master scale</h2><p>Every answer carries its rating grade; the bands are fixed for this version. "
        f"{html.escape(scale.get('method', ''))}. On the holdout:</p><table><tr><th>grade</th><th>band</th>"
        "<th>applications</th><th>mean PD</th><th>observed default rate</th></tr>" + "".join(rows) + "</table>"
        "<p><code>npm run backtest</code> judges each grade on the outcomes that follow (Jeffreys test, traffic lights).</p>"
    )


def search_section(manifest: dict) -> str:
    found = manifest["model"].get("search")
    if not found:
        return ""
    chosen = found["chosen"]
    if found["stopped_by"] == "off":
        return f"<h2>Hyperparameters</h2><p>Not searched: the defaults {html.escape(json.dumps(chosen))}.</p>"
    rows = "".join(
        f"<tr><td>{'&#9733;' if t['params'] == chosen else ''}</td><td><code>{html.escape(json.dumps(t['params']))}</code></td>"
        f"<td>{t['cv_log_loss']:.5f}</td><td>{t['cv_roc_auc']:.4f}</td><td>{html.escape(str(t['iterations']))}</td>"
        f"<td>{t['seconds']:.1f}</td></tr>"
        for t in found["trials"]
    )
    return f"""<h2>Hyperparameters</h2>
<p>{html.escape(found['method'])}, on {found['rows']} of the fit rows, within {found['budget_seconds']:g} s
(stopped by {html.escape(found['stopped_by'])} after {len(found['trials'])} trials, {found['seconds']:.1f} s). Every trial
keeps the monotone constraints and leaves out the protected attributes; each stops early on its own validation split.
The chosen one (&#9733;) has the lowest mean log loss; the first row is the defaults.</p>
<table><tr><th></th><th>parameters</th><th>CV log loss</th><th>CV ROC-AUC</th><th>iterations per fold</th><th>seconds</th></tr>{rows}</table>"""


def model_card(manifest: dict, y: np.ndarray, p: np.ndarray, baseline_p: np.ndarray | None) -> str:
    metrics = manifest["metrics"]
    rows = "".join(
        f"<tr><th>{html.escape(k)}</th><td>{v:.4f}</td></tr>" if isinstance(v, float)
        else f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>"
        for k, v in metrics.items()
    )
    threshold = manifest["threshold"]
    data = manifest["training_data"]
    frame = data.get("frame")
    frame_text = (
        f" Chosen from snapshot {html.escape(str(frame.get('snapshot')))}: months {html.escape(str(frame.get('first_month')))}"
        f" to {html.escape(str(frame.get('last_month')))} ({frame.get('months')} at most), {frame.get('rows')} of"
        f" {frame.get('window_rows')} rows in the window (cap {frame.get('maxRows')}, every month thinned alike)."
        if frame else ""
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Model card {html.escape(manifest['name'])} {html.escape(manifest['version'])}</title>
<style>body{{font-family:sans-serif;max-width:960px;margin:2em auto}}table{{border-collapse:collapse}}
th,td{{border:1px solid #ccc;padding:4px 8px;text-align:left}}img{{margin:8px}}</style></head>
<body>
<h1>{html.escape(manifest['name'])} <small>{html.escape(manifest['version'])}</small></h1>
<p>Predicts <code>probability_of_default</code> = P(loan_paid_back = 0) for one loan application.
Created {html.escape(manifest['created_at'])} from <code>{html.escape(str(data['uri']))}</code>
({data['rows']} rows, sha256 <code>{data['sha256'][:16]}…</code>).{frame_text}</p>
<h2>Decision</h2>
<p>Decline when probability_of_default &ge; <b>{threshold['value']:.4f}</b>. {html.escape(threshold['description'])}.</p>
{inputs_section(manifest)}
<h2>Holdout metrics</h2><table>{rows}</table>
{search_section(manifest)}
{master_scale_section(manifest, y, p)}
{fairness_section(manifest)}
<h2>Plots</h2>
<img alt="ROC curve" src="data:image/png;base64,{roc_png(y, p, baseline_p)}">
<img alt="Calibration plot" src="data:image/png;base64,{calibration_png(y, p)}">
<h2>Limits</h2>
<p>The model knows only the inputs of the data contract listed above. Scores drift when applicants change: watch
<code>/monitoring/drift</code>. ONNX sha256 <code>{html.escape(manifest['onnx']['sha256'])}</code>.</p>
</body></html>
"""

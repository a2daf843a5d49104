"""Train one version end to end into a staging directory: model.onnx, trees.json, manifest.json, model-card.html.

Publishing to a store is the TypeScript side's job, after onnxruntime-node has reproduced the canaries.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from . import contract, data, explain, export, features, manifest, model, report


def train_to_dir(
    data_path: str,
    out_dir: str,
    name: str = "loan-default",
    seed: int = 42,
    cost_ratio: float = model.DEFAULT_COST_RATIO,
    data_uri: str | None = None,
    score_path: str | None = None,
    score_out: str | None = None,
    holdout_by: str | None = None,
    holdout_out: str | None = None,
    use_protected: bool = False,
    monotone: bool = True,
    data_frame: dict | None = None,
    recalibrate_recent: float = 0.0,
    recalibrate_holdout: bool = False,
    search_seconds: float = model.search.DEFAULT_SECONDS,
    search_trials: int = model.search.DEFAULT_TRIALS,
) -> dict:
    raw = data.read_table(data_path)
    known = set(contract.INPUT_FIELDS) | {contract.LABEL, contract.APPLICATION_ID} | ({holdout_by} if holdout_by else set())
    ignored = [c for c in raw.columns if c not in known]
    frame = data.validate(raw, keep=(holdout_by,) if holdout_by else ())
    # The file as read is not needed past here: its text columns are a third of training's peak memory.
    del raw
    trained = model.train(
        frame, seed=seed, cost_ratio=cost_ratio, holdout_by=holdout_by, use_protected=use_protected, monotone=monotone,
        recalibrate_recent=recalibrate_recent, recalibrate_holdout=recalibrate_holdout,
        search_seconds=search_seconds, search_trials=search_trials,
    )
    if holdout_out:
        # The exact rows the metrics are computed on, for comparing other models on the same slice.
        trained.holdout.to_csv(holdout_out, index=False)

    input_name = trained.spec["tensor"]["input_name"]
    onnx_bytes = export.to_onnx(trained.gbm, len(trained.spec["features"]), input_name, model_name=name)
    # Our own check of the converter before the authoritative one in onnxruntime-node.
    sample = features.transform(trained.holdout.head(200), trained.spec)
    gap = float(np.max(np.abs(export.evaluate(onnx_bytes, sample) - trained.holdout_scores[:200])))
    if gap > manifest.CANARY_TOLERANCE:
        raise RuntimeError(f"exported graph differs from scikit-learn by {gap:.2e} on the holdout")

    trees_bytes = (json.dumps(explain.trees_doc(trained.gbm, trained.spec), separators=(",", ":")) + "\n").encode()
    doc = manifest.build(
        trained,
        onnx_bytes,
        trees_bytes,
        name=name,
        data_uri=data_uri or str(Path(data_path).resolve()),
        data_sha256=data.file_sha256(data_path),
        data_rows=len(frame),
        data_frame=data_frame,
        ignored_columns=ignored,
        seed=seed,
    )
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "model.onnx").write_bytes(onnx_bytes)
    (out / explain.TREES_FILE).write_bytes(trees_bytes)
    (out / "manifest.json").write_text(json.dumps(doc, indent=2) + "\n")
    baseline_p = trained.baseline.predict_proba(model._baseline_frame(trained.holdout))[:, 1]
    card = report.model_card(doc, model.default_target(trained.holdout), trained.holdout_scores, baseline_p)
    (out / "model-card.html").write_text(card)
    if score_path and score_out:
        write_scores(trained, score_path, score_out)
    return doc


def write_scores(trained: model.TrainedModel, score_path: str, score_out: str) -> None:
    """scikit-learn's probability_of_default for every row of another file: the reference for parity checks."""
    rows = data.load(score_path, require_label=False)
    scores = model.predict_default(trained.gbm, features.transform(rows, trained.spec))
    records = [
        {"inputs": {name: manifest._plain(rows.iloc[i][name]) for name in contract.INPUT_FIELDS}, "probability_of_default": float(p)}
        for i, p in enumerate(scores)
    ]
    Path(score_out).write_text(json.dumps(records))

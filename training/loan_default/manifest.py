"""The manifest: everything the service needs to trust, interpret and monitor one model version."""
from __future__ import annotations

import datetime as dt
import hashlib
import platform

import numpy as np
import onnx
import pandas as pd
import sklearn

from . import contract, explain, export, fairness, master_scale, reference
from .model import TrainedModel, default_target

MANIFEST_VERSION = 1
CANARY_COUNT = 50
CANARY_TOLERANCE = 1e-5


def version_id(created_at: dt.datetime, onnx_sha256: str) -> str:
    """Sorts by time; the suffix tells two versions of the same second apart."""
    return f"{created_at.strftime('%Y%m%dT%H%M%SZ')}-{onnx_sha256[:7]}"


def _plain(value):
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    return value


def canaries(trained: TrainedModel, count: int = CANARY_COUNT) -> list[dict]:
    """Holdout applications at evenly spaced score ranks, so canaries cover the whole score range."""
    order = np.argsort(trained.holdout_scores, kind="stable")
    picks = order[np.linspace(0, len(order) - 1, min(count, len(order))).round().astype(int)]
    out = []
    for i in picks:
        row = trained.holdout.iloc[int(i)]
        inputs = {name: _plain(row[name]) for name in contract.INPUT_FIELDS}
        out.append({"inputs": inputs, "probability_of_default": float(trained.holdout_scores[int(i)])})
    return out


def build(
    trained: TrainedModel,
    onnx_bytes: bytes,
    trees_bytes: bytes,
    name: str,
    data_uri: str,
    data_sha256: str,
    data_rows: int,
    ignored_columns: list[str],
    seed: int,
    created_at: dt.datetime | None = None,
    data_frame: dict | None = None,
) -> dict:
    created_at = created_at or dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    onnx_sha = hashlib.sha256(onnx_bytes).hexdigest()
    params = {k: _plain(v) for k, v in trained.gbm.get_params().items() if isinstance(v, (int, float, str, bool, type(None)))}
    return {
        "manifest_version": MANIFEST_VERSION,
        "name": name,
        "version": version_id(created_at, onnx_sha),
        "created_at": created_at.isoformat().replace("+00:00", "Z"),
        "training_data": {
            "uri": data_uri,
            "sha256": data_sha256,
            "rows": int(data_rows),
            "ignored_columns": ignored_columns,
            # How the rows were chosen from the data (a snapshot's window and cap), when a job chose them.
            **({"frame": data_frame} if data_frame is not None else {}),
        },
        "libraries": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "pandas": pd.__version__,
            "scikit-learn": sklearn.__version__,
            "onnx": onnx.__version__,
        },
        "contract": contract.as_json(),
        "feature_spec": trained.spec,
        "model": {"type": "HistGradientBoostingClassifier", "seed": seed, "params": params, "search": trained.search},
        "onnx": {
            "file": "model.onnx",
            "sha256": onnx_sha,
            "bytes": len(onnx_bytes),
            "input_name": trained.spec["tensor"]["input_name"],
            "output_name": export.OUTPUT_NAME,
            "opsets": export.OPSETS,
            "ir_version": export.IR_VERSION,
        },
        "explanation": {
            "method": "TreeSHAP, path-dependent (Lundberg et al. 2018), over the trees the ONNX graph holds",
            "file": explain.TREES_FILE,
            "sha256": hashlib.sha256(trees_bytes).hexdigest(),
            "bytes": len(trees_bytes),
            "reasons": explain.reason_catalogue(trained.spec),
            "max_reasons": 4,
        },
        "metrics": trained.metrics,
        "fairness": fairness.table(trained.holdout, default_target(trained.holdout), trained.holdout_scores, trained.threshold["value"]),
        "threshold": trained.threshold,
        # The version's rating grades, fixed with it: every answer carries its grade, and backtests judge each.
        "master_scale": master_scale.choose(trained.train_scores),
        "canary_tolerance": CANARY_TOLERANCE,
        "canaries": canaries(trained),
        "reference": reference.build(trained.train_frame, trained.train_scores),
    }

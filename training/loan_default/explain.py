"""What the service needs to explain a decision: the model's trees with each node's cover, and the reasons.

The trees are the ones exported to ONNX (same float32 thresholds, same leaf values, same baseline), written
as columns per tree to `trees.json`. The service evaluates them itself at load and refuses the version unless
they reproduce ONNX Runtime's canary probabilities, then runs path-dependent TreeSHAP over them (Lundberg et
al. 2018): a node's cover is the number of training rows that reached it.

Reason codes are stable across versions: a code always names the same input and says the same thing.
"""
from __future__ import annotations

import numpy as np

from . import export

TREES_FILE = "trees.json"
TREES_FORMAT = 1

# code, the input it speaks of, the tensor features whose contributions it sums, and the sentence an applicant
# reads ({value} is the input as sent). Only inputs that raise the risk are ever listed.
REASONS = [
    ("R01", "debt_to_income_ratio", ["debt_to_income_ratio"], "Debt-to-income ratio of {value} is high"),
    ("R02", "credit_score", ["credit_score"], "Credit score of {value} is low"),
    ("R03", "annual_income", ["annual_income"], "Annual income of {value} is low"),
    ("R04", "interest_rate", ["interest_rate"], "Interest rate of {value}% is high"),
    ("R05", "grade_subgrade", ["grade", "subgrade"], "Loan grade {value} carries a high risk"),
    ("R06", "loan_amount", ["loan_to_income"], "Loan amount is large relative to annual income ({value} times income)"),
    ("R07", "loan_amount", ["loan_amount"], "Loan amount of {value} is high"),
    ("R08", "employment_status", ["employment_status"], "Employment status ({value}) is associated with higher risk"),
    ("R09", "education_level", ["education_level"], "Education level ({value}) is associated with higher risk"),
    ("R10", "loan_purpose", ["loan_purpose"], "Loan purpose ({value}) is associated with higher risk"),
    # Only when a model was trained with --use-protected (research use; never for credit decisions).
    ("R90", "gender", ["gender"], "Gender ({value}) raised the risk in this research model"),
    ("R91", "marital_status", ["marital_status"], "Marital status ({value}) raised the risk in this research model"),
]


def reason_catalogue(spec: dict) -> list[dict]:
    """The reasons that apply to this spec's features, each feature in exactly one reason."""
    names = {f["name"] for f in spec["features"]}
    catalogue = [
        {"code": code, "input": source, "features": feats, "text": text}
        for code, source, feats, text in REASONS
        if all(f in names for f in feats)
    ]
    covered = [f for r in catalogue for f in r["features"]]
    if sorted(covered) != sorted(names):
        raise ValueError(f"reason catalogue does not cover the features exactly once: {sorted(covered)} vs {sorted(names)}")
    return catalogue


def trees_doc(gbm, spec: dict) -> dict:
    """Every tree as columns (leaves have feature -1), with the raw-score baseline the ONNX graph adds."""
    trees = []
    for stage in gbm._predictors:
        nodes = stage[0].nodes
        leaf = nodes["is_leaf"].astype(bool)
        trees.append({
            "feature": [-1 if is_leaf else int(f) for f, is_leaf in zip(nodes["feature_idx"], leaf)],
            "threshold": [0.0 if is_leaf else float(export.float32_floor(float(t))) for t, is_leaf in zip(nodes["num_threshold"], leaf)],
            "left": [int(v) for v in nodes["left"]],
            "right": [int(v) for v in nodes["right"]],
            "value": [float(v) if is_leaf else 0.0 for v, is_leaf in zip(nodes["value"], leaf)],
            "cover": [int(v) for v in nodes["count"]],
        })
    return {
        "format": TREES_FORMAT,
        "features": [f["name"] for f in spec["features"]],
        "baseline": float(np.asarray(gbm._baseline_prediction).ravel()[0]),
        "trees": trees,
    }

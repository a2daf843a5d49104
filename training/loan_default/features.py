"""The feature spec: how the 11 inputs become the model's float32 tensor.

The spec is data written into the manifest; the service reads it and builds the same tensor, so the
feature logic is stated once here and interpreted, not rewritten, in TypeScript. Kinds:
  number        the input as it is
  category      index of the input in `vocabulary`
  grade_letter  index of the letter of grade_subgrade in `vocabulary` (A=0 ... G=6)
  grade_ordinal letter index * 5 + digit - 1 (A1=0 ... G5=34): one ordered risk scale
  ratio         numerator / denominator (both inputs)
Only arithmetic that IEEE-754 defines exactly (division, then rounding to float32) is used, so Python and
JavaScript produce bit-identical tensors.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from . import contract

SPEC_VERSION = 1
INPUT_NAME = "features"
KINDS = ("number", "category", "grade_letter", "grade_ordinal", "ratio")

# Inputs the law forbids deciding on (ECOA / Regulation B): accepted, validated and logged for fairness
# monitoring, but not features of the model unless training is asked for them explicitly (--use-protected).
PROTECTED_INPUTS = ("gender", "marital_status")

# Which way risk may move as each feature grows: +1 risk never falls, -1 risk never rises, 0 free.
# A worse grade is a higher letter index and a higher sub-grade ordinal (A1=0 ... G5=34); more debt for the
# income, a higher rate and a larger loan for the income are riskier; a better score and a higher income are safer.
# loan_amount alone stays free (a larger loan can come with a stronger applicant); categories have no order.
MONOTONE = {
    "annual_income": -1,
    "debt_to_income_ratio": 1,
    "credit_score": -1,
    "interest_rate": 1,
    "grade": 1,
    "subgrade": 1,
    "loan_to_income": 1,
}


def default_spec(use_protected: bool = False, monotone: bool = True) -> dict:
    """The feature spec: protected inputs left out and monotone constraints on, unless asked otherwise."""
    features: list[dict] = [{"name": n, "kind": "number", "source": n} for n in contract.NUMERIC_FIELDS]
    features += [
        {"name": n, "kind": "category", "source": n, "vocabulary": list(v)}
        for n, v in contract.ENUM_FIELDS.items()
        if use_protected or n not in PROTECTED_INPUTS
    ]
    features += [
        {"name": "grade", "kind": "grade_letter", "source": contract.GRADE_FIELD, "vocabulary": list(contract.GRADE_LETTERS)},
        {"name": "subgrade", "kind": "grade_ordinal", "source": contract.GRADE_FIELD},
        {"name": "loan_to_income", "kind": "ratio", "numerator": "loan_amount", "denominator": "annual_income"},
    ]
    if monotone:
        for feature in features:
            feature["monotone"] = MONOTONE.get(feature["name"], 0)
    return {
        "spec_version": SPEC_VERSION,
        "inputs": list(contract.INPUT_FIELDS),
        "tensor": {"input_name": INPUT_NAME, "dtype": "float32", "shape": [None, len(features)]},
        "features": features,
        # Inputs the request carries that the model does not read: kept for monitoring (fairness) only.
        "monitoring_only": [n for n in PROTECTED_INPUTS if not use_protected],
        "protected_inputs_used": bool(use_protected),
        "monotone_constraints": bool(monotone),
    }


def monotonic_cst(spec: dict) -> list[int] | None:
    """scikit-learn's monotonic_cst, in tensor order, or None when the spec has no constraints."""
    if not spec.get("monotone_constraints"):
        return None
    return [int(f.get("monotone", 0)) for f in spec["features"]]


def feature_names(spec: dict) -> list[str]:
    return [f["name"] for f in spec["features"]]


def _column(frame: pd.DataFrame, feature: dict) -> np.ndarray:
    kind = feature["kind"]
    if kind == "number":
        return frame[feature["source"]].to_numpy(dtype=np.float64)
    if kind == "category":
        lookup = {v: i for i, v in enumerate(feature["vocabulary"])}
        return frame[feature["source"]].map(lookup).fillna(-1).to_numpy(dtype=np.float64)
    if kind == "grade_letter":
        lookup = {v: i for i, v in enumerate(feature["vocabulary"])}
        return frame[feature["source"]].str[0].map(lookup).fillna(-1).to_numpy(dtype=np.float64)
    if kind == "grade_ordinal":
        grades = frame[feature["source"]]
        letter = grades.str[0].map({v: i for i, v in enumerate(contract.GRADE_LETTERS)})
        digit = grades.str[1].astype(int)
        return (letter * 5 + digit - 1).to_numpy(dtype=np.float64)
    if kind == "ratio":
        num = frame[feature["numerator"]].to_numpy(dtype=np.float64)
        den = frame[feature["denominator"]].to_numpy(dtype=np.float64)
        return num / den
    raise ValueError(f"unknown feature kind '{kind}' in feature '{feature['name']}'")


def transform(frame: pd.DataFrame, spec: dict) -> np.ndarray:
    """Rows x features, float32, in the spec's tensor order."""
    columns = [_column(frame, feature) for feature in spec["features"]]
    return np.column_stack(columns).astype(np.float32)

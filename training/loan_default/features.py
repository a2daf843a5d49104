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


def default_spec() -> dict:
    features: list[dict] = [{"name": n, "kind": "number", "source": n} for n in contract.NUMERIC_FIELDS]
    features += [
        {"name": n, "kind": "category", "source": n, "vocabulary": list(v)} for n, v in contract.ENUM_FIELDS.items()
    ]
    features += [
        {"name": "grade", "kind": "grade_letter", "source": contract.GRADE_FIELD, "vocabulary": list(contract.GRADE_LETTERS)},
        {"name": "subgrade", "kind": "grade_ordinal", "source": contract.GRADE_FIELD},
        {"name": "loan_to_income", "kind": "ratio", "numerator": "loan_amount", "denominator": "annual_income"},
    ]
    return {
        "spec_version": SPEC_VERSION,
        "inputs": list(contract.INPUT_FIELDS),
        "tensor": {"input_name": INPUT_NAME, "dtype": "float32", "shape": [None, len(features)]},
        "features": features,
    }


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

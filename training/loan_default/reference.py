"""Reference distributions of the inputs and the score, kept in the manifest for drift monitoring.

Numbers are binned at the training data's deciles: bin i holds edges[i-1] <= value < edges[i] (the first bin
is open below, the last open above), so `len(proportions) == len(edges) + 1`. Categories keep one proportion
per allowed value. The service computes the population stability index of live traffic against these.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from . import contract

BINS = 10


def numeric_reference(values: np.ndarray, bins: int = BINS) -> dict:
    values = np.asarray(values, dtype=float)
    edges = np.unique(np.quantile(values, np.linspace(0, 1, bins + 1)[1:-1]))
    counts = np.bincount(np.searchsorted(edges, values, side="right"), minlength=len(edges) + 1)
    return {"type": "numeric", "edges": [float(e) for e in edges], "proportions": (counts / counts.sum()).tolist()}


def categorical_reference(values: pd.Series, categories: list[str]) -> dict:
    counts = values.value_counts().reindex(categories, fill_value=0).to_numpy()
    return {"type": "categorical", "categories": list(categories), "proportions": (counts / counts.sum()).tolist()}


def build(frame: pd.DataFrame, scores: np.ndarray) -> dict:
    inputs: dict[str, dict] = {}
    for name in contract.NUMERIC_FIELDS:
        inputs[name] = numeric_reference(frame[name].to_numpy())
    for name, allowed in contract.ENUM_FIELDS.items():
        inputs[name] = categorical_reference(frame[name], allowed)
    grades = [f"{letter}{digit}" for letter in contract.GRADE_LETTERS for digit in contract.GRADE_DIGITS]
    inputs[contract.GRADE_FIELD] = categorical_reference(frame[contract.GRADE_FIELD], grades)
    return {"rows": int(len(frame)), "inputs": inputs, "score": numeric_reference(scores)}

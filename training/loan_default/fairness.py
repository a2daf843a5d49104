"""Fairness on the holdout, per protected attribute and group: who is approved, who defaults, how well ranked.

The adverse impact ratio is a group's approval rate over the highest group's; under 0.8 it fails the
four-fifths rule. Equal opportunity is the approval rate among applicants who repaid.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from .features import PROTECTED_INPUTS

FOUR_FIFTHS = 0.8


def table(frame: pd.DataFrame, defaulted: np.ndarray, p: np.ndarray, threshold: float) -> dict:
    """{attribute: {group: {count, approval_rate, default_rate, roc_auc, adverse_impact_ratio, ...}}}."""
    approved = p < threshold
    out: dict[str, dict] = {}
    for attribute in PROTECTED_INPUTS:
        groups: dict[str, dict] = {}
        values = frame[attribute].to_numpy()
        for group in sorted(set(values)):
            mask = values == group
            y, a = defaulted[mask], approved[mask]
            repaid = y == 0
            groups[str(group)] = {
                "count": int(mask.sum()),
                "approval_rate": float(a.mean()),
                "default_rate": float(y.mean()),
                "roc_auc": float(roc_auc_score(y, p[mask])) if 0 < y.sum() < len(y) else None,
                "approval_rate_repaid": float(a[repaid].mean()) if repaid.any() else None,
            }
        best = max(g["approval_rate"] for g in groups.values())
        for g in groups.values():
            g["adverse_impact_ratio"] = float(g["approval_rate"] / best) if best > 0 else None
            g["four_fifths_ok"] = g["adverse_impact_ratio"] is None or g["adverse_impact_ratio"] >= FOUR_FIFTHS
        out[attribute] = groups
    return out

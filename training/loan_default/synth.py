"""Synthetic loan applications that behave like the real public data set docs/data-contract.md describes.

Every label is drawn from a hidden true probability of default, written alongside as
`true_probability_of_default`, so a test knows the best ROC-AUC any model can reach on the same rows.
The true model is additive in logit space: employment status and grade letter carry most of the signal,
debt-to-income, credit score and interest rate add to it; income, amount, gender, marital status,
education and purpose carry none. Group offsets are fitted to the published default rates on each sample.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from . import contract

EMPLOYMENT_SHARE = {"Employed": 0.65, "Self-employed": 0.15, "Unemployed": 0.11, "Retired": 0.05, "Student": 0.04}
EMPLOYMENT_DEFAULT = {"Employed": 0.11, "Self-employed": 0.11, "Unemployed": 0.82, "Retired": 0.005, "Student": 0.59}
GRADE_SHARE = {"A": 0.06, "B": 0.14, "C": 0.31, "D": 0.30, "E": 0.12, "F": 0.07}
GRADE_DEFAULT = {"A": 0.05, "B": 0.09, "C": 0.17, "D": 0.26, "E": 0.30, "F": 0.32}
GRADE_BASE_RATE = {"A": 6.5, "B": 9.5, "C": 11.6, "D": 13.2, "E": 15.5, "F": 18.0}
GENDER_SHARE = {"Female": 0.50, "Male": 0.48, "Other": 0.02}
MARITAL_SHARE = {"Single": 0.45, "Married": 0.45, "Divorced": 0.07, "Widowed": 0.03}
EDUCATION_SHARE = {"High School": 0.30, "Bachelor's": 0.40, "Master's": 0.18, "PhD": 0.04, "Other": 0.08}
PURPOSE_SHARE = {
    "Debt consolidation": 0.40, "Car": 0.12, "Home": 0.10, "Education": 0.08,
    "Business": 0.08, "Medical": 0.08, "Vacation": 0.06, "Other": 0.08,
}
# Logit slopes per standard deviation of the continuous drivers.
DTI_SLOPE = 0.75
CREDIT_SLOPE = -0.45
RATE_SLOPE = 0.05


def _logit(p):
    return np.log(p / (1 - p))


def _choice(rng: np.random.Generator, share: dict[str, float], n: int) -> np.ndarray:
    names = list(share)
    probs = np.array([share[k] for k in names], dtype=float)
    return np.array(names, dtype=object)[rng.choice(len(names), size=n, p=probs / probs.sum())]


def _fit_offsets(base: np.ndarray, groups: list[tuple[np.ndarray, dict[str, float]]], rounds: int = 25):
    """Shift each group's logit so its mean probability meets its target rate (raking in logit space)."""
    logit = base.copy()
    for _ in range(rounds):
        for labels, targets in groups:
            for name, target in targets.items():
                mask = labels == name
                if not mask.any():
                    continue
                current = 1 / (1 + np.exp(-logit[mask]))
                logit[mask] += _logit(target) - _logit(np.clip(current.mean(), 1e-6, 1 - 1e-6))
    return 1 / (1 + np.exp(-logit))


def generate(rows: int, seed: int) -> pd.DataFrame:
    if rows <= 0:
        raise ValueError("rows must be a positive integer")
    rng = np.random.default_rng(seed)
    n = rows
    employment = _choice(rng, EMPLOYMENT_SHARE, n)
    credit = np.clip(np.round(rng.normal(680, 55, n)), 373, 850).astype(int)

    # Grade follows credit score with noise: rank the noisy risk and cut it at the grade shares.
    risk = -(credit - 680) / 55 + rng.normal(0, 0.9, n)
    edges = np.quantile(risk, np.cumsum(list(GRADE_SHARE.values()))[:-1])
    letter_idx = np.searchsorted(edges, risk)
    letters = np.array(list(GRADE_SHARE))[letter_idx]
    digits = rng.integers(1, 6, n)
    grade = np.char.add(letters.astype(str), digits.astype(str)).astype(object)

    rate_base = np.array([GRADE_BASE_RATE[g] for g in GRADE_SHARE])[letter_idx]
    interest = np.clip(rate_base + (digits - 3) * 0.3 + rng.normal(0, 2.8, n), 3.14, 22.51).round(2)
    dti = np.clip(rng.lognormal(np.log(0.16), 0.55, n), 0.01, 0.667).round(3)
    income = np.clip(rng.lognormal(np.log(36_585), 0.6, n), 6_000, 400_000).round(2)
    amount = np.clip(rng.lognormal(np.log(14_946), 0.55, n), 500, 49_040).round(2)

    base = (
        DTI_SLOPE * (dti - 0.16) / 0.1
        + CREDIT_SLOPE * (credit - 680) / 55
        + RATE_SLOPE * (interest - 12.4) / 3.5
    )
    true_p = _fit_offsets(base, [(employment, EMPLOYMENT_DEFAULT), (letters, GRADE_DEFAULT)])
    paid_back = (rng.random(n) >= true_p).astype(int)

    frame = pd.DataFrame(
        {
            "application_id": [f"app-{seed}-{i:07d}" for i in range(n)],
            "annual_income": income,
            "debt_to_income_ratio": dti,
            "credit_score": credit,
            "loan_amount": amount,
            "interest_rate": interest,
            "gender": _choice(rng, GENDER_SHARE, n),
            "marital_status": _choice(rng, MARITAL_SHARE, n),
            "education_level": _choice(rng, EDUCATION_SHARE, n),
            "employment_status": employment,
            "loan_purpose": _choice(rng, PURPOSE_SHARE, n),
            "grade_subgrade": grade,
            contract.LABEL: paid_back,
            "true_probability_of_default": true_p.round(6),
        }
    )
    return frame

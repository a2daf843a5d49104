"""The master scale: the version's rating grades as bands of probability of default, chosen at training.

The bounds fall at fixed shares of the training applications (10%, 25%, 40%, 55%, 70%, 82% and 92% below
them), rounded to two significant figures so a risk team can read and quote them; the last grade runs to 1.
Grades are fixed for the version: every answer carries its grade, and backtests judge each grade's promise.
"""
from __future__ import annotations

import numpy as np

CUMULATIVE_SHARES = (0.10, 0.25, 0.40, 0.55, 0.70, 0.82, 0.92)


def choose(scores: np.ndarray) -> dict:
    bounds: list[float] = []
    for q in np.quantile(np.asarray(scores, dtype=float), CUMULATIVE_SHARES):
        bound = float(f"{q:.2g}")
        # Two shares may round to one bound on a narrow score distribution: one grade, not an empty one.
        if 0 < bound < 1 and (not bounds or bound > bounds[-1]):
            bounds.append(bound)
    bounds.append(1.0)
    return {
        "grades": [{"grade": f"R{i + 1}", "upper": bound} for i, bound in enumerate(bounds)],
        "method": "bounds at "
        + ", ".join(f"{share:.0%}" for share in CUMULATIVE_SHARES)
        + " of the training applications' probabilities, two significant figures; a grade holds (previous bound, bound]",
    }


def grade_of(scale: dict, probability: float) -> str:
    for band in scale["grades"]:
        if probability <= band["upper"]:
            return band["grade"]
    return scale["grades"][-1]["grade"]

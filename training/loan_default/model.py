"""Fitting the gradient-boosted model and its logistic-regression baseline, metrics and the decision threshold.

The positive class is default (loan_paid_back == 0), so every probability here is probability_of_default.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from . import contract, features, search

DEFAULT_COST_RATIO = 4.0
HOLDOUT_FRACTION = 0.2
THRESHOLD_FRACTION = 0.15
BASELINE_MAX_ROWS = 100_000  # the logistic baseline is fitted on at most this many rows
MIN_MONTH_HOLDOUT = 1_000  # rows the latest-month holdout (with --recalibrate-holdout) holds at least


@dataclass
class TrainedModel:
    gbm: HistGradientBoostingClassifier
    baseline: object
    spec: dict
    threshold: dict
    metrics: dict
    holdout: pd.DataFrame          # holdout rows with the label
    holdout_scores: np.ndarray     # probability_of_default on the holdout
    train_frame: pd.DataFrame      # rows the model was fitted on (reference distributions)
    train_scores: np.ndarray
    search: dict                   # how the hyperparameters were chosen


def default_target(frame: pd.DataFrame) -> np.ndarray:
    return (frame[contract.LABEL].to_numpy() == 0).astype(int)


def predict_default(gbm: HistGradientBoostingClassifier, matrix: np.ndarray) -> np.ndarray:
    # The tensor is float32; scikit-learn sees the same values widened to float64, as ONNX Runtime does.
    return gbm.predict_proba(matrix.astype(np.float64))[:, 1]


def choose_threshold(y: np.ndarray, p: np.ndarray, cost_ratio: float) -> dict:
    """Minimise expected cost: a missed default costs `cost_ratio`, a declined good loan costs 1."""
    candidates = np.unique(np.round(np.quantile(p, np.linspace(0.01, 0.99, 197)), 4))
    costs = [cost_ratio * np.sum((p < t) & (y == 1)) + np.sum((p >= t) & (y == 0)) for t in candidates]
    best = float(candidates[int(np.argmin(costs))])
    return {
        "value": best,
        "rule": "min_expected_cost",
        "cost_ratio": cost_ratio,
        "description": (
            f"The threshold minimises expected cost on a selection split held out from fitting, where a "
            f"missed default costs {cost_ratio:g} and a declined good loan costs 1"
        ),
        "selection_rows": int(len(y)),
    }


def intercept_shift(p: np.ndarray, y: np.ndarray, steps: int = 50) -> float:
    """The log-odds shift that makes the probabilities' sum equal the defaults observed (Newton's method)."""
    logit = np.log(np.clip(p, 1e-12, 1 - 1e-12) / np.clip(1 - p, 1e-12, 1))
    shift = 0.0
    for _ in range(steps):
        q = 1 / (1 + np.exp(-(logit + shift)))
        gradient = float(np.sum(q) - np.sum(y))
        curvature = float(np.sum(q * (1 - q)))
        if curvature <= 0:
            break
        step = gradient / curvature
        shift -= step
        if abs(step) < 1e-10:
            break
    return shift


def _baseline(seed: int, spec: dict):
    # The same inputs as the model: protected attributes only when the model uses them.
    categorical = [*[f["source"] for f in spec["features"] if f["kind"] == "category"], "grade_letter"]
    numeric = list(contract.NUMERIC_FIELDS)
    encode = ColumnTransformer(
        [("num", StandardScaler(), numeric), ("cat", OneHotEncoder(handle_unknown="ignore"), categorical)]
    )
    return make_pipeline(encode, LogisticRegression(max_iter=1000, random_state=seed))


def _baseline_frame(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(grade_letter=frame[contract.GRADE_FIELD].str[0])


def expected_calibration_error(y: np.ndarray, p: np.ndarray, bins: int = 10) -> float:
    """The mean gap between observed and promised default rates over ten equal-width bands (as the backtests use)."""
    band = np.minimum((p * bins).astype(int), bins - 1)
    gaps = np.abs(np.bincount(band, weights=y, minlength=bins) - np.bincount(band, weights=p, minlength=bins))
    return float(gaps.sum() / len(p)) if len(p) else 0.0


def evaluate(y: np.ndarray, p: np.ndarray, threshold: float) -> dict:
    declined = p >= threshold
    return {
        "roc_auc": float(roc_auc_score(y, p)),
        "expected_calibration_error": expected_calibration_error(y, p),
        "log_loss": float(log_loss(y, p, labels=[0, 1])),
        "brier": float(brier_score_loss(y, p)),
        "rows": int(len(y)),
        "default_rate": float(y.mean()),
        "approval_rate": float(1 - declined.mean()),
        "default_rate_approved": float(y[~declined].mean()) if (~declined).any() else 0.0,
        "defaults_caught": float(declined[y == 1].mean()) if (y == 1).any() else 0.0,
    }


def split_holdout(frame: pd.DataFrame, seed: int, holdout_by: str | None = None, latest_month: bool = False):
    """Stratified random 20% holdout; with `holdout_by` (a time column) the most recent 20% of rows, or with
    `latest_month` the rows of the most recent calendar month (with earlier months until MIN_MONTH_HOLDOUT rows)."""
    if holdout_by is None:
        return train_test_split(frame, test_size=HOLDOUT_FRACTION, stratify=default_target(frame), random_state=seed)
    times = pd.to_datetime(frame[holdout_by], utc=True, errors="raise")
    order = times.argsort(kind="stable").to_numpy()
    ordered = frame.iloc[order]
    cut = int(round(len(frame) * (1 - HOLDOUT_FRACTION)))
    if latest_month:
        months = times.iloc[order].dt.strftime("%Y-%m").to_numpy()
        counts = pd.Series(months).value_counts().sort_index(ascending=False)
        held = 0
        for count in counts:
            held += int(count)
            if held >= MIN_MONTH_HOLDOUT:
                break
        # Never more than half the rows: the model still needs something to learn from.
        cut = max(len(frame) - held, len(frame) // 2)
    return ordered.iloc[:cut], ordered.iloc[cut:]


def train(
    frame: pd.DataFrame,
    seed: int = 42,
    cost_ratio: float = DEFAULT_COST_RATIO,
    holdout_by: str | None = None,
    use_protected: bool = False,
    monotone: bool = True,
    recalibrate_recent: float = 0.0,
    recalibrate_holdout: bool = False,
    search_seconds: float = search.DEFAULT_SECONDS,
    search_trials: int = search.DEFAULT_TRIALS,
) -> TrainedModel:
    spec = features.default_spec(use_protected=use_protected, monotone=monotone)
    train_frame, holdout = split_holdout(frame, seed, holdout_by, latest_month=recalibrate_holdout)
    for part, name in ((train_frame, "training"), (holdout, "holdout")):
        if default_target(part).min() == default_target(part).max():
            raise ValueError(f"the {name} rows hold only one class; more data with both outcomes is needed")
    fit_frame, select_frame = train_test_split(
        train_frame, test_size=THRESHOLD_FRACTION, stratify=default_target(train_frame), random_state=seed
    )
    x_fit, y_fit = features.transform(fit_frame, spec), default_target(fit_frame)
    # Hyperparameters from cross-validation on the fit rows alone, with the same lawful constraints as the model.
    chosen = search.search(
        x_fit.astype(np.float64), y_fit, seed, features.monotonic_cst(spec), seconds=search_seconds, max_trials=search_trials
    )
    gbm = search.make_gbm(chosen.params, seed, features.monotonic_cst(spec))
    gbm.fit(x_fit.astype(np.float64), y_fit)
    shift = 0.0
    if recalibrate_recent > 0 and holdout_by:
        # The intercept re-estimated on the most recent training rows (before the holdout): the ranking learnt from
        # the whole window, the level of today's default rate. A shifted population is then promised what it does.
        recent = train_frame.iloc[-max(1, int(len(train_frame) * recalibrate_recent)):]
        shift = intercept_shift(predict_default(gbm, features.transform(recent, spec)), default_target(recent))
        gbm._baseline_prediction = gbm._baseline_prediction + shift
    if recalibrate_holdout and holdout_by:
        # The most recent month of outcomes sets today's level: every other row of it fits the intercept, the rest are
        # the holdout the model is judged on (one parameter fitted on one half, judged on the other). After a shift,
        # the candidate is then both levelled and judged on the shifted population alone.
        fitted, holdout = holdout.iloc[0::2], holdout.iloc[1::2]
        shift = intercept_shift(predict_default(gbm, features.transform(fitted, spec)), default_target(fitted))
        gbm._baseline_prediction = gbm._baseline_prediction + shift

    y_select = default_target(select_frame)
    threshold = choose_threshold(y_select, predict_default(gbm, features.transform(select_frame, spec)), cost_ratio)

    baseline = _baseline(seed, spec)
    # A yardstick, not the model: a sample of the fit rows is enough, and its one-hot matrix of every row would be
    # the largest thing training holds (measured: +130 MB at 500,000 rows).
    baseline_rows = fit_frame.sample(n=BASELINE_MAX_ROWS, random_state=seed) if len(fit_frame) > BASELINE_MAX_ROWS else fit_frame
    baseline.fit(_baseline_frame(baseline_rows), default_target(baseline_rows))

    y_hold = default_target(holdout)
    p_hold = predict_default(gbm, features.transform(holdout, spec))
    metrics = evaluate(y_hold, p_hold, threshold["value"])
    metrics["baseline_roc_auc"] = float(roc_auc_score(y_hold, baseline.predict_proba(_baseline_frame(holdout))[:, 1]))
    metrics["baseline"] = (
        f"logistic regression on standardised numbers and one-hot categories, fitted on at most {BASELINE_MAX_ROWS} rows"
    )
    metrics["iterations"] = int(gbm.n_iter_)
    if recalibrate_holdout:
        metrics["recalibration"] = f"intercept shifted by {shift:+.4f} log-odds on every other row of the most recent month; judged on the others"
    elif recalibrate_recent > 0:
        metrics["recalibration"] = f"intercept shifted by {shift:+.4f} log-odds on the most recent {recalibrate_recent:.0%} of training rows"
    metrics["train_rows"] = int(len(fit_frame))
    if recalibrate_holdout and holdout_by:
        metrics["holdout"] = f"every other row of the most recent month by {holdout_by}"
    else:
        metrics["holdout"] = f"most recent {HOLDOUT_FRACTION:.0%} by {holdout_by}" if holdout_by else f"stratified random {HOLDOUT_FRACTION:.0%}"
    return TrainedModel(
        gbm=gbm,
        baseline=baseline,
        spec=spec,
        threshold=threshold,
        metrics=metrics,
        holdout=holdout.reset_index(drop=True),
        holdout_scores=p_hold,
        train_frame=fit_frame.reset_index(drop=True),
        train_scores=predict_default(gbm, x_fit),
        search=chosen.as_json(),
    )

"""Choosing the gradient-boosted model's hyperparameters: cross-validation on the training rows, within a time budget.

The search sees only the rows the model is fitted on (never the threshold's selection split or the holdout), keeps the
lawful constraints (the feature spec without protected attributes, the monotone constraints) in every trial, and
stops each trial early on its own validation split. Trials run in a seeded order, today's defaults first, so a search
never chooses worse than the defaults as cross-validation sees them; a faster machine only tries more of the same list.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import log_loss, roc_auc_score
from sklearn.model_selection import StratifiedKFold

DEFAULT_PARAMS = {"learning_rate": 0.1, "max_leaf_nodes": 8, "min_samples_leaf": 40, "l2_regularization": 1.0}
# The space tried after the defaults, one seeded sample at a time.
# The service explains every decline with TreeSHAP tables of at most 12 splits per tree (MAX_TABLE_SPLITS in
# service/src/explain/tree-shap.ts), so a tree holds at most 13 leaves: a larger one would be refused at load.
MAX_LEAVES = 13
SPACE = {
    "learning_rate": [0.03, 0.05, 0.1, 0.2],
    "max_leaf_nodes": [4, 6, 8, 12],
    "min_samples_leaf": [20, 40, 100, 200],
    "l2_regularization": [0.0, 0.1, 1.0, 10.0],
}
DEFAULT_SECONDS = 60.0
DEFAULT_TRIALS = 12
DEFAULT_ROWS = 50_000  # rows the search cross-validates on (a sample of the fit rows beyond it)
FOLDS = 3
MAX_ITER = 400


def make_gbm(params: dict, seed: int, monotonic_cst) -> HistGradientBoostingClassifier:
    return HistGradientBoostingClassifier(
        **params,
        max_iter=MAX_ITER,
        early_stopping=True,
        validation_fraction=0.1,
        n_iter_no_change=25,
        random_state=seed,
        monotonic_cst=monotonic_cst,
    )


def candidates(seed: int, count: int) -> list[dict]:
    """The defaults, then distinct seeded draws from SPACE."""
    rng = np.random.default_rng(seed)
    chosen = [dict(DEFAULT_PARAMS)]
    seen = {tuple(sorted(DEFAULT_PARAMS.items()))}
    total = int(np.prod([len(v) for v in SPACE.values()]))
    while len(chosen) < min(count, total):
        draw = {name: values[int(rng.integers(len(values)))] for name, values in SPACE.items()}
        key = tuple(sorted(draw.items()))
        if key not in seen:
            seen.add(key)
            chosen.append(draw)
    return chosen


@dataclass
class SearchResult:
    params: dict
    trials: list[dict] = field(default_factory=list)
    seconds: float = 0.0
    budget_seconds: float = 0.0
    rows: int = 0
    stopped_by: str = "off"

    def as_json(self) -> dict:
        return {
            "method": f"{FOLDS}-fold stratified cross-validation on the training rows, mean log loss; "
            "defaults first, then seeded random draws",
            "chosen": self.params,
            "stopped_by": self.stopped_by,
            "budget_seconds": self.budget_seconds,
            "seconds": round(self.seconds, 2),
            "rows": self.rows,
            "trials": self.trials,
        }


def search(x: np.ndarray, y: np.ndarray, seed: int, monotonic_cst, seconds: float = DEFAULT_SECONDS,
           max_trials: int = DEFAULT_TRIALS, max_rows: int = DEFAULT_ROWS) -> SearchResult:
    """Cross-validate candidates until the budget or the trial count runs out; the lowest mean log loss wins.

    A budget of 0 (or one trial) keeps the defaults without fitting anything. The defaults' trial always runs and a
    trial that starts within the budget finishes, so a search may overrun by one trial's time.
    """
    if seconds <= 0 or max_trials <= 1:
        return SearchResult(params=dict(DEFAULT_PARAMS), budget_seconds=max(seconds, 0.0), stopped_by="off")
    rng = np.random.default_rng(seed)
    if len(y) > max_rows:
        keep = np.sort(rng.choice(len(y), size=max_rows, replace=False))
        x, y = x[keep], y[keep]
    folds = list(StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=seed).split(x, y))
    started = time.monotonic()
    result = SearchResult(params=dict(DEFAULT_PARAMS), budget_seconds=seconds, rows=int(len(y)), stopped_by="trials")
    best = np.inf
    for params in candidates(seed, max_trials):
        # The defaults always run, so every search records the score it is measured against.
        if result.trials and time.monotonic() - started >= seconds:
            result.stopped_by = "time"
            break
        trial_started = time.monotonic()
        losses, aucs, iterations = [], [], []
        for fit_index, test_index in folds:
            gbm = make_gbm(params, seed, monotonic_cst).fit(x[fit_index], y[fit_index])
            p = gbm.predict_proba(x[test_index])[:, 1]
            losses.append(log_loss(y[test_index], p, labels=[0, 1]))
            aucs.append(roc_auc_score(y[test_index], p))
            iterations.append(int(gbm.n_iter_))
        trial = {
            "params": params,
            "cv_log_loss": round(float(np.mean(losses)), 6),
            "cv_roc_auc": round(float(np.mean(aucs)), 6),
            "iterations": iterations,
            "seconds": round(time.monotonic() - trial_started, 2),
        }
        result.trials.append(trial)
        if trial["cv_log_loss"] < best:
            best, result.params = trial["cv_log_loss"], dict(params)
    result.seconds = time.monotonic() - started
    return result

import json

import numpy as np

from loan_default import data, features, model, pipeline, search


def test_candidates_start_with_the_defaults_and_are_distinct_and_seeded():
    first = search.candidates(seed=7, count=10)
    assert first[0] == search.DEFAULT_PARAMS
    assert len({json.dumps(c, sort_keys=True) for c in first}) == 10
    assert first == search.candidates(seed=7, count=10)
    assert first != search.candidates(seed=8, count=10)
    for c in first[1:]:
        assert all(c[name] in values for name, values in search.SPACE.items())


def test_every_candidate_tree_fits_the_services_explanation_tables():
    import re
    from pathlib import Path

    source = (Path(__file__).resolve().parents[2] / "service/src/explain/tree-shap.ts").read_text()
    max_splits = int(re.search(r"MAX_TABLE_SPLITS = (\d+)", source).group(1))
    assert search.MAX_LEAVES == max_splits + 1
    assert max(search.SPACE["max_leaf_nodes"]) <= search.MAX_LEAVES
    assert search.DEFAULT_PARAMS["max_leaf_nodes"] <= search.MAX_LEAVES


def test_search_picks_the_lowest_cross_validated_log_loss_within_the_constraints(small_frame):
    frame = data.validate(small_frame)
    spec = features.default_spec()
    x, y = features.transform(frame, spec).astype(np.float64), model.default_target(frame)
    found = search.search(x, y, seed=1, monotonic_cst=features.monotonic_cst(spec), seconds=120, max_trials=4, max_rows=3000)
    assert found.stopped_by == "trials"
    assert [t["params"] for t in found.trials] == search.candidates(1, 4)
    best = min(found.trials, key=lambda t: t["cv_log_loss"])
    assert found.params == best["params"]
    assert found.rows == 3000
    for t in found.trials:
        assert len(t["iterations"]) == search.FOLDS and max(t["iterations"]) <= search.MAX_ITER
        assert 0.5 < t["cv_roc_auc"] <= 1


def test_search_stops_starting_trials_when_the_budget_is_spent(small_frame):
    frame = data.validate(small_frame)
    spec = features.default_spec()
    x, y = features.transform(frame, spec).astype(np.float64), model.default_target(frame)
    # A budget smaller than one trial: the first trial runs, none after it.
    found = search.search(x, y, seed=1, monotonic_cst=None, seconds=1e-6, max_trials=12)
    assert found.stopped_by == "time"
    assert len(found.trials) == 1 and found.params == search.DEFAULT_PARAMS


def test_a_zero_budget_keeps_the_defaults_without_fitting():
    found = search.search(np.zeros((10, 2)), np.zeros(10), seed=1, monotonic_cst=None, seconds=0)
    assert found.stopped_by == "off" and found.trials == [] and found.params == search.DEFAULT_PARAMS


def test_the_manifest_and_card_record_the_search_and_the_model_uses_its_choice(small_frame, csv_of, tmp_path):
    path = csv_of(small_frame)
    doc = pipeline.train_to_dir(str(path), str(tmp_path / "m"), seed=4, search_seconds=120, search_trials=3)
    found = doc["model"]["search"]
    assert len(found["trials"]) == 3 and found["stopped_by"] == "trials"
    for name, value in found["chosen"].items():
        assert doc["model"]["params"][name] == value
    # The lawful constraints hold whatever was chosen: no protected attribute among the inputs, monotone risk.
    sources = {f.get("source") for f in doc["feature_spec"]["features"]}
    assert not sources & {"gender", "marital_status"}
    assert any(c != 0 for c in features.monotonic_cst(doc["feature_spec"]))
    assert 0 <= doc["metrics"]["expected_calibration_error"] < 0.1
    card = (tmp_path / "m" / "model-card.html").read_text()
    assert "Hyperparameters" in card and "CV log loss" in card and card.count("&#9733;") >= 1


def test_expected_calibration_error_matches_its_definition():
    p = np.array([0.05, 0.05, 0.15, 0.95])
    y = np.array([0, 1, 0, 1])
    # Bands: [0, 0.1) holds two rows (observed 1, promised 0.1); [0.1, 0.2) one (0 vs 0.15); [0.9, 1] one (1 vs 0.95).
    assert abs(model.expected_calibration_error(y, p) - (0.9 + 0.15 + 0.05) / 4) < 1e-12

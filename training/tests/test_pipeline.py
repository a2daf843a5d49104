import hashlib
import json

import pandas as pd
import pytest

from loan_default import __main__ as cli
from loan_default import pipeline, synth


@pytest.fixture(scope="module")
def data_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "train.csv"
    synth.generate(8000, 21).to_csv(path, index=False)
    return path


def test_training_writes_a_complete_manifest(data_file, tmp_path):
    doc = pipeline.train_to_dir(str(data_file), str(tmp_path / "v"), seed=5, search_seconds=0)
    for key in ("name", "version", "created_at", "training_data", "libraries", "feature_spec", "onnx", "metrics",
                "threshold", "canaries", "reference"):
        assert key in doc
    onnx_bytes = (tmp_path / "v/model.onnx").read_bytes()
    assert doc["onnx"]["sha256"] == hashlib.sha256(onnx_bytes).hexdigest()
    assert doc["version"].endswith(doc["onnx"]["sha256"][:7])
    assert doc["training_data"]["rows"] == 8000 and len(doc["training_data"]["sha256"]) == 64
    for key in ("roc_auc", "log_loss", "brier", "rows", "baseline_roc_auc"):
        assert key in doc["metrics"]
    assert 0 < doc["threshold"]["value"] < 1 and doc["threshold"]["rule"] == "min_expected_cost"
    assert len(doc["canaries"]) == 50
    assert set(doc["reference"]["inputs"]) == set(doc["feature_spec"]["inputs"])
    score = doc["reference"]["score"]
    assert len(score["proportions"]) == len(score["edges"]) + 1 and abs(sum(score["proportions"]) - 1) < 1e-9
    assert json.loads((tmp_path / "v/manifest.json").read_text()) == doc
    card = (tmp_path / "v/model-card.html").read_text()
    assert "data:image/png;base64," in card
    # The decision rule is stated once, in one form.
    assert card.count("probability_of_default &ge;") == 1
    # The master scale: rising bounds to 1, and its table on the card.
    bounds = [g["upper"] for g in doc["master_scale"]["grades"]]
    assert bounds == sorted(bounds) and bounds[-1] == 1.0 and 7 <= len(bounds) <= 10
    assert "<h2>Master scale</h2>" in card and card.count("&lt; PD &le;") == len(bounds)
    assert "decline when" not in card.lower().replace("decline when probability_of_default &ge;", "")


def test_training_is_deterministic_for_a_seed(data_file, tmp_path):
    a = pipeline.train_to_dir(str(data_file), str(tmp_path / "a"), seed=9, search_seconds=0)
    b = pipeline.train_to_dir(str(data_file), str(tmp_path / "b"), seed=9, search_seconds=0)
    assert (tmp_path / "a/model.onnx").read_bytes() == (tmp_path / "b/model.onnx").read_bytes()
    assert a["metrics"] == b["metrics"] and a["canaries"] == b["canaries"]


def test_holdout_auc_is_close_to_the_best_achievable(tmp_path):
    path = tmp_path / "big.csv"
    frame = synth.generate(100_000, 7)
    frame.to_csv(path, index=False)
    trained_doc = pipeline.train_to_dir(str(path), str(tmp_path / "m"), seed=42, search_seconds=0)
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import train_test_split

    # Same split as training: the holdout rows' true probabilities give the best AUC any model can reach.
    y = (frame["loan_paid_back"] == 0).astype(int)
    _, holdout = train_test_split(frame, test_size=0.2, stratify=y, random_state=42)
    best = roc_auc_score(holdout["loan_paid_back"] == 0, holdout["true_probability_of_default"])
    assert abs(trained_doc["metrics"]["roc_auc"] - best) <= 0.01


def test_cli_exit_codes(tmp_path, capsys):
    assert cli.main(["train", "--data", str(tmp_path / "missing.csv"), "--out", str(tmp_path / "o")]) == 2
    assert "not found" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["generate", "--rows", "0", "--seed", "1", "--out", str(tmp_path / "x.csv")])
    assert exit_info.value.code == 2


def test_time_based_holdout_is_the_most_recent_rows(tmp_path):
    frame = synth.generate(5000, 31)
    frame["observed_at"] = pd.date_range("2026-01-01", periods=len(frame), freq="h", tz="UTC").strftime("%Y-%m-%dT%H:%M:%SZ")
    frame = frame.sample(frac=1, random_state=0)  # file order must not matter
    path = tmp_path / "timed.csv"
    frame.to_csv(path, index=False)
    doc = pipeline.train_to_dir(str(path), str(tmp_path / "m"), seed=1, holdout_by="observed_at", holdout_out=str(tmp_path / "h.csv"), search_seconds=0)
    holdout = pd.read_csv(tmp_path / "h.csv")
    assert len(holdout) == 1000 and doc["metrics"]["rows"] == 1000
    assert holdout["observed_at"].min() > frame["observed_at"].sort_values().iloc[3999]
    assert "by observed_at" in doc["metrics"]["holdout"]


def test_the_default_model_ignores_protected_inputs_and_moves_risk_the_right_way(data_file, tmp_path):
    import numpy as np

    from loan_default import contract, features, model

    frame = synth.generate(3000, 4)
    trained = model.train(frame.drop(columns=["true_probability_of_default"]), seed=5, search_seconds=0)
    spec = trained.spec
    sample = frame.head(300).copy()
    base = model.predict_default(trained.gbm, features.transform(sample, spec))
    for attribute, values in (("gender", contract.ENUM_FIELDS["gender"]), ("marital_status", contract.ENUM_FIELDS["marital_status"])):
        for value in values:
            changed = model.predict_default(trained.gbm, features.transform(sample.assign(**{attribute: value}), spec))
            assert np.array_equal(changed, base)
    # Stepping a constrained input across its range never moves the probability the wrong way.
    steps = {"credit_score": (np.linspace(300, 850, 12), -1), "debt_to_income_ratio": (np.linspace(0, 2, 12), 1),
             "interest_rate": (np.linspace(1, 40, 12), 1), "annual_income": (np.linspace(5000, 400000, 12), -1)}
    for field, (values, direction) in steps.items():
        scores = np.stack([model.predict_default(trained.gbm, features.transform(sample.assign(**{field: v}), spec)) for v in values])
        moves = np.diff(scores, axis=0) * direction
        assert (moves >= -1e-12).all(), field
    grades = [f"{letter}{digit}" for letter in contract.GRADE_LETTERS for digit in contract.GRADE_DIGITS]
    scores = np.stack([model.predict_default(trained.gbm, features.transform(sample.assign(grade_subgrade=g), spec)) for g in grades])
    assert (np.diff(scores, axis=0) >= -1e-12).all()


def test_the_card_and_manifest_carry_fairness_per_group(data_file, tmp_path):
    import numpy as np

    from loan_default import export, features

    doc = pipeline.train_to_dir(str(data_file), str(tmp_path / "v"), seed=5, holdout_out=str(tmp_path / "holdout.csv"), search_seconds=0)
    holdout_frame = pd.read_csv(tmp_path / "holdout.csv")
    # A direct computation on the same rows, scored by the exported graph.
    p = export.evaluate((tmp_path / "v/model.onnx").read_bytes(), features.transform(holdout_frame, doc["feature_spec"]))
    approved = p < doc["threshold"]["value"]
    for attribute in ("gender", "marital_status"):
        for group, g in doc["fairness"][attribute].items():
            mask = (holdout_frame[attribute] == group).to_numpy()
            assert g["count"] == int(mask.sum())
            assert abs(g["approval_rate"] - approved[mask].mean()) <= 1 / g["count"]
            assert g["default_rate"] == pytest.approx((holdout_frame.loc[mask, "loan_paid_back"] == 0).mean())
    assert set(doc["fairness"]) == {"gender", "marital_status"}
    for attribute, groups in doc["fairness"].items():
        assert sum(g["count"] for g in groups.values()) == doc["metrics"]["rows"]
        best = max(g["approval_rate"] for g in groups.values())
        for g in groups.values():
            assert g["adverse_impact_ratio"] == pytest.approx(g["approval_rate"] / best)
            assert g["four_fifths_ok"] == (g["adverse_impact_ratio"] >= 0.8)
    card = (tmp_path / "v/model-card.html").read_text()
    assert "Fairness on the holdout" in card and "does <b>not</b> use gender and marital status" in card
    assert "adverse impact ratio" in card and len(holdout_frame) == doc["metrics"]["rows"] and np.isfinite(doc["metrics"]["roc_auc"])

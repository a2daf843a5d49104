import numpy as np
import pandas as pd

from loan_default import contract, features


def test_default_spec_reads_only_contract_fields():
    spec = features.default_spec()
    assert spec["tensor"] == {"input_name": "features", "dtype": "float32", "shape": [None, len(spec["features"])]}
    for feature in spec["features"]:
        assert feature["kind"] in features.KINDS
        for key in ("source", "numerator", "denominator"):
            if key in feature:
                assert feature[key] in contract.INPUT_FIELDS
        if feature["kind"] == "category":
            assert feature["vocabulary"] == contract.ENUM_FIELDS[feature["source"]]
    kinds = {f["kind"] for f in spec["features"]}
    assert {"grade_letter", "grade_ordinal", "ratio"} <= kinds


def test_transform_encodes_a_known_row():
    row = pd.DataFrame([{
        "annual_income": 52000.0, "debt_to_income_ratio": 0.18, "credit_score": 702, "loan_amount": 15000.0,
        "interest_rate": 11.5, "gender": "Male", "marital_status": "Widowed", "education_level": "PhD",
        "employment_status": "Retired", "loan_purpose": "Vacation", "grade_subgrade": "D4",
    }])
    spec = features.default_spec(use_protected=True)
    x = features.transform(row, spec)
    named = dict(zip(features.feature_names(spec), x[0].tolist()))
    assert x.dtype == np.float32 and x.shape == (1, len(spec["features"]))
    assert named["gender"] == 1 and named["marital_status"] == 3 and named["education_level"] == 3
    assert named["employment_status"] == 3 and named["loan_purpose"] == 6
    assert named["grade"] == 3 and named["subgrade"] == 3 * 5 + 3
    assert named["loan_to_income"] == np.float32(15000.0 / 52000.0)
    assert named["debt_to_income_ratio"] == np.float32(0.18)


def test_protected_inputs_are_monitoring_only_unless_asked_for():
    spec = features.default_spec()
    names = features.feature_names(spec)
    assert "gender" not in names and "marital_status" not in names
    assert spec["monitoring_only"] == ["gender", "marital_status"] and spec["protected_inputs_used"] is False
    assert spec["inputs"] == contract.INPUT_FIELDS  # the request still carries (and validates) all 11
    asked = features.default_spec(use_protected=True)
    assert {"gender", "marital_status"} <= set(features.feature_names(asked))
    assert asked["monitoring_only"] == [] and asked["protected_inputs_used"] is True


def test_monotone_directions_are_recorded_in_tensor_order():
    spec = features.default_spec()
    cst = features.monotonic_cst(spec)
    directions = dict(zip(features.feature_names(spec), cst))
    assert directions["credit_score"] == -1 and directions["annual_income"] == -1
    assert directions["debt_to_income_ratio"] == 1 and directions["interest_rate"] == 1 and directions["loan_to_income"] == 1
    assert directions["grade"] == 1 and directions["subgrade"] == 1 and directions["loan_amount"] == 0
    assert features.monotonic_cst(features.default_spec(monotone=False)) is None

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from loan_default import contract, data, synth


def test_same_seed_same_rows_other_seed_other_rows():
    a, b, c = synth.generate(3000, 11), synth.generate(3000, 11), synth.generate(3000, 12)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)


def test_rows_follow_the_contract():
    frame = synth.generate(5000, 2)
    assert len(data.validate(frame)) == 5000
    assert {"application_id", "true_probability_of_default"} <= set(frame.columns)


def test_statistics_look_like_the_real_data():
    frame = synth.generate(60_000, 4)
    default = 1 - frame[contract.LABEL]
    assert abs(default.mean() - 0.20) < 0.015
    by_employment = default.groupby(frame["employment_status"]).mean()
    for status, rate in synth.EMPLOYMENT_DEFAULT.items():
        assert abs(by_employment[status] - rate) < 0.03, status
    by_grade = default.groupby(frame["grade_subgrade"].str[0]).mean()
    for letter, rate in synth.GRADE_DEFAULT.items():
        assert abs(by_grade[letter] - rate) < 0.03, letter
    corr = {c: np.corrcoef(frame[c], default)[0, 1] for c in contract.NUMERIC_FIELDS}
    assert 0.15 < corr["debt_to_income_ratio"] < 0.3
    assert -0.28 < corr["credit_score"] < -0.12
    assert 0.05 < corr["interest_rate"] < 0.2
    assert abs(corr["annual_income"]) < 0.03 and abs(corr["loan_amount"]) < 0.03
    assert abs(frame["credit_score"].median() - 680) < 10
    assert abs(frame["annual_income"].median() - 36_585) < 2_000
    # Labels are drawn from the true probability: it ranks them well, but not perfectly.
    assert 0.8 < roc_auc_score(default, frame["true_probability_of_default"]) < 0.97

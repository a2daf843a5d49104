import numpy as np

from loan_default import master_scale


def test_bounds_rise_from_the_training_scores_to_one_and_every_grade_is_populated():
    rng = np.random.default_rng(4)
    scores = rng.beta(1.2, 6, 20_000)
    scale = master_scale.choose(scores)
    bounds = [g["upper"] for g in scale["grades"]]
    assert 7 <= len(bounds) <= 10
    assert bounds == sorted(bounds) and len(set(bounds)) == len(bounds) and bounds[-1] == 1.0
    assert [g["grade"] for g in scale["grades"]] == [f"R{i + 1}" for i in range(len(bounds))]
    counts = {g["grade"]: 0 for g in scale["grades"]}
    for p in scores:
        counts[master_scale.grade_of(scale, p)] += 1
    assert min(counts.values()) > 0.05 * len(scores)
    # Two significant figures: quotable.
    assert all(float(f"{b:.2g}") == b for b in bounds)


def test_a_narrow_score_distribution_gets_fewer_grades_not_empty_ones():
    scale = master_scale.choose(np.full(1000, 0.1234))
    assert [g["upper"] for g in scale["grades"]] == [0.12, 1.0]
    assert master_scale.grade_of(scale, 0.12) == "R1" and master_scale.grade_of(scale, 0.1201) == "R2"


def test_intercept_shift_makes_the_promised_defaults_equal_the_observed():
    from loan_default import model

    rng = np.random.default_rng(9)
    truth = rng.uniform(0.02, 0.5, 20_000)
    y = (rng.uniform(size=truth.size) < truth).astype(int)
    low = truth * 0.7
    shift = model.intercept_shift(low, y)
    assert shift > 0.3
    recalibrated = 1 / (1 + np.exp(-(np.log(low / (1 - low)) + shift)))
    assert abs(recalibrated.sum() - y.sum()) < 1e-6 * y.size
    assert abs(model.intercept_shift(truth, y)) < 0.05


def test_recalibrating_on_the_holdout_judges_on_the_other_half_and_meets_a_shifted_default_rate(tmp_path):
    from loan_default import model, synth

    frame = synth.generate(6000, 5)
    frame["observed_at"] = [f"2026-{1 + i * 12 // len(frame):02d}-15T00:00:00Z" for i in range(len(frame))]
    # The most recent quarter defaults more: its odds of default doubled (labels redrawn from the shifted truth).
    rng = np.random.default_rng(2)
    recent = np.arange(len(frame)) >= int(len(frame) * 0.75)
    true_p = frame["true_probability_of_default"].to_numpy()
    shifted = np.where(recent, 1 / (1 + (1 - true_p) / (2 * true_p)), true_p)
    frame["loan_paid_back"] = (rng.uniform(size=len(frame)) >= shifted).astype(int)
    plain = model.train(frame.copy(), seed=3, holdout_by="observed_at", search_seconds=0)
    recalibrated = model.train(frame.copy(), seed=3, holdout_by="observed_at", recalibrate_holdout=True, search_seconds=0)
    # The most recent months reaching MIN_MONTH_HOLDOUT rows (two of 500), every other row of them judged.
    assert len(recalibrated.holdout) == model.MIN_MONTH_HOLDOUT // 2
    assert recalibrated.holdout["observed_at"].min() >= "2026-11"
    observed = model.default_target(recalibrated.holdout).mean()
    assert abs(recalibrated.holdout_scores.mean() - observed) < abs(plain.holdout_scores.mean() - model.default_target(plain.holdout).mean())
    assert "every other row" in recalibrated.metrics["recalibration"]

import pytest

from loan_default import contract, data


def test_valid_file_loads_and_extra_columns_are_dropped(small_frame, csv_of):
    frame = small_frame.assign(branch="north", issued_on="2026-01-01")
    loaded = data.load(csv_of(frame))
    assert len(loaded) == len(frame)
    assert "branch" not in loaded.columns and "true_probability_of_default" not in loaded.columns
    assert set(contract.INPUT_FIELDS) <= set(loaded.columns)
    assert loaded["credit_score"].dtype.kind == "i"


def test_missing_columns_are_all_named(small_frame, csv_of):
    with pytest.raises(data.ContractError) as error:
        data.load(csv_of(small_frame.drop(columns=["gender", "loan_paid_back"])))
    assert error.value.problems == ["gender: required column is missing", "loan_paid_back: required column is missing"]


@pytest.mark.parametrize(
    "column, value, words",
    [
        ("credit_score", "abc", "credit_score: 1 rows are not finite numbers (e.g. 'abc')"),
        ("credit_score", 700.5, "credit_score: 1 rows are not whole numbers"),
        ("credit_score", 250, "credit_score: 1 rows break the rule >= 300 and <= 850"),
        ("annual_income", 0, "annual_income: 1 rows break the rule > 0 and <= 100000000"),
        ("debt_to_income_ratio", 12, "debt_to_income_ratio: 1 rows break the rule >= 0 and <= 10"),
        ("interest_rate", "inf", "interest_rate: 1 rows are not finite numbers"),
        ("gender", "female", "gender: 1 rows are not one of ['Female', 'Male', 'Other'] (e.g. 'female')"),
        ("employment_status", "Employed ", "employment_status: 1 rows are not one of"),
        ("grade_subgrade", "H2", "grade_subgrade: 1 rows do not match A1..G5 (e.g. 'H2')"),
        ("loan_paid_back", 2, "loan_paid_back: 1 rows are not 0 or 1"),
    ],
)
def test_each_rule_is_reported_with_column_and_value(small_frame, csv_of, column, value, words):
    frame = small_frame.copy()
    frame[column] = frame[column].astype(object)
    frame.loc[5, column] = value
    with pytest.raises(data.ContractError) as error:
        data.load(csv_of(frame))
    assert any(words in problem for problem in error.value.problems), error.value.problems


def test_every_problem_is_reported_at_once(small_frame, csv_of):
    frame = small_frame.copy().astype({"gender": object, "credit_score": object})
    frame.loc[1, "gender"] = "X"
    frame.loc[2, "credit_score"] = "bad"
    with pytest.raises(data.ContractError) as error:
        data.load(csv_of(frame))
    assert [p.split(":")[0] for p in error.value.problems] == ["credit_score", "gender"]


def test_one_class_only_cannot_train(small_frame, csv_of):
    with pytest.raises(data.ContractError, match="both classes"):
        data.load(csv_of(small_frame.assign(loan_paid_back=1)))


def test_unsupported_and_missing_files(tmp_path):
    (tmp_path / "x.json").write_text("{}")
    with pytest.raises(ValueError, match="unsupported data file type"):
        data.read_table(tmp_path / "x.json")
    with pytest.raises(FileNotFoundError):
        data.read_table(tmp_path / "nope.csv")


def test_parquet_reads_when_an_engine_is_installed_and_says_what_to_install_otherwise(small_frame, tmp_path):
    path = tmp_path / "data.parquet"
    try:
        small_frame.to_parquet(path)
    except ImportError:
        path.write_bytes(b"PAR1")
        with pytest.raises(RuntimeError, match="pyarrow"):
            data.read_table(path)
        return
    assert len(data.load(path)) == len(small_frame)

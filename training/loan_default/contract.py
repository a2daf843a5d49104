"""The data contract of docs/data-contract.md: the 11 inputs, their rules and the label.

The service's DTO (service/src/contract) states the same rules for TypeScript; a jest test compares the two
through `python -m loan_default contract`, so a change on one side that is not made on the other fails CI.
"""
from __future__ import annotations

LABEL = "loan_paid_back"
APPLICATION_ID = "application_id"

NUMERIC_FIELDS: dict[str, dict] = {
    "annual_income": {"type": "number", "exclusive_min": 0, "max": 100_000_000},
    "debt_to_income_ratio": {"type": "number", "min": 0, "max": 10},
    "credit_score": {"type": "integer", "min": 300, "max": 850},
    "loan_amount": {"type": "number", "exclusive_min": 0, "max": 100_000_000},
    "interest_rate": {"type": "number", "exclusive_min": 0, "max": 100},
}

ENUM_FIELDS: dict[str, list[str]] = {
    "gender": ["Female", "Male", "Other"],
    "marital_status": ["Single", "Married", "Divorced", "Widowed"],
    "education_level": ["High School", "Bachelor's", "Master's", "PhD", "Other"],
    "employment_status": ["Employed", "Self-employed", "Unemployed", "Retired", "Student"],
    "loan_purpose": ["Debt consolidation", "Car", "Home", "Education", "Business", "Medical", "Vacation", "Other"],
}

GRADE_LETTERS = "ABCDEFG"
GRADE_DIGITS = "12345"
GRADE_SUBGRADE_PATTERN = r"^[A-G][1-5]$"
GRADE_FIELD = "grade_subgrade"

# Input order as docs/data-contract.md lists it; the manifest and the canaries use it.
INPUT_FIELDS: list[str] = [
    "annual_income",
    "debt_to_income_ratio",
    "credit_score",
    "loan_amount",
    "interest_rate",
    "gender",
    "marital_status",
    "education_level",
    "employment_status",
    "loan_purpose",
    GRADE_FIELD,
]


def as_json() -> dict:
    """The contract as plain data (for the manifest and the cross-language check)."""
    fields = []
    for name in INPUT_FIELDS:
        if name in NUMERIC_FIELDS:
            fields.append({"name": name, **NUMERIC_FIELDS[name]})
        elif name in ENUM_FIELDS:
            fields.append({"name": name, "type": "enum", "values": list(ENUM_FIELDS[name])})
        else:
            fields.append({"name": name, "type": "string", "pattern": GRADE_SUBGRADE_PATTERN})
    return {"fields": fields, "label": LABEL, "id": APPLICATION_ID}

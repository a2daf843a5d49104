import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from loan_default import synth  # noqa: E402


@pytest.fixture(scope="session")
def small_frame():
    return synth.generate(6000, seed=3)


@pytest.fixture()
def csv_of(tmp_path):
    def write(frame, name="data.csv"):
        path = tmp_path / name
        frame.to_csv(path, index=False)
        return path

    return write

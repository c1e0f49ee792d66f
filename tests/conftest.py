import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def shared_ramps_dir():
    """The measured CrossSim ramps in ../shared beside the checkout, or None."""
    base = Path(os.environ.get("MEMSIM_SHARED_DATA", REPO.parent / "shared"))
    folder = base / "data" / "measured" / "crosssim-rram-ramps"
    return folder if (folder / "set.csv").is_file() else None


@pytest.fixture
def ramps_dir():
    folder = shared_ramps_dir()
    if folder is None:
        pytest.skip("measured ramps (../shared/data/measured/crosssim-rram-ramps) absent")
    return folder

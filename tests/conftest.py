import os

import pytest
from hypothesis import settings

from memsim.devices.measured import MEASURED_RAMPS

# The suite is deterministic: the same examples on every run and machine (CI
# among them). `HYPOTHESIS_PROFILE=explore python -m pytest` draws new ones.
settings.register_profile("ci", derandomize=True, database=None)
settings.register_profile("explore", max_examples=200)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture
def ramps_dir():
    """The measured CrossSim RRAM ramps shipped in data/measured."""
    return MEASURED_RAMPS

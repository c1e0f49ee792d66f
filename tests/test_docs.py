"""The examples in the docstrings run and print what they say."""

import doctest

import pytest

import memsim.devices.pcm
import memsim.devices.pulse


@pytest.mark.parametrize("module", [memsim.devices.pcm, memsim.devices.pulse])
def test_docstring_examples(module):
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0

"""The README's examples hold: its Python blocks run, its `memsim` command lines parse."""

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from memsim.cli import build_parser

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def _commands():
    for block in re.findall(r"```bash\n(.*?)```", README, re.S):
        for line in block.splitlines():
            for part in line.split("&&"):
                words = shlex.split(part, comments=True)
                if words[:1] == ["memsim"]:
                    yield words[1:]


@pytest.mark.parametrize("args", list(_commands()), ids=" ".join)
def test_readme_command_lines_parse(args):
    build_parser().parse_args(args)


@pytest.mark.parametrize("index", range(len(re.findall(r"```python\n", README))))
def test_readme_python_blocks_run(tmp_path, index):
    code = re.findall(r"```python\n(.*?)```", README, re.S)[index]
    res = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                         text=True, timeout=300)
    assert res.returncode == 0, res.stderr

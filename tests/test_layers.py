"""The layer contract of docs/design.md holds, and a wrong import breaks it."""

import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def lint_imports(cwd, env=None):
    return subprocess.run([sys.executable, "-c", "from importlinter.cli import "
                           "lint_imports_command as main; main()"], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def test_memsim_keeps_its_layers():
    res = lint_imports(REPO)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "0 broken" in res.stdout


def test_a_network_module_importing_hardware_breaks_the_contract(tmp_path):
    shutil.copytree(REPO / "memsim", tmp_path / "memsim",
                    ignore=shutil.ignore_patterns("*.so", "*.c", "__pycache__"))
    shutil.copy(REPO / "pyproject.toml", tmp_path)
    neurons = tmp_path / "memsim" / "snn" / "neurons.py"
    neurons.write_text(neurons.read_text() + "\nfrom ..hardware import deploy  # wrong\n")
    res = lint_imports(tmp_path, env={"PYTHONPATH": str(tmp_path), "PATH": ""})
    assert res.returncode != 0
    assert "memsim layers BROKEN" in res.stdout
    assert "memsim.snn.neurons -> memsim.hardware" in res.stdout

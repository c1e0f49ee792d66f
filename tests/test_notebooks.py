"""The tutorial notebooks: committed with their outputs, ending in a cell that checks the
numbers their text quotes, and executing without error (which runs those checks)."""

import json
import re
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))
IDS = [p.name for p in NOTEBOOKS]
CHECKS_TITLE = "## Checks: the numbers the text quotes"
# A code cell whose source has one of these shows something, so it must have an output.
SHOWS = ("print(", "plt.show()", "display(")


def cells(path):
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def source(cell):
    text = cell["source"]
    return text if isinstance(text, str) else "".join(text)


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_notebook_executes(path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                                     resources={"metadata": {"path": str(path.parent)}})
    client.execute()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_notebook_committed_with_outputs(path):
    code = [c for c in cells(path) if c["cell_type"] == "code" and source(c).strip()]
    counts = [c["execution_count"] for c in code]
    assert None not in counts, f"{path.name}: code cells that were not executed"
    # one clean run, top to bottom: the counts are 1, 2, 3, ...
    assert counts == list(range(1, len(code) + 1)), f"{path.name}: execution counts {counts}"
    for k, cell in enumerate(code, start=1):
        outputs = cell["outputs"]
        assert not [o for o in outputs if o["output_type"] == "error"], \
            f"{path.name}, code cell {k}: committed with an error"
        if any(s in source(cell) for s in SHOWS):
            assert outputs, f"{path.name}, code cell {k}: prints or plots but has no output"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_notebook_ends_with_checks(path):
    all_cells = cells(path)
    last = max(i for i, c in enumerate(all_cells) if c["cell_type"] == "code")
    titles = [i for i, c in enumerate(all_cells)
              if c["cell_type"] == "markdown" and source(c).startswith(CHECKS_TITLE)]
    assert titles, f"{path.name}: no '{CHECKS_TITLE}' cell"
    assert titles[-1] < last and all(c["cell_type"] == "markdown"
                                     for c in all_cells[titles[-1]:last]), \
        f"{path.name}: the last code cell does not follow '{CHECKS_TITLE}'"
    lines = source(all_cells[last]).splitlines()
    assert any(line.lstrip().startswith("assert ") for line in lines), \
        f"{path.name}: the checks cell asserts nothing"


def test_notebooks_name_no_outside_path_and_set_no_backend():
    assert NOTEBOOKS
    for path in NOTEBOOKS:
        text = path.read_text(encoding="utf-8")
        # notebooks/ is one level down: "../.." leaves the repository, and so does the
        # workplace's shared folder beside it
        assert "../.." not in text and not re.search(r"\.\./" + "shared", text), path.name
        for cell in cells(path):
            assert "%matplotlib" not in source(cell), path.name
            assert "MEMSIM_SHARED_DATA" not in source(cell), path.name

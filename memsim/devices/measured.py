"""Read measured device data from CSV files.

Pulse ramps: one column per potentiation or depression run, one row per pulse,
a header row of run names. Runs may have different lengths (ragged): a shorter
run leaves its last cells empty. A value missing in the middle of a run, a
non-numeric or non-finite cell, or a negative value is an error that names the
file, the line (1-based, header = line 1) and the column.

Drift measurements: columns ``device``, ``time`` (s) and ``conductance`` (S),
one row per read; an optional ``state`` column labels the programmed state.
"""

from __future__ import annotations

import csv
import math
from importlib import resources
from pathlib import Path

import numpy as np

from .._validation import check_scalar
from ..errors import DataError

#: The measured RRAM pulse ramps shipped with memsim (CrossSim's example data,
#: BSD-3-Clause): ``set.csv`` (39 potentiation runs) and ``reset.csv`` (40
#: depression runs), read currents (A) at 0.1 V. Source and licence: the
#: README.md and LICENSE.md in the folder.
MEASURED_RAMPS = Path(str(resources.files("memsim.data") / "measured" / "crosssim-rram-ramps"))


class DataFileError(DataError):
    """A measured-data file that cannot be used, with where and why."""


def read_ramps(path, *, read_voltage=None, min_runs=1):
    """Read pulse ramps from a CSV file.

    Parameters
    ----------
    path : str or Path
        CSV file, one column per run, header row of names.
    read_voltage : float, optional
        If given, the cells are read currents (A) at this voltage (V) and are
        converted to conductance ``G = I / V``; otherwise they are conductances (S).
    min_runs : int, default=1
        Fewest runs accepted.

    Returns
    -------
    names : list of str
        Run names from the header.
    runs : list of ndarray
        Conductance (S) per pulse for each run, in pulse order.

    Raises
    ------
    DataFileError
        If the file is missing, empty, malformed, ragged inside a run, holds a
        non-finite or negative value, or has fewer than ``min_runs`` runs.
    """
    path = Path(path)
    if read_voltage is not None:
        read_voltage = check_scalar("read_voltage", read_voltage, low=0.0, low_inclusive=False)
    try:
        with path.open(newline="") as fh:
            rows = list(csv.reader(fh))
    except OSError as exc:
        raise DataFileError(f"{path}: cannot read ({exc.strerror})") from exc
    except UnicodeDecodeError as exc:
        raise DataFileError(f"{path}: not a text CSV file ({exc.reason})") from exc
    rows = [r for r in rows if any(cell.strip() for cell in r)]
    if len(rows) < 2:
        raise DataFileError(f"{path}: needs a header row and at least one row of values, "
                            f"found {len(rows)} non-empty line(s)")
    names = [n.strip() for n in rows[0]]
    if any(not n for n in names) or len(set(names)) != len(names):
        raise DataFileError(f"{path}, line 1: header must name every column once, got {names}")
    columns = [[] for _ in names]
    ended = [False] * len(names)
    for line_no, row in enumerate(rows[1:], start=2):
        if len(row) > len(names) and any(c.strip() for c in row[len(names):]):
            raise DataFileError(f"{path}, line {line_no}: {len(row)} cells but the header "
                                f"names {len(names)} columns")
        for j, name in enumerate(names):
            cell = row[j].strip() if j < len(row) else ""
            if not cell:
                ended[j] = True
                continue
            if ended[j]:
                raise DataFileError(f"{path}, line {line_no}, column {name!r}: value after an "
                                    "empty cell; a run may only end early, not have gaps")
            try:
                value = float(cell)
            except ValueError:
                raise DataFileError(f"{path}, line {line_no}, column {name!r}: not a number: "
                                    f"{cell!r}") from None
            if not math.isfinite(value):
                raise DataFileError(f"{path}, line {line_no}, column {name!r}: non-finite "
                                    f"value {cell!r}")
            if value < 0:
                raise DataFileError(f"{path}, line {line_no}, column {name!r}: negative "
                                    f"{'current' if read_voltage else 'conductance'} {value!r}")
            columns[j].append(value)
    runs = []
    for name, col in zip(names, columns):
        if len(col) < 2:
            raise DataFileError(f"{path}, column {name!r}: a run needs at least 2 pulses, "
                                f"got {len(col)}")
        g = np.asarray(col, dtype=np.float64)
        runs.append(g / read_voltage if read_voltage else g)
    if len(runs) < min_runs:
        raise DataFileError(f"{path}: needs at least {min_runs} runs, got {len(runs)}")
    return names, runs


def read_drift(path):
    """Read drift measurements from a CSV file.

    Parameters
    ----------
    path : str or Path
        CSV with header ``device,time,conductance`` and optionally ``state``;
        time in s (> 0), conductance in S (> 0).

    Returns
    -------
    dict of ndarray
        ``device`` (str), ``time`` (float), ``conductance`` (float) and, if
        present, ``state`` (str).
    """
    path = Path(path)
    try:
        with path.open(newline="") as fh:
            reader = csv.DictReader(fh)
            header = reader.fieldnames or []
            rows = list(reader)
    except OSError as exc:
        raise DataFileError(f"{path}: cannot read ({exc.strerror})") from exc
    missing = {"device", "time", "conductance"} - set(header)
    if missing:
        raise DataFileError(f"{path}, line 1: missing column(s) {sorted(missing)}; "
                            f"header is {header}")
    if not rows:
        raise DataFileError(f"{path}: no data rows")
    out = {"device": [], "time": [], "conductance": []}
    if "state" in header:
        out["state"] = []
    for line_no, row in enumerate(rows, start=2):
        for key in ("time", "conductance"):
            cell = (row.get(key) or "").strip()
            try:
                value = float(cell)
            except ValueError:
                raise DataFileError(f"{path}, line {line_no}, column {key!r}: not a number: "
                                    f"{cell!r}") from None
            if not math.isfinite(value) or value <= 0:
                raise DataFileError(f"{path}, line {line_no}, column {key!r}: must be finite "
                                    f"and > 0, got {cell!r}")
            out[key].append(value)
        out["device"].append((row.get("device") or "").strip())
        if "state" in out:
            out["state"].append((row.get("state") or "").strip())
    return {k: np.asarray(v) for k, v in out.items()}

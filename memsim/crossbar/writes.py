"""Writes on crossbar arrays: V/2 and V/3 biasing of passive and 1S1R arrays, gated
writes of 1T1R arrays, half-selected cells and their disturb.

Programming cell (i, j) of a passive (0T1R) array drives row i to ``V_w`` and
column j to 0 V; every other line is biased so that the cells sharing a line
with the selected one (half-selected) see only a share of ``V_w``:

=========  ===============  =====================  ============  =================
scheme     unselected rows  unselected columns     half-selected  unselected cells
=========  ===============  =====================  ============  =================
``v/2``    V_w / 2          V_w / 2                V_w / 2       0
``v/3``    V_w / 3          2 V_w / 3              V_w / 3       -V_w / 3
=========  ===============  =====================  ============  =================

(wire-free; Chen, IEEE TED 60:1318, 2013, and the crossbar-write literature it
reviews). In a 1S1R array the same biases fall across device and selector in
series, and the selector's exponential I-V leaves the half-selected device far
less than its line share. A 1T1R array is written by its gates (scheme
``gate``): row i at ``V_w``, every other line at 0 V, and the word line of the
selected columns at the transistor's ``v_gate`` while every other gate is at
``min(0, V_w)`` (0 V for a set; at ``V_w`` for a reset ``V_w < 0``, since at 0 V the
off-transistors of row i would conduct once ``-V_w > V_th``; hardware gets the same
by driving the source line positive). Cells of row i in unselected columns are then
cut off (no current, so no voltage across their device) and cells of other rows see
0 V on both lines: no cell but the selected ones is disturbed. Selecting several columns writes
those cells of row i at once. With
wire resistance every cell's voltage comes from the solved circuit
(:class:`~memsim.crossbar.Crossbar` with each column held at its bias through
``r_col + r_sense``), so selected and half-selected cells see less.

A write pulse of width ``T`` on cells whose states follow a compact model
(:mod:`memsim.devices.compact`) is integrated by operator splitting: ``steps``
sub-intervals, each one a circuit solve at the present states followed by every
cell's state equation integrated at the voltage it found (held over the
sub-interval). Cells with a voltage threshold move only where their share of
``V_w`` exceeds it: those are the disturbed cells. The energy the pulse puts
into the devices is ``sum over sub-intervals of sum_cells V I dt`` (J), ``V``
the device's own voltage (less the access device's drop); the access devices
dissipate their share likewise, and the sources deliver both plus what the
wires dissipate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validation import check_choice, check_scalar
from ..devices.compact import CompactModel, PiecewiseLinear, StateIV
from ..errors import InputError, InputTypeError
from .cells import AccessTransistor, Selector, cell_currents
from .circuit import Crossbar, Wires

SCHEMES = ("v/2", "v/3", "gate")


def write_biases(shape, row, columns, v_write, scheme):
    """Row and column voltages (V) that write ``columns`` of ``row``.

    Returns
    -------
    rows : ndarray, shape (M,)
    cols : ndarray, shape (N,)
    """
    m, n = shape
    columns = _check_columns(columns, n)
    check_choice("scheme", scheme, SCHEMES)
    v_write = check_scalar("v_write", v_write)
    row = check_scalar("row", row, low=0, high=m - 1, integer=True)
    if scheme == "gate":                 # 1T1R: the gates select, every other line at 0 V
        rows = np.zeros(m)
        rows[row] = v_write
        return rows, np.zeros(n)
    third = scheme == "v/3"
    rows = np.full(m, v_write / 3 if third else v_write / 2)
    rows[row] = v_write
    cols = np.full(n, 2 * v_write / 3 if third else v_write / 2)
    cols[columns] = 0.0
    return rows, cols


def _check_columns(columns, n):
    columns = np.atleast_1d(np.asarray(columns))
    if columns.size == 0 or not np.issubdtype(columns.dtype, np.integer) \
            or columns.min() < 0 or columns.max() >= n or np.unique(columns).size != columns.size:
        raise InputError(f"columns must be distinct integers in [0, {n - 1}], got {columns!r}")
    return columns


def gate_voltages(shape, columns, v_on, v_write=0.0):
    """Per-cell gate voltages (V) of a gated 1T1R write: ``v_on`` on the word lines of
    ``columns``, ``min(0, v_write)`` on every other.

    Every line of a gated write lies between ``min(0, V_w)`` and ``max(0, V_w)``, so an
    off-gate at ``min(0, V_w)`` leaves no unselected transistor with ``V_GS > 0``: at
    0 V it would turn on (``V_GS = -V_w > V_th``) under a reset pulse ``V_w < -V_th``.
    """
    m, n = shape
    gates = np.full((m, n), min(0.0, float(v_write)))
    gates[:, _check_columns(columns, n)] = v_on
    return gates


@dataclass(frozen=True)
class WriteResult:
    """What one write pulse did.

    Attributes
    ----------
    states : ndarray, shape (M, N)
        Every cell's state after the pulse.
    voltages : ndarray, shape (M, N)
        Every device's voltage (V) at the start of the pulse (from the solved
        circuit; with an access device, the device's own share).
    selected : ndarray of bool, shape (M, N)
        The cells written.
    disturbed : ndarray of bool, shape (M, N)
        Cells not selected whose state moved by more than ``1e-9`` of the span.
    energy_cells : float
        Energy dissipated in the memristive devices (J).
    energy_sources : float
        Energy the row and column drivers delivered (J): devices, access devices
        and wires.
    energy_access : float
        Energy dissipated in the access devices (J); 0 for passive cells.
    energy_disturbed : float
        Energy dissipated in the devices of unselected cells (J), part of
        ``energy_cells``.
    """

    states: np.ndarray
    voltages: np.ndarray
    selected: np.ndarray
    disturbed: np.ndarray
    energy_cells: float
    energy_sources: float
    energy_access: float = 0.0
    energy_disturbed: float = 0.0


def write_pulse(model, states, row, columns, v_write, width, *, scheme="v/3", wires=None,
                steps=8, access=None):
    """One write pulse on an array of compact-model cells (module notes).

    Parameters
    ----------
    model : CompactModel
    states : array_like, shape (M, N)
        Cell states before the pulse, within the model's bounds.
    row : int
        The selected row.
    columns : int or sequence of int
        The selected columns of that row.
    v_write : float
        Write voltage (V), its sign the direction.
    width : float
        Pulse width (s).
    scheme : {"v/2", "v/3", "gate"}, default="v/3"
        ``gate`` for 1T1R arrays, the others for passive and 1S1R ones.
    wires : Wires or None
        Line resistances (ohm); None is the wire-free limit.
    steps : int, default=8
        Circuit solves per pulse (operator splitting).
    access : AccessTransistor, Selector or None, default=None
        The cells' access device (None: passive). A transistor's ``v_gate`` is
        the selected word lines' voltage.

    Returns
    -------
    WriteResult
    """
    if not isinstance(model, CompactModel):
        raise InputTypeError(f"model must be a memsim CompactModel, got {model!r}")
    if wires is not None and not isinstance(wires, Wires):
        raise InputTypeError(f"wires must be a memsim.crossbar.Wires or None, got {wires!r}")
    lo, hi = model.bounds
    x = np.array(states, dtype=float)
    if x.ndim != 2 or not np.all(np.isfinite(x)) or x.min() < lo or x.max() > hi:
        raise InputError(f"states must be a finite (M, N) array within the model's bounds "
                         f"[{lo}, {hi}]")
    width = check_scalar("width", width, low=0.0, low_inclusive=False)
    steps = check_scalar("steps", steps, low=1, integer=True)
    v_write = check_scalar("v_write", v_write)
    row = check_scalar("row", row, low=0, high=x.shape[0] - 1, integer=True)
    check_choice("scheme", scheme, SCHEMES)
    if isinstance(access, AccessTransistor):
        if scheme != "gate":
            raise InputError(f"a 1T1R array is written by its gates: scheme must be 'gate', "
                             f"got {scheme!r}")
        if np.ndim(access.v_gate):
            raise InputError("the access transistor's v_gate must be one voltage (the selected "
                             "word lines'), not one per cell")
        access = AccessTransistor(gate_voltages(x.shape, columns, access.v_gate, v_write),
                                  access.vth, access.kp, access.w_over_l)
    elif scheme == "gate":
        raise InputError("scheme 'gate' writes 1T1R arrays: give access=AccessTransistor(...)")
    elif access is not None and not isinstance(access, Selector):
        raise InputTypeError(f"access must be a memsim.crossbar.AccessTransistor, Selector or "
                             f"None (passive cells), got {access!r}")
    v_rows, v_cols = write_biases(x.shape, row, columns, v_write, scheme)
    selected = np.zeros(x.shape, dtype=bool)
    selected[row, np.atleast_1d(columns)] = True
    x0, dt = x.copy(), width / steps
    iv = StateIV(model)
    e_cells = e_access = e_disturbed = e_sources = 0.0
    first = None
    for _ in range(steps):
        sol = Crossbar(x, wires, iv, access=access).solve(
            v_rows, column_voltages=v_cols, return_voltages=True, return_driver_currents=True)
        v_row, v_col = sol.v_row[0], sol.v_col[0]
        if access is None:
            v_dev, i_cell = v_row - v_col, model.current(x, v_row - v_col)
        else:
            i_cell, _, _, v_mid = cell_currents(x, iv, access, v_row, v_col)
            v_dev = v_row - v_mid
            e_access += float(np.sum((v_mid - v_col) * i_cell)) * dt
        first = v_dev if first is None else first
        p_dev = v_dev * i_cell
        e_cells += float(np.sum(p_dev)) * dt
        e_disturbed += float(np.sum(p_dev[~selected])) * dt
        e_sources += float(v_rows @ sol.driver_currents[0] - v_cols @ sol.currents[0]) * dt
        hold = PiecewiseLinear(np.array([0.0, dt]), np.repeat(v_dev.reshape(-1, 1), 2, axis=1))
        x = model.simulate(hold, np.array([0.0, dt]), x.ravel()).state[:, -1].reshape(x.shape)
    disturbed = ~selected & (np.abs(x - x0) > 1e-9 * (hi - lo))
    return WriteResult(x, first, selected, disturbed, e_cells, e_sources, e_access,
                       e_disturbed)

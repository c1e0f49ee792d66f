"""Cells with an access transistor (1T1R): the memristor in series with an NMOS.

Cell (i, j) of a 1T1R array: the memristor joins row node (i, j) to an internal
node m; an NMOS access transistor joins m (drain) to column node (i, j)
(source), its gate held at ``v_gate``. The transistor is the level-1 MOSFET of
Shichman and Hodges (IEEE JSSC 3:285, 1968; SPICE level 1) with λ = 0 and no
body effect, ``beta = kp W/L`` (A/V²), overdrive ``v_ov = V_GS - V_th``::

    I_D = 0                                   v_ov <= 0            (cut-off)
    I_D = beta (v_ov V_DS - V_DS^2 / 2)       0 < V_DS < v_ov      (linear)
    I_D = beta v_ov^2 / 2                     V_DS >= v_ov > 0     (saturation)

and symmetric: for ``V_DS < 0`` drain and source swap (the lower terminal is
the source) and the current reverses. Series current continuity fixes the
internal node, ``I_mem(G, v_row - v_m) = I_D(v_gate, v_m, v_col)``: the left
side falls and the right side rises with ``v_m``, so there is exactly one root
between ``v_col`` and ``v_row``, found per cell by Newton's method safeguarded
by bisection. The cell current's derivatives, from implicit differentiation
(``a = dI_mem/dV``, ``t_m``, ``t_c`` the transistor's with respect to ``v_m``
and ``v_col``)::

    dI/dv_row = a t_m / (a + t_m),    dI/dv_col = a t_c / (a + t_m)

are not equal and opposite (the gate-source voltage moves with ``v_col``), so
the array's Jacobian is not symmetric: :class:`~memsim.crossbar.Crossbar`
solves 1T1R arrays by Newton's method with a sparse LU factorisation per step.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validation import check_scalar
from ..errors import ConvergenceError

#: Source of the transistor model, for presets and reports.
SOURCE = ("Shichman and Hodges, IEEE JSSC 3:285, 1968 (the SPICE level-1 MOSFET), "
          "lambda = 0, no body effect")


@dataclass(frozen=True)
class AccessTransistor:
    """The NMOS access transistor of a 1T1R cell (module notes).

    Parameters
    ----------
    v_gate : float
        Gate (word-line) voltage during the read or write (V).
    vth : float
        Threshold voltage (V), > 0.
    kp : float
        Process transconductance ``mu_n C_ox`` (A/V²), > 0.
    w_over_l : float
        Width over length, > 0.
    """

    v_gate: float
    vth: float
    kp: float
    w_over_l: float

    def __post_init__(self):
        check_scalar("v_gate", self.v_gate)
        check_scalar("vth", self.vth, low=0.0, low_inclusive=False)
        check_scalar("kp", self.kp, low=0.0, low_inclusive=False)
        check_scalar("w_over_l", self.w_over_l, low=0.0, low_inclusive=False)

    @property
    def beta(self):
        """``kp W/L`` (A/V²)."""
        return self.kp * self.w_over_l

    def saturation_current(self, v_source=0.0):
        """``beta (v_gate - v_source - vth)^2 / 2`` (A), 0 below threshold."""
        v_ov = max(self.v_gate - v_source - self.vth, 0.0)
        return 0.5 * self.beta * v_ov * v_ov

    def current(self, v_a, v_b):
        """Channel current from terminal ``a`` to terminal ``b`` (A) and its
        derivatives with respect to ``v_a`` and ``v_b`` (S), elementwise."""
        swap = v_a < v_b
        v_d, v_s = np.where(swap, v_b, v_a), np.where(swap, v_a, v_b)
        v_ov = self.v_gate - v_s - self.vth
        v_ds = v_d - v_s
        on = v_ov > 0.0
        linear = on & (v_ds < v_ov)
        i = np.where(linear, self.beta * (v_ov * v_ds - 0.5 * v_ds * v_ds),
                     np.where(on, 0.5 * self.beta * v_ov * v_ov, 0.0))
        di_dd = np.where(linear, self.beta * (v_ov - v_ds), 0.0)
        di_ds = np.where(on, -self.beta * v_ov, 0.0)
        return (np.where(swap, -i, i), np.where(swap, -di_ds, di_dd),
                np.where(swap, -di_dd, di_ds))


def cell_currents(g, iv, transistor, v_row, v_col, *, maxiter=200):
    """Current through every 1T1R cell (A) and its derivatives (S).

    Parameters
    ----------
    g : ndarray
        Memristor conductances (S).
    iv : I-V law of :mod:`memsim.devices.iv`
    transistor : AccessTransistor
    v_row, v_col : ndarray
        Row- and column-node voltages (V), broadcast with ``g``.
    maxiter : int
        Newton-bisection steps per cell.

    Returns
    -------
    current, d_row, d_col, v_mid : ndarray
        Cell current from row to column node, its derivatives with respect to
        ``v_row`` and ``v_col``, and the internal node's voltage.

    Raises
    ------
    ConvergenceError
        If a cell's internal node is not found to rounding level.
    """
    g, v_row, v_col = np.broadcast_arrays(g, v_row, v_col)
    lo, hi = np.minimum(v_row, v_col), np.maximum(v_row, v_col)
    v_m = 0.5 * (lo + hi)
    tol = 4.0 * np.finfo(float).eps * np.maximum(np.abs(lo), np.abs(hi))
    for it in range(maxiter):
        i_mem = iv.current(g, v_row - v_m)
        i_t, t_m, _ = transistor.current(v_m, v_col)
        h = i_mem - i_t                      # falls with v_m
        lo = np.where(h > 0.0, v_m, lo)
        hi = np.where(h < 0.0, v_m, hi)
        slope = iv.conductance(g, v_row - v_m) + t_m
        with np.errstate(divide="ignore", invalid="ignore"):
            newton = v_m + h / slope
        inside = (slope > 0.0) & (newton >= lo) & (newton <= hi)
        new = np.where(h == 0.0, v_m, np.where(inside, newton, 0.5 * (lo + hi)))
        done = (np.abs(new - v_m) <= tol) | (hi - lo <= tol) | (h == 0.0)
        v_m = new
        if done.all():
            break
    else:
        bad = int(np.flatnonzero(~done.ravel())[0])
        raise ConvergenceError(f"the internal node of 1T1R cell {bad} was not found in "
                               f"{maxiter} Newton-bisection steps", residual=float("nan"),
                               rtol=0.0, n_iter=maxiter, index=bad)
    a = iv.conductance(g, v_row - v_m)
    # the channel's current: exactly 0 in cut-off, where the device's is g times rounding
    i_t, t_m, t_c = transistor.current(v_m, v_col)
    denom = a + t_m
    with np.errstate(divide="ignore", invalid="ignore"):
        d_row = np.where(denom > 0.0, a * t_m / denom, 0.0)
        d_col = np.where(denom > 0.0, a * t_c / denom, 0.0)
    return i_t, d_row, d_col, v_m

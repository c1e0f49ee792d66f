"""Cells with an access device in series: 1T1R (an NMOS) and 1S1R (a selector).

Cell (i, j) of a 1T1R or 1S1R array: the memristor joins row node (i, j) to an
internal node m; the access device joins m to column node (i, j).

1T1R. An NMOS access transistor joins m (drain) to column node (i, j)
(source), its gate held at ``v_gate``. The transistor is the level-1 MOSFET of
Shichman and Hodges (IEEE JSSC 3:285, 1968; SPICE level 1) with λ = 0 and no
body effect, ``beta = kp W/L`` (A/V²), overdrive ``v_ov = V_GS - V_th``::

    I_D = 0                                   v_ov <= 0            (cut-off)
    I_D = beta (v_ov V_DS - V_DS^2 / 2)       0 < V_DS < v_ov      (linear)
    I_D = beta v_ov^2 / 2                     V_DS >= v_ov > 0     (saturation)

and symmetric: for ``V_DS < 0`` drain and source swap (the lower terminal is
the source) and the current reverses. ``v_gate`` is one voltage or one per cell
(a write gates only the selected cells' word line).

1S1R. A two-terminal selector joins m to column node (i, j). Its I-V is the
Shockley diode law (Shockley, Bell Syst. Tech. J. 28:435, 1949), the
rectifying select device of Chen's crossbar model (IEEE TED 60:1318, 2013),
with ``V_T = k_B T / q``::

    I = I_s (exp(V / (n V_T)) - 1)                  rectifying (unipolar)
    I = I_s (exp(V/(n V_T)) - exp(-V/(n V_T)))      bidirectional
      = 2 I_s sinh(V / (n V_T))

the bidirectional form being two such diodes antiparallel, so that a bipolar
device can be set and reset through it (memsim's construction from the
published diode law, not a fitted selector).

Series current continuity fixes the internal node,
``I_mem(G, v_row - v_m) = I_acc(v_m, v_col)``: the left
side falls and the right side rises with ``v_m``, so there is exactly one root
between ``v_col`` and ``v_row``, found per cell by Newton's method safeguarded
by bisection. The cell current's derivatives, from implicit differentiation
(``a = dI_mem/dV``, ``t_m``, ``t_c`` the access device's with respect to
``v_m`` and ``v_col``)::

    dI/dv_row = a t_m / (a + t_m),    dI/dv_col = a t_c / (a + t_m)

are not equal and opposite for a transistor (the gate-source voltage moves with
``v_col``), so the array's Jacobian is not symmetric:
:class:`~memsim.crossbar.Crossbar` solves 1T1R and 1S1R arrays by Newton's
method with a sparse LU factorisation per step.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validation import check_array, check_choice, check_scalar
from ..errors import ComputationError, ConvergenceError, InputError

#: Source of the transistor model, for presets and reports.
SOURCE = ("Shichman and Hodges, IEEE JSSC 3:285, 1968 (the SPICE level-1 MOSFET), "
          "lambda = 0, no body effect")
#: Source of the selector model.
SELECTOR_SOURCE = ("Shockley diode law (Bell Syst. Tech. J. 28:435, 1949), the diode select "
                   "device of Chen, IEEE TED 60:1318, 2013; bidirectional: two antiparallel")

#: Boltzmann constant over the elementary charge (V/K), CODATA 2018 exact values.
K_OVER_Q = 1.380649e-23 / 1.602176634e-19
#: Largest exponent argument evaluated (exp(700) ~ 1e304, below overflow).
_EXP_LIMIT = 700.0


@dataclass(frozen=True)
class AccessTransistor:
    """The NMOS access transistor of a 1T1R cell (module notes).

    Parameters
    ----------
    v_gate : float or array_like
        Gate (word-line) voltage during the read or write (V): one value, or
        one per cell (shape of the array, or broadcastable to it).
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
        if np.ndim(self.v_gate) == 0:
            object.__setattr__(self, "v_gate", check_scalar("v_gate", self.v_gate))
        else:
            gate = check_array("v_gate", self.v_gate)
            gate.setflags(write=False)
            object.__setattr__(self, "v_gate", gate)
        check_scalar("vth", self.vth, low=0.0, low_inclusive=False)
        check_scalar("kp", self.kp, low=0.0, low_inclusive=False)
        check_scalar("w_over_l", self.w_over_l, low=0.0, low_inclusive=False)

    @property
    def beta(self):
        """``kp W/L`` (A/V²)."""
        return self.kp * self.w_over_l

    def saturation_current(self, v_source=0.0):
        """``beta (v_gate - v_source - vth)^2 / 2`` (A), 0 below threshold."""
        v_ov = np.maximum(np.asarray(self.v_gate) - v_source - self.vth, 0.0)
        sat = 0.5 * self.beta * v_ov * v_ov
        return float(sat) if sat.ndim == 0 else sat

    def check_shape(self, shape):
        """Raise unless a per-cell ``v_gate`` broadcasts to the array ``shape``."""
        try:
            fits = np.broadcast_shapes(np.shape(self.v_gate), shape) == tuple(shape)
        except ValueError:
            fits = False
        if not fits:
            raise InputError(f"v_gate of shape {np.shape(self.v_gate)} does not broadcast to "
                             f"the array's shape {shape}")

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


@dataclass(frozen=True)
class Selector:
    """The two-terminal selector of a 1S1R cell: a diode law (module notes).

    Parameters
    ----------
    i_s : float
        Saturation current (A), > 0.
    ideality : float, default=1.0
        Ideality factor ``n``, >= 1.
    temperature : float, default=300.0
        Temperature (K), > 0.
    kind : {"bidirectional", "rectifying"}, default="bidirectional"
        Two antiparallel diodes (bipolar devices) or one (unipolar).
    """

    i_s: float
    ideality: float = 1.0
    temperature: float = 300.0
    kind: str = "bidirectional"

    def __post_init__(self):
        check_scalar("i_s", self.i_s, low=0.0, low_inclusive=False)
        check_scalar("ideality", self.ideality, low=1.0)
        check_scalar("temperature", self.temperature, low=0.0, low_inclusive=False)
        check_choice("kind", self.kind, ("bidirectional", "rectifying"))

    def check_shape(self, shape):
        """Selectors have no per-cell parameters: nothing to check."""

    @property
    def v_scale(self):
        """``n k_B T / q`` (V)."""
        return self.ideality * K_OVER_Q * self.temperature

    def current(self, v_a, v_b):
        """Current from terminal ``a`` to terminal ``b`` (A) and its derivatives
        with respect to ``v_a`` and ``v_b`` (S), elementwise.

        Beyond ``|v_a - v_b| = 700 n V_T`` the exponential would overflow; there the
        law is held at its value at that voltage, which only a trial point of the
        cell solver can reach (:func:`cell_currents` refuses a solution out there).
        """
        x = np.clip((np.asarray(v_a, float) - v_b) / self.v_scale, -_EXP_LIMIT, _EXP_LIMIT)
        if self.kind == "rectifying":
            e = np.exp(x)
            i, d = self.i_s * (e - 1.0), self.i_s * e / self.v_scale
        else:
            i, d = 2.0 * self.i_s * np.sinh(x), 2.0 * self.i_s * np.cosh(x) / self.v_scale
        return i, d, -d

    def voltage(self, current):
        """The selector voltage (V) that carries ``current`` (A): the inverse law,
        ``n V_T asinh(I / 2 I_s)`` (bidirectional) or ``n V_T ln(1 + I / I_s)``
        (rectifying; NaN below ``-I_s``, which it cannot carry)."""
        u = np.asarray(current, float) / self.i_s
        if self.kind == "rectifying":
            with np.errstate(invalid="ignore", divide="ignore"):
                return self.v_scale * np.where(u > -1.0, np.log1p(np.maximum(u, -1.0)), np.nan)
        return self.v_scale * np.arcsinh(0.5 * u)

    def check_voltage(self, v):
        """Raise ComputationError if a selector voltage ``v`` (V) lies where the
        exponential overflows: ``|v| > 700 n V_T``, or ``v > 700 n V_T`` for a
        rectifying selector (in reverse its exponential vanishes: it carries -I_s)."""
        v = np.asarray(v, dtype=float)
        worst = float(np.max(v if self.kind == "rectifying" else np.abs(v), initial=0.0))
        if worst > _EXP_LIMIT * self.v_scale:
            raise ComputationError(
                f"a selector's voltage {worst:.4g} V is beyond {_EXP_LIMIT * self.v_scale:.4g} V "
                f"= 700 n k_B T / q, where its exponential I-V overflows")


def cell_currents(g, iv, access, v_row, v_col, *, maxiter=200):
    """Current through every 1T1R or 1S1R cell (A) and its derivatives (S).

    Parameters
    ----------
    g : ndarray
        Memristor conductances (S).
    iv : I-V law of :mod:`memsim.devices.iv`
    access : AccessTransistor or Selector
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
    selector = isinstance(access, Selector)
    name = "1S1R" if selector else "1T1R"
    g, v_row, v_col = np.broadcast_arrays(g, v_row, v_col)
    lo, hi = np.minimum(v_row, v_col), np.maximum(v_row, v_col)
    v_m = 0.5 * (lo + hi)
    if selector:
        # start where the selector would sit if it carried the current of the device
        # alone: this bounds its true voltage and skips the exponential's long approach
        guess = v_col + access.voltage(iv.current(g, v_row - v_col))
        v_m = np.where(np.isfinite(guess), np.clip(guess, lo, hi), v_m)
    tol = 4.0 * np.finfo(float).eps * np.maximum(np.abs(lo), np.abs(hi))
    # Newton safeguarded as Numerical Recipes' rtsafe: bisect whenever Newton would leave
    # the bracket or its step is not under half the step before last (the exponential's
    # slow approach, n V_T per step, halves the bracket by bisection instead)
    step, step_old = hi - lo, hi - lo
    for it in range(maxiter):
        i_mem = iv.current(g, v_row - v_m)
        i_t, t_m, _ = access.current(v_m, v_col)
        h = i_mem - i_t                      # falls with v_m
        lo = np.where(h > 0.0, v_m, lo)
        hi = np.where(h < 0.0, v_m, hi)
        slope = iv.conductance(g, v_row - v_m) + t_m
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            newton = h / slope
            use = ((slope > 0.0) & (v_m + newton >= lo) & (v_m + newton <= hi)
                   & (np.abs(2.0 * newton) <= np.abs(step_old)))
        step_old = step
        step = np.where(h == 0.0, 0.0, np.where(use, newton, 0.5 * (lo + hi) - v_m))
        new = v_m + step
        done = (np.abs(step) <= tol) | (hi - lo <= tol) | (h == 0.0)
        v_m = new
        if done.all():
            break
    else:
        bad = int(np.flatnonzero(~done.ravel())[0])
        raise ConvergenceError(f"the internal node of {name} cell {bad} was not found in "
                               f"{maxiter} Newton-bisection steps", residual=float("nan"),
                               rtol=0.0, n_iter=maxiter, index=bad)
    if selector:
        access.check_voltage(v_m - v_col)
    a = iv.conductance(g, v_row - v_m)
    # the channel's current: exactly 0 in cut-off, where the device's is g times rounding
    i_t, t_m, t_c = access.current(v_m, v_col)
    denom = a + t_m
    with np.errstate(divide="ignore", invalid="ignore"):
        d_row = np.where(denom > 0.0, a * t_m / denom, 0.0)
        d_col = np.where(denom > 0.0, a * t_c / denom, 0.0)
    return i_t, d_row, d_col, v_m

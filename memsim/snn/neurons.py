"""Leaky integrate-and-fire neurons, with optional threshold adaptation (LIF, ALIF).

Discrete time with exact exponential decay over a step ``dt`` (Bellec et al.,
Nature Communications 11:3625, 2020, Methods). The membrane potential ``v`` is
dimensionless, in the units of the threshold ``v_th``; input currents are in
the same units per step. For every neuron, at step ``t``::

    a_t = rho a_{t-1} + z_{t-1}                       rho   = exp(-dt / tau_a)
    v_t = alpha v_{t-1} + I_t - v_th z_{t-1}          alpha = exp(-dt / tau_m)
    A_t = v_th + beta a_t                             adaptive threshold
    z_t = H(v_t - A_t), forced to 0 for n_ref steps after a spike
    psi_t = (gamma_pd / v_th) max(0, 1 - |v_t - A_t| / v_th)   (0 when refractory)

``beta = 0`` is a plain LIF neuron. The reset subtracts ``v_th`` (reset by
subtraction), so no charge above threshold is lost. ``psi`` is the
pseudo-derivative dz/dv that e-prop uses in place of the Heaviside's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .._validation import check_scalar


@dataclass(frozen=True)
class NeuronParams:
    """Parameters of a population of LIF/ALIF neurons.

    Parameters
    ----------
    dt : float, default=1e-3
        Time step (s), > 0.
    tau_m : float, default=20e-3
        Membrane time constant (s), > 0.
    v_th : float, default=1.0
        Firing threshold (membrane units), > 0.
    t_ref : float, default=2e-3
        Refractory period (s), >= 0; rounded to whole steps.
    beta : float, default=0.0
        Threshold increase per unit of adaptation (membrane units), >= 0;
        0 gives LIF neurons, > 0 ALIF neurons.
    tau_a : float, default=200e-3
        Adaptation time constant (s), > 0.
    gamma_pd : float, default=0.3
        Height of the pseudo-derivative, > 0.
    """

    dt: float = 1e-3
    tau_m: float = 20e-3
    v_th: float = 1.0
    t_ref: float = 2e-3
    beta: float = 0.0
    tau_a: float = 200e-3
    gamma_pd: float = 0.3

    def __post_init__(self):
        for name in ("dt", "tau_m", "v_th", "tau_a", "gamma_pd"):
            check_scalar(name, getattr(self, name), low=0.0, low_inclusive=False)
        for name in ("t_ref", "beta"):
            check_scalar(name, getattr(self, name), low=0.0)

    @property
    def alpha(self):
        """Membrane decay per step, ``exp(-dt / tau_m)``."""
        return math.exp(-self.dt / self.tau_m)

    @property
    def rho(self):
        """Adaptation decay per step, ``exp(-dt / tau_a)``."""
        return math.exp(-self.dt / self.tau_a)

    @property
    def n_ref(self):
        """Refractory period in steps."""
        return int(round(self.t_ref / self.dt))


@dataclass
class NeuronState:
    """State of ``n`` neurons: membrane ``v``, adaptation ``a``, last spikes
    ``z`` (0/1 floats) and refractory steps left ``ref``."""

    v: np.ndarray
    a: np.ndarray
    z: np.ndarray
    ref: np.ndarray

    @classmethod
    def rest(cls, n):
        """``n`` neurons at rest."""
        return cls(np.zeros(n), np.zeros(n), np.zeros(n), np.zeros(n, dtype=np.int64))


def neuron_step(params, state, current):
    """Advance ``state`` by one step in place under input ``current``; return ``psi``.

    Parameters
    ----------
    params : NeuronParams
    state : NeuronState
    current : ndarray, shape (n,)
        Input ``I_t`` (membrane units per step).

    Returns
    -------
    ndarray, shape (n,)
        The pseudo-derivative ``psi_t``; the new spikes are ``state.z``.
    """
    p = params
    state.a *= p.rho
    state.a += state.z
    state.v *= p.alpha
    state.v += current - p.v_th * state.z
    distance = state.v - (p.v_th + p.beta * state.a)
    free = state.ref == 0
    state.z[:] = (distance > 0.0) & free
    psi = (p.gamma_pd / p.v_th) * np.maximum(0.0, 1.0 - np.abs(distance) / p.v_th)
    psi[~free] = 0.0
    state.ref = np.where(state.z > 0, p.n_ref, np.maximum(state.ref - 1, 0))
    return psi

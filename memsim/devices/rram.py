"""Statistical RRAM model for inference: programming error and relaxation as measured.

A filamentary RRAM cell programmed by write-verify to a target ``g_T`` lands within
a spread that depends on ``g_T``, and the programmed conductance relaxes afterwards:
its spread around the target grows over the first hours to days (Wan et al.,
Nature 608:504, 2022, Extended Data Fig. 3; their chip is TiN/HfOx/TaOx/TiN
1T1R). The measured spread at a time ``t_k`` after programming is a polynomial in
``x = g_T / x_ref``::

    sigma_k(g_T) = max(sum_p c_kp x^p, 0)            (S)

given at the times ``t_1 < t_2 < ...`` of the measurements (``t_1``: right after
programming). Between them memsim interpolates the variance linearly in
``ln t``, and holds it before ``t_1`` and after the last time (no measurement says
how it goes on; memsim's assumption, stated in every preset that uses it)::

    sigma^2(g_T, t) = interp(ln t; ln t_k, sigma_k^2(g_T))

A device draws its programming error and one relaxation direction at programming::

    G_prog = max(g_T + s_prog sigma_1(g_T) N(0, 1), 0)
    G(t)   = max(G_prog + s_relax sqrt(max(sigma^2(g_T, t) - sigma_1^2(g_T), 0)) xi, 0)

so that without the ``max(., 0)`` floor ``G(t)`` is ``N(g_T, sigma^2(g_T, t))``
at every measured time, the distribution aihwkit's ``ReRamWan2022NoiseModel``
draws at its three times (which it draws afresh at each time; memsim keeps one
device history, so a device that relaxed upward by a day keeps going up). The
relaxation has no mean shift and the model has no read noise: neither source
measured one.

aihwkit states its polynomials "in respect to 40 uS" but leaves its default
``g_max`` at 25 uS, which never rescales them; memsim uses ``x_ref = 40 uS``. Read
that way, the 1 s spread is within 20 % of CrossSim's independent cubic fit of the
same figure (``RRAM_Wan``) from 5 to 35 uS (tests/devices/test_rram.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validation import as_generator, check_array, check_scalar
from ..errors import InputError, InputTypeError
from ._params import params_from_dict, params_to_dict
from .base import Device, compensation_factor
from .faults import Faults


@dataclass(frozen=True)
class RRAMParams:
    """Parameters of the statistical RRAM model (SI units).

    Parameters
    ----------
    g_min, g_max : float
        Conductance range (S) that weights map to, ``0 <= g_min < g_max``.
    x_ref : float
        Conductance (S) that the polynomial variable ``x = g_T / x_ref`` is measured in.
    sigma_times : tuple of float
        Times (s) after programming at which the spread was measured, increasing;
        the first is the programming error's.
    sigma_coeff : tuple of tuple of float
        One polynomial per time (S), coefficients in increasing powers of ``x``.
    prog_noise_scale, relaxation_scale : float, default=1.0
        Multipliers on the programming error and on the relaxation.
    faults : Faults, default=Faults()
        Stuck-at fractions and finite conductance levels.
    """

    g_min: float
    g_max: float
    x_ref: float
    sigma_times: tuple
    sigma_coeff: tuple
    prog_noise_scale: float = 1.0
    relaxation_scale: float = 1.0
    faults: Faults = Faults()

    def __post_init__(self):
        check_scalar("g_max", self.g_max, low=0.0, low_inclusive=False)
        check_scalar("g_min", self.g_min, low=0.0, high=self.g_max, high_inclusive=False)
        check_scalar("x_ref", self.x_ref, low=0.0, low_inclusive=False)
        for name in ("prog_noise_scale", "relaxation_scale"):
            check_scalar(name, getattr(self, name), low=0.0)
        times = tuple(float(check_scalar(f"sigma_times[{i}]", t, low=0.0, low_inclusive=False))
                      for i, t in enumerate(self.sigma_times))
        if not times or any(b <= a for a, b in zip(times, times[1:])):
            raise InputError(f"sigma_times must be one or more increasing times (s), got "
                             f"{self.sigma_times!r}")
        if len(self.sigma_coeff) != len(times):
            raise InputError(f"sigma_coeff must have one polynomial per time in sigma_times "
                             f"({len(times)}), got {len(self.sigma_coeff)}")
        coeff = tuple(tuple(float(check_scalar(f"sigma_coeff[{k}][{p}]", c))
                            for p, c in enumerate(poly))
                      for k, poly in enumerate(self.sigma_coeff))
        if any(not poly for poly in coeff):
            raise InputError("every polynomial of sigma_coeff needs at least one coefficient")
        object.__setattr__(self, "sigma_times", times)
        object.__setattr__(self, "sigma_coeff", coeff)
        if not isinstance(self.faults, Faults):
            raise InputTypeError(f"faults must be a Faults instance, got {self.faults!r}")

    def to_dict(self):
        """Flat dictionary of the parameters, SI units, snake-case keys."""
        values = params_to_dict(self)
        values["sigma_coeff"] = [list(poly) for poly in self.sigma_coeff]
        return values

    @classmethod
    def from_dict(cls, values):
        """Build from :meth:`to_dict` output (unknown keys raise)."""
        values = dict(values)
        if "sigma_coeff" in values:
            values["sigma_coeff"] = tuple(tuple(poly) for poly in values["sigma_coeff"])
        return params_from_dict(cls, values, "RRAM")


@dataclass
class RRAMState:
    """Programmed state of a batch of RRAM devices.

    Attributes
    ----------
    g_target : ndarray
        Target conductances (S) after quantisation to the finite levels.
    g_prog : ndarray
        Conductances (S) right after programming, programming error included
        (before the floor at 0 S).
    xi : ndarray
        Each device's relaxation direction, standard normal, drawn at programming.
    stuck : ndarray of int8
        Fault code per device (see :mod:`memsim.devices.faults`).
    """

    g_target: np.ndarray
    g_prog: np.ndarray
    xi: np.ndarray
    stuck: np.ndarray


class RRAM(Device):
    """Statistical RRAM device model: programming error and relaxation (module notes).

    Parameters
    ----------
    params : RRAMParams

    Examples
    --------
    >>> from memsim.devices.presets import load_preset
    >>> rram = load_preset("rram-wan2022").device()
    >>> state = rram.program(np.full(20000, 20e-6), seed=0)
    >>> [round(float(rram.conductances(state, t).std() * 1e6), 1) for t in (1.0, 86400.0)]
    [2.0, 3.9]
    """

    kind = "rram"

    def __init__(self, params):
        if not isinstance(params, RRAMParams):
            raise InputTypeError(f"params must be RRAMParams, got {params!r}")
        self.params = params
        self.drifts = len(params.sigma_times) > 1 and params.relaxation_scale > 0.0

    def spread(self, g_target, t):
        """Standard deviation (S) of ``G(t)`` around ``g_target`` (S) at ``t`` (s) after
        programming: the measured polynomials, the variance interpolated in ``ln t``."""
        return np.sqrt(self._variance(g_target, t))

    def _variance(self, g_target, t):
        """``sigma^2(g_T, t)`` (S^2), evaluating only the polynomials ``t`` needs."""
        p = self.params
        x = np.asarray(g_target, dtype=np.float64) / p.x_ref

        def var(k):
            return np.maximum(np.polynomial.polynomial.polyval(x, p.sigma_coeff[k]), 0.0) ** 2

        if t <= p.sigma_times[0]:
            return var(0)
        if t >= p.sigma_times[-1]:
            return var(len(p.sigma_times) - 1)
        k = int(np.searchsorted(p.sigma_times, t)) - 1
        w = np.log(t / p.sigma_times[k]) / np.log(p.sigma_times[k + 1] / p.sigma_times[k])
        return (1.0 - w) * var(k) + w * var(k + 1)

    def program(self, g_target, seed):
        """Program devices to target conductances.

        Parameters
        ----------
        g_target : array_like
            Target conductances (S), each in ``[g_min, g_max]``.
        seed : int or numpy.random.Generator
            Source of the programming error, relaxation directions and fault draws.

        Returns
        -------
        RRAMState
        """
        p = self.params
        g_target = check_array("g_target", g_target, low=p.g_min, high=p.g_max)
        rng = as_generator(seed)
        g_target = p.faults.quantize(g_target, p.g_min, p.g_max)
        noise = rng.standard_normal(g_target.shape)
        g_prog = g_target + p.prog_noise_scale * self.spread(g_target, 0.0) * noise
        xi = rng.standard_normal(g_target.shape)
        stuck = p.faults.draw(g_target.shape, rng)
        return RRAMState(g_target, g_prog, xi, stuck)

    def conductances(self, state, t):
        """Noise-free conductances (S) at ``t`` (s): programmed value plus relaxation,
        floored at 0 S, with stuck devices at their stuck value."""
        p = self.params
        g = state.g_prog.copy()
        if self.drifts and t > p.sigma_times[0]:
            extra = self._variance(state.g_target, t) - self._variance(state.g_target, 0.0)
            g += p.relaxation_scale * np.sqrt(np.maximum(extra, 0.0)) * state.xi
        np.maximum(g, 0.0, out=g)
        return p.faults.apply_stuck(g, state.stuck, p.g_min, p.g_max)

    def read(self, state, t, seed, *, compensate=False):
        """Conductances (S) read ``t`` seconds after programming (no read noise in this
        model). ``compensate`` scales them by ``sum G(0) / sum G(t)``."""
        t = check_scalar("t", t, low=0.0)
        g = self.conductances(state, t)
        if compensate:
            g *= compensation_factor(float(self.conductances(state, 0.0).sum()), g)
        return g

    def __repr__(self):
        return f"RRAM({self.params!r})"

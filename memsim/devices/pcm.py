"""Statistical phase-change memory (PCM) model for inference.

The model of Nandakumar et al. (ICECS 2019), with the coefficients and clamps of
its implementation in IBM's analog hardware kit (aihwkit,
``aihwkit.inference.noise.pcm.PCMLikeNoiseModel``), written here in SI units.

Equations (``x = g_T / g_max``, ``g_T`` the target conductance in S):

Programming noise, drawn once when a device is programmed::

    sigma_prog = max(c0 + c1 x + c2 x^2, 0) * g_max / g_ref
    G_prog     = max(g_T + s_prog * sigma_prog * N(0, 1), 0)

with ``(c0, c1, c2) = (0.26348, 1.9650, -1.1731) µS`` fitted at
``g_ref = 25 µS`` (Nandakumar 2019; Joshi et al., Nat. Commun. 11:2473, 2020).

Drift exponent, drawn once per device at programming::

    mu_nu    = clip(-0.0155 ln x + 0.0244, 0.049, 0.1)
    sigma_nu = clip(-0.0125 ln x - 0.0059, 0.008, 0.045)
    nu       = s_drift * |mu_nu + sigma_nu * N(0, 1)|

(``x`` clipped below at 1e-7). A read ``t`` seconds after programming sees::

    G_drift(t) = G_prog * ((t + t0) / t0)^(-nu)                  t0 = 20 s
    q_s        = min(0.0088 / max((G_prog / g_max)^0.65, 1e-3), 0.2)
    sigma_rd   = q_s * sqrt(ln((t + t0 + t_read) / (2 t_read)))   t_read = 250 ns
    G(t)       = max(G_drift + |G_drift| * s_read * sigma_rd * N(0, 1), 0)

The read noise is the 1/f noise accumulated since programming over the time
scales from ``2 t_read`` to ``t + t0 + t_read``: its variance grows with the
logarithm of time. :meth:`PCM.read` draws it afresh, one read of every device;
how the noise of successive reads of a tile is correlated in time (held, or
redrawn only in part) is :mod:`memsim.devices.flicker`, used by the tiles.

Drift compensation of the device alone (``read(..., compensate=True)``) reads a
reference once right after programming (t = 0) and, at time t, scales every
conductance by ``sum|G(0)| / sum|G(t)|`` of the same reference read. A tile
compensates its outputs instead, from one-hot calibration reads of its mapped
weights, as aihwkit's ``GlobalDriftCompensation`` does
(:mod:`memsim.crossbar.tile`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from .._validation import as_generator, check_array, check_scalar
from ..errors import InputError, InputTypeError
from ._params import params_from_dict, params_to_dict
from .base import Device, compensation_factor
from .faults import Faults

SOURCE = ("Nandakumar et al., ICECS 2019, 'Phase-change memory models for deep learning "
          "training and inference'; coefficients and clamps as implemented in IBM aihwkit "
          "PCMLikeNoiseModel (aihwkit/inference/noise/pcm.py)")


@dataclass(frozen=True)
class PCMParams:
    """Parameters of the statistical PCM model (SI units).

    Parameters
    ----------
    g_max : float, default=25e-6
        Largest programmable conductance (S).
    prog_coeff : tuple of float, default=(0.26348e-6, 1.9650e-6, -1.1731e-6)
        Polynomial coefficients (S) of the programming-noise standard deviation
        in powers of ``g_T / g_max``, valid for ``g_max == prog_g_ref``.
    prog_g_ref : float, default=25e-6
        The ``g_max`` (S) at which ``prog_coeff`` were fitted; sigma scales by
        ``g_max / prog_g_ref``.
    drift_mu : tuple of float, default=(-0.0155, 0.0244)
        Slope and intercept of the mean drift exponent against ``ln(g_T/g_max)``.
    drift_mu_clip : tuple of float, default=(0.049, 0.1)
        Bounds on the mean drift exponent.
    drift_sigma : tuple of float, default=(-0.0125, -0.0059)
        Slope and intercept of the drift-exponent spread against ``ln(g_T/g_max)``.
    drift_sigma_clip : tuple of float, default=(0.008, 0.045)
        Bounds on the drift-exponent spread.
    t0 : float, default=20.0
        Time (s) of the first read after programming; drift reference.
    t_read : float, default=250e-9
        Read duration (s), the low-frequency cut-off of the 1/f noise.
    read_q : float, default=0.0088
        1/f noise amplitude ``q_s`` at ``G = g_max``.
    read_exponent : float, default=0.65
        Exponent of the conductance dependence of ``q_s``.
    read_q_max : float, default=0.2
        Upper clamp of ``q_s``.
    prog_noise_scale, drift_scale, read_noise_scale : float, default=1.0
        Multipliers on programming noise, drift exponent and read noise.
    faults : Faults, default=Faults()
        Stuck-at fractions and finite conductance levels.
    """

    g_max: float = 25e-6
    prog_coeff: tuple = (0.26348e-6, 1.9650e-6, -1.1731e-6)
    prog_g_ref: float = 25e-6
    drift_mu: tuple = (-0.0155, 0.0244)
    drift_mu_clip: tuple = (0.049, 0.1)
    drift_sigma: tuple = (-0.0125, -0.0059)
    drift_sigma_clip: tuple = (0.008, 0.045)
    t0: float = 20.0
    t_read: float = 250e-9
    read_q: float = 0.0088
    read_exponent: float = 0.65
    read_q_max: float = 0.2
    prog_noise_scale: float = 1.0
    drift_scale: float = 1.0
    read_noise_scale: float = 1.0
    faults: Faults = Faults()

    def __post_init__(self):
        for name in ("g_max", "prog_g_ref", "t0", "t_read"):
            check_scalar(name, getattr(self, name), low=0, low_inclusive=False)
        for name in ("read_q", "read_exponent", "read_q_max", "prog_noise_scale",
                     "drift_scale", "read_noise_scale"):
            check_scalar(name, getattr(self, name), low=0)
        for name, length in (("prog_coeff", None), ("drift_mu", 2), ("drift_mu_clip", 2),
                             ("drift_sigma", 2), ("drift_sigma_clip", 2)):
            value = tuple(float(check_scalar(f"{name}[{i}]", v))
                          for i, v in enumerate(getattr(self, name)))
            if length is not None and len(value) != length:
                raise InputError(f"{name} must have {length} values, got {value!r}")
            object.__setattr__(self, name, value)
        for name in ("drift_mu_clip", "drift_sigma_clip"):
            lo, hi = getattr(self, name)
            if not 0 <= lo <= hi:
                raise InputError(f"{name} must satisfy 0 <= low <= high, got {(lo, hi)!r}")
        if not isinstance(self.faults, Faults):
            raise InputTypeError(f"faults must be a Faults instance, got {self.faults!r}")

    @property
    def g_min(self):
        """Smallest conductance (S): a PCM device can be fully RESET to 0 S."""
        return 0.0

    def to_dict(self):
        """Flat dictionary of the parameters, SI units, snake-case keys."""
        return {**params_to_dict(self), "g_min": self.g_min}

    @classmethod
    def from_dict(cls, values):
        """Build from :meth:`to_dict` output (unknown keys raise)."""
        values = dict(values)
        values.pop("g_min", None)
        return params_from_dict(cls, values, "PCM")


@dataclass
class PCMState:
    """Programmed state of a batch of PCM devices.

    Attributes
    ----------
    g_target : ndarray
        Target conductances (S) after quantisation to the finite levels.
    g_prog : ndarray
        Conductances (S) right after programming, programming noise included.
    nu : ndarray
        Per-device drift exponents, drawn at programming.
    stuck : ndarray of int8
        Fault code per device (see :mod:`memsim.devices.faults`).
    reference_read : float
        ``sum |G(0)|`` of a read right after programming, the baseline of the
        global drift compensation (S).
    """

    g_target: np.ndarray
    g_prog: np.ndarray
    nu: np.ndarray
    stuck: np.ndarray
    reference_read: float


class PCM(Device):
    """Statistical PCM device model (Nandakumar et al., ICECS 2019).

    Parameters
    ----------
    params : PCMParams, optional
        Model parameters; defaults reproduce aihwkit's ``PCMLikeNoiseModel``.

    Examples
    --------
    >>> import numpy as np
    >>> pcm = PCM()
    >>> state = pcm.program(np.full(1000, 10e-6), seed=0)
    >>> g = pcm.read(state, t=3600.0, seed=1)
    >>> bool(g.mean() < 10e-6)   # drift lowers the conductance
    True
    """

    kind = "pcm"
    drifts = True

    def __init__(self, params=None):
        self.params = PCMParams() if params is None else params
        if not isinstance(self.params, PCMParams):
            raise InputTypeError(f"params must be PCMParams, got {self.params!r}")

    def programming_sigma(self, g_target):
        """Standard deviation (S) of the programming noise at ``g_target`` (S)."""
        p = self.params
        x = np.asarray(g_target, dtype=np.float64) / p.g_max
        sigma = np.zeros_like(x)
        for power, coeff in enumerate(p.prog_coeff):
            sigma += coeff * x**power
        return np.maximum(sigma, 0.0) * (p.g_max / p.prog_g_ref)

    def drift_moments(self, g_target):
        """Mean and spread of the drift exponent ``nu`` before the ``|.|`` fold.

        Parameters
        ----------
        g_target : array_like
            Target conductances (S).

        Returns
        -------
        mu, sigma : ndarray
            ``mu_nu`` and ``sigma_nu`` of the model (dimensionless).
        """
        p = self.params
        log_x = np.log(np.maximum(np.abs(np.asarray(g_target, float)) / p.g_max, 1e-7))
        mu = np.clip(p.drift_mu[0] * log_x + p.drift_mu[1], *p.drift_mu_clip)
        sigma = np.clip(p.drift_sigma[0] * log_x + p.drift_sigma[1], *p.drift_sigma_clip)
        return mu, sigma

    def read_noise_sigma(self, g_prog, t):
        """Relative 1/f read-noise standard deviation at time ``t`` (s)."""
        p = self.params
        g_rel = np.abs(np.asarray(g_prog, float)) / p.g_max
        q_s = np.minimum(p.read_q / np.maximum(g_rel**p.read_exponent, 1e-3), p.read_q_max)
        return q_s * np.sqrt(np.log((t + p.t0 + p.t_read) / (2.0 * p.t_read)))

    def program(self, g_target, seed):
        """Program devices to target conductances.

        Parameters
        ----------
        g_target : array_like
            Target conductances (S), each in ``[0, g_max]``.
        seed : int or numpy.random.Generator
            Source of the programming noise, drift exponents and fault draws.

        Returns
        -------
        PCMState
        """
        p = self.params
        g_target = check_array("g_target", g_target, low=0.0, high=p.g_max)
        rng = as_generator(seed)
        g_target = p.faults.quantize(g_target, 0.0, p.g_max)
        noise = rng.standard_normal(g_target.shape)
        g_prog = g_target + p.prog_noise_scale * self.programming_sigma(g_target) * noise
        np.maximum(g_prog, 0.0, out=g_prog)
        mu, sigma = self.drift_moments(g_target)
        nu = p.drift_scale * np.abs(mu + sigma * rng.standard_normal(g_target.shape))
        stuck = p.faults.draw(g_target.shape, rng)
        state = PCMState(g_target, g_prog, nu, stuck, reference_read=0.0)
        state.reference_read = float(np.sum(np.abs(self._read(state, 0.0, rng))))
        return state

    def read(self, state, t, seed, *, compensate=False):
        """Read conductances ``t`` seconds after programming.

        Parameters
        ----------
        state : PCMState
            From :meth:`program`.
        t : float
            Time since programming (s), ``t >= 0``; 0 is right after programming.
        seed : int or numpy.random.Generator
            Source of the read noise.
        compensate : bool, default=False
            Apply global drift compensation (one scale factor for all devices
            from a reference read, see module notes).

        Returns
        -------
        ndarray
            Conductances (S), never negative.
        """
        t = check_scalar("t", t, low=0.0)
        rng = as_generator(seed)
        g = self._read(state, t, rng)
        if compensate:
            g *= self.compensation_factor(state, g)
        return g

    def with_read_pulse(self, t_read):
        """This model with read pulses of width ``t_read`` (s): ``params.t_read`` sets the
        1/f noise bandwidth, ``sigma_rd`` grows as ``sqrt(ln((t + t0 + t_read) / (2 t_read)))``."""
        t_read = check_scalar("t_read", t_read, low=0.0, low_inclusive=False)
        return self if t_read == self.params.t_read else PCM(replace(self.params,
                                                                     t_read=t_read))

    def compensation_factor(self, state, g_read):
        """Global drift-compensation scale ``sum|G(0)| / sum|G(t)|`` (dimensionless)."""
        return compensation_factor(state.reference_read, g_read)

    def drifted(self, state, t):
        """Noise-free conductances (S) at ``t`` (s): ``G_prog ((t + t0) / t0)^-nu``.

        Stuck devices are not applied here (see :meth:`read`).
        """
        p = self.params
        return state.g_prog * ((t + p.t0) / p.t0) ** (-state.nu)

    def conductances(self, state, t):
        """Noise-free conductances (S) at ``t`` (s): :meth:`drifted`, floored at 0 S,
        with stuck devices at their stuck value."""
        g = np.maximum(self.drifted(state, t), 0.0)
        return self.params.faults.apply_stuck(g, state.stuck, 0.0, self.params.g_max)

    def read_noise_timescales(self, t):
        """``(2 t_read, t + t0 + t_read)`` (s): the band of time scales whose 1/f noise
        a read at ``t`` (s) has accumulated, ``sigma_rd^2 = q_s^2 ln(tau_max / tau_min)``."""
        p = self.params
        return 2.0 * p.t_read, t + p.t0 + p.t_read

    def read_noise_std(self, state, t):
        """Standard deviation (S) of each device's 1/f read noise at ``t`` (s):
        ``|G_drift(t)| s_read sigma_rd(t)``; 0 for stuck devices (a read of a stuck
        device returns its stuck value)."""
        p = self.params
        s = (np.abs(self.drifted(state, t)) * p.read_noise_scale
             * self.read_noise_sigma(state.g_prog, t))
        s[state.stuck != 0] = 0.0
        return s

    def _read(self, state, t, rng):
        p = self.params
        g = self.drifted(state, t)
        sigma = p.read_noise_scale * self.read_noise_sigma(state.g_prog, t)
        g += np.abs(g) * sigma * rng.standard_normal(g.shape)
        np.maximum(g, 0.0, out=g)
        return p.faults.apply_stuck(g, state.stuck, 0.0, p.g_max)

    def __repr__(self):
        return f"PCM({self.params!r})"

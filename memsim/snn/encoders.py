"""Observations to network input: Gaussian receptive fields, as currents or spikes.

Each observation component ``d`` is covered by ``n_fields`` Gaussian fields with
centres ``c_dk`` evenly spaced over ``[low_d, high_d]`` and a width ``sigma_d``
of ``width`` times their spacing. Field ``(d, k)`` responds to an observation
``o`` with

    r_dk = exp(-(o_d - c_dk)^2 / (2 sigma_d^2))  in [0, 1].

Analog input (population coding; on hardware a multi-bit DAC): the current of
input ``(d, k)`` is ``gain * r_dk`` per network step. Spike input (on hardware a
1-bit read pulse): input ``(d, k)`` spikes with probability ``p_max * r_dk`` at
each network step, drawn from the caller's Generator.
"""

from __future__ import annotations

import numpy as np

from .._validation import check_array, check_choice, check_scalar
from ..errors import InputError


class GaussianFields:
    """Population code of a continuous observation.

    Parameters
    ----------
    low, high : array_like, shape (n_obs,)
        Range covered by the fields of each observation component (high > low).
    n_fields : int, default=8
        Fields per component, >= 2.
    width : float, default=1.0
        Field standard deviation in units of the centre spacing, > 0.
    mode : {"analog", "spikes"}, default="analog"
        Currents (``gain r``) or Bernoulli spikes (probability ``p_max r``).
    gain : float, default=1.0
        Current per unit response (analog), > 0.
    p_max : float, default=0.5
        Spike probability per network step at full response (spikes), in (0, 1].
    """

    def __init__(self, low, high, n_fields=8, width=1.0, mode="analog", gain=1.0, p_max=0.5):
        self.low = check_array("low", low, ndim=1)
        self.high = check_array("high", high, ndim=1)
        if self.low.shape != self.high.shape or np.any(self.high <= self.low):
            raise InputError(f"high must exceed low component-wise with the same shape, got "
                             f"low={self.low!r}, high={self.high!r}")
        self.n_fields = check_scalar("n_fields", n_fields, low=2, integer=True)
        width = check_scalar("width", width, low=0.0, low_inclusive=False)
        self.mode = check_choice("mode", mode, ("analog", "spikes"))
        self.gain = check_scalar("gain", gain, low=0.0, low_inclusive=False)
        self.p_max = check_scalar("p_max", p_max, low=0.0, high=1.0, low_inclusive=False)
        self.centres = np.linspace(self.low, self.high, self.n_fields).T   # (n_obs, n_fields)
        self.sigma = width * (self.high - self.low) / (self.n_fields - 1)

    @property
    def n_obs(self):
        """Observation components."""
        return self.low.size

    @property
    def n_inputs(self):
        """Network inputs, ``n_obs * n_fields``."""
        return self.low.size * self.n_fields

    def responses(self, obs):
        """Field responses ``r`` in [0, 1], shape (n_inputs,), for one observation."""
        obs = np.asarray(obs, dtype=float)
        if obs.shape != (self.n_obs,):
            raise InputError(f"observation must have shape ({self.n_obs},), got {obs.shape}")
        if not np.all(np.isfinite(obs)):
            raise InputError(f"observation must be finite, got {obs!r}")
        return np.exp(-0.5 * ((obs[:, None] - self.centres) / self.sigma[:, None]) ** 2).ravel()

    def encode(self, responses, rng=None):
        """Network input for one network step from :meth:`responses`."""
        if self.mode == "analog":
            return self.gain * responses
        return (rng.random(responses.shape) < self.p_max * responses).astype(float)

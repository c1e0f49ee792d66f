"""The device interface: what a tile, a synapse backend or a study asks of a device model.

Every device model (:class:`memsim.devices.PCM`, :class:`memsim.devices.PulseDevice`)
implements it, so code above the devices never asks which model it holds. A
model keeps its parameters; the state of a population of cells (targets,
programmed values, drift exponents, faults) is a separate object that the
model's methods take and return, flattened over the cells.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np

from ..errors import InputError


class Device(ABC):
    """A device model.

    Attributes
    ----------
    kind : str
        Model family (``"pcm"``, ``"pulse"``), as in preset files.
    drifts : bool
        Whether conductances change with time after programming (and global
        drift compensation means anything).
    """

    kind = "device"
    drifts = False
    params = None   # the model's parameters, with g_min and g_max (S)

    @property
    def g_min(self):
        """Smallest conductance a weight maps to (S): the parameters' ``g_min``."""
        return self.params.g_min

    @property
    def g_max(self):
        """Largest conductance a weight maps to (S): the parameters' ``g_max``."""
        return self.params.g_max

    @abstractmethod
    def program(self, g_target, seed):
        """Program cells to target conductances (S); returns their state.

        ``seed`` (int or numpy Generator) is the source of every draw.
        """

    @abstractmethod
    def read(self, state, t, seed, *, compensate=False):
        """Conductances (S) read ``t`` seconds after programming, with read noise."""

    @abstractmethod
    def conductances(self, state, t):
        """Noise-free conductances (S) ``t`` seconds after programming, faults applied."""

    def read_noise_std(self, state, t):
        """Standard deviation (S) of each cell's read noise at ``t``; zero for a model
        without read noise."""
        return np.zeros(np.shape(self.conductances(state, t)))

    def read_noise_timescales(self, t):
        """Shortest and longest time scale (s) of the read noise accumulated at ``t`` (s),
        for its correlation between reads (:mod:`memsim.devices.flicker`); ``None`` for a
        model whose read noise has no memory (or that has none)."""
        return None

    def with_read_pulse(self, t_read):
        """This model read by pulses of width ``t_read`` (s): the read-noise bandwidth of a
        model with read noise depends on it, so a tile reads its devices with its own
        pulse. Models without read noise return themselves."""
        return self

    def apply_pulses(self, state, pulses, seed):
        """Apply signed pulse counts in place; models not programmed by pulses refuse."""
        raise InputError(f"{type(self).__name__} devices are not programmed by pulses "
                         f"(a pulse-programmed preset is: memsim device list)")


def compensation_factor(reference, g_read):
    """Global drift compensation of a device read: ``reference / sum|G(t)|``, where
    ``reference`` (S) is the same sum right after programming."""
    total = float(np.sum(np.abs(g_read)))
    if total <= 0.0:
        raise InputError("drift compensation needs a reference read with nonzero "
                         "total conductance; every device read 0 S")
    return reference / total

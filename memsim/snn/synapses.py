"""Synapses as a backend: how a weight matrix carries input and takes updates.

The network calls only :meth:`propagate` and :meth:`update`, so the same network
runs on float weights (:class:`DigitalSynapses`, the network's own backend) or
on any hardware backend of :mod:`memsim.hardware` (float weights read through
device-like noise, pulse-programmed device pairs, crossbar tiles) behind the
same two methods. Convention: ``y = x @ W`` with ``W`` of shape (n_pre,
n_post), as on a crossbar whose rows are the presynaptic inputs.

A network is built with a backend *factory*: ``factory(name, weights)`` makes
the backend of the weight matrix ``name`` (``"w_in"``, ``"w_rec"``,
``"w_out"``, ``"w_value"``) from its initial weights; :func:`digital` is the
network's own. Which factory a training run uses is described by
:class:`SynapseConfig` (the ``synapses`` section of a training config).

A backend whose read is exactly ``x @ forward`` for a float array ``forward``
that it keeps up to date in place exposes that array; the network's fused
Cython step then reads it directly (and counts the synaptic events itself).
Backends with state beyond their weights (device states, accumulators, noise
draws) return it from ``state_arrays()`` and take it back in
``load_state_arrays()``, so that training checkpoints resume exactly.
"""

from __future__ import annotations

import numpy as np

from dataclasses import dataclass

from .._validation import check_array, check_choice, check_scalar


class DigitalSynapses:
    """Float weights: ``propagate(x) = x @ W``.

    Parameters
    ----------
    weights : array_like, shape (n_pre, n_post)

    Attributes
    ----------
    counts : dict
        ``"synaptic_events"``: nonzero inputs times fan-out, summed over calls;
        ``"propagations"``: calls.
    """

    def __init__(self, weights):
        self.weights = check_array("weights", weights, ndim=2).copy()
        self.counts = {"synaptic_events": 0, "propagations": 0}

    @property
    def shape(self):
        """``(n_pre, n_post)``."""
        return self.weights.shape

    @property
    def forward(self):
        """The array reads multiply by (the weights themselves)."""
        return self.weights

    def propagate(self, x):
        """Postsynaptic input ``x @ W`` for presynaptic activity ``x`` (n_pre,)."""
        self.counts["synaptic_events"] += int(np.count_nonzero(x)) * self.shape[1]
        self.counts["propagations"] += 1
        return x @ self.forward

    def update(self, delta):
        """Add ``delta`` (n_pre, n_post) to the weights."""
        self.weights += delta


def digital(name, weights):
    """The network's own backend factory: float weights for every matrix ``name``."""
    return DigitalSynapses(weights)


#: Synapse backends a training config can name (``synapses.backend``): float
#: weights; float weights read through per-episode device-like noise
#: (hardware-aware training); differential pairs of pulse devices written by
#: pulses (in-situ learning). The last two are built by memsim.hardware.
BACKENDS = ("digital", "noisy", "pulse")


@dataclass(frozen=True)
class SynapseConfig:
    """Which synapse backend a network trains on, and its parameters.

    Parameters
    ----------
    backend : {"digital", "noisy", "pulse"}, default="digital"
        See :data:`BACKENDS`.
    relative_noise, absolute_noise : float, default=0.0
        ``noisy``: ``s_rel`` and ``s_abs`` of the per-episode perturbation
        ``W (1 + s_rel xi) + s_abs max|W| zeta`` (dimensionless, >= 0).
    device : str, default="ag-si"
        ``pulse``: a pulse-programmed device preset (name or path).
    w_max_in, w_max_rec, w_max_out, w_max_value : float
        ``pulse``: weight that uses a pair's whole conductance range, per
        matrix (weight units, > 0).
    temperature : float, default=0.0
        ``pulse``: the devices' operating temperature (K) for their retention
        model; 0 keeps the preset's own (298 K unless it says otherwise).
    """

    backend: str = "digital"
    relative_noise: float = 0.0
    absolute_noise: float = 0.0
    device: str = "ag-si"
    w_max_in: float = 1.0
    w_max_rec: float = 0.6
    w_max_out: float = 1.0
    w_max_value: float = 2.0
    temperature: float = 0.0

    def __post_init__(self):
        check_choice("synapses.backend", self.backend, BACKENDS)
        for name in ("relative_noise", "absolute_noise"):
            check_scalar(f"synapses.{name}", getattr(self, name), low=0.0)
        for name in ("w_max_in", "w_max_rec", "w_max_out", "w_max_value"):
            check_scalar(f"synapses.{name}", getattr(self, name), low=0.0, low_inclusive=False)
        check_scalar("synapses.temperature", self.temperature, low=0.0)

    def w_max(self, name):
        """``w_max`` of the weight matrix ``name`` (``"w_in"`` ... ``"w_value"``)."""
        return getattr(self, "w_max_" + name[2:])

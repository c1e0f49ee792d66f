"""Synapses as a backend: how a weight matrix carries input and takes updates.

The network calls only :meth:`propagate` and :meth:`update`, so the same network
runs on float weights (:class:`DigitalSynapses`) or, with the hardware
deployment, on analog crossbar tiles behind the same two methods. Convention:
``y = x @ W`` with ``W`` of shape (n_pre, n_post), as on a crossbar whose rows
are the presynaptic inputs.
"""

from __future__ import annotations

import numpy as np

from .._validation import check_array


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

    def propagate(self, x):
        """Postsynaptic input ``x @ W`` for presynaptic activity ``x`` (n_pre,)."""
        self.counts["synaptic_events"] += int(np.count_nonzero(x)) * self.weights.shape[1]
        self.counts["propagations"] += 1
        return x @ self.weights

    def update(self, delta):
        """Add ``delta`` (n_pre, n_post) to the weights."""
        self.weights += delta

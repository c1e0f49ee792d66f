"""What the learning agents share: config round trips, initial and restored weights."""

from __future__ import annotations

from dataclasses import asdict, fields

import numpy as np

from .._validation import check_array
from ..errors import InputError
from .neurons import NeuronParams


class AgentConfig:
    """Mixin of the agents' frozen config dataclasses: dict round trip with a
    nested :class:`NeuronParams` under ``neuron``."""

    def to_dict(self):
        """Dict (neuron parameters nested) for JSON metadata."""
        return asdict(self)

    @classmethod
    def from_dict(cls, values):
        """Inverse of :meth:`to_dict`; unknown keys are an error."""
        values = dict(values)
        known = {f.name for f in fields(cls)}
        extra = sorted(set(values) - known)
        if extra:
            raise InputError(f"unknown {cls.__name__} parameter(s) {extra}; known: "
                             f"{sorted(known)}")
        if "neuron" in values:
            values["neuron"] = NeuronParams(**values["neuron"])
        return cls(**values)


def initial_weights(rng, n_in, n_rec, n_out, config):
    """Gaussian input, recurrent (no self-connections) and output weights,
    scaled by ``config.w_*_scale / sqrt(fan_in)``."""
    w_rec = rng.normal(0.0, config.w_rec_scale / np.sqrt(n_rec), (n_rec, n_rec))
    np.fill_diagonal(w_rec, 0.0)
    return (rng.normal(0.0, config.w_in_scale / np.sqrt(n_in), (n_in, n_rec)), w_rec,
            rng.normal(0.0, config.w_out_scale / np.sqrt(n_rec), (n_rec, n_out)))


def synapse_state(syn):
    """``{"synapse/<name>/<key>": array}`` of every backend with state beyond its weights."""
    return {f"synapse/{name}/{key}": value for name, s in syn.items()
            if hasattr(s, "state_arrays") for key, value in s.state_arrays().items()}


def restore_synapses(syn, arrays, factory):
    """Rebuild every synapse backend of ``syn`` from ``arrays["weights/<name>"]``,
    and its extra state from ``arrays["synapse/<name>/<key>"]`` when saved (else
    the backend starts fresh from the weights: new devices programmed to them)."""
    for name, s in syn.items():
        w = check_array(f"weights/{name}", arrays[f"weights/{name}"], ndim=2)
        if w.shape != s.shape:
            raise InputError(f"weights/{name} has shape {w.shape}, this network needs "
                             f"{s.shape}")
        syn[name] = factory(name, w)
        prefix = f"synapse/{name}/"
        extra = {k[len(prefix):]: v for k, v in arrays.items() if k.startswith(prefix)}
        if extra and hasattr(syn[name], "load_state_arrays"):
            syn[name].load_state_arrays(extra)

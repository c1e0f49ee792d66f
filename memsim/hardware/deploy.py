"""Deployment of a trained network onto tiles, and the inputs that calibrate their ADCs."""

from __future__ import annotations

import numpy as np

from .._validation import as_generator
from ..rl.train import run_episodes
from .synapses import AnalogSynapses

#: Matrices of the e-prop network and which of them spikes drive.
MATRICES = ("w_in", "w_rec", "w_out", "w_value")


def deploy(agent, encoder, hardware, *, seed):
    """Put every weight matrix of ``agent`` on tiles of ``hardware`` (in place).

    Parameters
    ----------
    agent : EpropActorCritic
        A trained network; its synapse backends are replaced.
    encoder : GaussianFields
        The agent's input encoder: spike inputs get 1-bit row pulses, analog
        inputs the hardware's DAC with full scale at the encoder's gain.
    hardware : HardwareConfig
        Device, tiles, peripherals, wires and technology.
    seed : int or numpy.random.Generator
        Programming randomness (one child stream per matrix) and the read noise.
        Successive reads are one network time step (``neuron.dt``) apart.

    Returns
    -------
    dict
        ``{name: AnalogSynapses}``, also installed in ``agent``.
    """
    streams = as_generator(seed).spawn(2 * len(MATRICES))
    backends = {}
    for k, name in enumerate(MATRICES):
        backends[name] = AnalogSynapses(agent.weights(name), hardware, seed=streams[2 * k],
                                        read_seed=streams[2 * k + 1],
                                        spikes=name != "w_in" or encoder.mode == "spikes",
                                        x_max=encoder.gain,
                                        read_interval=agent.config.neuron.dt)
    agent.use_synapses(backends)
    return backends


class _Recorder:
    """Digital backend that keeps the inputs it propagates (ADC calibration)."""

    def __init__(self, synapses):
        self.inner = synapses
        self.inputs = []

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def propagate(self, x):
        self.inputs.append(np.atleast_2d(x).copy())
        return self.inner.propagate(x)


def record_inputs(env_name, encoder, agent, env_seeds, rng, max_rows=4096):
    """Inputs each matrix of a digital ``agent`` sees in greedy episodes.

    Returns ``{name: ndarray (rows, n_pre)}``: rows with at least one active
    input, at most ``max_rows`` of them drawn without replacement by ``rng``.
    """
    digital = {name: agent.syn[name] for name in MATRICES}
    recorders = {name: _Recorder(s) for name, s in digital.items()}
    agent.use_synapses(recorders)
    try:
        run_episodes(env_name, encoder, agent, env_seeds, rng)
    finally:
        agent.use_synapses(digital)
    out = {}
    for name, rec in recorders.items():
        x = np.concatenate(rec.inputs)
        x = x[np.any(x != 0.0, axis=1)]
        if len(x) > max_rows:
            x = x[np.sort(rng.choice(len(x), max_rows, replace=False))]
        out[name] = x
    return out

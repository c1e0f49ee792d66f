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


class _Signed:
    """Signed inputs on unsigned row drivers: ``x @ W = x+ @ W - x- @ W``, two reads
    (both counted by the tiles)."""

    def __init__(self, inner):
        self.inner = inner

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def propagate(self, x):
        pos, neg = np.maximum(x, 0.0), np.maximum(-x, 0.0)
        y = self.inner.propagate(pos)
        return y - self.inner.propagate(neg) if np.any(neg) else y


class _Scaled:
    """Spikes carried as ``1/dt`` (Dirac) on 1-bit row pulses of 1: read ``x dt``, then
    scale the output back by ``1/dt``."""

    def __init__(self, inner, scale):
        self.inner, self.scale = inner, scale

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def propagate(self, x):
        return self.inner.propagate(x / self.scale) * self.scale


def deploy_graph(network, hardware, recorded, *, seed, dt, t=0.0, compensate=False,
                 percentile=99.9, spikes="step", input_spikes=False):
    """Put every weight matrix of a graph network on tiles of ``hardware``.

    Parameters
    ----------
    network : memsim.snn.graph.Network
    hardware : HardwareConfig
    recorded : dict
        ``{(node, group): list of input arrays}`` from a digital run of the same
        inputs (:meth:`memsim.snn.graph.Network.run` ``record=``): the full
        scale of each non-spike DAC (the largest ``|x|``) and the ADC calibration
        (``percentile`` of ``|I+ - I-|`` over those inputs, not counted).
    seed : int or numpy.random.Generator
        Programming and read randomness (two child streams per matrix).
    dt : float
        The network's time step (s): the interval between reads.
    t : float, default=0.0
        Read time after programming (s).
    compensate : bool, default=False
        Global drift compensation.
    spikes : {"step", "dirac"}
        How the network carries spikes (:mod:`memsim.snn.graph`).
    input_spikes : bool, default=False
        Whether the graph's input is 0/1 events (then 1-bit pulses, as spikes).

    Returns
    -------
    dict
        ``{(node, group): backend}``; each exposes the ``AnalogSynapses`` (its
        ``matrix`` and ``counts``), with signed inputs read as two unsigned reads.
    """
    matrices = network.matrices()
    sources = {name: network.spike_source(name, input_spikes) for name, _ in matrices}
    streams = as_generator(seed).spawn(2 * len(matrices))
    backends = {}
    for k, (key, weights) in enumerate(matrices.items()):
        x = np.concatenate(recorded[key]) if recorded.get(key) else np.zeros((1, len(weights)))
        source = sources[key[0]]
        spiking = source is not None
        x_max = float(np.max(np.abs(x))) or 1.0
        inner = AnalogSynapses(weights, hardware, seed=streams[2 * k],
                               read_seed=streams[2 * k + 1], spikes=spiking,
                               x_max=1.0 if spiking else x_max, read_interval=dt)
        # Dirac spikes arrive as 1/dt: those of spiking nodes (an input is given as is)
        scale = (1.0 / dt) if (spiking and spikes == "dirac"
                               and network.nodes[source].spiking) else 1.0
        active = x[np.any(x != 0.0, axis=1)]
        if len(active):
            inner.calibrate_adc(np.abs(active) / scale, t, percentile)
        inner.at(t, compensate)
        backend = inner if spiking or not np.any(x < 0) else _Signed(inner)
        backends[key] = _Scaled(backend, scale) if scale != 1.0 else backend
    return backends

"""Deployment of a trained network onto tiles, and the inputs that calibrate their ADCs."""

from __future__ import annotations

import numpy as np

from .._validation import as_generator
from ..crossbar import ADC, DAC
from ..rl.train import run_episodes
from .synapses import AnalogSynapses

#: Matrices of the e-prop network and which of them spikes drive.
MATRICES = ("w_in", "w_rec", "w_out", "w_value")


def deploy(agent, encoder, device, *, seed, tile_shape=(256, 256), scheme="differential",
           dac_bits=8, adc_bits=8, v_read=0.2, t_read=10e-9, wires=None, solver="auto",
           gate_idle=True):
    """Put every weight matrix of ``agent`` on tiles of ``device`` (in place).

    Parameters
    ----------
    agent : EpropActorCritic
        A trained network; its synapse backends are replaced.
    encoder : GaussianFields
        The agent's input encoder: spike inputs get 1-bit row pulses, analog
        inputs a ``dac_bits`` DAC with full scale at the encoder's gain.
    device : PCM, PulseDevice or str
        Device model or preset name.
    seed : int or numpy.random.Generator
        Programming randomness (one child stream per matrix) and the read noise.
    tile_shape : (int, int)
        Physical rows and columns of a tile.
    scheme : {"differential", "reference"}
        Weight mapping.
    dac_bits : int
        Input DAC resolution for analog inputs (0 = ideal).
    adc_bits : int
        ADC resolution (0 = ideal, no quantisation).
    v_read, t_read : float
        Read pulse amplitude (V) and width (s).
    wires : Wires, optional
        Wire resistances; None is ideal wiring.
    solver : str
        Circuit solver (:class:`memsim.crossbar.Crossbar`).
    gate_idle : bool
        Gate the ADCs of reads with no active row.

    Returns
    -------
    dict
        ``{name: AnalogSynapses}``, also installed in ``agent``.
    """
    streams = as_generator(seed).spawn(2 * len(MATRICES))
    backends = {}
    for k, name in enumerate(MATRICES):
        spikes = name != "w_in" or encoder.mode == "spikes"
        dac = (DAC(bits=1, v_max=v_read, signed=False, t_read=t_read) if spikes else
               DAC(bits=dac_bits, v_max=v_read, x_max=encoder.gain, signed=False,
                   t_read=t_read))
        backends[name] = AnalogSynapses(agent.weights(name), device, seed=streams[2 * k],
                                        read_seed=streams[2 * k + 1], dac=dac,
                                        adc=ADC(bits=adc_bits, i_max=1.0, signed=True),
                                        tile_shape=tile_shape, scheme=scheme, wires=wires,
                                        solver=solver, gate_idle=gate_idle)
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

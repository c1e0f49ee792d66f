"""A trained spiking agent on memristor tiles: deployment and closed-loop evaluation.

Deployment maps every weight matrix of an e-prop network (``w_in``,
``w_rec``, ``w_out``, ``w_value``; :class:`memsim.snn.EpropActorCritic`) onto
its own :class:`memsim.crossbar.TiledMatrix` and hands the network an
:class:`AnalogSynapses` backend for each: the network code is the one that
trained, only its synapses change (DESIGN.md). Per network step and matrix::

    x --DAC--> row read pulses --crossbar at G(t)--> column currents --ADC--> x @ W

* Row drivers: the recurrent and readout matrices are driven by spikes, a
  1-bit read pulse of ``v_read`` on the rows of the neurons that fired (rows
  of silent neurons are not driven and cost nothing); the input matrix gets
  a multi-bit DAC (``dac_bits``, unsigned, full scale at the encoder's
  ``gain``) for analog inputs, 1-bit pulses for spike inputs.
* ADCs: signed, ``adc_bits``, full scale calibrated once, at
  ``calibration_time`` after programming, to the ``adc_percentile`` of
  ``|I+ - I-|`` over the inputs the digital network sees in
  ``calibration_episodes`` episodes (calibration reads are not counted).
* Drift: reads at time ``t`` after programming see ``G(t)``; with
  compensation every matrix output is multiplied by its tile's global
  drift-compensation factor (:meth:`memsim.devices.PCM.compensation_factor`).
* Energy per decision: the tiles' counted events priced by the technology
  (:func:`memsim.energy.network_ledger`), plus ``n_rec + n_actions + 1``
  digital neuron/readout updates per network step, one routed spike per
  recurrent spike (and per input spike on the spike path), and SRAM traffic
  of the neuron inputs (ADC outputs, 8 bits at least) and of the inputs.
  Baselines run the same network with the same measured activity: per
  network step the layers ``(n_in + n_rec) -> n_rec -> n_actions + 1`` with
  the active inputs counted during the evaluation.
"""

from __future__ import annotations

import numpy as np

from ._validation import as_generator, check_array, check_choice, check_scalar
from .crossbar import ADC, DAC, TiledMatrix, Wires
from .crossbar.circuit import resolve_solver
from .crossbar.mapping import SCHEMES
from .energy import BASELINES, Workload, baseline, network_ledger
from .errors import InputError

#: Matrices of the e-prop network and which of them spikes drive.
MATRICES = ("w_in", "w_rec", "w_out", "w_value")


class AnalogSynapses:
    """Synapse backend on memristor tiles: ``propagate(x)`` is a tiled analog read.

    Parameters
    ----------
    weights : array_like, shape (n_pre, n_post)
        Weights to program (``y = x @ W``).
    device : PCM, PulseDevice or str
        Device model or preset name.
    seed : int or numpy.random.Generator
        Programming randomness.
    read_seed : int or numpy.random.Generator
        Source of read noise and ADC noise of every later read.
    dac, adc : DAC, ADC
        Peripherals (copied onto every tile).
    tile_shape : (int, int)
        Physical rows and columns of a tile.
    **tile_options
        ``scheme``, ``wires``, ``iv``, ``solver``, ``gate_idle`` as for
        :class:`memsim.crossbar.Tile`.

    Attributes
    ----------
    weights : ndarray
        The weights the tiles were programmed to (targets; the devices hold
        them only up to programming noise, drift and quantisation).
    matrix : TiledMatrix
    counts : dict
        ``synaptic_events`` and ``propagations``, as the digital backend counts them.
    t : float
        Read time after programming (s); set by :meth:`at`.
    compensate : bool
        Whether reads apply global drift compensation; set by :meth:`at`.
    """

    def __init__(self, weights, device, *, seed, read_seed, dac, adc, tile_shape,
                 **tile_options):
        self.weights = check_array("weights", weights, ndim=2).copy()
        self.matrix = TiledMatrix(self.weights, device, seed=seed, tile_shape=tile_shape,
                                  dac=dac, adc=adc, **tile_options)
        self.rng = as_generator(read_seed)
        self.counts = {"synaptic_events": 0, "propagations": 0}
        self.at(0.0)

    @property
    def shape(self):
        """``(n_pre, n_post)``."""
        return self.weights.shape

    def at(self, t, compensate=False, read_seed=None):
        """Read the tiles ``t`` seconds after programming from now on.

        Builds the circuits' effective matrices for ``t`` at once, so that a
        read of one input is one matrix product. ``read_seed`` restarts the
        read-noise stream. Returns ``self``.
        """
        self.t = check_scalar("t", t, low=0.0)
        self.compensate = bool(compensate)
        for row in self.matrix.tiles:
            for tile in row:
                tile.circuit(self.t).prepare()
        if read_seed is not None:
            self.rng = as_generator(read_seed)
        return self

    def propagate(self, x):
        """``x @ W`` read from the tiles, for ``x`` of shape (n_pre,) or (batch, n_pre)."""
        single = x.ndim == 1
        xb = x[None, :] if single else x
        self.counts["synaptic_events"] += int(np.count_nonzero(xb)) * self.shape[1]
        self.counts["propagations"] += 1
        y = self.matrix.matmul(xb, self.t, self.rng, compensate=self.compensate)
        return y[0] if single else y

    def update(self, delta):
        """Not supported: tiles here are read-only (programmed once, then read).

        Learning on devices runs on :class:`memsim.snn.synapses.PulseSynapses`
        (training config ``synapses.backend = "pulse"``), whose reads are ideal.
        """
        raise NotImplementedError("tiles deployed by memsim.hardware are read-only; to learn "
                                  "on devices train with synapses.backend=\"pulse\" "
                                  "(memsim.snn.synapses.PulseSynapses)")

    def calibrate_adc(self, x, t, percentile):
        """Set the ADC full scale of every tile from inputs ``x`` (see
        :meth:`memsim.crossbar.TiledMatrix.calibrate_adc`)."""
        x = check_array("x", x, ndim=2, allow_empty=True)
        if not np.any(x):
            raise InputError("ADC calibration needs inputs with at least one active row; the "
                             "recorded inputs of this matrix are all zero (record more "
                             "calibration episodes)")
        self.matrix.calibrate_adc(x, t, percentile)


def hardware_from_config(tile, tech):
    """Keyword arguments of :func:`deploy` from the ``tile`` section of a config.

    Every value is checked here, the combination of wires and solver included,
    so that a config is refused before anything runs or is written.
    """
    r_row = check_scalar("tile.r_row", tile["r_row"], low=0.0)
    r_col = check_scalar("tile.r_col", tile["r_col"], low=0.0)
    wires = None if r_row == 0.0 and r_col == 0.0 else Wires(r_row, r_col)
    resolve_solver(tile["solver"], wires, None, name="tile.solver")
    return {
        "tile_shape": (check_scalar("tile.rows", tile["rows"], low=2, integer=True),
                       check_scalar("tile.cols", tile["cols"], low=2, integer=True)),
        "scheme": check_choice("tile.scheme", tile["scheme"], SCHEMES),
        "dac_bits": check_scalar("tile.dac_bits", tile["dac_bits"], low=0, high=16,
                                 integer=True),
        "adc_bits": check_scalar("tile.adc_bits", tile["adc_bits"], low=0, high=16,
                                 integer=True),
        "v_read": check_scalar("tile.v_read", tile["v_read"], low=0.0) or tech["v_read"],
        "t_read": tech["t_read"],
        "wires": wires,
        "solver": tile["solver"],
        "gate_idle": tile["gate_idle"],
    }


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
    from .rl.train import run_episodes
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


def decision_energy(agent, encoder, backends, decisions, spikes, tech, digital, *, adc_bits,
                    adc_model):
    """Energy per decision on tiles and on every baseline, from counted events.

    Parameters
    ----------
    agent : EpropActorCritic
    encoder : GaussianFields
    backends : dict of AnalogSynapses
        Their counts cover the ``decisions`` evaluated.
    decisions : int
        Decisions made (summed over episodes).
    spikes : float
        Recurrent spikes over those decisions.
    tech, digital : Technology
        Analog (``cim``) and digital technologies.
    adc_bits : int
    adc_model : {"walden", "neurosim-sar"}

    Returns
    -------
    dict
        ``analog`` (ledger dict per decision), ``baselines`` (each ledger dict
        with ``ratio_to_analog``) and ``activity`` (active inputs per step).
    """
    steps = decisions * agent.config.steps_per_decision
    n_in, n_rec, n_out = agent.n_in, agent.config.n_rec, agent.n_actions + 1
    counts = {}
    for backend in backends.values():
        for key, value in backend.matrix.counts.items():
            counts[key] = counts.get(key, 0) + value
    in_events = backends["w_in"].counts["synaptic_events"] / n_rec
    spike_input = encoder.mode == "spikes"
    in_bits = 1 if spike_input else max(backends["w_in"].matrix.tiles[0][0].dac.bits, 1)
    ledger = network_ledger(counts, tech, adc_bits=adc_bits, adc_model=adc_model,
                            neuron_updates=steps * (n_rec + n_out),
                            routed_spikes=spikes + (in_events if spike_input else 0.0),
                            sram_bits=steps * (n_in * in_bits
                                               + (n_rec + n_out) * max(adc_bits, 8)))
    per_decision = ledger.scaled(decisions)
    active_in = in_events / steps
    active_rec = spikes / steps
    workload = Workload((n_in + n_rec, n_rec, n_out), (active_in + active_rec, active_rec))
    per_step = agent.config.steps_per_decision
    total = per_decision.total
    result = {"analog": per_decision.to_dict(), "baselines": {},
              "activity": {"active_inputs_per_step": active_in,
                           "spikes_per_step": active_rec,
                           "spikes_per_decision": spikes / decisions}}
    for name in BASELINES:
        led = baseline(name, workload, digital, node_nm=tech.node_nm,
                       vdd=tech["vdd"]).scaled(1.0 / per_step)
        result["baselines"][name] = {**led.to_dict(), "ratio_to_analog":
                                     led.total / total if total else None}
    return result

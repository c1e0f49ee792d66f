"""Synapse backends that are hardware, behind the network's synapse interface.

:class:`NoisySynapses` reads float weights through device-like noise
(hardware-aware training), :class:`PulseSynapses` holds every weight in a
differential pair of pulse-programmed devices that learn by write pulses
(in-situ learning), :class:`AnalogSynapses` reads a weight matrix programmed
onto crossbar tiles. The interface they implement is
:mod:`memsim.snn.synapses`; :func:`backend_factory` turns a training config's
``synapses`` section into the factory a network is built with.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from .._validation import as_generator, check_array, check_scalar
from ..crossbar.circuit import RTOL
from ..crossbar.mapping import map_weights
from ..devices.presets import load_preset
from ..devices.pulse import PulseDevice, PulseState
from ..errors import InputError, InputTypeError
from ..snn.synapses import DigitalSynapses, digital

#: Seed offset of each weight matrix of a network (its position in e-prop's list).
MATRIX_INDEX = {"w_in": 0, "w_rec": 1, "w_out": 2, "w_value": 3}


def backend_factory(config, seed, *, training=True):
    """The backend factory ``factory(name, weights)`` a training config asks for.

    Parameters
    ----------
    config : memsim.snn.SynapseConfig
        The ``synapses`` section.
    seed : int
        Matrix ``name`` gets ``seed + MATRIX_INDEX[name]`` (noise draws,
        device programming and write noise).
    training : bool, default=True
        Without training a ``noisy`` backend is the digital one: its noise
        belongs to training.

    Returns
    -------
    callable
    """
    if config.backend == "digital" or (config.backend == "noisy" and not training):
        return digital
    if config.backend == "noisy":
        def noisy(name, weights):
            return NoisySynapses(weights, seed=seed + MATRIX_INDEX[name],
                                 relative=config.relative_noise,
                                 absolute=config.absolute_noise)
        return noisy
    device = load_preset(config.device).cell_device()
    if not isinstance(device, PulseDevice):
        raise InputError(f"synapses.device must be a pulse-programmed preset for in-situ "
                         f"learning, got {config.device!r} ({type(device).__name__})")
    if config.temperature:
        device = PulseDevice(replace(device.params, temperature=config.temperature))

    def pulse(name, weights):
        return PulseSynapses(weights, device, seed=seed + MATRIX_INDEX[name],
                             w_max=config.w_max(name))
    return pulse


class NoisySynapses(DigitalSynapses):
    """Float weights read through a fresh device-like perturbation every episode.

    For hardware-aware training (noise injection, as in Joshi et al., Nat.
    Commun. 11:2473, 2020): the learner keeps and updates clean weights
    ``W``; the reads of an episode use::

        W~ = W (1 + s_rel xi) + s_abs w_max zeta,   w_max = max |W|,

    with ``xi``, ``zeta`` standard normal per synapse, drawn at
    :meth:`new_episode`. ``s_abs`` plays the programming noise of a device
    (PCM: 1-4 % of the range, memsim.devices.pcm), ``s_rel`` the per-device
    spread of drift left after global compensation (PCM at one year:
    ``sigma_nu ln(t / t0)`` = 0.1-0.3).

    Parameters
    ----------
    weights : array_like, shape (n_pre, n_post)
    seed : int
        Noise draws: episode ``k`` uses ``default_rng([seed, k])``.
    relative : float, default=0.0
        ``s_rel``, >= 0.
    absolute : float, default=0.0
        ``s_abs``, fraction of ``max |W|``, >= 0.
    """

    def __init__(self, weights, *, seed, relative=0.0, absolute=0.0):
        super().__init__(weights)
        self.seed = check_scalar("seed", seed, low=0, integer=True)
        self.relative = check_scalar("relative", relative, low=0.0)
        self.absolute = check_scalar("absolute", absolute, low=0.0)
        self.episode = 0
        self._forward = self.weights.copy()
        self._xi = np.zeros(self.shape)
        self._zeta = np.zeros(self.shape)

    @property
    def forward(self):
        """The perturbed weights of the current episode."""
        return self._forward

    def new_episode(self):
        """Draw the perturbation of the next episode."""
        rng = np.random.default_rng([self.seed, self.episode])
        self.episode += 1
        self._xi = rng.standard_normal(self.shape)
        self._zeta = rng.standard_normal(self.shape)
        self._refresh()

    def _refresh(self):
        w_max = float(np.abs(self.weights).max())
        self._forward[:] = (self.weights * (1.0 + self.relative * self._xi)
                            + self.absolute * w_max * self._zeta)

    def update(self, delta):
        """Add ``delta`` to the clean weights; the episode's perturbation stays."""
        self.weights += delta
        self._refresh()

    def state_arrays(self):
        """The episode counter, the current draws and the seed."""
        return {"episode": np.array(self.episode), "xi": self._xi, "zeta": self._zeta,
                "seed": np.array(self.seed)}

    def load_state_arrays(self, arrays):
        """Restore :meth:`state_arrays`."""
        self.episode = int(arrays["episode"])
        self.seed = int(arrays["seed"])
        self._xi = np.array(arrays["xi"], float)
        self._zeta = np.array(arrays["zeta"], float)
        self._refresh()


class PulseSynapses(DigitalSynapses):
    """Weights held by differential pairs of pulse-programmed devices.

    Each weight is a pair ``(G+, G-)`` (memsim.crossbar.mapping, differential
    scheme, weights beyond ``±w_max`` clipped) read ideally: ``w = (G+ - G-) /
    g_w``, ``g_w = (g_max - g_min) / w_max``; programming leaves one device of
    each pair at ``g_min``. Updates become write pulses of the device model
    (nonlinear, asymmetric LTP/LTD, cycle-to-cycle noise, bounds, finite
    levels; memsim.devices.pulse) through a digital accumulator with a
    one-pulse threshold::

        a += dW;   n = trunc(a / dw);   a -= n dw

    and the ``|n|`` pulses keep one device of the pair at its floor: when the
    update grows ``|w|`` the device holding the weight (the one further
    above its own ``g_min``) is potentiated ``|n|`` times; when it shrinks
    ``|w|`` the holder is depressed ``k = min(|n|, ceil(held / dg))`` times
    (``dg = (g_max - g_min) / levels``: as many as bring it to its floor,
    nominally) and the other device potentiated ``|n| - k`` times, so that
    ``w`` can cross zero. ``dw = w_max /
    levels`` is the nominal weight step of one pulse (the average slope of a
    full ramp); the devices' true response (smaller near the bounds, noisy)
    is what the network then reads.

    Parameters
    ----------
    weights : array_like, shape (n_pre, n_post)
        Initial weights, programmed open loop from reset.
    device : PulseDevice
    seed : int
        Programming randomness: ``default_rng([seed, 0])``; write noise of
        update ``k``: ``default_rng([seed, k + 1])``.
    w_max : float
        Weight that uses the whole conductance range (weight units), > 0: the
        largest magnitude the pair can hold; choose it with room for the
        weights to grow.

    Devices with a retention model (``device.drifts``) age between writes: a
    clock, moved by :meth:`advance` (the training loop moves it by each
    episode's network time), and each device's time of its last write (its
    programming at 0) give every device its own ``t`` since that write, and
    the weights are read from :meth:`memsim.devices.PulseDevice.conductances` at
    those ``t``. A write acts on the device's present (aged) conductance and
    restarts its ``t``.

    Attributes
    ----------
    counts : dict
        ``synaptic_events``, ``propagations``; ``write_pulses`` (pulses
        applied to devices), ``ltp_pulses``, ``ltd_pulses``, ``updates``; and,
        when the preset gives pulse amplitudes and widths, ``write_joules``:
        the energy the pulses dissipate in the devices, ``sum n V^2 G t`` with
        ``G`` each device's conductance before its pulse train (J; as
        NeuroSim prices a cell write, V^2 G t per pulse).
    """

    def __init__(self, weights, device, *, seed, w_max):
        if not isinstance(device, PulseDevice):
            raise InputTypeError(f"device must be a PulseDevice (a pulse preset), got {device!r}")
        super().__init__(weights)
        self.device = device
        self.seed = check_scalar("seed", seed, low=0, integer=True)
        self._set_scale(check_scalar("w_max", w_max, low=0.0, low_inclusive=False))
        self.state = device.program(self.map.g_target.ravel(),
                                    np.random.default_rng([self.seed, 0]))
        self.accumulator = np.zeros(self.shape)
        self.n_updates = 0
        self.clock = 0.0
        self.written = np.zeros(self.state.g.shape)
        self._read()
        self.counts.update({"write_pulses": 0, "ltp_pulses": 0, "ltd_pulses": 0,
                            "updates": 0})
        p = device.params
        if p.t_ltp > 0 and p.t_ltd > 0 and p.v_ltp != 0 and p.v_ltd != 0:
            self.counts["write_joules"] = 0.0

    def _set_scale(self, w_max):
        self.w_max = w_max
        self.map = map_weights(self.weights, self.device.g_min, self.device.g_max,
                               clip="fixed", clip_value=w_max)
        self.dw = w_max / self.device.params.levels
        self.dg = (self.device.g_max - self.device.g_min) / self.device.params.levels

    def _present(self):
        """Every device's conductance now (S): after retention loss since its last write."""
        if not self.device.drifts:
            return self.state.g
        return self.device.conductances(self.state, self.clock - self.written)

    def _read(self):
        self.weights[:] = self.map.weights_from_conductances(
            self._present().reshape(self.map.g_target.shape))

    def advance(self, seconds):
        """Move the clock ``seconds`` (s, >= 0) on: devices with a retention model age
        and the weights are read again."""
        seconds = check_scalar("seconds", seconds, low=0.0)
        if self.device.drifts and seconds:
            self.clock += seconds
            if self.clock - self.written.min() > self.device.retention_onset():
                self._read()

    def update(self, delta):
        """Accumulate ``delta`` and fire the whole pulses it amounts to."""
        self.accumulator += delta
        n = np.trunc(self.accumulator / self.dw)
        self.accumulator -= n * self.dw
        self.n_updates += 1
        self.counts["updates"] += 1
        if not n.any():
            return
        n = n.astype(np.int64)
        shape = self.map.g_target.shape
        # the pulses act on (and are chosen from) what retention left of each device
        g_now = self._present()
        above = (g_now - np.broadcast_to(self.state.g_min, g_now.shape)
                 ).reshape(shape)                       # each device above its own floor
        plus_holds = above[:, 0::2] >= above[:, 1::2]
        held = np.where(plus_holds, above[:, 0::2], above[:, 1::2])
        m = np.abs(n)
        shrink = np.where(plus_holds, n < 0, n > 0)
        k = np.where(shrink, np.minimum(m, np.ceil(held / self.dg)).astype(np.int64), 0)
        rest = m - k
        pulses = np.empty(shape, dtype=np.int64)
        pulses[:, 0::2] = np.where(plus_holds, np.where(shrink, -k, m), np.where(shrink, rest, 0))
        pulses[:, 1::2] = np.where(plus_holds, np.where(shrink, rest, 0), np.where(shrink, -k, m))
        flat = pulses.ravel()
        if "write_joules" in self.counts:
            p = self.device.params
            pulse_joules = np.where(flat > 0, p.v_ltp ** 2 * p.t_ltp, p.v_ltd ** 2 * p.t_ltd)
            self.counts["write_joules"] += float(np.sum(np.abs(flat) * pulse_joules * g_now))
        if self.device.drifts:
            hit = flat != 0
            self.state.g[hit] = g_now[hit]
            self.written[hit] = self.clock
        self.device.apply_pulses(self.state, flat,
                                 np.random.default_rng([self.seed, self.n_updates]))
        self.counts["write_pulses"] += int(np.abs(pulses).sum())
        self.counts["ltp_pulses"] += int(pulses[pulses > 0].sum())
        self.counts["ltd_pulses"] += int(-pulses[pulses < 0].sum())
        self._read()

    def wear(self):
        """The devices' write cycles (programming pulses included) and failures:
        ``{"devices", "max_cycles", "total_cycles", "failed"}``, ``failed`` counting the
        devices whose cycles reached their budget (memsim.devices.pulse)."""
        s = self.state
        return {"devices": int(s.cycles.size), "max_cycles": int(s.cycles.max()),
                "total_cycles": int(s.cycles.sum()),
                "failed": int(np.count_nonzero(s.cycles >= s.budget))}

    def state_arrays(self):
        """Device conductances and parameters, the accumulator, the update count, w_max,
        the seed of the write noise, the clock and every device's last write time."""
        s = self.state
        return {"g": s.g, "a_ltp": s.a_ltp, "a_ltd": s.a_ltd, "g_min": s.g_min,
                "g_max": s.g_max, "stuck": s.stuck, "cycles": s.cycles, "budget": s.budget,
                "g_min0": s.g_min0, "g_max0": s.g_max0, "accumulator": self.accumulator,
                "n_updates": np.array(self.n_updates), "w_max": np.array(self.w_max),
                "seed": np.array(self.seed), "clock": np.array(self.clock),
                "written": self.written}

    def load_state_arrays(self, arrays):
        """Restore :meth:`state_arrays`."""
        self.state = PulseState(*(np.array(arrays[k]) for k in
                                  ("g", "a_ltp", "a_ltd", "g_min", "g_max", "stuck", "cycles",
                                   "budget", "g_min0", "g_max0")))
        self.accumulator = np.array(arrays["accumulator"], float)
        self.n_updates = int(arrays["n_updates"])
        self.seed = int(arrays["seed"])
        # checkpoints from before retention aged devices: nothing has aged yet
        self.clock = float(arrays["clock"]) if "clock" in arrays else 0.0
        self.written = (np.array(arrays["written"], float) if "written" in arrays
                        else np.zeros(self.state.g.shape))
        self._set_scale(float(arrays["w_max"]))
        self._read()


class AnalogSynapses:
    """Synapse backend on memristor tiles: ``propagate(x)`` is a tiled analog read.

    Parameters
    ----------
    weights : array_like, shape (n_pre, n_post)
        Weights to program (``y = x @ W``).
    hardware : HardwareConfig
        Device, tiles, peripherals, wires and technology.
    seed : int or numpy.random.Generator
        Programming randomness.
    read_seed : int or numpy.random.Generator
        Source of read noise and ADC noise of every later read.
    spikes : bool
        Whether the inputs are spikes (1-bit read pulses) or values (the DAC).
    x_max : float, default=1.0
        Input that drives a row at full scale (values only).
    read_interval : float, default=1e-3
        Time (s) between successive reads (:meth:`propagate` calls): the
        network's time step, over which the read noise decorrelates.
    rtol, atol, maxiter : float, float, int or None
        Keyword-only: the convergence test of the tiles' circuit solves
        (:mod:`memsim.crossbar.circuit`).

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

    def __init__(self, weights, hardware, *, seed, read_seed, spikes, x_max=1.0,
                 read_interval=1e-3, rtol=RTOL, atol=0.0, maxiter=None):
        self.weights = check_array("weights", weights, ndim=2).copy()
        self.matrix = hardware.tiled_matrix(self.weights, seed, spikes=spikes, x_max=x_max,
                                            read_interval=read_interval, rtol=rtol,
                                            atol=atol, maxiter=maxiter)
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
        read of one input is one matrix product. The read noise starts afresh
        (its held part is drawn at the first read); ``read_seed`` restarts the
        read-noise stream. Returns ``self``.
        """
        self.t = check_scalar("t", t, low=0.0)
        self.compensate = bool(compensate)
        for row in self.matrix.tiles:
            for tile in row:
                tile.circuit(self.t).prepare()
        self.matrix.restart_reads()
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

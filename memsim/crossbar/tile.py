"""Tiles: a programmed crossbar array with its peripherals, and matrices split over tiles.

Data path of one matrix-vector product ``y = x @ W`` on a tile (docs/design.md)::

    x --DAC--> V (rows) --circuit at G(t)--> I (columns) [+ read noise]
      --analog subtraction (I+ - I-, or I - I_ref)--> ADC --> / gain --> y

Read noise as output noise
--------------------------
A read at time t sees every device at ``G_ij(t) + dG_ij`` where ``dG_ij`` is
its 1/f read noise, independent from device to device and from read to read,
with standard deviation ``s_ij`` (S) from the device model. Solving the
circuit once per read with freshly perturbed conductances would cost a full
solve (or a new effective matrix) per input. memsim instead adds the noise
the perturbation produces at the outputs, to first order and with ideal
wiring: ``dI_j = sum_i dG_ij V_i``, a Gaussian of variance
``sum_i s_ij^2 V_i^2``, drawn once per column and input. The approximation
neglects the IR drop seen by the perturbation (the device sees
``v_row - v_col`` instead of ``V_i``, so the noise is over-estimated where the
wires drop voltage) and the coupling of a perturbed device into the other
columns through the shared row wire; tests/crossbar/test_tile.py and
notebooks/02_crossbar.ipynb measure its error against full solves.
"""

from __future__ import annotations

import copy

import numpy as np

from .._validation import as_generator, check_array, check_scalar
from ..devices.pcm import PCM
from ..devices.presets import load_preset
from ..devices.pulse import PulseDevice
from ..errors import InputError, InputTypeError
from .circuit import Crossbar
from .mapping import map_weights
from .peripherals import ADC, DAC


def _device(device):
    if isinstance(device, str):
        return load_preset(device).device()
    if not isinstance(device, (PCM, PulseDevice)):
        raise InputTypeError(f"device must be a PCM, a PulseDevice or a preset name, "
                             f"got {device!r}")
    return device


class Tile:
    """One crossbar array holding a programmed weight matrix.

    Parameters
    ----------
    weights : array_like, shape (n_in, n_out)
        Weights of ``y = x @ W``; inputs drive rows.
    device : PCM, PulseDevice or str
        Device model, or the name of a preset (``memsim device list``).
    seed : int or numpy.random.Generator
        Source of programming noise, drift exponents and device variation.
    scheme, clip, clip_value, per_column
        Weight mapping, see :func:`memsim.crossbar.map_weights`. Weights map
        onto the device range ``[device.g_min, device.g_max]``.
    dac : DAC, optional
        Row driver; default ``DAC()`` (8 bits, 0.2 V full scale).
    adc : ADC, optional
        Column converter, applied to the subtracted current; default ideal
        (``ADC(bits=0)``). See :meth:`calibrate_adc` to set its range.
    wires : Wires, optional
        Wire, driver and sense resistances; None is ideal wiring.
    iv : Ohmic or Sinh, optional
        Device I-V law; None is ohmic.
    solver : {"auto", "ideal", "linear", "nonlinear"}, default="auto"
        Circuit solver, see :class:`memsim.crossbar.Crossbar`.

    Attributes
    ----------
    mapping : ConductanceMap
        Targets and the gain that turns currents back into weight units.
    state : PCMState or PulseState
        The programmed devices (flattened, row-major over the physical array).
    counts : dict
        Events and physical quantities for the energy ledger:
        ``"reads"``: array reads (one per input vector);
        ``"array_joules"``: energy the drivers deliver into the array during
        the read pulses, ``t_read sum_k V_k^T I_drive,k`` (J), from the solved
        circuit (devices, wires, driver and sense resistances);
        ``"row_charge_v2"``: ``sum_k sum_i n_cols V_ki^2`` (V^2), so that the
        energy of charging the row lines is ``c_per_cell * row_charge_v2``
        (columns sit at virtual ground and do not swing);
        ``"idle_reads"``: reads with no row driven, whose ADC conversions are
        skipped when ``gate_idle`` is set.
    gate_idle : bool
        Whether the ADCs of a read with no active row are gated off (not
        converted, not counted); their outputs are then exactly zero.
    """

    def __init__(self, weights, device, *, seed, scheme="differential", clip="max",
                 clip_value=None, per_column=False, dac=None, adc=None, wires=None, iv=None,
                 solver="auto", gate_idle=True):
        self.device = _device(device)
        self.mapping = map_weights(weights, self.device.g_min, self.device.g_max,
                                   scheme=scheme, clip=clip, clip_value=clip_value,
                                   per_column=per_column)
        self.dac = DAC() if dac is None else dac
        self.adc = ADC(bits=0) if adc is None else adc
        if not isinstance(self.dac, DAC):
            raise InputTypeError(f"dac must be a memsim.crossbar.DAC, got {dac!r}")
        if not isinstance(self.adc, ADC):
            raise InputTypeError(f"adc must be a memsim.crossbar.ADC, got {adc!r}")
        self.wires, self.iv, self.solver = wires, iv, solver
        if not isinstance(gate_idle, (bool, np.bool_)):
            raise InputTypeError(f"gate_idle must be True or False, got {gate_idle!r}")
        self.gate_idle = bool(gate_idle)
        self.state = self.device.program(self.mapping.g_target.ravel(), as_generator(seed))
        self.reset_counts()
        self._reads = {}
        self.circuit(0.0)  # validates wires, iv and solver now rather than at first read

    @property
    def shape(self):
        """Physical array shape ``(rows, columns)``."""
        return self.mapping.g_target.shape

    def reset_counts(self):
        """Zero the tile's counts and those of its DAC and ADC."""
        self.counts = {"reads": 0, "idle_reads": 0, "array_joules": 0.0, "row_charge_v2": 0.0}
        self.dac.reset_counts()
        self.adc.reset_counts()

    def conductances(self, t=0.0):
        """Conductances (S) of the array ``t`` seconds after programming, without read noise."""
        t = check_scalar("t", t, low=0.0)
        if isinstance(self.device, PCM):
            g = np.maximum(self.device.drifted(self.state, t), 0.0)
            p = self.device.params
            g = p.faults.apply_stuck(g, self.state.stuck, 0.0, p.g_max)
        else:
            g = self.device.read(self.state, t)
        return g.reshape(self.shape)

    def read_noise_std(self, t=0.0):
        """Standard deviation (S) of each device's read noise at ``t``; zeros if none."""
        t = check_scalar("t", t, low=0.0)
        if not isinstance(self.device, PCM):
            return np.zeros(self.shape)
        s = self.device.read_noise_std(self.state, t)
        s[self.state.stuck != 0] = 0.0
        return s.reshape(self.shape)

    def _at(self, t):
        """What a read at ``t`` needs, computed once per time (the last 4 kept):
        the circuit, the read-noise variances (S^2) and the compensation factor."""
        t = check_scalar("t", t, low=0.0)
        if t not in self._reads:
            if len(self._reads) >= 4:
                self._reads.pop(next(iter(self._reads)))
            g = self.conductances(t)
            comp = (self.device.compensation_factor(self.state, g.ravel())
                    if isinstance(self.device, PCM) else 1.0)
            self._reads[t] = (Crossbar(g, self.wires, self.iv, self.solver),
                              self.read_noise_std(t) ** 2, comp)
        return self._reads[t]

    def circuit(self, t=0.0):
        """The :class:`Crossbar` at time ``t`` (cached; its effective matrix too)."""
        return self._at(t)[0]

    def compensation(self, t):
        """Global drift-compensation factor at ``t`` (1.0 for devices without drift)."""
        return self._at(t)[2]

    def column_currents(self, x, t=0.0, seed=None, *, read_noise=True):
        """Currents (A) into every physical column, shape (batch, n_phys).

        Parameters
        ----------
        x : array_like, shape (batch, n_in)
            Inputs, converted by the DAC.
        t : float, default=0.0
            Time since programming (s).
        seed : int or numpy.random.Generator, optional
            Source of read noise; required when the device has read noise.
        read_noise : bool, default=True
            Add the output noise of the devices' read noise (module notes).
        """
        rng = None if seed is None else as_generator(seed)
        return self._read(self._check_inputs(x), t, rng, read_noise)[1]

    def _check_inputs(self, x):
        x = check_array("x", x, ndim=2)
        if x.shape[1] != self.shape[0]:
            raise InputError(f"x must have shape (batch, {self.shape[0]}), got {x.shape}")
        return x

    def _read(self, x, t, rng, read_noise):
        """Row voltages (V) and column currents (A) of a read of checked inputs;
        counts its events."""
        circuit, noise_var, _ = self._at(t)
        v = self.dac._convert(x)
        sol = circuit._solve(v, False, True, 1e-12, None)
        currents = sol.currents
        self.counts["reads"] += len(x)
        self.counts["array_joules"] += self.dac.t_read * float(np.sum(v * sol.driver_currents))
        self.counts["row_charge_v2"] += self.shape[1] * float(np.sum(v * v))
        if read_noise and noise_var.any():
            if rng is None:
                raise InputError("seed is required for the read noise of PCM devices; pass "
                                 "an int or a numpy Generator, or read_noise=False")
            std = np.sqrt((v * v) @ noise_var)
            currents = currents + std * rng.standard_normal(currents.shape)
        return v, currents

    def matmul(self, x, t=0.0, seed=None, *, compensate=False, read_noise=True):
        """``y = x @ W`` computed by the tile, in weight-times-input units.

        Parameters
        ----------
        x : array_like, shape (batch, n_in)
            Inputs.
        t : float, default=0.0
            Time since programming (s).
        seed : int or numpy.random.Generator, optional
            Source of read noise and ADC noise (required when either is on).
        compensate : bool, default=False
            Scale the outputs by the global drift-compensation factor.
        read_noise : bool, default=True
            Include the devices' read noise.

        Returns
        -------
        ndarray, shape (batch, n_out)
        """
        rng = None if seed is None else as_generator(seed)
        return self._forward(self._check_inputs(x), t, rng, compensate, read_noise)

    def _forward(self, x, t, rng, compensate, read_noise):
        """:meth:`matmul` of checked inputs with a Generator (or None)."""
        if rng is None and self.adc.noise_std > 0.0:
            raise InputTypeError("rng must be a numpy.random.Generator (or a seed) when "
                                 f"noise_std > 0 (noise_std={self.adc.noise_std!r}), got None")
        v, currents = self._read(x, t, rng, read_noise)
        diff = self.mapping._subtract(currents)
        if self.gate_idle:
            active = np.any(v != 0.0, axis=1)
            self.counts["idle_reads"] += int(np.count_nonzero(~active))
            digital = np.zeros_like(diff)
            if active.any():
                digital[active] = self.adc._convert(diff[active], rng)
        else:
            digital = self.adc._convert(diff, rng)
        y = self.mapping._to_outputs(digital, self.dac.volts_per_unit)
        return y * self.compensation(t) if compensate else y

    def calibrate_adc(self, x, t=0.0, percentile=100.0):
        """Set the ADC full scale to a percentile of ``|I+ - I-|`` over inputs ``x``.

        The new ADC keeps the bits, signedness and noise of the old one and
        starts with zero counts; calibration reads are not counted. Returns
        the full scale (A).
        """
        percentile = check_scalar("percentile", percentile, low=0.0, high=100.0,
                                  low_inclusive=False)
        diff = self.mapping.differential_currents(
            self.circuit(t).solve(self.dac.voltages(check_array("x", x, ndim=2))).currents)
        i_max = float(np.percentile(np.abs(diff), percentile))
        if i_max <= 0.0:
            raise InputError("calibrate_adc needs inputs that produce a nonzero current")
        self.adc = ADC(bits=self.adc.bits, i_max=i_max, signed=self.adc.signed,
                       noise_std=self.adc.noise_std)
        return i_max


class TiledMatrix:
    """A weight matrix larger than one tile, spread over a grid of tiles.

    Each tile computes the partial sums of its block of rows; its ADC
    digitises them and the partial sums are added digitally. The weight
    scale ``w_max`` is chosen once for the whole matrix (same clip rule as a
    tile), so every tile shares one gain.

    Parameters
    ----------
    weights : array_like, shape (n_in, n_out)
        Weights of ``y = x @ W``.
    device : PCM, PulseDevice or str
        Device model or preset name.
    seed : int or numpy.random.Generator
        Programming randomness; each tile draws from its own child stream.
    tile_shape : (int, int), default=(256, 256)
        Physical rows and columns of one tile. A differential pair uses two
        columns per output, a reference-column tile one per output plus one.
    dac, adc : DAC, ADC, optional
        Peripherals; every tile gets its own copy (own event counts).
    **tile_options
        ``scheme``, ``clip``, ``clip_value``, ``per_column``, ``wires``,
        ``iv``, ``solver`` as for :class:`Tile`.
    """

    def __init__(self, weights, device, *, seed, tile_shape=(256, 256), dac=None, adc=None,
                 scheme="differential", clip="max", clip_value=None, per_column=False,
                 **tile_options):
        w = check_array("weights", weights, ndim=2)
        device = _device(device)
        rows, cols = (check_scalar("tile_shape", s, low=2, integer=True) for s in tile_shape)
        out_per_tile = cols // 2 if scheme == "differential" else cols - 1
        scale = map_weights(w, device.g_min, device.g_max, scheme=scheme, clip=clip,
                            clip_value=clip_value, per_column=per_column)
        self.n_clipped = scale.n_clipped
        self.row_blocks = [slice(r, min(r + rows, w.shape[0])) for r in range(0, w.shape[0], rows)]
        self.col_blocks = [slice(c, min(c + out_per_tile, w.shape[1]))
                           for c in range(0, w.shape[1], out_per_tile)]
        streams = as_generator(seed).spawn(len(self.row_blocks) * len(self.col_blocks))
        self.tiles = [[Tile(w[rb, cb], device, seed=streams.pop(0), scheme=scheme,
                            clip="fixed", clip_value=scale.w_max[cb],
                            dac=copy.deepcopy(DAC() if dac is None else dac),
                            adc=copy.deepcopy(ADC(bits=0) if adc is None else adc),
                            **tile_options)
                       for cb in self.col_blocks] for rb in self.row_blocks]
        self.shape = w.shape
        self.reset_counts()

    def _all(self):
        return [tile for row in self.tiles for tile in row]

    @property
    def n_tiles(self):
        """Number of tiles."""
        return len(self.row_blocks) * len(self.col_blocks)

    def reset_counts(self):
        """Zero the counts of every tile."""
        for tile in self._all():
            tile.reset_counts()

    @property
    def counts(self):
        """Events summed over tiles (see :attr:`Tile.counts`), the DAC and ADC
        events (``dac_*``, ``adc_*``) and ``accumulations``: digital additions
        of tile partial sums into the outputs (one per output of every tile
        read that was not gated off)."""
        total = {}
        for tile in self._all():
            parts = [("", tile.counts), ("dac_", tile.dac.counts), ("adc_", tile.adc.counts)]
            for prefix, counts in parts:
                for key, value in counts.items():
                    total[prefix + key] = total.get(prefix + key, 0) + value
            summed = tile.counts["reads"] - (tile.counts["idle_reads"] if tile.gate_idle else 0)
            total["accumulations"] = (total.get("accumulations", 0)
                                      + summed * tile.mapping.n_out)
        return total

    def matmul(self, x, t=0.0, seed=None, *, compensate=False, read_noise=True):
        """``y = x @ W`` over all tiles; arguments as :meth:`Tile.matmul`."""
        x = check_array("x", x, ndim=2)
        if x.shape[1] != self.shape[0]:
            raise InputError(f"x must have shape (batch, {self.shape[0]}), got {x.shape}")
        t = check_scalar("t", t, low=0.0)
        streams = [None] * self.n_tiles if seed is None else as_generator(seed).spawn(self.n_tiles)
        y = np.zeros((len(x), self.shape[1]))
        for k, tile in enumerate(self._all()):
            rb = self.row_blocks[k // len(self.col_blocks)]
            cb = self.col_blocks[k % len(self.col_blocks)]
            y[:, cb] += tile._forward(x[:, rb], t, streams[k], compensate, read_noise)
        return y

    def calibrate_adc(self, x, t=0.0, percentile=100.0):
        """Calibrate every tile's ADC on inputs ``x`` (see :meth:`Tile.calibrate_adc`)."""
        x = check_array("x", x, ndim=2)
        for k, tile in enumerate(self._all()):
            tile.calibrate_adc(x[:, self.row_blocks[k // len(self.col_blocks)]], t, percentile)

"""Tiles: a programmed crossbar array with its peripherals, and matrices split over tiles.

Data path of one matrix-vector product ``y = x @ W`` on a tile (docs/design.md)::

    x --DAC--> V (rows) --circuit at G(t)--> I (columns) [+ read noise]
      --analog subtraction (I+ - I-, or I - I_ref)--> ADC --> / gain --> y

Read noise as output noise
--------------------------
A read at time t sees every device at ``G_ij(t) + dG_ij`` where ``dG_ij`` is
its 1/f read noise, independent from device to device, with standard deviation
``s_ij`` (S) from the device model. Solving the
circuit once per read with freshly perturbed conductances would cost a full
solve (or a new effective matrix) per input. memsim instead adds the noise
the perturbation produces at the outputs, to first order and with ideal
wiring: ``dI_j = sum_i dG_ij V_i``. The approximation
neglects the IR drop seen by the perturbation (the device sees
``v_row - v_col`` instead of ``V_i``, so the noise is over-estimated where the
wires drop voltage) and the coupling of a perturbed device into the other
columns through the shared row wire; tests/crossbar/test_tile.py and
notebooks/02_crossbar.ipynb measure its error against full solves.

Read noise in time
------------------
Successive reads of a tile are ``read_interval`` seconds apart. With
``read_noise="correlated"`` their noise is correlated as 1/f noise is
(:mod:`memsim.devices.flicker`; the default), ``"frozen"`` holds it all,
``"independent"`` holds none:
``dG_ij = s_ij (sqrt(f_0) e_ij + H_ij)``, a share ``f_0`` of the variance drawn
afresh on every read and a held part ``H`` whose octave bands are redrawn at
their own pace. The fresh part reaches the outputs as a Gaussian of variance
``f_0 sum_i s_ij^2 V_i^2`` per column and input, the held part as
``sum_i V_i s_ij H_ij``. One call of :meth:`Tile.matmul` is one read instant:
every input of its batch sees the same held part (a batch is read within one
read interval) and its own fresh part; the next call is the next read. The
process starts afresh at a new read time ``t`` and after :meth:`Tile.restart_reads`.
``t`` stays fixed over the reads of an evaluation: the drift and the noise
budget of the reads are those at ``t``, which is exact while the evaluation is
short against ``t + t0``.

Global drift compensation
-------------------------
As aihwkit's ``GlobalDriftCompensation``: the tile reads every row one-hot (the
identity as input) right after programming and at time t, and scales its
outputs at t by the ratio of the mean absolute subtracted output of the two
calibration reads::

    c(t) = mean_ij |y_ij(0)| / mean_ij |y_ij(t)|,    y_ij(t) = G+_ij(t) - G-_ij(t)
                                                     (or G_ij(t) - G_ref,i(t))

A one-hot read drives a single row, so memsim computes it without wire
resistance; it is taken on the noise-free conductances (aihwkit's includes one
draw of read noise, which the mean over the array averages out). Because the
factor comes from the subtracted outputs, it scales the signal the ADC sees in
either mapping scheme; a factor from the sum of all conductances would also
count a reference column's drift, which cancels in the output.

That factor (``compensation="mean"``, the default) restores the programmed
outputs' scale, programming error included. Where the programming error is
large the drift's shrinkage of the outputs partly hides it, and restoring the
scale can leave the outputs further from the weights than no compensation
(the reference scheme on PCM: the shared mid-range reference device adds a
common error to every column, 0.41 relative at programming on a 128 x 64
Gaussian matrix against 0.10 differential; compensated 0.47 against 0.44
uncompensated at 1 h). ``compensation="least-squares"`` instead fits the
one-hot outputs at t to the targets the tile was programmed to (known to the
controller that programmed it)::

    c(t) = sum_ij T_ij y_ij(t) / sum_ij y_ij(t)^2,     T_ij = y_ij of the targets

the gain that minimises ``sum_ij (c y_ij(t) - T_ij)^2``; since ``c = 1`` is
one of the gains it weighs, it is never worse than none on the one-hot
outputs. It fits the programmed gain as well as the drift, so it applies at
every ``t``, 0 included, and to devices that do not drift; aihwkit's factor is 1
at ``t = 0`` and for devices that do not drift.
"""

from __future__ import annotations

import copy

import numpy as np

from .._validation import as_generator, check_array, check_choice, check_scalar
from ..devices import as_device
from ..devices.flicker import READ_NOISE_MODES, FlickerNoise
from ..devices.iv import StatePolynomial
from ..errors import InputError, InputTypeError
from .circuit import RTOL, Crossbar, check_tolerances
from .counts import TileCounts
from .mapping import SCHEMES, map_weights, outputs_per_tile, weight_scale
from .peripherals import ADC, DAC

#: Global drift-compensation factors (module notes).
COMPENSATION_METHODS = ("mean", "least-squares")


class Tile:
    """One crossbar array holding a programmed weight matrix.

    Parameters
    ----------
    weights : array_like, shape (n_in, n_out)
        Weights of ``y = x @ W``; inputs drive rows.
    device : memsim.devices.Device or str
        Device model, or the name of a preset (``memsim device list``). The
        tile reads it with its DAC's read pulse (``dac.t_read``), which sets
        the read-noise bandwidth of devices that have read noise
        (:meth:`memsim.devices.Device.with_read_pulse`).
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
    iv : Ohmic, Sinh or StatePolynomial, optional
        Device I-V law; None is ohmic.
    solver : {"auto", "ideal", "linear", "nonlinear"}, default="auto"
        Circuit solver, see :class:`memsim.crossbar.Crossbar`.
    access : AccessTransistor, Selector or None, default=None
        The cells' access device, in the circuit of every read (1T1R, 1S1R);
        None: the device alone joins row and column (passive cells, or 1T1R
        cells whose transistor is taken as an ideal switch). Solved by Newton
        with a sparse LU per step: far slower than a passive array's read.
    read_noise : {"correlated", "frozen", "independent"}, default="correlated"
        How the read noise of successive reads is correlated (module notes,
        :mod:`memsim.devices.flicker`).
    compensation : {"mean", "least-squares"}, default="mean"
        The global drift-compensation factor (module notes): aihwkit's ratio of
        mean absolute one-hot outputs at programming and at t, or the
        least-squares gain from the outputs at t to the programmed targets.
    read_interval : float, default=1e-3
        Time (s) between successive reads (calls of :meth:`matmul`); 1 ms is the
        network time step of memsim's agents.
    rtol, atol, maxiter : float, float, int or None
        Keyword-only: the convergence test of the circuit solves of every
        read (:mod:`memsim.crossbar.circuit`); defaults 1e-10, 0 A, the
        solver's own.

    Attributes
    ----------
    mapping : ConductanceMap
        Targets and the gain that turns currents back into weight units.
    state : PCMState or PulseState
        The programmed devices (flattened, row-major over the physical array).
    counts : TileCounts
        Events and physical quantities of the reads so far, for the energy
        ledger (its DAC's and ADC's included).
    gate_idle : bool
        Whether the ADCs of a read with no active row are gated off (not
        converted, not counted); their outputs are then exactly zero.
    """

    def __init__(self, weights, device, *, seed, scheme="differential", clip="max",
                 clip_value=None, per_column=False, dac=None, adc=None, wires=None, iv=None,
                 solver="auto", gate_idle=True, read_noise="correlated", read_interval=1e-3,
                 rtol=RTOL, atol=0.0, maxiter=None, access=None, compensation="mean"):
        self.dac = DAC() if dac is None else dac
        self.adc = ADC(bits=0) if adc is None else adc
        if not isinstance(self.dac, DAC):
            raise InputTypeError(f"dac must be a memsim.crossbar.DAC, got {dac!r}")
        if not isinstance(self.adc, ADC):
            raise InputTypeError(f"adc must be a memsim.crossbar.ADC, got {adc!r}")
        # one read pulse: the DAC's width is what the energy charges and what the
        # devices' read noise integrates over
        self.device = as_device(device).with_read_pulse(self.dac.t_read)
        self.mapping = map_weights(weights, self.device.g_min, self.device.g_max,
                                   scheme=scheme, clip=clip, clip_value=clip_value,
                                   per_column=per_column)
        self.wires, self.iv, self.solver, self.access = wires, iv, solver, access
        if not isinstance(gate_idle, (bool, np.bool_)):
            raise InputTypeError(f"gate_idle must be True or False, got {gate_idle!r}")
        self.gate_idle = bool(gate_idle)
        self.read_noise = check_choice("read_noise", read_noise, READ_NOISE_MODES)
        self.compensation_method = check_choice("compensation", compensation,
                                                COMPENSATION_METHODS)
        self.read_interval = check_scalar("read_interval", read_interval, low=0.0,
                                          low_inclusive=False)
        self._noise = None          # (t, FlickerNoise, s_ij) of the reads in progress
        self._tolerances = check_tolerances(rtol, atol, maxiter)
        self.state = self.device.program(self.mapping.g_target.ravel(), as_generator(seed))
        self.reset_counts()
        self._reads = {}
        self._baseline = None       # the calibration readout at programming, when first needed
        self.circuit(0.0)  # validates wires, iv and solver now rather than at first read
        if isinstance(iv, StatePolynomial):
            iv.check_voltages(self.dac.v_max, "the DAC's full-scale read voltage")

    @property
    def shape(self):
        """Physical array shape ``(rows, columns)``."""
        return self.mapping.g_target.shape

    def reset_counts(self):
        """Zero the tile's counts and those of its DAC and ADC."""
        self._counts = {"reads": 0, "idle_reads": 0, "array_joules": 0.0, "row_charge_v2": 0.0,
                        "row_cells": 0, "adc_siemens": 0.0}
        self.dac.reset_counts()
        self.adc.reset_counts()

    @property
    def counts(self):
        """:class:`TileCounts` of the reads since the last :meth:`reset_counts`."""
        c, dac, adc = self._counts, self.dac.counts, self.adc.counts
        converted = c["reads"] - (c["idle_reads"] if self.gate_idle else 0)
        return TileCounts(reads=c["reads"], idle_reads=c["idle_reads"],
                          array_joules=c["array_joules"], row_charge_v2=c["row_charge_v2"],
                          row_cells=c["row_cells"], adc_siemens=c["adc_siemens"],
                          dac_conversions=dac["conversions"],
                          dac_activations=dac["activations"], dac_pulses=dac["pulses"],
                          adc_conversions=adc["conversions"], adc_clipped=adc["clipped"],
                          accumulations=converted * self.mapping.n_out)

    def conductances(self, t=0.0):
        """Conductances (S) of the array ``t`` seconds after programming, without read noise."""
        t = check_scalar("t", t, low=0.0)
        return self.device.conductances(self.state, t).reshape(self.shape)

    def read_noise_std(self, t=0.0):
        """Standard deviation (S) of each device's read noise at ``t``; zeros if none."""
        t = check_scalar("t", t, low=0.0)
        return self.device.read_noise_std(self.state, t).reshape(self.shape)

    def _compensation_factor(self, g):
        """Drift-compensation factor of conductances ``g`` (S) against the programmed
        state, from the subtracted outputs of one-hot reads of every row, ideal
        wiring (module notes)."""
        y = self.mapping._subtract(g)
        if not np.any(y):
            raise InputError("drift compensation needs a calibration read with a nonzero "
                             "output; every subtracted output of the one-hot reads is 0")
        if self.compensation_method == "least-squares":
            target = self.mapping._subtract(self.mapping.g_target)
            return float(np.sum(target * y) / np.sum(y * y))
        if self._baseline is None:
            self._baseline = float(np.mean(np.abs(self.mapping._subtract(
                self.conductances(0.0)))))
        return self._baseline / float(np.mean(np.abs(y)))

    def _at(self, t):
        """What a read at ``t`` needs, computed once per time (the last 4 kept):
        the circuit, the read-noise variances (S^2), the compensation factor and
        each row's total conductance (S, for the ADC load count)."""
        t = check_scalar("t", t, low=0.0)
        if t not in self._reads:
            if len(self._reads) >= 4:
                self._reads.pop(next(iter(self._reads)))
            g = self.conductances(t)
            # the least-squares gain also corrects the programmed gain, at every t
            fitted = self.compensation_method == "least-squares"
            comp = (self._compensation_factor(g) if fitted or (t > 0.0 and self.device.drifts)
                    else 1.0)
            self._reads[t] = (Crossbar(g, self.wires, self.iv, self.solver,
                                       access=self.access),
                              self.read_noise_std(t) ** 2, comp, g.sum(axis=1))
        return self._reads[t]

    def circuit(self, t=0.0):
        """The :class:`Crossbar` at time ``t`` (cached; its effective matrix too)."""
        return self._at(t)[0]

    def compensation(self, t):
        """Global drift-compensation factor at ``t`` from one-hot calibration reads
        (module notes); with ``compensation="mean"``, 1.0 for devices without drift."""
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

    def _read(self, x, t, rng, read_noise, pulses=1):
        """Row voltages (V) and column currents (A) of a read of checked inputs;
        counts its events. ``pulses`` > 1: the batch is that many pulses of each
        input (pulse p of input i in row p * n + i), one read that shares its noise."""
        circuit, noise_var = self._at(t)[:2]
        v = self.dac._convert(x)
        sol = circuit._solve(v, False, True, *self._tolerances)
        currents = sol.currents
        self._counts["reads"] += len(x)
        self._counts["array_joules"] += self.dac.t_read * float(np.sum(v * sol.driver_currents))
        self._counts["row_charge_v2"] += self.shape[1] * float(np.sum(v * v))
        self._counts["row_cells"] += self.shape[1] * int(np.count_nonzero(v))
        if read_noise and noise_var.any():
            if rng is None:
                raise InputError("seed is required for the read noise of PCM devices; pass "
                                 "an int or a numpy Generator, or read_noise=False")
            currents = currents + self._read_noise(v, t, noise_var, rng, pulses)
        return v, currents

    def restart_reads(self):
        """Start the read-noise process afresh at the next read (module notes)."""
        self._noise = None

    def _read_noise(self, v, t, noise_var, rng, pulses=1):
        """Output currents (A) of the devices' read noise for row voltages ``v`` (V)
        at this read; advances the read-noise process to the next read."""
        if self._noise is None or self._noise[0] != t:
            scales = self.device.read_noise_timescales(t)
            # a model whose noise has no time scales has no memory between reads
            mode = self.read_noise if scales is not None else "independent"
            self._noise = (t, FlickerNoise(noise_var.size, scales, self.read_interval, mode,
                                           rng),
                           np.sqrt(noise_var))
        _, process, std = self._noise
        out = np.zeros((len(v), noise_var.shape[1]))
        if process.fresh > 0.0 and pulses == 1:
            fresh = np.sqrt(process.fresh * ((v * v) @ noise_var))
            out += fresh * rng.standard_normal(out.shape)
        elif process.fresh > 0.0:
            # the pulses of one input are nanoseconds apart: one device-level draw serves
            # them all, which output-level draws per pulse could not express
            n = len(v) // pulses
            v_in, out_in = v.reshape(pulses, n, -1), out.reshape(pulses, n, -1)
            scale = np.sqrt(process.fresh) * std
            for i in range(n):
                out_in[:, i] += v_in[:, i] @ (scale * rng.standard_normal(std.shape))
        if process.fresh < 1.0:
            out += v @ (std * process.held.reshape(std.shape))
        process.advance(rng)
        return out

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

    def _forward(self, x, t, rng, compensate, read_noise, pulses=1):
        """:meth:`matmul` of checked inputs with a Generator (or None); ``pulses``
        as in :meth:`_read`."""
        if rng is None and self.adc.noise_std > 0.0:
            raise InputTypeError("rng must be a numpy.random.Generator (or a seed) when "
                                 f"noise_std > 0 (noise_std={self.adc.noise_std!r}), got None")
        v, currents = self._read(x, t, rng, read_noise, pulses)
        # idle reads drive no row, so they add nothing whether or not they are converted
        self._counts["adc_siemens"] += float(np.sum((v != 0.0) @ self._at(t)[3]))
        diff = self.mapping._subtract(currents)
        if self.gate_idle:
            active = np.any(v != 0.0, axis=1)
            self._counts["idle_reads"] += int(np.count_nonzero(~active))
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
        rtol, atol, maxiter = self._tolerances
        diff = self.mapping.differential_currents(self.circuit(t).solve(
            self.dac.voltages(check_array("x", x, ndim=2)), rtol=rtol, atol=atol,
            maxiter=maxiter).currents)
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
    device : memsim.devices.Device or str
        Device model or preset name.
    seed : int or numpy.random.Generator
        Programming randomness; each tile draws from its own child stream.
    tile_shape : (int, int), default=(256, 256)
        Physical rows and columns of one tile. A differential pair uses two
        columns per output, a reference-column tile one per output plus one.
    dac, adc : DAC, ADC, optional
        Peripherals; every tile gets its own copy (own event counts).
    **tile_options
        ``wires``, ``iv``, ``solver``, ``gate_idle``, ``read_noise``,
        ``read_interval`` and the keyword-only
        ``rtol``, ``atol``, ``maxiter`` of its circuit solves, as for :class:`Tile`.
    """

    def __init__(self, weights, device, *, seed, tile_shape=(256, 256), dac=None, adc=None,
                 scheme="differential", clip="max", clip_value=None, per_column=False,
                 **tile_options):
        w = check_array("weights", weights, ndim=2)
        device = as_device(device)
        rows, cols = (check_scalar("tile_shape", s, low=2, integer=True) for s in tile_shape)
        out_per_tile = outputs_per_tile(cols, scheme)
        check_choice("scheme", scheme, SCHEMES)
        w_max, self.n_clipped = weight_scale(w, clip=clip, clip_value=clip_value,
                                             per_column=per_column)
        self.row_blocks = [slice(r, min(r + rows, w.shape[0])) for r in range(0, w.shape[0], rows)]
        self.col_blocks = [slice(c, min(c + out_per_tile, w.shape[1]))
                           for c in range(0, w.shape[1], out_per_tile)]
        streams = as_generator(seed).spawn(len(self.row_blocks) * len(self.col_blocks))
        self.tiles = [[Tile(w[rb, cb], device, seed=streams.pop(0), scheme=scheme,
                            clip="fixed", clip_value=w_max[cb],
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

    def restart_reads(self):
        """Start every tile's read-noise process afresh (:meth:`Tile.restart_reads`)."""
        for tile in self._all():
            tile.restart_reads()

    @property
    def counts(self):
        """:class:`TileCounts` summed over the tiles (see :attr:`Tile.counts`)."""
        return sum((tile.counts for tile in self._all()), TileCounts())

    def matmul(self, x, t=0.0, seed=None, *, compensate=False, read_noise=True):
        """``y = x @ W`` over all tiles; arguments as :meth:`Tile.matmul`."""
        x = check_array("x", x, ndim=2)
        if x.shape[1] != self.shape[0]:
            raise InputError(f"x must have shape (batch, {self.shape[0]}), got {x.shape}")
        t = check_scalar("t", t, low=0.0)
        return self._forward(x, t, None if seed is None else as_generator(seed), compensate,
                             read_noise)

    def _forward(self, x, t, rng, compensate, read_noise, pulses=1):
        """:meth:`matmul` of checked inputs; arguments as :meth:`Tile._forward`."""
        streams = [None] * self.n_tiles if rng is None else rng.spawn(self.n_tiles)
        y = np.zeros((len(x), self.shape[1]))
        for k, tile in enumerate(self._all()):
            rb = self.row_blocks[k // len(self.col_blocks)]
            cb = self.col_blocks[k % len(self.col_blocks)]
            y[:, cb] += tile._forward(x[:, rb], t, streams[k], compensate, read_noise, pulses)
        return y

    def calibrate_adc(self, x, t=0.0, percentile=100.0):
        """Calibrate every tile's ADC on inputs ``x`` (see :meth:`Tile.calibrate_adc`)."""
        x = check_array("x", x, ndim=2)
        for k, tile in enumerate(self._all()):
            tile.calibrate_adc(x[:, self.row_blocks[k // len(self.col_blocks)]], t, percentile)

"""The hardware a weight matrix lands on: one typed description, resolved once.

Every study that builds tiles (the main job, the energy study, the tile study)
reads the same config keys with the same meaning into a :class:`HardwareConfig`:

``technology``
    The analog technology (name or TOML path): read pulse, energies.
``tile.*``
    The fields of :class:`HardwareConfig` below (:data:`TILE_DEFAULTS`).
``pcm.*``
    Multipliers on the PCM model's programming noise, drift and read noise
    (:data:`PCM_SCALES`; PCM presets only).

and names its device preset(s) with ``device`` (one) or ``devices`` (several, the
main job). Names are resolved to objects here, once; everything below takes the
objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace

from .._validation import check_choice, check_scalar
from ..crossbar import ADC, DAC, AccessTransistor, BitSlicedMatrix, TiledMatrix, Wires
from ..crossbar.circuit import resolve_solver
from ..crossbar.mapping import SCHEMES, outputs_per_tile
from ..crossbar.tile import COMPENSATION_METHODS
from ..devices import PCM, Device, load_preset
from ..devices.flicker import READ_NOISE_MODES
from ..energy import (ADC_MODELS, CELLS, LayerShape, Technology, cell_area, chip_area,
                      load_technology, tile_area)
from ..errors import ConfigError, InputTypeError

#: The ``pcm`` section: multipliers on the PCM model (1.0: the preset as it is).
PCM_SCALES = {"prog_noise_scale": 1.0, "drift_scale": 1.0, "read_noise_scale": 1.0}


def resolve_device(name, scales=None):
    """The device of preset ``name`` (a shipped name or a path), PCM scales applied.

    Parameters
    ----------
    name : str
    scales : dict, optional
        The ``pcm`` section (:data:`PCM_SCALES`); a scale other than 1.0 is an
        error for a device that is not PCM.
    """
    device = load_preset(name).cell_device()
    scales = dict(PCM_SCALES if scales is None else scales)
    for key, value in scales.items():
        check_scalar(f"pcm.{key}", value, low=0.0)
    if isinstance(device, PCM):
        return PCM(replace(device.params, **scales))
    if any(v != 1.0 for v in scales.values()):
        raise ConfigError(f"pcm.* scales apply to PCM presets; {name!r} is a "
                          f"{type(device).__name__} (set them to 1.0 or drop {name!r})")
    return device


def tiles_needed(shape, tile):
    """Tiles an ``(n_in, n_out)`` weight matrix occupies under a ``tile`` section
    (:data:`TILE_DEFAULTS` keys ``rows``, ``cols``, ``scheme``, ``weight_slices``):
    its rows in blocks of ``rows``, its ``weight_slices * n_out`` stored columns in
    blocks of ``cols // 2`` (differential pairs) or ``cols - 1`` (one reference
    column), as :meth:`HardwareConfig.tiled_matrix` lays them out."""
    n_in, n_out = shape
    per_tile = outputs_per_tile(tile["cols"], tile["scheme"])
    stored = n_out * tile.get("weight_slices", 1)
    return -(-n_in // tile["rows"]) * -(-stored // per_tile)


@dataclass(frozen=True)
class HardwareConfig:
    """Device, tile, peripherals, wires and technology of a weight matrix on tiles.

    Parameters
    ----------
    device : memsim.devices.Device
        The cells.
    technology : memsim.energy.Technology
        A ``cim`` technology: its read pulse (``v_read`` V, ``t_read`` s) and
        the prices of the tiles' events.
    rows, cols : int, default=256
        Physical rows and columns of a tile.
    cell : {"1T1R", "passive"}, default="1T1R"
        Cells with an access transistor, whose gates load each row's word line,
        or passive cross-point cells. The transistor is priced (area, gate
        charge) either way; it joins the circuit solve only when ``v_gate`` > 0.
    v_gate, vth, kp, w_over_l : float, default=0.0
        The 1T1R access transistor in every read's circuit
        (:class:`memsim.crossbar.AccessTransistor`: gate voltage V, threshold
        V, process transconductance A/V², W/L). ``v_gate`` = 0 leaves it out
        (an ideal switch); > 0 needs ``cell = "1T1R"`` and the other three > 0,
        and makes every read a Newton solve with one internal node per cell,
        orders of magnitude slower than a passive read.
    scheme : {"differential", "reference"}, default="differential"
        Weight mapping: differential pairs or a reference column.
    dac_bits : int, default=8
        Input DAC resolution for non-spike inputs (0: ideal); spikes drive rows
        with 1-bit read pulses.
    adc_bits : int, default=8
        ADC resolution (0: ideal, no quantisation).
    adc_model : {"walden", "neurosim-sar"}, default="walden"
        ADC energy model of the technology.
    columns_per_adc : int, default=1
        Columns that share one ADC, converted one after another: conversion
        time times ``m``, ADC area over ``m`` (the outputs are the same).
    bit_serial : bool, default=False
        Feed non-spike inputs bit-serially, ``dac_bits`` read pulses of one
        bit each with a shift-and-add of their outputs, instead of one
        ``dac_bits``-bit DAC shot (:class:`memsim.crossbar.BitSlicedMatrix`).
    weight_slices : int, default=1
        Cells (pairs) per weight, each holding ``slice_bits`` bits of it.
    slice_bits : int, default=0
        Bits per slice; 0 keeps each weight analog on one cell (pair), which
        needs ``weight_slices = 1``.
    gate_idle : bool, default=True
        Skip the ADC conversions of reads with no active row.
    r_row, r_col : float, default=1.0
        Wire resistance per row and column segment (ohm); both 0: ideal wiring.
    v_read : float, default=0.0
        Full-scale read voltage (V); 0 takes the technology's ``v_read``.
    solver : {"auto", "ideal", "linear", "nonlinear"}, default="auto"
        Circuit solver (:class:`memsim.crossbar.Crossbar`).
    read_noise : {"correlated", "frozen", "independent"}, default="correlated"
        How the devices' read noise is correlated between successive reads:
        as 1/f noise, held for a whole evaluation (aihwkit's semantics), or
        drawn afresh on every read (:mod:`memsim.devices.flicker`).
    compensation : {"mean", "least-squares"}, default="mean"
        The global drift-compensation factor when reads are compensated:
        aihwkit's ratio of mean absolute one-hot outputs, or the least-squares
        gain to the programmed targets (:mod:`memsim.crossbar.tile`).
    """

    device: Device
    technology: Technology
    rows: int = 256
    cols: int = 256
    cell: str = "1T1R"
    scheme: str = "differential"
    dac_bits: int = 8
    adc_bits: int = 8
    adc_model: str = "walden"
    columns_per_adc: int = 1
    bit_serial: bool = False
    weight_slices: int = 1
    slice_bits: int = 0
    gate_idle: bool = True
    r_row: float = 1.0
    r_col: float = 1.0
    v_read: float = 0.0
    solver: str = "auto"
    read_noise: str = "correlated"
    compensation: str = "mean"
    v_gate: float = 0.0
    vth: float = 0.0
    kp: float = 0.0
    w_over_l: float = 0.0
    wires: Wires | None = field(init=False)
    access: AccessTransistor | None = field(init=False)

    def __post_init__(self):
        if not isinstance(self.device, Device):
            raise InputTypeError(f"device must be a memsim Device, got {self.device!r}")
        if not isinstance(self.technology, Technology) or self.technology.kind != "cim":
            raise ConfigError(f"technology must be a 'cim' technology, got "
                              f"{getattr(self.technology, 'name', self.technology)!r}")
        for name in ("rows", "cols"):
            check_scalar(f"tile.{name}", getattr(self, name), low=2, integer=True)
        for name in ("dac_bits", "adc_bits"):
            check_scalar(f"tile.{name}", getattr(self, name), low=0, high=16, integer=True)
        check_choice("tile.cell", self.cell, CELLS)
        check_choice("tile.scheme", self.scheme, SCHEMES)
        check_choice("tile.adc_model", self.adc_model, ADC_MODELS)
        check_choice("tile.read_noise", self.read_noise, READ_NOISE_MODES)
        check_choice("tile.compensation", self.compensation, COMPENSATION_METHODS)
        check_scalar("tile.columns_per_adc", self.columns_per_adc, low=1, high=self.cols,
                     integer=True)
        check_scalar("tile.weight_slices", self.weight_slices, low=1, high=16, integer=True)
        check_scalar("tile.slice_bits", self.slice_bits, low=0, high=8, integer=True)
        if self.weight_slices > 1 and self.slice_bits == 0:
            raise ConfigError(f"tile.weight_slices={self.weight_slices} needs tile.slice_bits "
                              f">= 1 (bits per slice); slice_bits=0 keeps one analog cell "
                              f"(pair) per weight")
        if self.weight_slices * self.slice_bits > 16:
            raise ConfigError(f"tile.weight_slices * tile.slice_bits must be <= 16 bits, got "
                              f"{self.weight_slices} * {self.slice_bits}")
        for name in ("gate_idle", "bit_serial"):
            if not isinstance(getattr(self, name), bool):
                raise InputTypeError(f"tile.{name} must be true or false, got "
                                     f"{getattr(self, name)!r}")
        # a cell the technology cannot hold is refused now, not after the runs
        cell_area(self.technology, self.cell, g_on=self.device.g_max)
        if self.bit_serial and self.dac_bits == 0:
            raise ConfigError("tile.bit_serial=true feeds inputs as tile.dac_bits read pulses; "
                              "tile.dac_bits=0 (an ideal DAC) has no bits to feed")
        r_row = check_scalar("tile.r_row", self.r_row, low=0.0)
        r_col = check_scalar("tile.r_col", self.r_col, low=0.0)
        if (r_row == 0.0) != (r_col == 0.0):
            raise ConfigError(f"tile.r_row and tile.r_col are both 0 (ideal wiring) or both > 0, "
                              f"got {r_row!r} and {r_col!r}")
        check_scalar("tile.v_read", self.v_read, low=0.0)
        wires = None if r_row == 0.0 and r_col == 0.0 else Wires(r_row, r_col)
        resolve_solver(self.solver, wires, None, name="tile.solver")
        object.__setattr__(self, "wires", wires)
        object.__setattr__(self, "access", self._access_transistor())

    def _access_transistor(self):
        """The AccessTransistor of ``tile.v_gate`` and its keys, or None when it is 0."""
        v_gate = check_scalar("tile.v_gate", self.v_gate, low=0.0)
        if v_gate == 0.0:
            return None
        if self.cell != "1T1R":
            raise ConfigError(f"tile.v_gate={v_gate!r} puts an access transistor in the "
                              f"circuit; tile.cell is {self.cell!r}: set tile.cell = '1T1R' or "
                              f"tile.v_gate = 0")
        for name in ("vth", "kp", "w_over_l"):
            check_scalar(f"tile.{name}", getattr(self, name), low=0.0, low_inclusive=False)
        if self.solver not in ("auto", "nonlinear"):
            raise ConfigError(f"tile.solver={self.solver!r} cannot solve 1T1R cells (tile.v_gate "
                              f"> 0): use 'auto' or 'nonlinear'")
        return AccessTransistor(v_gate, self.vth, self.kp, self.w_over_l)

    @classmethod
    def from_config(cls, config, device, technology=None):
        """The hardware of a study config for one device.

        Parameters
        ----------
        config : dict
            A resolved study config with ``technology``, ``tile`` (every key of
            :data:`TILE_DEFAULTS`) and ``pcm`` (:data:`PCM_SCALES`).
        device : str or memsim.devices.Device
            A preset name (resolved with the ``pcm`` scales) or a device.
        technology : memsim.energy.Technology, optional
            The technology already loaded (else loaded from the config).
        """
        if not isinstance(device, Device):
            device = resolve_device(device, config["pcm"])
        technology = technology or load_technology(config["technology"])
        return cls(device, technology, **config["tile"])

    @property
    def read_voltage(self):
        """Full-scale read voltage (V): ``v_read``, or the technology's when 0."""
        return self.v_read or self.technology["v_read"]

    @property
    def t_read(self):
        """Read pulse width (s), the technology's."""
        return self.technology["t_read"]

    @property
    def pricing(self):
        """The keywords of :func:`memsim.energy.tile_ledger` for tiles of this hardware."""
        return {"adc_bits": self.adc_bits, "adc_model": self.adc_model, "cell": self.cell,
                "g_on": self.device.g_max, "v_read": self.read_voltage}

    def layer_shape(self, *matrices, outputs, spikes):
        """The timing structure (:class:`memsim.energy.LayerShape`) of a layer whose
        ``matrices`` (made by :meth:`tiled_matrix`, read at once) feed ``outputs``
        neurons, with ``spikes`` spikes into it per step."""
        return LayerShape(row_tiles=max(len(m.row_blocks) for m in matrices),
                          col_tiles=max(len(m.col_blocks) for m in matrices),
                          outputs=outputs, spikes=spikes, adc_bits=self.adc_bits,
                          pulses=max(getattr(m, "pulses", 1) for m in matrices),
                          columns_per_adc=self.columns_per_adc)

    def tile_area(self, matrix):
        """Area (m^2) by component of one tile of ``matrix`` (made by
        :meth:`tiled_matrix`): :func:`memsim.energy.tile_area` of this hardware, with
        the input bits, driver legs and read pulses of the matrix's inputs."""
        dac_bits = matrix.tiles[0][0].dac.bits
        pulses = getattr(matrix, "pulses", 1)
        in_bits = getattr(matrix, "input_bits", 0) or max(dac_bits, 1)
        acc_bits = (max(self.adc_bits, 8) + pulses - 1
                    + self.slice_bits * (self.weight_slices - 1))
        return tile_area(self.technology, rows=self.rows, cols=self.cols,
                         outputs=outputs_per_tile(self.cols, self.scheme),
                         cell=self.cell, g_on=self.device.g_max, adc_bits=self.adc_bits,
                         columns_per_adc=self.columns_per_adc, in_bits=in_bits,
                         drive_legs=1 if pulses > 1 else max(dac_bits, 1), acc_bits=acc_bits,
                         pulses=pulses)

    def chip_area(self, layers):
        """Area of a chip holding ``layers``: :func:`memsim.energy.chip_area`.

        Parameters
        ----------
        layers : sequence of (sequence of matrices, int)
            Per layer the matrices (made by :meth:`tiled_matrix`) read at once
            and the neurons they feed.
        """
        return chip_area(self.technology,
                         [([(m.n_tiles, self.tile_area(m)) for m in matrices],
                           max(len(m.col_blocks) for m in matrices), outputs)
                          for matrices, outputs in layers])

    def dac(self, *, spikes, x_max=1.0):
        """The row driver: 1-bit read pulses for spikes, else a ``dac_bits`` DAC whose
        full scale is the input ``x_max`` (unsigned)."""
        if spikes:
            return DAC(bits=1, v_max=self.read_voltage, signed=False, t_read=self.t_read)
        return DAC(bits=self.dac_bits, v_max=self.read_voltage, x_max=x_max, signed=False,
                   t_read=self.t_read)

    def adc(self):
        """The column ADC (signed; its full scale is calibrated on inputs later)."""
        return ADC(bits=self.adc_bits, i_max=1.0, signed=True)

    def tiled_matrix(self, weights, seed, *, spikes, x_max=1.0, read_interval=1e-3,
                     **tolerances):
        """``weights`` programmed onto tiles of this hardware.

        Parameters
        ----------
        weights : array_like, shape (n_in, n_out)
        seed : int or numpy.random.Generator
            Programming randomness.
        spikes, x_max
            The inputs' kind and full scale (:meth:`dac`).
        read_interval : float, default=1e-3
            Time (s) between successive reads, for the read noise in time
            (:class:`memsim.crossbar.Tile`).
        **tolerances
            ``rtol``, ``atol``, ``maxiter`` of the circuit solves
            (:class:`memsim.crossbar.Tile`).

        Returns
        -------
        memsim.crossbar.TiledMatrix or memsim.crossbar.BitSlicedMatrix
            The latter when weights are sliced or non-spike inputs bit-serial.
        """
        options = dict(tile_shape=(self.rows, self.cols), adc=self.adc(), scheme=self.scheme,
                       wires=self.wires, solver=self.solver, gate_idle=self.gate_idle,
                       read_noise=self.read_noise, compensation=self.compensation,
                       read_interval=read_interval,
                       access=self.access, **tolerances)
        input_bits = self.dac_bits if self.bit_serial and not spikes else 0
        if self.slice_bits or input_bits:
            return BitSlicedMatrix(weights, self.device, seed=seed, slices=self.weight_slices,
                                   slice_bits=self.slice_bits, input_bits=input_bits,
                                   dac=self.dac(spikes=spikes, x_max=x_max), **options)
        return TiledMatrix(weights, self.device, seed=seed,
                           dac=self.dac(spikes=spikes, x_max=x_max), **options)


#: The ``tile`` section every study that builds tiles accepts: the defaults of
#: :class:`HardwareConfig` (not a copy of them).
TILE_DEFAULTS = {f.name: f.default for f in fields(HardwareConfig)
                 if f.init and f.name not in ("device", "technology")}

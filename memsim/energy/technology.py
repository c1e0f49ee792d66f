"""Technology parameters: energies, voltages and times of a process node, each with its source.

A technology file (``data/technology/*.toml``) has a ``name``, a ``kind``
(``"cim"``: an analog compute-in-memory node with its digital periphery, or
``"digital"``: a digital logic and memory node), ``node_nm``, a
``description`` and a table ``values`` whose every entry is
``{value = ..., unit = "...", source = "..."}`` in SI units. Unknown names,
wrong units, negative or non-finite values and missing sources are errors.

Peripherals of a ``cim`` tile, as NeuroSim (DNN_NeuroSim V1.3, 22 nm LP) prices
them; ``b`` is the ADC resolution in bits, ``F`` the feature size (m):

- ADC, per conversion, two models: the Walden figure of merit
  ``E = FOM 2^b`` (J); or NeuroSim's SAR ADC (SarADC.cpp GetColumnPower),
  ``E = (a b + b0 + c / R') (b + 1) t_clk`` with ``R' = R v_ref / v_read``
  and ``R`` (ohm) the parallel resistance of the column's cells on driven
  rows. Summed over columns, the ``c / R'`` part is
  ``c (v_read / v_ref) (b + 1) t_clk sum G`` (:meth:`Technology.adc_load_energy`).
- Access transistor of a 1T1R cell (SubArray.cpp Initialize): on-resistance
  ``IR_DROP_TOLERANCE / g_on``, hence width
  ``W = F max(w_min, R_nmos(F) LINEAR_REGION_RATIO g_on / IR_DROP_TOLERANCE)``
  and gate capacitance ``c_gate_per_width W`` on the word line
  (:meth:`Technology.row_capacitances`).
- Subtractor of the two halves of a differential read (MLP_NeuroSim V3.0
  Subtractor.cpp CalculatePower), a ripple subtractor of ``b`` bits:
  ``E = (b - 1) vdd^2 [b (4 C_nand,in + C_inv,out) + 6 C_nand,out
  + 9 C_nand,in + C_nor,in]`` (:meth:`Technology.subtract_energy`).

Scaling a digital energy between nodes (Stillmaker & Baas, Integration 58,
2017): ``E(node2, V2) = E(node1, V1) F(node2, V2) / F(node1, V1)`` with the
fitted ``F(node, V) = a V^2 + b V + c`` (high-performance rows), interpolated
linearly in node size between the fitted nodes.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from importlib import resources

import numpy as np

from .._io import read_named
from .._validation import check_choice, check_scalar
from ..errors import InputError

#: Every quantity a technology file may hold, with its unit.
UNITS = {
    "v_read": "V", "t_read": "s", "vdd": "V", "t_clk": "s", "t_spike_route": "s",
    "c_row_per_cell": "F", "c_row_per_cell_passive": "F", "c_gate_per_width": "F/m",
    "r_nmos_at_f": "ohm", "access_linear_region_ratio": "1", "access_ir_drop_tolerance": "1",
    "access_min_width": "1",
    "adc_walden_fom": "J", "adc_sar_a": "W", "adc_sar_b": "W", "adc_sar_c": "W*ohm",
    "adc_sar_v_ref": "V", "adc_sar_t_clk": "s",
    "c_nand_input": "F", "c_nand_output": "F", "c_nor_input": "F", "c_inv_output": "F",
    "e_accumulate": "J", "e_neuron_update": "J", "e_spike_route": "J",
    "e_sram_per_bit": "J", "e_dram_per_bit": "J",
    "cell_1t1r_height_f": "1", "cell_1t1r_width_f": "1", "cell_passive_height_f": "1",
    "cell_passive_width_f": "1", "f_memory": "m", "a_min_gate": "m^2", "a_dff": "m^2",
    "a_adder_bit": "m^2", "a_subtract_bit": "m^2", "a_sram_bit": "m^2",
    "e_add_int8": "J", "e_mult_int8": "J", "e_add_int32": "J", "e_mult_int32": "J",
    "e_add_fp16": "J", "e_mult_fp16": "J", "e_add_fp32": "J", "e_mult_fp32": "J",
}

#: What each kind of node must define.
REQUIRED = {
    "cim": tuple(k for k in UNITS if not k.startswith(("e_add", "e_mult"))),
    "digital": ("vdd", "e_add_int8", "e_mult_int8", "e_add_int32", "e_sram_per_bit",
                "e_dram_per_bit"),
}

ADC_MODELS = ("walden", "neurosim-sar")

#: Cells of a tile: with an access transistor (word line on its gate) or without.
CELLS = ("1T1R", "passive")


class TechnologyError(InputError):
    """An unknown, unreadable or invalid technology file."""


@dataclass(frozen=True)
class Quantity:
    """One technology value: ``value`` in ``unit`` (SI), and where it comes from."""

    value: float
    unit: str
    source: str


@dataclass(frozen=True)
class Technology:
    """A process node's energies, voltages and times.

    Attributes
    ----------
    name, kind, description : str
    node_nm : float
        Feature size (nm).
    values : dict of str -> Quantity
    """

    name: str
    kind: str
    node_nm: float
    description: str
    values: dict

    def __getitem__(self, key):
        """The value (SI float) of quantity ``key``."""
        if key not in self.values:
            raise KeyError(f"technology {self.name!r} has no value {key!r}; it defines "
                           f"{', '.join(sorted(self.values))}")
        return self.values[key].value

    def source(self, key):
        """Where the value of ``key`` comes from."""
        self[key]
        return self.values[key].source

    def adc_energy(self, bits, model="walden"):
        """Energy of one ADC conversion (J) at ``bits`` (0 = ideal: 0 J), without the
        column-load term (:meth:`adc_load_energy`).

        ``model``: ``"walden"`` (``FOM 2^bits``) or ``"neurosim-sar"``
        (``(a bits + b0)(bits + 1) t_clk``), see the module notes.
        """
        bits = check_scalar("adc bits", bits, low=0, high=16, integer=True)
        check_choice("adc model", model, ADC_MODELS)
        if bits == 0:
            return 0.0
        if model == "walden":
            return self["adc_walden_fom"] * 2.0**bits
        return (self["adc_sar_a"] * bits + self["adc_sar_b"]) * (bits + 1) * self["adc_sar_t_clk"]

    def adc_load_energy(self, bits, siemens, v_read, model="walden"):
        """The column-resistance energy (J) of NeuroSim's SAR ADC for conversions whose
        columns' conductances sum to ``siemens`` (S), read at ``v_read`` (V).

        ``c (v_read / v_ref) (bits + 1) t_clk siemens``; 0 for the Walden model
        (a figure of merit has no load term) and for an ideal ADC.
        """
        bits = check_scalar("adc bits", bits, low=0, high=16, integer=True)
        check_choice("adc model", model, ADC_MODELS)
        if bits == 0 or model == "walden":
            return 0.0
        return (self["adc_sar_c"] * check_scalar("siemens", siemens, low=0.0)
                * check_scalar("v_read", v_read, low=0.0) / self["adc_sar_v_ref"]
                * (bits + 1) * self["adc_sar_t_clk"])

    def access_width(self, g_on):
        """Width (m) of a 1T1R cell's access transistor for a device of on-conductance
        ``g_on`` (S): its on-resistance is ``IR_DROP_TOLERANCE / g_on``."""
        g_on = check_scalar("g_on", g_on, low=0.0, low_inclusive=False)
        in_f = (self["r_nmos_at_f"] * self["access_linear_region_ratio"] * g_on
                / self["access_ir_drop_tolerance"])
        return max(self["access_min_width"], in_f) * self.node_nm * 1e-9

    def row_capacitances(self, cell, g_on):
        """Capacitances (F) per cell on a row: ``(read line, word line)``.

        The read line is charged to the input voltage; a 1T1R row also has a
        word line, its wire plus the access transistors' gates, charged to
        ``vdd``. A passive (cross-point) row is its read line only (word line 0).
        """
        check_choice("cell", cell, CELLS)
        if cell == "passive":
            return self["c_row_per_cell_passive"], 0.0
        gate = self["c_gate_per_width"] * self.access_width(g_on)
        return self["c_row_per_cell"], self["c_row_per_cell"] + gate

    def subtract_energy(self, bits):
        """Energy (J) of one ``bits``-bit subtraction of a differential read's halves
        (module notes); 0 for ``bits <= 1``."""
        b = check_scalar("adc bits", bits, low=0, high=16, integer=True)
        if b <= 1:
            return 0.0
        c = (b * (4 * self["c_nand_input"] + self["c_inv_output"]) + 6 * self["c_nand_output"]
             + 9 * self["c_nand_input"] + self["c_nor_input"])
        return (b - 1) * self["vdd"] ** 2 * c

    def to_dict(self):
        """Plain dict: name, kind, node and every value with unit and source."""
        return {"name": self.name, "kind": self.kind, "node_nm": self.node_nm,
                "description": self.description,
                "values": {k: {"value": q.value, "unit": q.unit, "source": q.source}
                           for k, q in self.values.items()}}


def _data_dir():
    return resources.files("memsim.data") / "technology"


def list_technologies():
    """Names of the shipped technology files, sorted (``baselines`` excluded)."""
    return sorted(p.name[:-5] for p in _data_dir().iterdir()
                  if p.name.endswith(".toml") and p.name != "baselines.toml")


def load_technology(name_or_path):
    """Load a shipped technology by name, or a technology TOML file by path.

    Raises
    ------
    TechnologyError
        Unknown name; unreadable or invalid file (the message names the file
        and the value at fault).
    """
    text, where = read_named(name_or_path, _data_dir(), list_technologies(), "technology",
                             TechnologyError)
    return technology_from_toml(text, where)


def technology_from_toml(text, where="<string>"):
    """Parse and validate a technology from TOML text; errors name ``where``."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise TechnologyError(f"{where}: not valid TOML ({exc})") from exc
    allowed = {"name", "kind", "node_nm", "description", "values"}
    extra = sorted(set(data) - allowed)
    if extra:
        raise TechnologyError(f"{where}: unknown top-level key(s) {extra}; allowed: "
                              f"{sorted(allowed)}")
    for key in ("name", "kind", "node_nm", "values"):
        if key not in data:
            raise TechnologyError(f"{where}: missing {key!r}")
    kind = data["kind"]
    if kind not in REQUIRED:
        raise TechnologyError(f"{where}: kind must be one of {sorted(REQUIRED)}, got {kind!r}")
    try:
        node = check_scalar("node_nm", data["node_nm"], low=0.0, low_inclusive=False)
    except (TypeError, ValueError) as exc:
        raise TechnologyError(f"{where}: {exc}") from exc
    values = {}
    for key, entry in data["values"].items():
        values[key] = _quantity(key, entry, where)
    missing = [k for k in REQUIRED[kind] if k not in values]
    if missing:
        raise TechnologyError(f"{where}: a {kind!r} technology needs {missing}")
    return Technology(str(data["name"]), kind, node, str(data.get("description", "")), values)


def _quantity(key, entry, where):
    if key not in UNITS:
        raise TechnologyError(f"{where}: unknown technology value {key!r}; known: "
                              f"{', '.join(sorted(UNITS))}")
    if not isinstance(entry, dict) or set(entry) - {"value", "unit", "source"}:
        raise TechnologyError(f"{where}: values.{key} must be a table with value, unit and "
                              f"source, got {entry!r}")
    source = entry.get("source")
    if not isinstance(source, str) or not source.strip():
        raise TechnologyError(f"{where}: values.{key} has no source; every technology value "
                              f"needs one")
    if entry.get("unit") != UNITS[key]:
        raise TechnologyError(f"{where}: values.{key} must be in {UNITS[key]!r}, got unit "
                              f"{entry.get('unit')!r}")
    value = entry.get("value")
    if isinstance(value, bool) or not isinstance(value, (int, float)) or \
            not math.isfinite(value) or value < 0:
        raise TechnologyError(f"{where}: values.{key} must be a finite number >= 0 "
                              f"{UNITS[key]}, got {value!r}")
    return Quantity(float(value), UNITS[key], source.strip())


def load_baselines():
    """The digital-baseline table (GPUs, Loihi, node scaling) of ``baselines.toml``."""
    return tomllib.loads((_data_dir() / "baselines.toml").read_text())


def energy_scale(from_nm, from_vdd, to_nm, to_vdd):
    """Factor that scales a digital energy from one node and supply to another.

    Stillmaker & Baas (2017) fits, interpolated linearly in node size between
    the fitted nodes (45, 32, 20, 14, 7 nm); outside that range it is an error.
    """
    scaling = load_baselines()["scaling"]
    nodes = np.asarray(scaling["nodes_nm"], float)
    for name, node in (("from_nm", from_nm), ("to_nm", to_nm)):
        check_scalar(name, node, low=nodes.min(), high=nodes.max())
    for name, v in (("from_vdd", from_vdd), ("to_vdd", to_vdd)):
        check_scalar(name, v, low=0.0, low_inclusive=False)

    def factor(node, v):
        per_node = (np.asarray(scaling["a"]) * v * v + np.asarray(scaling["b"]) * v
                    + np.asarray(scaling["c"]))
        return float(np.interp(node, nodes[::-1], per_node[::-1]))

    return factor(to_nm, to_vdd) / factor(from_nm, from_vdd)

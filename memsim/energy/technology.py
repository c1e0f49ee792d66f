"""Technology parameters: energies, voltages and times of a process node, each with its source.

A technology file (``data/technology/*.toml``) has a ``name``, a ``kind``
(``"cim"``: an analog compute-in-memory node with its digital periphery, or
``"digital"``: a digital logic and memory node), ``node_nm``, a
``description`` and a table ``values`` whose every entry is
``{value = ..., unit = "...", source = "..."}`` in SI units. Unknown names,
wrong units, negative or non-finite values and missing sources are errors.

ADC energy per conversion, two models:

- Walden figure of merit: ``E = FOM 2^bits`` (J).
- NeuroSim's SAR ADC (DNN_NeuroSim V1.3, SarADC.cpp): power linear in bits,
  ``P = a bits + b`` (W), for ``bits + 1`` clock cycles of ``t_clk``:
  ``E = (a bits + b) (bits + 1) t_clk``. NeuroSim adds a column-resistance
  term ``c / R_col`` to P that memsim leaves out.

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
    "v_read": "V", "t_read": "s", "vdd": "V", "c_row_per_cell": "F", "e_driver": "J",
    "adc_walden_fom": "J", "adc_sar_a": "W", "adc_sar_b": "W", "adc_sar_t_clk": "s",
    "e_accumulate": "J", "e_neuron_update": "J", "e_spike_route": "J",
    "e_sram_per_bit": "J", "e_dram_per_bit": "J",
    "e_add_int8": "J", "e_mult_int8": "J", "e_add_int32": "J", "e_mult_int32": "J",
    "e_add_fp16": "J", "e_mult_fp16": "J", "e_add_fp32": "J", "e_mult_fp32": "J",
}

#: What each kind of node must define.
REQUIRED = {
    "cim": ("v_read", "t_read", "vdd", "c_row_per_cell", "e_driver", "adc_walden_fom",
            "adc_sar_a", "adc_sar_b", "adc_sar_t_clk", "e_accumulate", "e_neuron_update",
            "e_spike_route", "e_sram_per_bit", "e_dram_per_bit"),
    "digital": ("vdd", "e_add_int8", "e_mult_int8", "e_add_int32", "e_sram_per_bit",
                "e_dram_per_bit"),
}

ADC_MODELS = ("walden", "neurosim-sar")


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
        """Energy of one ADC conversion (J) at ``bits`` (0 = ideal: 0 J).

        ``model``: ``"walden"`` (``FOM 2^bits``) or ``"neurosim-sar"``
        (``(a bits + b)(bits + 1) t_clk``), see the module notes.
        """
        bits = check_scalar("adc bits", bits, low=0, high=16, integer=True)
        check_choice("adc model", model, ADC_MODELS)
        if bits == 0:
            return 0.0
        if model == "walden":
            return self["adc_walden_fom"] * 2.0**bits
        return (self["adc_sar_a"] * bits + self["adc_sar_b"]) * (bits + 1) * self["adc_sar_t_clk"]

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

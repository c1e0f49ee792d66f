"""Device presets: TOML files in data/devices, each with its source.

A preset file holds ``name``, ``model`` (``"pcm"``, ``"pulse"``, ``"rram"``, or a
compact model with state: ``"vteam"``, ``"yakopcic"``, ``"stanford-pku"``),
``source`` (the paper or table its numbers come from), an optional ``description``
and a ``[parameters]`` table in SI units with the snake-case names of
:class:`~memsim.devices.PCMParams`, :class:`~memsim.devices.PulseParams` or
:class:`~memsim.devices.RRAMParams`.
A pulse device may give ``r_on`` (ohm) and ``on_off`` instead of ``g_min`` and
``g_max`` (S), as device tables do: ``g_max = 1/r_on``, ``g_min = g_max/on_off``.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import PurePath

import tomli_w

from .._io import read_named, write_text
from ..errors import InputError, InputTypeError
from .base import Device
from .compact import CompactModel, StanfordPKUParams, VTEAMParams, YakopcicParams
from .pcm import PCM, PCMParams
from .pulse import PulseDevice, PulseParams
from .rram import RRAM, RRAMParams

_MODELS = {"pcm": (PCM, PCMParams), "pulse": (PulseDevice, PulseParams),
           "rram": (RRAM, RRAMParams), "vteam": (CompactModel, VTEAMParams),
           "yakopcic": (CompactModel, YakopcicParams),
           "stanford-pku": (CompactModel, StanfordPKUParams)}
#: Models with state driven by a voltage waveform (memsim.devices.compact).
COMPACT_MODELS = ("vteam", "yakopcic", "stanford-pku")


class PresetError(InputError):
    """A preset that does not exist or cannot be used."""


@dataclass(frozen=True)
class Preset:
    """A named device model with its source.

    Attributes
    ----------
    name : str
    model : str
        ``"pcm"``, ``"pulse"`` or ``"rram"``.
    source : str
        Where the numbers come from.
    description : str
    params : PCMParams or PulseParams
    """

    name: str
    model: str
    source: str
    description: str
    params: object

    def device(self):
        """The model object: :class:`PCM`, :class:`PulseDevice` or :class:`RRAM` (a cell
        model for tiles), or a :class:`~memsim.devices.compact.CompactModel`."""
        return _MODELS[self.model][0](self.params)

    def cell_device(self):
        """The model as a cell of tiles (:class:`~memsim.devices.base.Device`); a
        compact model is refused, naming the commands that drive it."""
        if self.model in COMPACT_MODELS:
            raise PresetError(f"device preset {self.name!r} is a compact model with state "
                              f"({self.model}): it is driven by voltage waveforms (memsim "
                              f"device iv, memsim device pulses), not programmed to target "
                              f"conductances; tiles and 'device simulate' take pcm, pulse "
                              f"or rram presets")
        return self.device()

    def to_dict(self):
        """Everything a user sees in ``memsim device show``: parameters and derived values."""
        params = self.params.to_dict()
        derived = {}
        if self.model == "pulse":
            derived = {"a_ltp": self.params.a_ltp, "a_ltd": self.params.a_ltd,
                       "levels_ltd": self.params.p_max_ltd,
                       "r_on": 1.0 / self.params.g_max,
                       "on_off": self.params.g_max / self.params.g_min
                       if self.params.g_min > 0 else float("inf")}
        return {"name": self.name, "model": self.model, "description": self.description,
                "source": self.source, "parameters": {**params, **derived},
                "units": _COMPACT_UNITS if self.model in COMPACT_MODELS else _UNITS}


_UNITS = {"g_min": "S", "g_max": "S", "r_on": "ohm", "prog_coeff": "S", "prog_g_ref": "S",
          "x_ref": "S", "sigma_times": "s", "sigma_coeff": "S",
          "t0": "s", "t_read": "s", "v_ltp": "V", "v_ltd": "V", "t_ltp": "s", "t_ltd": "s",
          "d2d_g_min": "S", "d2d_g_max": "S", "a_ltp": "pulses", "a_ltd": "pulses",
          "levels": "pulses", "levels_ltd": "pulses"}
#: Units of the compact models' parameters (memsim.devices.compact), which reuse some names.
_COMPACT_UNITS = {
    "k_on": "m/s", "k_off": "m/s", "v_on": "V", "v_off": "V", "w_on": "m", "w_off": "m",
    "r_on": "ohm", "r_off": "ohm", "w0": "m", "a_on": "m", "a_off": "m", "w_c": "m",
    "a1": "A", "a2": "A", "b": "1/V", "v_p": "V", "v_n": "V", "a_p": "1/s", "a_n": "1/s",
    "i0": "A", "g0": "m", "v0": "V", "vel0": "m/s", "e_a": "eV", "a0": "m",
    "t_ox": "m", "g1": "m", "f_min": "V/m", "t0": "K", "r_th": "K/W", "gap_min": "m",
    "gap_max": "m", "gap0": "m"}


def _preset_dir():
    return resources.files("memsim.data") / "devices"


def list_presets():
    """Names of the shipped presets, sorted."""
    return sorted(p.name[:-5] for p in _preset_dir().iterdir() if p.name.endswith(".toml"))


def load_preset(name_or_path):
    """Load a shipped preset by name, or a preset TOML file by path.

    Parameters
    ----------
    name_or_path : str or Path
        A name from :func:`list_presets` or a path to a ``.toml`` file.

    Returns
    -------
    Preset

    Raises
    ------
    PresetError
        Unknown name, unreadable or invalid file (the message names it).
    """
    text, where = read_named(name_or_path, _preset_dir(), list_presets(), "device preset",
                             PresetError)
    return preset_from_toml(text, where)


def as_device(device):
    """``device`` itself if it is a :class:`~memsim.devices.base.Device`, else the device
    of the preset it names (a shipped name or a ``.toml`` path)."""
    if isinstance(device, Device):
        return device
    if isinstance(device, (str, PurePath)):
        return load_preset(device).cell_device()
    raise InputTypeError(f"device must be a memsim Device (PCM, PulseDevice, RRAM) or a preset "
                         f"name, got {device!r}")


def preset_from_toml(text, where="<string>"):
    """Parse and validate a preset from TOML text; errors name ``where``."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PresetError(f"{where}: invalid TOML: {exc}") from exc
    for key in ("name", "model", "source"):
        if not isinstance(data.get(key), str) or not data[key].strip():
            raise PresetError(f"{where}: needs a non-empty string '{key}'")
    model = data["model"]
    if model not in _MODELS:
        raise PresetError(f"{where}: model must be one of {sorted(_MODELS)}, got {model!r}")
    params = dict(data.get("parameters", {}))
    try:
        if model == "pulse":
            params = _bounds_from_table(params)
        params = _MODELS[model][1].from_dict(params)
    except (TypeError, ValueError) as exc:
        raise PresetError(f"{where}: {exc}") from exc
    return Preset(data["name"], model, data["source"], data.get("description", ""), params)


def _bounds_from_table(params):
    has_table = "r_on" in params or "on_off" in params
    has_bounds = "g_min" in params or "g_max" in params
    if has_table and has_bounds:
        raise InputError("give either r_on and on_off or g_min and g_max, not both")
    if has_table:
        r_on, on_off = params.pop("r_on", None), params.pop("on_off", None)
        if r_on is None or on_off is None:
            raise InputError("r_on and on_off must be given together")
        if not (isinstance(r_on, (int, float)) and r_on > 0):
            raise InputError(f"r_on must be > 0 ohm, got {r_on!r}")
        if not (isinstance(on_off, (int, float)) and on_off > 1):
            raise InputError(f"on_off must be > 1, got {on_off!r}")
        params["g_max"] = 1.0 / r_on
        params["g_min"] = params["g_max"] / on_off
    return params


def preset_to_toml(preset):
    """TOML text of a preset (parameters as g_min/g_max, SI units)."""
    doc = {"name": preset.name, "model": preset.model, "source": preset.source,
           "description": preset.description, "parameters": preset.params.to_dict()}
    if preset.model == "pcm":
        doc["parameters"].pop("g_min")
    header = "# memsim device preset. SI units: S, ohm, V, s; pulse counts in pulses.\n"
    return header + tomli_w.dumps(doc)


def save_preset(preset, path):
    """Write ``preset`` to ``path`` as TOML, atomically."""
    write_text(path, preset_to_toml(preset))

"""Experiment configs: TOML files and ``--set key=value`` overrides, one validation.

A config is a nested dict with a fixed set of keys and a default for each.
A file and the overrides may only name known keys, with a value of the
default's type (an integer is accepted where a float is expected); errors name
the dotted key, the value and what is allowed. Range checks belong to the
code that uses the values.
"""

from __future__ import annotations

import copy
import tomllib

from ._io import parse_toml, read_text
from .errors import ConfigError, DataError


def load_config(defaults, path=None, overrides=()):
    """Defaults, updated by a TOML file and then by ``key=value`` overrides.

    Parameters
    ----------
    defaults : dict
        Nested dict of every key with its default value.
    path : str or Path, optional
        TOML file.
    overrides : sequence of str
        ``"section.key=value"``; the value is read as a TOML value (``8``,
        ``0.5``, ``true``, ``"pcm"``, ``[256, 10]``), or as a bare string.

    Returns
    -------
    dict
    """
    config = copy.deepcopy(defaults)
    if path is not None:
        try:
            data = parse_toml(read_text(path, "config"), str(path))
        except DataError as exc:
            raise ConfigError(str(exc)) from exc
        _merge(config, data, "", str(path))
    for item in overrides:
        key, sep, text = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--set takes key=value, got {item!r}")
        value = _parse_value(text.strip())
        nested = value
        for part in reversed(key.strip().split(".")):
            nested = {part: nested}
        _merge(config, nested, "", "--set")
    return config


def merge_config(config, data, where):
    """A copy of ``config`` updated by the nested dict ``data``, validated as a file is.

    Parameters
    ----------
    config : dict
        A resolved config (every key present).
    data : dict
        Nested dict of keys to set; unknown keys and wrong types are errors.
    where : str
        Where ``data`` came from, for error messages (``"spec.toml [grid]"``).

    Returns
    -------
    dict
    """
    config = copy.deepcopy(config)
    _merge(config, data, "", where)
    return config


def _parse_value(text):
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def _merge(config, data, prefix, where):
    for key, value in data.items():
        name = f"{prefix}{key}"
        if key not in config:
            known = ", ".join(f"{prefix}{k}" for k in config)
            raise ConfigError(f"{where}: unknown key {name!r}; known keys here: {known}")
        default = config[key]
        if isinstance(default, dict):
            if not isinstance(value, dict):
                raise ConfigError(f"{where}: {name!r} is a section, got {value!r}")
            _merge(default, value, name + ".", where)
        else:
            config[key] = _typed(name, value, default, where)


def _typed(name, value, default, where):
    if isinstance(default, bool):
        ok = isinstance(value, bool)
    elif isinstance(default, int):
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif isinstance(default, float):
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        value = float(value) if ok else value
    elif isinstance(default, list):
        ok = isinstance(value, list)
    else:
        ok = isinstance(value, type(default))
    if not ok:
        raise ConfigError(f"{where}: {name} must be {type(default).__name__} like its default "
                          f"{default!r}, got {value!r}")
    return value

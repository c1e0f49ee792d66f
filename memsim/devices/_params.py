"""Flat dictionary round trip shared by the device parameter dataclasses."""

from __future__ import annotations

import dataclasses

from ..errors import InputError
from .faults import Faults


def params_to_dict(params):
    """Flat dict of a parameter dataclass: its fields, then its Faults' fields."""
    out = {f.name: getattr(params, f.name) for f in dataclasses.fields(params)
           if f.name != "faults"}
    out.update(params.faults.to_dict())
    return {k: list(v) if isinstance(v, tuple) else v for k, v in out.items()}


def params_from_dict(cls, values, label):
    """Build ``cls`` from a flat dict; unknown keys raise ``ValueError`` naming them."""
    values = dict(values)
    faults = Faults.from_dict({k: values.pop(k) for k in list(values)
                               if k in Faults.field_names()})
    known = {f.name for f in dataclasses.fields(cls)} - {"faults"}
    unknown = sorted(set(values) - known)
    if unknown:
        raise InputError(f"unknown {label} parameter(s) {unknown}; allowed: {sorted(known)}")
    values = {k: tuple(v) if isinstance(v, list) else v for k, v in values.items()}
    return cls(faults=faults, **values)

"""The energy ledger: every component's events and the energy they cost.

Each entry is ``(component, events, joules)``; the total is the sum of the
parts by construction, and a component is charged once per run whatever
number of times it is added to.
"""

from __future__ import annotations

import math

from ..errors import InputError, InputTypeError

#: Components a ledger accepts, in the order reports show them.
COMPONENTS = (
    "array_read",       # resistive dissipation of the array during read pulses (solved circuit)
    "row_charging",     # C V^2 of the read lines driven to the input voltage
    "driver",           # C vdd^2 of the 1T1R word lines (wire and access-transistor gates)
    "adc",              # column ADC conversions
    "subtract",         # subtraction of the two halves of a differential read
    "accumulate",       # digital addition of tile partial sums
    "shift_add",        # digital shift-and-add of weight slices and bit-serial read pulses
    "neuron_update",    # neuron state updates
    "spike_routing",    # spikes moved between tiles or cores
    "sram",             # on-chip memory accesses of activations: neuron inputs, outputs (bits)
    "weight_fetch",     # on-chip memory reads of weights (digital baselines; bits)
    "dram",             # off-chip memory accesses (bits)
    "mac",              # digital multiply-accumulates (baselines)
    "synaptic_add",     # digital accumulations of one weight per synaptic event (baselines)
    "flop",             # floating-point operations (GPU baselines)
    "synaptic_op",      # event-driven synaptic operations (neuromorphic baseline)
)


class EnergyLedger:
    """Events and energies per component.

    Examples
    --------
    >>> ledger = EnergyLedger()
    >>> ledger.charge("adc", events=128, joules_each=2.5e-12)
    >>> ledger.charge("driver", events=64, joules_each=5e-15)
    >>> round(ledger.total * 1e12, 6)
    320.32
    """

    def __init__(self):
        self._events = {}
        self._joules = {}

    def charge(self, component, events, joules_each=None, *, joules=None):
        """Add ``events`` of ``component`` at ``joules_each`` (J), or with a total ``joules``.

        Exactly one of ``joules_each`` and ``joules`` is given; both must be
        finite and >= 0, and so must ``events``.
        """
        if component not in COMPONENTS:
            raise InputError(f"unknown energy component {component!r}; known: "
                             f"{', '.join(COMPONENTS)}")
        if (joules_each is None) == (joules is None):
            raise InputError("charge needs exactly one of joules_each and joules")
        events = _non_negative("events", events)
        if joules is None:
            joules = events * _non_negative("joules_each", joules_each)
        joules = _non_negative("joules", joules)
        self._events[component] = self._events.get(component, 0.0) + events
        self._joules[component] = self._joules.get(component, 0.0) + joules

    def add(self, other):
        """Charge every component of ledger ``other`` to this one; returns ``self``."""
        for component, values in other.breakdown().items():
            self.charge(component, values["events"], joules=values["joules"])
        return self

    @property
    def total(self):
        """Total energy (J): the sum of the parts."""
        return math.fsum(self._joules.values())

    def breakdown(self):
        """``{component: {"events": n, "joules": J}}`` in report order."""
        return {c: {"events": self._events[c], "joules": self._joules[c]}
                for c in COMPONENTS if c in self._joules}

    def per(self, count):
        """A new ledger of this one shared over ``count`` (> 0) inferences or
        decisions: every event count and energy divided by ``count``."""
        count = _non_negative("count", count)
        if count == 0:
            raise InputError("count must be > 0")
        return self._map(lambda x: x / count)

    def scaled(self, factor):
        """A new ledger with every event count and energy multiplied by ``factor`` (>= 0)."""
        factor = _non_negative("factor", factor)
        return self._map(lambda x: x * factor)

    def _map(self, f):
        out = EnergyLedger()
        for c in self._joules:
            out._events[c] = f(self._events[c])
            out._joules[c] = f(self._joules[c])
        return out

    def to_dict(self):
        """Breakdown plus ``total_joules``."""
        return {"components": self.breakdown(), "total_joules": self.total}


def _non_negative(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        try:
            value = float(value)
        except (TypeError, ValueError):
            raise InputTypeError(f"{name} must be a real number, got {value!r}") from None
    if not math.isfinite(value) or value < 0:
        raise InputError(f"{name} must be finite and >= 0, got {value!r}")
    return float(value)

"""Digital baselines for the same network and the same activity.

``Workload`` describes one inference of a layered network: layer sizes and
the mean number of active (nonzero or spiking) inputs of each layer.

int8 accelerator (dense, weights in on-chip SRAM; Horowitz, ISSCC 2014)::

    E = MACs (E_mult,int8 + E_add,int32) + bits_SRAM E_SRAM/bit,   times s
    bits_SRAM = 8 (weights + layer inputs + layer outputs)

every weight fetched once per inference, every activation read and written
once; ``s`` scales from the 45 nm table to another node and supply
(Stillmaker & Baas, 2017; see :func:`memsim.energy.technology.energy_scale`).

GPU (energy per FLOP at peak throughput and full board power)::

    E = 2 MACs  TDP / peak FLOP/s

a lower bound: real kernels run below peak throughput at similar power.

Event-driven neuromorphic chip (Loihi, Davies et al., IEEE Micro 2018)::

    E = (active inputs x fan-out) E_syn + N_active E_upd,active
        + N_idle E_upd,inactive + spikes E_spike

charged only for events that happen: a synaptic operation per spike and
target, one update per neuron (active when it received a spike), one
within-tile delivery per spike.
"""

from __future__ import annotations

from dataclasses import dataclass

from .._validation import check_choice, check_scalar
from ..errors import InputError
from .ledger import EnergyLedger
from .technology import energy_scale, load_baselines


@dataclass(frozen=True)
class Workload:
    """One inference of a layered network.

    Parameters
    ----------
    layer_sizes : tuple of int
        Neurons per layer, input first; one weight matrix between neighbours.
    active_inputs : tuple of float
        Mean active inputs of each weight layer per inference (``len(layer_sizes) - 1``).
    """

    layer_sizes: tuple
    active_inputs: tuple

    def __post_init__(self):
        sizes = tuple(check_scalar("layer size", n, low=1, integer=True)
                      for n in self.layer_sizes)
        if len(sizes) < 2:
            raise InputError(f"layer_sizes needs at least two layers, got {self.layer_sizes!r}")
        active = tuple(check_scalar("active inputs", a, low=0.0) for a in self.active_inputs)
        if len(active) != len(sizes) - 1:
            raise InputError(f"active_inputs needs one value per weight layer "
                             f"({len(sizes) - 1}), got {len(active)}")
        for a, n in zip(active, sizes):
            if a > n:
                raise InputError(f"active inputs {a} exceed the layer size {n}")
        object.__setattr__(self, "layer_sizes", sizes)
        object.__setattr__(self, "active_inputs", active)

    @property
    def macs(self):
        """Multiply-accumulates of a dense inference."""
        return sum(a * b for a, b in zip(self.layer_sizes[:-1], self.layer_sizes[1:]))

    @property
    def ops(self):
        """Operations, counted as 2 per MAC."""
        return 2 * self.macs

    @property
    def synaptic_events(self):
        """Active inputs times their fan-out, summed over layers."""
        return sum(a * n for a, n in zip(self.active_inputs, self.layer_sizes[1:]))


def int8_accelerator(workload, digital, node_nm=None, vdd=None):
    """Ledger of a dense int8 accelerator (see module notes).

    Parameters
    ----------
    workload : Workload
    digital : Technology
        A ``"digital"`` technology (e.g. ``digital-45nm``).
    node_nm, vdd : float, optional
        Scale to this node (nm) and supply (V); default: the technology's own.
    """
    if digital.kind != "digital":
        raise InputError(f"the int8 baseline needs a 'digital' technology, got "
                         f"{digital.name!r} of kind {digital.kind!r}")
    scale = 1.0
    if node_nm is not None or vdd is not None:
        scale = energy_scale(digital.node_nm, digital["vdd"],
                             digital.node_nm if node_nm is None else node_nm,
                             digital["vdd"] if vdd is None else vdd)
    sizes = workload.layer_sizes
    sram_bits = 8 * (workload.macs + sum(sizes[:-1]) + sum(sizes[1:]))
    ledger = EnergyLedger()
    ledger.charge("mac", workload.macs,
                  scale * (digital["e_mult_int8"] + digital["e_add_int32"]))
    ledger.charge("sram", sram_bits, scale * digital["e_sram_per_bit"])
    return ledger


def gpu(workload, name, precision):
    """Ledger of a GPU at peak throughput and TDP: ``name`` in ``a100``, ``h100``;
    ``precision`` in ``fp32``, ``fp16`` (tensor cores, dense)."""
    table = load_baselines()["gpu"]
    check_choice("gpu", name, tuple(table))
    check_choice("precision", precision, ("fp32", "fp16"))
    spec = table[name]
    ledger = EnergyLedger()
    ledger.charge("flop", workload.ops, spec["tdp"] / spec[f"flops_{precision}"])
    return ledger


def loihi(workload):
    """Ledger of a Loihi-like event-driven chip for the workload's spikes."""
    spec = load_baselines()["loihi"]
    ledger = EnergyLedger()
    ledger.charge("synaptic_op", workload.synaptic_events, spec["e_synaptic_op"])
    active = sum(n for a, n in zip(workload.active_inputs, workload.layer_sizes[1:]) if a > 0)
    idle = sum(workload.layer_sizes[1:]) - active
    ledger.charge("neuron_update", active, spec["e_neuron_update_active"])
    ledger.charge("neuron_update", idle, spec["e_neuron_update_inactive"])
    ledger.charge("spike_routing", sum(workload.active_inputs), spec["e_spike_within_tile"])
    return ledger


#: The baselines every report compares against.
BASELINES = ("int8", "a100-fp32", "a100-fp16", "h100-fp32", "h100-fp16", "loihi")


def baseline(name, workload, digital, node_nm=None, vdd=None):
    """Ledger of baseline ``name`` (one of :data:`BASELINES`)."""
    check_choice("baseline", name, BASELINES)
    if name == "int8":
        return int8_accelerator(workload, digital, node_nm, vdd)
    if name == "loihi":
        return loihi(workload)
    chip, precision = name.split("-")
    return gpu(workload, chip, precision)


def against_baselines(workload, analog_joules, digital, *, node_nm, vdd, scale=1.0):
    """Every baseline of :data:`BASELINES` doing ``workload``, against the analog energy.

    Parameters
    ----------
    workload : Workload
        The work of one inference (or network step).
    analog_joules : float
        The analog energy of the same work, times ``scale`` (J).
    digital : Technology
        The digital technology (int8 baseline), scaled to ``node_nm`` (nm) and
        ``vdd`` (V), the analog node.
    scale : float, default=1.0
        Workloads per unit compared (e.g. network steps per decision).

    Returns
    -------
    dict
        ``{name: ledger dict + "ratio_to_analog"}``: baseline energy / analog energy.
    """
    out = {}
    for name in BASELINES:
        ledger = baseline(name, workload, digital, node_nm=node_nm, vdd=vdd).scaled(scale)
        out[name] = {**ledger.to_dict(), "ratio_to_analog":
                     ledger.total / analog_joules if analog_joules else None}
    return out

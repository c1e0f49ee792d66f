"""Digital baselines for the same network, the same activity and the same periphery.

``Workload`` describes one inference (or network step) of a layered network:
layer sizes (or any set of matrices), the mean number of active (nonzero or
spiking) inputs of each layer, whether those inputs are binary spikes, and how
often each matrix is read (a convolution's kernel once per output position:
its weights are stored once, its MACs counted at every position).

Fair comparison: a baseline does the same work as the analog tiles. Both int8
designs are charged, besides their own synaptic arithmetic and weight memory,
exactly the analog side's digital periphery, taken from its ledger: the same
neuron updates, spike routing and activation traffic (neuron inputs and
outputs in SRAM), counted from the same measured activity
(:func:`against_baselines`).

int8, dense (systolic; every weight fetched; Horowitz, ISSCC 2014)::

    E = MACs (E_mult,int8 + E_add,int32) s + 8 W E_SRAM/bit s + periphery

``W`` the weights stored: each is fetched once per inference (or network step) into the
weight-stationary array, whose R input vectors then stream past it (the
dataflow its latency below assumes); with R = 1, W = MACs.

int8, event-driven (only the weights of active inputs: per synaptic event one
8-bit weight read and one accumulate, plus a multiply for a multi-bit input;
a binary spike needs none)::

    E = (events E_add,int32 + multi-bit events E_mult,int8) s
        + 8 events E_SRAM/bit s + periphery

``s`` scales from the 45 nm table to another node and supply (Stillmaker &
Baas, 2017; :func:`memsim.energy.technology.energy_scale`).

GPU (a lower bound: energy per FLOP at peak throughput and full board power)::

    E = 2 MACs  TDP / peak FLOP/s

Loihi-like event-driven chip (the chip's own measured energies, Davies et al.,
IEEE Micro 2018; not charged the analog periphery: its own is in these)::

    E = (active inputs x fan-out) E_syn + N_active E_upd,active
        + N_idle E_upd,inactive + spikes E_spike

charged only for events that happen: a synaptic operation per spike and
target, one update per neuron (active when it received a spike), one
within-tile delivery per spike (a spike into a convolution once, however many
output positions it reaches: those are its synaptic operations).

Latency and area (:func:`baseline_latency`, :func:`baseline_area`), at the analog
node, with the digital clock ``t_clk`` and the NeuroSim cells of its technology file;
both int8 designs also take the analog side's neuron-update and spike-delivery phases
and its neuron units, neuron state and buffers (the same periphery)::

    int8 dense   t = t_clk sum_blocks (k + k + m - 1 + R - 1)   a weight-stationary
                                  P x P systolic array (TPU v1: P = 256), each k x m block
                                  of a layer loaded (k cycles) then passed by its R input
                                  vectors (R reads: 1, or a convolution's output
                                  positions), blocks one after another
                 A = P^2 A_mac + 8 W A_sram    A_mac: 8 x 8 array multiplier, 32-bit
                                  adder, 8- and 32-bit registers; W weights in SRAM
    int8 event   t = t_clk sum_layers (active inputs)   one event per cycle: a weight
                                  row read, one accumulator lane per output neuron
                 A = max(n_out) A_lane + 8 W A_sram    A_lane: 32-bit adder and register
                                  (and a multiplier for multi-bit inputs)
    GPU          t = 2 MACs / peak FLOP/s   a lower bound (no launch or memory latency)
                 A = the whole die
    Loihi-like   t = (events t_syn + updates t_upd + spikes t_spike) / cores + t_barrier
                 A = cores x chip area / 128   an upper bound (the die includes x86
                                  cores and I/O); one core per 1024 neurons
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .._validation import check_choice, check_scalar
from ..errors import InputError
from .ledger import EnergyLedger
from .technology import energy_scale, load_baselines


@dataclass(frozen=True)
class Workload:
    """One inference (or network step) of a layered network, or of any set of weight
    matrices.

    Parameters
    ----------
    layer_sizes : tuple of int
        Neurons per layer, input first; one weight matrix between neighbours.
    active_inputs : tuple of float
        Mean active inputs of each weight layer per inference (``len(layer_sizes) - 1``),
        summed over its reads.
    multibit_inputs : tuple of float, optional
        How many of each layer's active inputs are multi-bit values (their
        events need a multiply); the others are binary spikes (an accumulate
        only). Default: all of them.
    reads : tuple of int, optional
        How often each layer's matrix is applied per inference (a
        convolution's kernel matrix: once per output position); default 1.
        The weights are stored once; the MACs, output neurons and dense
        cycles count every read.
    matrices : tuple of (int, int), optional
        ``(n_in, n_out)`` of each weight matrix when they do not form a chain
        (a graph's matrices); then ``layer_sizes`` is ignored and may be None.
    spikes : tuple of float, optional
        Mean input events delivered to each layer per inference, each counted
        once however many of its reads use it (a spike into a convolution: once,
        not at every output position), at most ``n_in`` times the reads; the
        Loihi-like chip routes these. Default: ``active_inputs`` (right when every read is 1).

    Attributes
    ----------
    shapes : tuple of (int, int)
        ``(n_in, n_out)`` of every weight matrix.
    """

    layer_sizes: tuple
    active_inputs: tuple
    multibit_inputs: tuple | None = None
    reads: tuple | None = None
    matrices: tuple | None = None
    spikes: tuple | None = None

    def __post_init__(self):
        if self.matrices is None:
            sizes = tuple(check_scalar("layer size", n, low=1, integer=True)
                          for n in self.layer_sizes)
            if len(sizes) < 2:
                raise InputError(f"layer_sizes needs at least two layers, got "
                                 f"{self.layer_sizes!r}")
            shapes = tuple(zip(sizes[:-1], sizes[1:]))
            object.__setattr__(self, "layer_sizes", sizes)
        else:
            shapes = tuple((check_scalar("matrix rows", a, low=1, integer=True),
                            check_scalar("matrix columns", b, low=1, integer=True))
                           for a, b in self.matrices)
            if not shapes:
                raise InputError("matrices needs at least one (n_in, n_out)")
        reads = (1,) * len(shapes) if self.reads is None else tuple(
            check_scalar("reads", r, low=1, integer=True) for r in self.reads)
        if len(reads) != len(shapes):
            raise InputError(f"reads needs one value per weight layer ({len(shapes)}), "
                             f"got {len(reads)}")
        active = tuple(check_scalar("active inputs", a, low=0.0) for a in self.active_inputs)
        if len(active) != len(shapes):
            raise InputError(f"active_inputs needs one value per weight layer "
                             f"({len(shapes)}), got {len(active)}")
        for a, (n, _), r in zip(active, shapes, reads):
            if a > n * r * (1 + 1e-12):
                raise InputError(f"active inputs {a} exceed the layer size {n} times its "
                                 f"reads {r}")
        multibit = active if self.multibit_inputs is None else tuple(
            check_scalar("multi-bit inputs", m, low=0.0) for m in self.multibit_inputs)
        if len(multibit) != len(active) or any(m > a * (1 + 1e-12) for m, a in
                                                zip(multibit, active)):
            raise InputError(f"multibit_inputs needs one value per weight layer, at most its "
                             f"active inputs {active}; got {self.multibit_inputs!r}")
        spikes = active if self.spikes is None else tuple(
            check_scalar("spikes", v, low=0.0) for v in self.spikes)
        if self.spikes is not None and (len(spikes) != len(shapes) or any(
                v > n * r * (1 + 1e-12) for v, (n, _), r in zip(spikes, shapes, reads))):
            raise InputError(f"spikes needs one value per weight layer, each at most its "
                             f"inputs times its reads "
                             f"{[n * r for (n, _), r in zip(shapes, reads)]}; "
                             f"got {self.spikes!r}")
        object.__setattr__(self, "spikes", spikes)
        object.__setattr__(self, "shapes", shapes)
        object.__setattr__(self, "reads", reads)
        object.__setattr__(self, "active_inputs", active)
        object.__setattr__(self, "multibit_inputs", multibit)

    @property
    def weights(self):
        """Weights stored (each matrix once, however often it is read)."""
        return sum(a * b for a, b in self.shapes)

    @property
    def outputs(self):
        """Output neurons of every layer: its matrix's columns times its reads."""
        return tuple(b * r for (_, b), r in zip(self.shapes, self.reads))

    @property
    def macs(self):
        """Multiply-accumulates of a dense inference."""
        return sum(a * b * r for (a, b), r in zip(self.shapes, self.reads))

    @property
    def ops(self):
        """Dense operations, counted as 2 per MAC."""
        return 2 * self.macs

    @property
    def synaptic_events(self):
        """Active inputs times their fan-out, summed over layers: the useful MACs."""
        return sum(a * n for a, (_, n) in zip(self.active_inputs, self.shapes))

    @property
    def multibit_events(self):
        """Synaptic events of multi-bit inputs (a multiply each); the rest are binary."""
        return sum(m * n for m, (_, n) in zip(self.multibit_inputs, self.shapes))

    @property
    def useful_ops(self):
        """Useful operations, counted as 2 per synaptic event."""
        return 2 * self.synaptic_events


def _scale(digital, node_nm, vdd, what):
    if digital.kind != "digital":
        raise InputError(f"the {what} baseline needs a 'digital' technology, got "
                         f"{digital.name!r} of kind {digital.kind!r}")
    if node_nm is None and vdd is None:
        return 1.0
    return energy_scale(digital.node_nm, digital["vdd"],
                        digital.node_nm if node_nm is None else node_nm,
                        digital["vdd"] if vdd is None else vdd)


def int8_dense(workload, digital, node_nm=None, vdd=None):
    """Ledger of a dense int8 accelerator's synaptic work (module notes): every MAC and
    each stored weight's 8-bit fetch into the weight-stationary array, without the
    periphery :func:`against_baselines` adds.

    Parameters
    ----------
    workload : Workload
    digital : Technology
        A ``"digital"`` technology (e.g. ``digital-45nm``).
    node_nm, vdd : float, optional
        Scale to this node (nm) and supply (V); default: the technology's own.
    """
    scale = _scale(digital, node_nm, vdd, "int8")
    ledger = EnergyLedger()
    ledger.charge("mac", workload.macs,
                  scale * (digital["e_mult_int8"] + digital["e_add_int32"]))
    ledger.charge("weight_fetch", 8 * workload.weights, scale * digital["e_sram_per_bit"])
    return ledger


def int8_event(workload, digital, node_nm=None, vdd=None):
    """Ledger of an event-driven int8 accelerator's synaptic work (module notes): per
    synaptic event one 8-bit weight read and one accumulate (and a multiply unless the
    inputs are binary spikes), without the periphery :func:`against_baselines` adds."""
    scale = _scale(digital, node_nm, vdd, "int8")
    events, multibit = workload.synaptic_events, workload.multibit_events
    ledger = EnergyLedger()
    ledger.charge("mac", multibit, scale * (digital["e_mult_int8"] + digital["e_add_int32"]))
    ledger.charge("synaptic_add", events - multibit, scale * digital["e_add_int32"])
    ledger.charge("weight_fetch", 8 * events, scale * digital["e_sram_per_bit"])
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
    active = sum(n for a, n in zip(workload.active_inputs, workload.outputs) if a > 0)
    idle = sum(workload.outputs) - active
    ledger.charge("neuron_update", active, spec["e_neuron_update_active"])
    ledger.charge("neuron_update", idle, spec["e_neuron_update_inactive"])
    ledger.charge("spike_routing", sum(workload.spikes), spec["e_spike_within_tile"])
    return ledger


# ------------------------------------------------------------------ latency and area

def _int8_mac_area(tech):
    """Area (m^2) of one int8 MAC unit in the analog node's cells: an 8 x 8 array
    multiplier (8 x 7 full adders) and a 32-bit adder, an 8-bit weight register and a
    32-bit partial-sum register."""
    return (8 * 7 + 32) * tech["a_adder_bit"] + (8 + 32) * tech["a_dff"]


def _accumulator_area(tech, multiply):
    """Area (m^2) of one event-driven lane: a 32-bit adder and register (and an 8 x 8
    multiplier for multi-bit inputs)."""
    return (32 + (8 * 7 if multiply else 0)) * tech["a_adder_bit"] + 32 * tech["a_dff"]


def baseline_latency(name, workload, tech):
    """Seconds one inference (network step) takes on baseline ``name``, without the
    periphery's phases that :func:`against_baselines` adds to the int8 designs.

    Parameters
    ----------
    name : str
        One of :data:`BASELINES`.
    workload : Workload
    tech : Technology
        The analog side's ``cim`` technology: the int8 designs run at its
        digital clock ``t_clk``.

    Returns
    -------
    float
    """
    check_choice("baseline", name, tuple(BASELINES))
    spec = load_baselines()
    outputs = workload.outputs
    if name == "int8-dense":
        rows, cols = spec["int8"]["pe_rows"], spec["int8"]["pe_cols"]
        cycles = 0
        for (n_in, n_out), reads in zip(workload.shapes, workload.reads):
            for r in range(0, n_in, rows):
                for c in range(0, n_out, cols):
                    k, m = min(rows, n_in - r), min(cols, n_out - c)
                    # load the block's weights, then stream the layer's input vectors
                    cycles += k + (k + m - 1) + (reads - 1)
        return cycles * tech["t_clk"]
    if name == "int8-event":
        return sum(workload.active_inputs) * tech["t_clk"]
    if name == "loihi":
        loihi_spec = spec["loihi"]
        neurons = sum(outputs)
        cores = math.ceil(neurons / loihi_spec["neurons_per_core"])
        active = sum(n for a, n in zip(workload.active_inputs, outputs) if a > 0)
        work = (workload.synaptic_events * loihi_spec["t_synaptic_op"]
                + active * loihi_spec["t_neuron_update_active"]
                + (neurons - active) * loihi_spec["t_neuron_update_inactive"]
                + sum(workload.spikes) * loihi_spec["t_spike_within_tile"])
        return work / cores + loihi_spec["t_barrier"]
    chip, precision = name.split("-")
    gpu_spec = spec["gpu"][chip]
    return workload.ops / gpu_spec[f"flops_{precision}"]


def baseline_area(name, workload, tech):
    """Silicon area (m^2) of baseline ``name`` for ``workload``, without the periphery
    :func:`against_baselines` adds to the int8 designs (module notes)."""
    check_choice("baseline", name, tuple(BASELINES))
    spec = load_baselines()
    weights_bits = 8 * workload.weights * tech["a_sram_bit"]
    if name == "int8-dense":
        return spec["int8"]["pe_rows"] * spec["int8"]["pe_cols"] * _int8_mac_area(tech) \
            + weights_bits
    if name == "int8-event":
        lanes = max(n for _, n in workload.shapes)
        return lanes * _accumulator_area(tech, workload.multibit_events > 0) + weights_bits
    if name == "loihi":
        loihi_spec = spec["loihi"]
        cores = math.ceil(sum(workload.outputs) / loihi_spec["neurons_per_core"])
        return cores * loihi_spec["chip_area"] / loihi_spec["cores"]
    return spec["gpu"][name.split("-")[0]]["die_area"]


#: The baselines every report compares against, and what each one is.
BASELINES = {
    "int8-dense": "dense int8 accelerator: every MAC on a 256 x 256 weight-stationary "
                  "systolic array, each weight fetched once per step, plus the analog "
                  "side's neuron updates, spike routing and activation traffic",
    "int8-event": "event-driven int8 accelerator: one weight read and accumulate per "
                  "synaptic event, one lane per output neuron, plus the analog side's periphery",
    "a100-fp32": "NVIDIA A100 fp32 at peak throughput and TDP (lower bounds on energy and "
                 "time; area: the whole die)",
    "a100-fp16": "NVIDIA A100 fp16 tensor cores at peak throughput and TDP (lower bounds on "
                 "energy and time; area: the whole die)",
    "h100-fp32": "NVIDIA H100 fp32 at peak throughput and TDP (lower bounds on energy and "
                 "time; area: the whole die)",
    "h100-fp16": "NVIDIA H100 fp16 tensor cores at peak throughput and TDP (lower bounds on "
                 "energy and time; area: the whole die)",
    "loihi": "Loihi-like neuromorphic chip, its own measured energy and time per synaptic "
             "operation, neuron update and spike (area: its cores' share of the die, an "
             "upper bound)",
}

#: The components of the analog ledger that both int8 designs are charged too.
PERIPHERY = ("neuron_update", "spike_routing", "sram")

#: The analog side's latency phases and area components that both int8 designs share.
PERIPHERY_PHASES = ("neuron_update", "spike_routing")
PERIPHERY_AREA = ("buffer", "neuron_unit", "neuron_state")


def baseline(name, workload, digital, node_nm=None, vdd=None):
    """Ledger of the synaptic work of baseline ``name`` (one of :data:`BASELINES`),
    without the shared periphery."""
    check_choice("baseline", name, tuple(BASELINES))
    if name == "int8-dense":
        return int8_dense(workload, digital, node_nm, vdd)
    if name == "int8-event":
        return int8_event(workload, digital, node_nm, vdd)
    if name == "loihi":
        return loihi(workload)
    chip, precision = name.split("-")
    return gpu(workload, chip, precision)


def against_baselines(workload, analog, digital, *, node_nm, vdd, scale=1.0, tech=None,
                      latency=None, area=None):
    """Every baseline of :data:`BASELINES` doing ``workload``, against the analog side.

    Parameters
    ----------
    workload : Workload
        The work of one inference (or network step).
    analog : EnergyLedger
        The analog side's ledger of the same work, times ``scale``: its
        :data:`PERIPHERY` components are charged to both int8 designs as they are.
    digital : Technology
        The digital technology (int8 baselines), scaled to ``node_nm`` (nm) and
        ``vdd`` (V), the analog node.
    scale : float, default=1.0
        Workloads per unit compared (e.g. network steps per decision).
    tech : Technology, optional
        The analog side's ``cim`` technology; with ``latency`` and ``area``,
        each baseline is also timed and sized (:func:`baseline_latency`,
        :func:`baseline_area`).
    latency : dict, optional
        The analog side's :func:`memsim.energy.network_latency` of the same unit:
        its :data:`PERIPHERY_PHASES` are added to both int8 designs.
    area : dict, optional
        The analog chip's :func:`memsim.energy.chip_area`: its
        :data:`PERIPHERY_AREA` is added to both int8 designs.

    Returns
    -------
    dict
        ``{name: ledger dict + "ratio_to_analog" (baseline energy / analog energy)
        + "what"}``, and with ``tech``: ``latency_s``, ``area_m2`` and their
        ``latency_ratio_to_analog``, ``area_ratio_to_analog``.
    """
    timed = tech is not None
    if timed and (latency is None or area is None):
        raise InputError("against_baselines: tech needs the analog latency and area too")
    periphery = EnergyLedger()
    for component, values in analog.breakdown().items():
        if component in PERIPHERY:
            periphery.charge(component, values["events"], joules=values["joules"])
    out = {}
    for name, what in BASELINES.items():
        ledger = baseline(name, workload, digital, node_nm=node_nm, vdd=vdd).scaled(scale)
        if name.startswith("int8"):
            ledger.add(periphery)
        out[name] = {**ledger.to_dict(), "ratio_to_analog":
                     ledger.total / analog.total if analog.total else None, "what": what}
        if timed:
            seconds = scale * baseline_latency(name, workload, tech)
            m2 = baseline_area(name, workload, tech)
            if name.startswith("int8"):
                seconds += math.fsum(latency["phases"][p] for p in PERIPHERY_PHASES)
                m2 += math.fsum(area["components"][c] for c in PERIPHERY_AREA)
            out[name].update(latency_s=seconds, area_m2=m2,
                             latency_ratio_to_analog=seconds / latency["latency_s"],
                             area_ratio_to_analog=m2 / area["total_m2"])
    return out

"""Latency of a network step on tiles: how long each phase takes, from the hardware's structure.

A synchronous model after NeuroSim (DNN_NeuroSim V1.3: SubArray.cpp, ProcessingUnit.cpp,
Chip.cpp, main.cpp). One layer is one weight matrix on a grid of ``R x C`` tiles; every tile
of the layer is read at once (NeuroSim takes the maximum over the subarrays, PEs and tiles
of a layer), and the phases of a layer follow one another::

    t_layer = p (t_read + m t_conv)     p read pulses per input value (1 for a spike or one DAC
                                        shot), each followed by the conversions of an ADC shared
                                        by m columns (SubArray.cpp: numColMuxed conversions)
            + ceil(log2 R) t_clk        adder tree over the R tiles of a column of tiles
                                        (AdderTree.cpp: ceil(log2 numSubcoreRow) stages)
            + ceil(n_out / C) t_clk     digital neuron updates: one neuron unit per column of
                                        tiles, one neuron per clock cycle (memsim's assumption;
                                        e_neuron_update prices one such update)
            + s t_spike                 the s spikes into the layer delivered one at a time
                                        (Loihi's within-tile spike latency)

with ``t_conv = (b + 1) t_clk,adc`` for a ``b``-bit SAR conversion (SarADC.cpp
CalculateLatency; 0 for an ideal ADC) and every time a value of the technology file with
its source. Layers run one after another (NeuroSim's default, ``pipeline = false``): the
latency and the interval between inferences are both ``sum t_layer``; or pipelined: the
latency is still the sum, the interval the slowest layer (main.cpp: ``systemClock =
MAX(systemClock, layerReadLatency)``, no fill or drain). Throughput is one over the interval.

Not modelled: buffer and interconnect (H-tree) cycles, NeuroSim's 1.4 sensing-cycle
factor, the clock period set by the slowest sensing path.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .._validation import check_scalar
from ..errors import InputError

#: The phases of a layer, in the order they happen.
PHASES = ("read_pulse", "adc", "reduce", "neuron_update", "spike_routing")


@dataclass(frozen=True)
class LayerShape:
    """The structure of one layer on tiles, as far as its timing goes.

    Parameters
    ----------
    row_tiles, col_tiles : int
        The grid of tiles the layer's matrices occupy (rows of tiles sum into
        one output; columns of tiles are read side by side).
    outputs : int
        Neurons the layer updates.
    spikes : float
        Spikes delivered to the layer's row drivers per step (0 for analog input).
    adc_bits : int
        ADC resolution (0: ideal, no conversion time).
    pulses : int, default=1
        Read pulses per input value.
    columns_per_adc : int, default=1
        Columns converted one after another by one ADC.
    """

    row_tiles: int
    col_tiles: int
    outputs: int
    spikes: float
    adc_bits: int
    pulses: int = 1
    columns_per_adc: int = 1

    def __post_init__(self):
        for name in ("row_tiles", "col_tiles", "outputs", "pulses", "columns_per_adc"):
            check_scalar(name, getattr(self, name), low=1, integer=True)
        check_scalar("spikes", self.spikes, low=0.0)
        check_scalar("adc_bits", self.adc_bits, low=0, high=16, integer=True)


def layer_latency(tech, layer):
    """Seconds each phase of one step of ``layer`` takes (module notes).

    Parameters
    ----------
    tech : Technology
        A ``cim`` technology (``t_read``, ``adc_sar_t_clk``, ``t_clk``, ``t_spike_route``).
    layer : LayerShape

    Returns
    -------
    dict
        ``{phase: seconds}`` over :data:`PHASES`; the layer's latency is the sum.
    """
    if tech.kind != "cim":
        raise InputError(f"tile latency needs a 'cim' technology, got {tech.name!r} of kind "
                         f"{tech.kind!r}")
    t_conv = (layer.adc_bits + 1) * tech["adc_sar_t_clk"] if layer.adc_bits else 0.0
    return {
        "read_pulse": layer.pulses * tech["t_read"],
        "adc": layer.pulses * layer.columns_per_adc * t_conv,
        "reduce": math.ceil(math.log2(layer.row_tiles)) * tech["t_clk"],
        "neuron_update": math.ceil(layer.outputs / layer.col_tiles) * tech["t_clk"],
        "spike_routing": layer.spikes * tech["t_spike_route"],
    }


def network_latency(tech, layers, *, pipelined=False, steps=1):
    """Latency, interval and throughput of ``steps`` steps through ``layers``.

    Parameters
    ----------
    tech : Technology
    layers : sequence of LayerShape
        In the order a step goes through them.
    pipelined : bool, default=False
        Whether a layer starts the next input as soon as it is done with this one.
    steps : int, default=1
        Network steps per unit reported (e.g. per decision), run one after another.

    Returns
    -------
    dict
        ``latency_s`` (from input to output), ``interval_s`` (between
        successive units), ``throughput_per_s`` (units per second), ``phases``
        (``{phase: seconds}`` summed over layers and steps) and ``layers``
        (each layer's ``{phase: seconds}`` for one step).
    """
    if not isinstance(pipelined, bool):
        raise InputError(f"pipelined must be true or false, got {pipelined!r}")
    steps = check_scalar("steps", steps, low=1, integer=True)
    per_layer = [layer_latency(tech, layer) for layer in layers]
    if not per_layer:
        raise InputError("network_latency needs at least one layer")
    totals = [sum(phases.values()) for phases in per_layer]
    latency = steps * sum(totals)
    interval = steps * (max(totals) if pipelined else sum(totals))
    return {"latency_s": latency, "interval_s": interval, "throughput_per_s": 1.0 / interval,
            "pipelined": pipelined,
            "phases": {p: steps * sum(layer[p] for layer in per_layer) for p in PHASES},
            "layers": per_layer}

"""Run a NIR graph digitally and on memristor tiles, and what it costs per inference.

:func:`run_nir` steps the graph twice on the same input: with float weights
(the digital reference) and with every weight node's matrices on tiles of the
hardware description (:class:`memsim.hardware.HardwareConfig`: device, tile
size, scheme, DAC/ADC, wires, technology), read ``read.t`` seconds after
programming, with or without global drift compensation. The digital run also
records what each matrix is read with: the full scale of its DAC (largest
``|x|``; signed inputs are read as their positive and negative parts, two
reads) and its ADC calibration (``calibration.percentile`` of ``|I+ - I-|``,
not counted). Spike-driven matrices get 1-bit read pulses.

It returns both output traces and their difference (for outputs summed over
time: top-1 agreement per input), the spikes of every spiking node in both
runs, and :func:`memsim.hardware.graph_cost`: energy, latency and area per
inference (one input sequence of T steps) on the tiles and on every baseline
charged for the same matrices, reads and measured active inputs.
"""

from __future__ import annotations

import numpy as np

from .._validation import as_generator, check_array, check_choice, check_scalar
from ..errors import InputError
from ..hardware import (PCM_SCALES, TILE_DEFAULTS, HardwareConfig, deploy_graph, graph_cost,
                        tiles_needed)
from ..snn.graph import INTEGRATORS, SPIKE_MODES, Network
from .read import from_nir

#: Every key of a ``memsim nir run`` config, with its default (SI units).
NIR_DEFAULTS = {
    "device": "pcm",                   # device preset or preset TOML path
    "technology": "cim-22nm",          # analog node
    "digital": "digital-45nm",         # node of the int8 baselines (scaled to technology's)
    "pcm": dict(PCM_SCALES),           # multipliers on the PCM model (PCM presets only)
    "tile": dict(TILE_DEFAULTS),       # memsim.hardware.HardwareConfig
    "graph": {
        "integrator": "euler",         # "euler" or "exact" (memsim.snn.graph)
        "spikes": "step",              # a spike is 1 for its step ("step") or 1/dt ("dirac")
    },
    "read": {
        "t": 1.0,                      # s after programming
        "compensate": True,            # global drift compensation
    },
    "calibration": {"percentile": 99.9},   # ADC full scale: percentile of |I+ - I-|
    "chip": {"pipelined": False},
    "seed": 0,                         # programming and read noise
}


def check_inputs(x, network):
    """``x`` as (batch, T, *in_shape), from (T, *in_shape) or (batch, T, *in_shape);
    returns it and whether a batch axis was added."""
    x = check_array("input", x)
    shape = network.in_shape
    if x.ndim == len(shape) + 2 and tuple(x.shape[2:]) == shape:
        return x, False
    if x.ndim == len(shape) + 1 and tuple(x.shape[1:]) == shape:
        return x[None], True
    raise InputError(f"input must be (T, {', '.join(map(str, shape))}) or (batch, T, "
                     f"{', '.join(map(str, shape))}) for this graph, got {x.shape}")


def compare(digital, analog):
    """How far the tiles' outputs are from the digital ones (same leading axes)."""
    scale = float(np.linalg.norm(digital))
    out = {"max_abs_difference": float(np.max(np.abs(analog - digital))) if analog.size else 0.0,
           "relative_difference": (float(np.linalg.norm(analog - digital)) / scale
                                   if scale > 0 else float(np.linalg.norm(analog)))}
    if digital.ndim >= 3:
        d = digital.sum(axis=1).reshape(len(digital), -1)
        a = analog.sum(axis=1).reshape(len(analog), -1)
        out["top1_agreement"] = float(np.mean(d.argmax(axis=1) == a.argmax(axis=1)))
    return out


def run_nir(graph, x, dt, config, *, digital_only=False):
    """Run a NIR graph on ``x`` digitally and, unless ``digital_only``, on tiles.

    Parameters
    ----------
    graph : str, Path, nir.NIRGraph or memsim.snn.graph.Network
    x : array_like
        (T, *input_shape) or (batch, T, *input_shape).
    dt : float
        Time step (s).
    config : dict
        Resolved :data:`NIR_DEFAULTS`.
    digital_only : bool, default=False

    Returns
    -------
    dict
        ``outputs`` (the tiles' trace, or the digital one), ``digital_outputs``,
        ``spikes`` and ``digital_spikes`` (per spiking node), and without
        ``digital_only``: ``comparison`` and ``cost``.
    """
    network = graph if isinstance(graph, Network) else from_nir(graph)
    xb, added = check_inputs(x, network)
    dt = check_scalar("dt", dt, low=0.0, low_inclusive=False)
    g = config["graph"]
    integrator = check_choice("graph.integrator", g["integrator"], INTEGRATORS)
    spikes = check_choice("graph.spikes", g["spikes"], SPIKE_MODES)
    recorded = {}
    digital, d_counts = network.run(xb, dt, integrator=integrator, spikes=spikes,
                                    record=recorded)
    squeeze = (lambda a: a[0]) if added else (lambda a: a)
    result = {"digital_outputs": squeeze(digital), "digital_spikes": d_counts,
              "batch": len(xb), "steps": xb.shape[1], "dt": dt}
    if digital_only:
        result.update(outputs=result["digital_outputs"], spikes=d_counts)
        return result
    hardware = HardwareConfig.from_config(config, config["device"])
    from ..energy import load_technology
    digital_tech = load_technology(config["digital"])
    read = config["read"]
    binary = bool(np.all((xb == 0.0) | (xb == 1.0)))
    backends = deploy_graph(network, hardware, recorded, seed=as_generator(config["seed"]),
                            dt=dt, t=check_scalar("read.t", read["t"], low=0.0),
                            compensate=bool(read["compensate"]),
                            percentile=config["calibration"]["percentile"], spikes=spikes,
                            input_spikes=binary)
    analog, a_counts = network.run(xb, dt, integrator=integrator, spikes=spikes,
                                   synapses=backends)
    cost = graph_cost(network, backends, len(xb), xb.shape[1], hardware, digital_tech,
                      input_bits=1 if binary else max(hardware.dac_bits, 1),
                      pipelined=bool(config["chip"]["pipelined"]),
                      input_spikes=binary)
    result.update(outputs=squeeze(analog), spikes=a_counts,
                  comparison=compare(digital, analog), cost=cost,
                  tiles={f"{k[0]}[{k[1]}]": {"matrix": list(b.matrix.shape),
                                             "tiles": b.matrix.n_tiles,
                                             "reads": b.matrix.counts.reads}
                         for k, b in backends.items()})
    return result


def graph_info(graph, config=None):
    """Nodes, shapes, parameter counts and tiles needed of a NIR graph.

    Returns
    -------
    dict
        ``nodes``: per node its NIR-equivalent type, input and output shapes,
        parameters, and for weight nodes the matrices and tiles; ``delayed``:
        the recurrent edges; totals.
    """
    network = graph if isinstance(graph, Network) else from_nir(graph)
    tile = dict(TILE_DEFAULTS if config is None else config["tile"])
    nodes, total_params, total_tiles = {}, 0, 0
    for name in network.order:
        node = network.nodes[name]
        params = sum(int(np.size(v)) for k, v in vars(node).items()
                     if isinstance(v, np.ndarray))
        kind = type(node).__name__
        if kind == "Conv":
            kind = f"Conv{node.ndim}d"
        elif kind == "Pool2d":
            kind = "AvgPool2d" if node.mean else "SumPool2d"
        entry = {"type": kind, "in": list(node.in_shape),
                 "out": list(node.out_shape), "parameters": params}
        if node.weighted:
            mats = node.matrices()
            tiles = sum(tiles_needed(m.shape, tile) for m in mats)
            entry.update(matrices=[list(m.shape) for m in mats], tiles=tiles,
                         reads_per_step=getattr(node, "positions", 1))
            total_tiles += tiles
        total_params += params
        nodes[name] = entry
    return {"nodes": nodes, "delayed_edges": sorted(map(list, network.delayed)),
            "parameters": total_params, "tiles": total_tiles,
            "input_shape": list(network.in_shape), "output_shape": list(network.out_shape)}

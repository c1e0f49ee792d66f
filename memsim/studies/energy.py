"""The energy study (``memsim energy``): a layered network on analog tiles against baselines.

The network is simulated on :class:`memsim.crossbar.TiledMatrix` layers with
random weights and random inputs of the configured activity; the tiles count
their events and the technology prices them (:func:`memsim.energy.network_ledger`). The same
network with the same activity is priced on every baseline of
:mod:`memsim.energy.baselines`.
"""

from __future__ import annotations

import numpy as np

from .._validation import as_generator, check_choice, check_memory, check_scalar
from ..energy import (EnergyLedger, Workload, against_baselines, load_technology,
                      network_latency, network_ledger)
from ..errors import InputError
from ..hardware import PCM_SCALES, TILE_DEFAULTS, HardwareConfig
from .tile import relative_error

#: Every key of an energy config, with its default (SI units). The hardware
#: keys (``device``, ``technology``, ``pcm``, ``tile``) are those of every study
#: that builds tiles (:class:`memsim.hardware.HardwareConfig`).
ENERGY_DEFAULTS = {
    "device": "pcm",                   # device preset or preset TOML path
    "technology": "cim-22nm",          # analog node: data/technology/*.toml or a path
    "digital": "digital-45nm",         # node of the int8 baseline (scaled to technology's)
    "pcm": dict(PCM_SCALES),           # multipliers on the PCM model (PCM presets only)
    "tile": dict(TILE_DEFAULTS),       # memsim.hardware.HardwareConfig
    "network": {
        "layers": [256, 256, 10],      # neurons per layer, input first
        "input": "spikes",             # "spikes" (1-bit read pulses) or "analog" (multi-bit DAC)
        "activity": 0.1,               # fraction of inputs active per inference, (0, 1]
        "inferences": 64,              # random inputs simulated
        "seed": 0,
    },
    "read": {
        "t": 1.0,                      # s after programming
        "compensate": True,            # global drift compensation
    },
    "calibration": {"percentile": 100.0},   # ADC full scale: percentile of |I+ - I-|
    "chip": {"pipelined": False},      # layers work on successive inputs at once (latency)
}


def _inputs(rng, n, size, kind, activity):
    active = rng.random((n, size)) < activity
    if kind == "spikes":
        return active.astype(float)
    return active * rng.uniform(0.0, 1.0, (n, size))


def _tops_per_watt(workload, joules):
    """Tera-operations per joule (TOPS/W), counting dense operations (2 per MAC of the
    full matrices) and useful ones (2 per synaptic event), each named."""
    if joules <= 0:
        return {"dense": float("inf"), "useful": float("inf")}
    return {"dense": workload.ops / joules / 1e12, "useful": workload.useful_ops / joules / 1e12}


def _tops_per_mm2(workload, per_second, m2):
    """Tera-operations per second per mm^2 of chip, dense and useful (as :func:`_tops_per_watt`)."""
    mm2 = m2 * 1e6
    return {"dense": workload.ops * per_second / mm2 / 1e12,
            "useful": workload.useful_ops * per_second / mm2 / 1e12}


def run_energy(config, progress=None):
    """Simulate the configured network on tiles and price it against the baselines.

    Parameters
    ----------
    config : dict
        As :data:`ENERGY_DEFAULTS` (see :func:`memsim.config.load_config`).
    progress : callable, optional
        Called with a short message before each layer.

    Returns
    -------
    dict
        ``energy_per_inference`` (ledger dict, J), ``latency``
        (:func:`memsim.energy.network_latency`: latency, interval, throughput,
        phases), ``energy_delay_product_Js``, ``area``
        (:meth:`memsim.hardware.HardwareConfig.chip_area`: m^2 by component and
        layer), ``tops_per_mm2``, ``ops_per_inference``, ``tops_per_watt``, ``baselines`` (each with its ledger and the ratio
        of its energy to the analog one), ``workload``, ``output_error`` per
        layer and the resolved ``config``.
    """
    net = config["network"]
    hardware = HardwareConfig.from_config(config, config["device"])
    tech, digital = hardware.technology, load_technology(config["digital"])
    layers = [check_scalar("network.layers", n, low=1, integer=True) for n in net["layers"]]
    if len(layers) < 2:
        raise InputError(f"network.layers needs at least two sizes, got {net['layers']!r}")
    kind = check_choice("network.input", net["input"], ("spikes", "analog"))
    activity = check_scalar("network.activity", net["activity"], low=0.0, high=1.0,
                            low_inclusive=False)
    n_inf = check_scalar("network.inferences", net["inferences"], low=1, integer=True)
    t = check_scalar("read.t", config["read"]["t"], low=0.0)
    percentile = check_scalar("calibration.percentile", config["calibration"]["percentile"],
                              low=0.0, high=100.0, low_inclusive=False)
    adc_bits = hardware.adc_bits
    dac_bits = 1 if kind == "spikes" else hardware.dac_bits
    rng = as_generator(check_scalar("network.seed", net["seed"], low=0, integer=True))
    # per weight: the float weight, two devices' targets, states and conductances
    # and the effective matrices of the tiles (about 16 doubles); per inference the
    # inputs and outputs of the largest layer
    largest = max(a * b for a, b in zip(layers[:-1], layers[1:]))
    check_memory(f"network.layers={layers}",
                 8.0 * (16 * largest + 4 * n_inf * (max(layers) + max(layers[1:]))))

    analog = EnergyLedger()
    active_inputs, errors, shapes, placed = [], [], [], []
    for index, (n_in, n_out) in enumerate(zip(layers[:-1], layers[1:])):
        if progress:
            progress(f"layer {index + 1}/{len(layers) - 1}: {n_in} x {n_out}")
        w = rng.normal(0.0, 1.0 / np.sqrt(n_in), (n_in, n_out))
        x = _inputs(rng, n_inf, n_in, kind, activity)
        tm = hardware.tiled_matrix(w, rng, spikes=kind == "spikes")
        if adc_bits:
            tm.calibrate_adc(x, t, percentile)
        y = tm.matmul(x, t, seed=rng, compensate=config["read"]["compensate"])
        spikes = float(np.count_nonzero(x))
        in_bits = 1 if kind == "spikes" else max(dac_bits, 1)
        analog.add(network_ledger(tm.counts, tech, steps=n_inf, inputs=n_in, in_bits=in_bits,
                                  outputs=n_out,
                                  routed_spikes=spikes if kind == "spikes" else 0.0,
                                  **hardware.pricing))
        active_inputs.append(spikes / n_inf)
        shapes.append(hardware.layer_shape(tm, outputs=n_out,
                                           spikes=spikes / n_inf if kind == "spikes" else 0.0))
        placed.append(((tm,), n_out))
        errors.append(relative_error(y, x @ w))

    per_inf = analog.per(n_inf)
    workload = Workload(tuple(layers), tuple(active_inputs),
                        tuple(0.0 if kind == "spikes" else a for a in active_inputs))
    total = per_inf.total
    timing = network_latency(tech, shapes, pipelined=config["chip"]["pipelined"])
    area = hardware.chip_area(placed)
    report = {
        "energy_per_inference": per_inf.to_dict(),
        "latency": timing,
        "energy_delay_product_Js": total * timing["latency_s"],
        "area": area,
        "tops_per_mm2": _tops_per_mm2(workload, timing["throughput_per_s"], area["total_m2"]),
        "ops_per_inference": {"dense": workload.ops, "useful": workload.useful_ops},
        "tops_per_watt": _tops_per_watt(workload, total),
        "workload": {"layers": layers, "active_inputs": active_inputs,
                     "macs": workload.macs, "synaptic_events": workload.synaptic_events},
        "output_error": errors,
        "baselines": against_baselines(workload, per_inf, digital, node_nm=tech.node_nm,
                                       vdd=tech["vdd"], tech=tech, latency=timing, area=area),
        "technology": tech.name,
        "config": config,
    }
    for b in report["baselines"].values():
        b["tops_per_watt"] = _tops_per_watt(workload, b["total_joules"])
    return report

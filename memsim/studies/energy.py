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
from ..crossbar import ADC, DAC, TiledMatrix, Wires
from ..energy import (ADC_MODELS, BASELINES, EnergyLedger, Workload, baseline, load_technology,
                      network_ledger)
from ..errors import InputError

#: Every key of an energy config, with its default (SI units).
ENERGY_DEFAULTS = {
    "technology": "cim-22nm",          # analog node: data/technology/*.toml or a path
    "digital": "digital-45nm",         # node of the int8 baseline (scaled to technology's)
    "network": {
        "layers": [256, 256, 10],      # neurons per layer, input first
        "input": "spikes",             # "spikes" (1-bit read pulses) or "analog" (multi-bit DAC)
        "activity": 0.1,               # fraction of inputs active per inference, (0, 1]
        "inferences": 64,              # random inputs simulated
        "seed": 0,
    },
    "tile": {
        "device": "pcm",               # device preset or preset TOML path
        "rows": 256,
        "cols": 256,
        "scheme": "differential",
        "dac_bits": 8,                 # analog input only; spikes use 1 bit
        "adc_bits": 8,
        "adc_model": "walden",         # "walden" or "neurosim-sar"
        "gate_idle": True,             # skip ADC conversions of reads with no active row
        "r_row": 1.0,                  # ohm per row segment; 0 with r_col 0: ideal wiring
        "r_col": 1.0,                  # ohm per column segment
        "v_read": 0.0,                 # V; 0 takes the technology's v_read
        "t": 1.0,                      # s after programming
    },
}


def _inputs(rng, n, size, kind, activity):
    active = rng.random((n, size)) < activity
    if kind == "spikes":
        return active.astype(float)
    return active * rng.uniform(0.0, 1.0, (n, size))


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
        ``energy_per_inference`` (ledger dict, J), ``ops_per_inference``,
        ``tops_per_watt``, ``baselines`` (each with its ledger and the ratio
        of its energy to the analog one), ``workload``, ``output_error`` per
        layer and the resolved ``config``.
    """
    net, tc = config["network"], config["tile"]
    tech = load_technology(config["technology"])
    digital = load_technology(config["digital"])
    layers = [check_scalar("network.layers", n, low=1, integer=True) for n in net["layers"]]
    if len(layers) < 2:
        raise InputError(f"network.layers needs at least two sizes, got {net['layers']!r}")
    kind = check_choice("network.input", net["input"], ("spikes", "analog"))
    activity = check_scalar("network.activity", net["activity"], low=0.0, high=1.0,
                            low_inclusive=False)
    n_inf = check_scalar("network.inferences", net["inferences"], low=1, integer=True)
    check_choice("tile.adc_model", tc["adc_model"], ADC_MODELS)
    adc_bits = check_scalar("tile.adc_bits", tc["adc_bits"], low=0, high=16, integer=True)
    dac_bits = 1 if kind == "spikes" else check_scalar("tile.dac_bits", tc["dac_bits"], low=0,
                                                       high=16, integer=True)
    r_row = check_scalar("tile.r_row", tc["r_row"], low=0.0)
    r_col = check_scalar("tile.r_col", tc["r_col"], low=0.0)
    wires = None if r_row == 0.0 and r_col == 0.0 else Wires(r_row, r_col)
    v_read = check_scalar("tile.v_read", tc["v_read"], low=0.0) or tech["v_read"]
    t = check_scalar("tile.t", tc["t"], low=0.0)
    rng = as_generator(check_scalar("network.seed", net["seed"], low=0, integer=True))
    # per weight: the float weight, two devices' targets, states and conductances
    # and the effective matrices of the tiles (about 16 doubles); per inference the
    # inputs and outputs of the largest layer
    largest = max(a * b for a, b in zip(layers[:-1], layers[1:]))
    check_memory(f"network.layers={layers}",
                 8.0 * (16 * largest + 4 * n_inf * (max(layers) + max(layers[1:]))))

    analog = EnergyLedger()
    active_inputs, errors = [], []
    for index, (n_in, n_out) in enumerate(zip(layers[:-1], layers[1:])):
        if progress:
            progress(f"layer {index + 1}/{len(layers) - 1}: {n_in} x {n_out}")
        w = rng.normal(0.0, 1.0 / np.sqrt(n_in), (n_in, n_out))
        x = _inputs(rng, n_inf, n_in, kind, activity)
        dac = DAC(bits=dac_bits, v_max=v_read, signed=False, t_read=tech["t_read"])
        adc = ADC(bits=adc_bits, i_max=1.0, signed=True)
        tm = TiledMatrix(w, tc["device"], seed=rng, tile_shape=(tc["rows"], tc["cols"]),
                         dac=dac, adc=adc, wires=wires, scheme=tc["scheme"],
                         gate_idle=tc["gate_idle"])
        if adc_bits:
            tm.calibrate_adc(x, t)
        y = tm.matmul(x, t, seed=rng, compensate=True)
        spikes = float(np.count_nonzero(x))
        in_bits = 1 if kind == "spikes" else max(dac_bits, 1)
        analog.add(network_ledger(tm.counts, tech, adc_bits=adc_bits,
                                  adc_model=tc["adc_model"],
                                  neuron_updates=n_inf * n_out,
                                  routed_spikes=spikes if kind == "spikes" else 0.0,
                                  sram_bits=n_inf * (n_in * in_bits + n_out * max(adc_bits, 8))))
        active_inputs.append(spikes / n_inf)
        exact = x @ w
        errors.append(float(np.linalg.norm(y - exact) / max(np.linalg.norm(exact), 1e-300)))

    per_inf = analog.per(n_inf)
    workload = Workload(tuple(layers), tuple(active_inputs))
    total = per_inf.total
    report = {
        "energy_per_inference": per_inf.to_dict(),
        "ops_per_inference": workload.ops,
        "tops_per_watt": workload.ops / total / 1e12 if total > 0 else float("inf"),
        "workload": {"layers": layers, "active_inputs": active_inputs,
                     "macs": workload.macs, "synaptic_events": workload.synaptic_events},
        "output_error": errors,
        "baselines": {},
        "technology": tech.name,
        "config": config,
    }
    for name in BASELINES:
        ledger = baseline(name, workload, digital, node_nm=tech.node_nm, vdd=tech["vdd"])
        report["baselines"][name] = {
            **ledger.to_dict(), "ratio_to_analog": ledger.total / total if total else None,
            "tops_per_watt": workload.ops / ledger.total / 1e12}
    return report

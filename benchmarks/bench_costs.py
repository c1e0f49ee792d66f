"""Energy, latency and area per inference and per decision, against every baseline.

What is printed
---------------
Not a speed benchmark: the cost figures the README quotes, recomputed from the package.

1. ``memsim energy`` on its default config (256-256-10, spikes at 10 % activity, PCM 1T1R
   tiles, Walden ADC) and three variants: NeuroSim's SAR ADC, one ADC shared by 8 columns,
   passive cells. Per inference: energy, latency, chip area; for every baseline the ratio
   of its energy, latency and area to the analog side's.
2. The shipped CartPole policies (``cartpole``: 8-bit DAC input; ``cartpole-spikes``) on
   PCM and TaOx/HfOx tiles, 1 s after programming, with the default ``memsim run`` config
   (its seeds, instances and episodes): the same figures per decision.

Assumptions (the ``what`` of each baseline in ``memsim.energy.BASELINES``): both int8
designs are charged the analog side's neuron updates, spike routing, activation traffic,
neuron units, neuron state and buffers; the dense one is a 256 x 256 weight-stationary
systolic array, the event-driven one a lane per output neuron, both at the analog node's
1 GHz digital clock; GPUs are lower bounds on energy and time (peak throughput at TDP)
and are charged their whole die; the Loihi-like chip is timed and priced with its own
Table 2 figures and charged its cores' share of the die (an upper bound).

Usage
-----
::

    python benchmarks/bench_costs.py [--quick] [--json]

``--quick`` simulates 16 inferences instead of 64 and skips the policies (a few seconds;
the full run about 21 s).
"""

from __future__ import annotations

import sys

from _common import main

from memsim.config import load_config
from memsim.energy import BASELINES
from memsim.studies.energy import ENERGY_DEFAULTS, run_energy
from memsim.studies.run import RUN_DEFAULTS, check_config, evaluate_points, summarise

VARIANTS = {
    "default": [],
    "neurosim-sar ADC": ['tile.adc_model="neurosim-sar"'],
    "ADC shared by 8 columns": ["tile.columns_per_adc=8"],
    "passive cells": ['tile.cell="passive"'],
}


def _costs(energy_j, latency_s, area_m2, baselines):
    return {"energy_J": energy_j, "latency_s": latency_s, "area_m2": area_m2,
            "baselines": {n: {"energy_x": b["ratio_to_analog"],
                              "latency_x": b["latency_ratio_to_analog"],
                              "area_x": b["area_ratio_to_analog"]}
                          for n, b in baselines.items()}}


def run(quick):
    out = {"per_inference": {}, "per_decision": {}}
    inferences = 16 if quick else 64
    for label, settings in VARIANTS.items():
        config = load_config(ENERGY_DEFAULTS, None,
                             [f"network.inferences={inferences}", *settings])
        report = run_energy(config)
        out["per_inference"][label] = _costs(
            report["energy_per_inference"]["total_joules"], report["latency"]["latency_s"],
            report["area"]["total_m2"], report["baselines"])
    if quick:
        return out
    config = load_config(RUN_DEFAULTS, None, ["evaluation.times=[1.0]",
                                              "evaluation.compensate=[false]"])
    checked = check_config(config)
    results = [result for _, _, result, _ in evaluate_points(config, checked=checked)]
    summary = summarise(config, results, checked)
    for policy, devices in summary["energy"].items():
        for device, cost in devices.items():
            out["per_decision"][f"{policy} on {device}"] = _costs(
                cost["analog"]["total_joules"], cost["latency"]["latency_s"],
                cost["area"]["total_m2"], cost["baselines"])
    return out


def _table(title, unit, rows):
    names = list(BASELINES)
    lines = [title, f"{'':<28} {'pJ':>8} {'ns':>8} {'mm2':>7}  " + "  ".join(
        f"{n:>22}" for n in names),
        f"{'':<28} {'':>8} {'':>8} {'':>7}  " + "  ".join(
            f"{'energy/latency/area x':>22}" for _ in names)]
    for label, c in rows.items():
        ratios = "  ".join(
            f"{c['baselines'][n]['energy_x']:>7.3g}/{c['baselines'][n]['latency_x']:>6.3g}/"
            f"{c['baselines'][n]['area_x']:>7.3g}" for n in names)
        lines.append(f"{label:<28} {c['energy_J'] * 1e12:>8.1f} {c['latency_s'] * 1e9:>8.1f} "
                     f"{c['area_m2'] * 1e6:>7.4f}  {ratios}")
    return "\n".join(lines + [f"(x: baseline / analog, {unit})", ""])


def format_report(results):
    text = [_table("Per inference, memsim energy defaults and variants:", "per inference",
                   results["per_inference"])]
    if results["per_decision"]:
        text.append(_table("Per decision, shipped policies at 1 s (memsim run defaults):",
                           "per decision", results["per_decision"]))
    text.append("Baselines:")
    text += [f"  {n}: {what}" for n, what in BASELINES.items()]
    return "\n".join(text)


if __name__ == "__main__":
    sys.exit(main(__doc__, run, format_report, "16 inferences, no policies"))

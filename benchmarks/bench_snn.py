"""Training-step speed of the spiking e-prop network: Cython kernel against NumPy.

Measures decisions (environment steps) per second and network steps per second of
a recurrent ALIF network with eligibility traces, learning on, fed by
Gaussian-field inputs, with:

- memsim's fused Cython step (``EpropActorCritic``): neuron update, eligibility
  and trace updates in one pass each (memsim/_kernels/_snn.pyx);
- the plain vectorised NumPy implementation of the same step, its twin in the
  tests (``memsim.snn._reference.ReferenceEprop``: neuron_step, eligibility_step),
  run in the same process on the same inputs.

Both use the same float synapse backend (BLAS matrix-vector products) for the
currents; the two paths are checked to reach the same weights.

    python benchmarks/bench_snn.py [--quick] [--json]
"""

from __future__ import annotations

import os
import platform
import sys
import time

import numpy as np

import _common  # benchmarks/ is on sys.path when run as a script
from memsim.snn import EpropActorCritic, EpropConfig, NeuronParams
from memsim.snn._reference import ReferenceEprop

N_IN = 32
REPEATS = 3                 # best of: this machine's timings vary by tens of percent


def bench(n_rec, decisions, kernels, beta):
    config = EpropConfig(n_rec=n_rec, neuron=NeuronParams(beta=beta), w_in_scale=3.0)
    net = (EpropActorCritic if kernels else ReferenceEprop)(N_IN, 2, config, seed=0)
    rng = np.random.default_rng(1)
    inputs = rng.uniform(0, 1, (decisions, N_IN))
    rewards = rng.normal(size=decisions)
    start = time.perf_counter()
    for t in range(decisions):
        net.decide(inputs[t])
        net.observe(rewards[t], terminal=t % 200 == 199)
        if t % 200 == 199:
            net.reset()
    elapsed = time.perf_counter() - start
    return elapsed, net.state_dict()["weights/w_rec"]


def run(quick=False):
    decisions = 400 if quick else 3000
    results = {"config": {"python": platform.python_version(), "numpy": np.__version__,
                          "cpus": os.cpu_count(), "n_in": N_IN, "decisions": decisions,
                          "steps_per_decision": EpropConfig().steps_per_decision},
               "rows": []}
    for n_rec, beta in ((128, 0.5), (128, 0.0), (256, 0.5)):
        t_k, w_k = min((bench(n_rec, decisions, True, beta) for _ in range(REPEATS)),
                       key=lambda r: r[0])
        t_n, w_n = min((bench(n_rec, decisions, False, beta) for _ in range(REPEATS)),
                       key=lambda r: r[0])
        results["rows"].append({
            "n_rec": n_rec, "neuron": "ALIF" if beta else "LIF",
            "kernel_decisions_per_s": decisions / t_k, "numpy_decisions_per_s": decisions / t_n,
            "kernel_steps_per_s": decisions * 5 / t_k, "speedup": t_n / t_k,
            "max_weight_difference": float(np.abs(w_k - w_n).max())})
    return results


def format_report(res):
    c = res["config"]
    out = [f"e-prop training step (python {c['python']}, numpy {c['numpy']}, {c['cpus']} CPUs; "
           f"{c['n_in']} inputs, {c['decisions']} decisions x {c['steps_per_decision']} "
           f"network steps, learning on)", "",
           f"{'network':<14}{'kernel dec/s':>14}{'numpy dec/s':>14}{'kernel steps/s':>16}"
           f"{'speed-up':>10}{'max |dW|':>11}"]
    for r in res["rows"]:
        out.append(f"{r['n_rec']:>4} {r['neuron']:<9}{r['kernel_decisions_per_s']:>14,.0f}"
                   f"{r['numpy_decisions_per_s']:>14,.0f}{r['kernel_steps_per_s']:>16,.0f}"
                   f"{r['speedup']:>9.1f}x{r['max_weight_difference']:>11.1e}")
    out.append("")
    out.append("target: >= 10x the NumPy step for 128 ALIF neurons with eligibility traces")
    return "\n".join(out)


def main(argv=None):
    """Command-line entry point."""
    return _common.main(__doc__, run, format_report, "400 decisions instead of 3000", argv)


if __name__ == "__main__":
    sys.exit(main())

"""Latency and area of the digital baselines: hand-computed cycles, times and areas, and the
shared periphery both int8 designs take from the analog side."""

import math

import pytest

from memsim.config import load_config
from memsim.energy import load_technology
from memsim.energy.baselines import (PERIPHERY_AREA, PERIPHERY_PHASES, Workload, baseline_area,
                                     baseline_latency, int8_dense, loihi)
from memsim.energy.technology import load_baselines
from memsim.errors import InputError
from memsim.studies.energy import ENERGY_DEFAULTS, run_energy

CIM = load_technology("cim-22nm")
DIGITAL = load_technology("digital-45nm")
F = 22e-9
ADDER_BIT, DFF, SRAM_BIT = 9 * 28 * 11.4 * F * F, 12 * 28 * 7.6 * F * F, 280 * F * F


def test_int8_dense_systolic_cycles_by_hand():
    work = Workload((300, 20), (30.0,))
    # 300 inputs on 256 array rows: a 256 x 20 block, then a 44 x 20 block; each loads
    # its k rows of weights, then one input passes k + m - 1 cycles
    cycles = (256 + 256 + 19) + (44 + 44 + 19)
    assert baseline_latency("int8-dense", work, CIM) == pytest.approx(cycles * 1e-9)
    wide = Workload((10, 600), (2.0,))
    # 600 outputs over 256-column blocks of 256, 256, 88 columns
    cycles = sum(10 + 10 + m - 1 for m in (256, 256, 88))
    assert baseline_latency("int8-dense", wide, CIM) == pytest.approx(cycles * 1e-9)


def test_event_driven_loihi_and_gpu_times_by_hand():
    work = Workload((100, 50, 10), (10.0, 5.0), (0.0, 0.0))
    assert baseline_latency("int8-event", work, CIM) == pytest.approx(15e-9)
    events = 10 * 50 + 5 * 10
    loihi = events * 3.5e-9 + 60 * 8.4e-9 + 15 * 2.1e-9 + 113e-9
    assert baseline_latency("loihi", work, CIM) == pytest.approx(loihi)
    ops = 2 * (100 * 50 + 50 * 10)
    assert baseline_latency("a100-fp16", work, CIM) == pytest.approx(ops / 312e12)
    assert baseline_latency("h100-fp32", work, CIM) == pytest.approx(ops / 67e12)
    # a silent second layer: its 10 neurons take inactive updates
    quiet = Workload((100, 50, 10), (10.0, 0.0), (0.0, 0.0))
    assert baseline_latency("loihi", quiet, CIM) == pytest.approx(
        500 * 3.5e-9 + 50 * 8.4e-9 + 10 * 5.3e-9 + 10 * 2.1e-9 + 113e-9)


def test_baseline_areas_by_hand():
    work = Workload((100, 50, 10), (10.0, 5.0), (0.0, 0.0))
    weights = 8 * (100 * 50 + 50 * 10) * SRAM_BIT
    mac = (56 + 32) * ADDER_BIT + 40 * DFF
    assert baseline_area("int8-dense", work, CIM) == pytest.approx(65536 * mac + weights,
                                                                   rel=1e-3)
    lane = 32 * ADDER_BIT + 32 * DFF
    assert baseline_area("int8-event", work, CIM) == pytest.approx(50 * lane + weights,
                                                                   rel=1e-3)
    multibit = Workload((100, 50, 10), (10.0, 5.0))
    assert baseline_area("int8-event", multibit, CIM) == pytest.approx(
        50 * (lane + 56 * ADDER_BIT) + weights, rel=1e-3)
    assert baseline_area("loihi", work, CIM) == pytest.approx(60e-6 / 128)
    assert baseline_area("loihi", Workload((10, 2000), (1.0,)), CIM) == pytest.approx(
        2 * 60e-6 / 128)
    assert baseline_area("a100-fp32", work, CIM) == pytest.approx(826e-6)


def test_int8_designs_share_the_analog_periphery_in_time_and_area():
    config = load_config(ENERGY_DEFAULTS, None, ["network.layers=[96, 40, 6]",
                                                 "network.inferences=4", "tile.rows=64",
                                                 "tile.cols=64"])
    report = run_energy(config)
    wl = report["workload"]
    work = Workload(tuple(wl["layers"]), tuple(wl["active_inputs"]),
                    tuple(0.0 for _ in wl["active_inputs"]))
    phases, area = report["latency"]["phases"], report["area"]["components"]
    for name in ("int8-dense", "int8-event"):
        b = report["baselines"][name]
        assert b["latency_s"] == pytest.approx(baseline_latency(name, work, CIM) + math.fsum(
            phases[p] for p in PERIPHERY_PHASES))
        assert b["area_m2"] == pytest.approx(baseline_area(name, work, CIM) + math.fsum(
            area[c] for c in PERIPHERY_AREA))
    for name, b in report["baselines"].items():
        assert b["latency_ratio_to_analog"] == pytest.approx(
            b["latency_s"] / report["latency"]["latency_s"]), name
        assert b["area_ratio_to_analog"] == pytest.approx(
            b["area_m2"] / report["area"]["total_m2"]), name
    loihi = report["baselines"]["loihi"]
    assert loihi["latency_s"] == pytest.approx(baseline_latency("loihi", work, CIM))


def test_a_matrix_read_at_many_positions_is_charged_every_read_and_stored_once():
    # a convolution's 18 x 8 kernel matrix read at 289 positions, 500 active inputs
    conv = Workload(None, (500.0,), (0.0,), reads=(289,), matrices=((18, 8),))
    one = Workload((18, 8), (500.0 / 289,), (0.0,))
    assert conv.macs == 289 * one.macs and conv.weights == one.weights == 18 * 8
    assert conv.outputs == (8 * 289,) and conv.synaptic_events == pytest.approx(500.0 * 8)
    # every MAC at every position; each weight fetched once into the stationary array
    dense, dense_one = int8_dense(conv, DIGITAL).breakdown(), int8_dense(one, DIGITAL).breakdown()
    assert dense["mac"]["joules"] == pytest.approx(289 * dense_one["mac"]["joules"])
    assert dense["weight_fetch"]["events"] == dense_one["weight_fetch"]["events"] == 8 * 18 * 8
    # the Loihi-like chip routes each spike once (default: the active inputs; a
    # convolution's caller gives the spikes, here 60 feeding the 289 positions)
    spiked = Workload(None, (500.0,), (0.0,), reads=(289,), matrices=((18, 8),),
                      spikes=(6.0,))
    assert loihi(spiked).breakdown()["spike_routing"]["events"] == 6.0
    assert loihi(conv).breakdown()["spike_routing"]["events"] == 500.0
    spec = load_baselines()["loihi"]
    cores = math.ceil(8 * 289 / spec["neurons_per_core"])      # the work is spread over them
    assert (baseline_latency("loihi", conv, CIM) - baseline_latency("loihi", spiked, CIM)
            == pytest.approx(494 * spec["t_spike_within_tile"] / cores))
    with pytest.raises(InputError, match="spikes"):
        Workload(None, (500.0,), reads=(289,), matrices=((18, 8),), spikes=(18 * 289 + 1.0,))
    # weight-stationary: the block is loaded once, then 289 inputs stream through it
    assert baseline_latency("int8-dense", conv, CIM) == pytest.approx(
        (18 + (18 + 8 - 1) + 288) * CIM["t_clk"])
    assert baseline_area("int8-dense", conv, CIM) == baseline_area("int8-dense", one, CIM)
    with pytest.raises(InputError, match="reads"):
        Workload(None, (1.0,), reads=(1, 2), matrices=((18, 8),))
    with pytest.raises(InputError, match="exceed"):
        Workload(None, (18 * 289 + 1.0,), reads=(289,), matrices=((18, 8),))

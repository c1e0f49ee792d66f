"""Latency of a step on tiles: hand-computed phases, scaling laws, pipelining, and the
layer shapes the studies build from their tile grids."""

import math

import pytest

from memsim.energy import LayerShape, layer_latency, load_technology, network_latency
from memsim.studies.energy import ENERGY_DEFAULTS, run_energy
from memsim.config import load_config

CIM = load_technology("cim-22nm")


def test_layer_phases_by_hand():
    layer = LayerShape(row_tiles=5, col_tiles=3, outputs=300, spikes=12.5, adc_bits=8)
    phases = layer_latency(CIM, layer)
    # 10 ns pulse; 8-bit SAR: 9 cycles of 1 ns; adder tree over 5 tiles: 3 levels of 1 ns;
    # 300 neurons over 3 units: 100 cycles of 1 ns; 12.5 spikes of 2.1 ns
    assert phases == pytest.approx({"read_pulse": 10e-9, "adc": 9e-9, "reduce": 3e-9,
                                    "neuron_update": 100e-9, "spike_routing": 26.25e-9})
    ideal = layer_latency(CIM, LayerShape(1, 1, 1, 0.0, adc_bits=0))
    assert ideal["adc"] == 0.0 and ideal["reduce"] == 0.0


def test_latency_scales_with_pulses_and_columns_per_adc():
    base = dict(row_tiles=1, col_tiles=1, outputs=8, spikes=0.0, adc_bits=6)
    one = layer_latency(CIM, LayerShape(**base))
    for b in (2, 4, 8):
        serial = layer_latency(CIM, LayerShape(**base, pulses=b))
        assert serial["read_pulse"] == pytest.approx(b * one["read_pulse"])
        assert serial["adc"] == pytest.approx(b * one["adc"])
    for m in (2, 8):
        shared = layer_latency(CIM, LayerShape(**base, columns_per_adc=m))
        assert shared["adc"] == pytest.approx(m * 7e-9)             # 6-bit SAR: 7 ns each
        assert shared["read_pulse"] == one["read_pulse"]


def test_pipelining_sets_the_interval_not_the_latency():
    layers = [LayerShape(1, 2, 256, 25.0, 8), LayerShape(1, 1, 10, 25.0, 8)]
    totals = [sum(layer_latency(CIM, layer).values()) for layer in layers]
    serial = network_latency(CIM, layers)
    piped = network_latency(CIM, layers, pipelined=True)
    assert serial["latency_s"] == pytest.approx(sum(totals))
    assert serial["interval_s"] == serial["latency_s"]
    assert piped["latency_s"] == serial["latency_s"]
    assert piped["interval_s"] == pytest.approx(max(totals))
    assert piped["throughput_per_s"] == pytest.approx(1 / max(totals))
    per_decision = network_latency(CIM, layers, steps=5)
    assert per_decision["latency_s"] == pytest.approx(5 * sum(totals))
    assert sum(per_decision["phases"].values()) == pytest.approx(per_decision["latency_s"])


def test_bad_layer_shapes_are_refused():
    with pytest.raises(ValueError, match="row_tiles"):
        LayerShape(0, 1, 1, 0.0, 8)
    with pytest.raises(ValueError, match="spikes"):
        LayerShape(1, 1, 1, float("nan"), 8)
    with pytest.raises(ValueError, match="pipelined"):
        network_latency(CIM, [LayerShape(1, 1, 1, 0.0, 8)], pipelined="yes")
    with pytest.raises(ValueError, match="'cim' technology"):
        layer_latency(load_technology("digital-45nm"), LayerShape(1, 1, 1, 0.0, 8))


def test_energy_study_times_the_tile_grid_it_built():
    config = load_config(ENERGY_DEFAULTS, None, ["network.layers=[600, 300, 10]",
                                                 "network.inferences=4", "tile.adc_bits=6"])
    report = run_energy(config)
    first, second = report["latency"]["layers"]
    # 600 inputs on 256-row tiles: 3 rows of tiles (2 adder levels); 300 outputs on
    # differential 256-column tiles (128 each): 3 neuron units of 100 neurons
    assert first["reduce"] == pytest.approx(2e-9)
    assert first["neuron_update"] == pytest.approx(100e-9)
    assert second["reduce"] == pytest.approx(math.ceil(math.log2(2)) * 1e-9)
    assert second["neuron_update"] == pytest.approx(10e-9)
    assert first["adc"] == pytest.approx(7e-9)
    spikes = [a * 2.1e-9 for a in report["workload"]["active_inputs"]]
    assert [first["spike_routing"], second["spike_routing"]] == pytest.approx(spikes)
    assert report["energy_delay_product_Js"] == pytest.approx(
        report["energy_per_inference"]["total_joules"] * report["latency"]["latency_s"])

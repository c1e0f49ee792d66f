"""Energy: hand-computed tile cases, scaling laws, baselines against their sources,
ledger conservation and bad input."""

import json

import numpy as np
import pytest

from memsim.config import ConfigError, load_config
from memsim.crossbar import ADC, DAC, Tile, Wires
from memsim.devices import PCM, PCMParams
from memsim.energy import (EnergyLedger, TechnologyError, Workload, baseline, energy_scale, gpu,
                           int8_dense, int8_event, load_technology, loihi, tile_ledger)
from memsim.studies.energy import ENERGY_DEFAULTS, run_energy
from memsim.energy.technology import technology_from_toml

IDEAL_PCM = PCM(PCMParams(prog_noise_scale=0.0, drift_scale=0.0, read_noise_scale=0.0))
CIM = load_technology("cim-22nm")
DIGITAL = load_technology("digital-45nm")


def ideal_tile(w, v_read=0.2, t_read=10e-9, gate_idle=True, wires=None, bits=8):
    return Tile(w, IDEAL_PCM, seed=0, dac=DAC(bits=1, v_max=v_read, signed=False, t_read=t_read),
                adc=ADC(bits=bits, i_max=1e-4), wires=wires, gate_idle=gate_idle)


def test_read_energy_by_hand_and_adc_conversions():
    rng = np.random.default_rng(0)
    w = rng.normal(size=(12, 5))
    x = (rng.random((7, 12)) < 0.3).astype(float)
    x[2] = 0.0                                              # one idle read
    for gate in (True, False):
        tile = ideal_tile(w, gate_idle=gate)
        tile.matmul(x)
        g = tile.conductances()
        v = 0.2 * x
        # no wires: every device sees its row voltage for t_read
        expected = 10e-9 * np.sum((v**2) @ g)
        assert tile.counts.array_joules == pytest.approx(expected, rel=1e-12)
        assert tile.counts.row_charge_v2 == pytest.approx(g.shape[1] * np.sum(v**2))
        active_reads = np.count_nonzero(x.any(axis=1)) if gate else len(x)
        assert tile.adc.counts["conversions"] == active_reads * 5
        assert tile.dac.counts["activations"] == np.count_nonzero(x)
        counts = tile.counts
        assert (counts.adc_conversions, counts.accumulations) == (active_reads * 5,
                                                                    active_reads * 5)
        assert counts.row_cells == np.count_nonzero(x) * g.shape[1]
        g_on = IDEAL_PCM.g_max
        ledger = tile_ledger(counts, CIM, adc_bits=8, g_on=g_on, v_read=0.2)
        parts = ledger.breakdown()
        adc = active_reads * 5 * 10e-15 * 2**8                 # Walden FOM x 2^bits per conversion
        rows = CIM["c_row_per_cell"] * g.shape[1] * np.sum(v**2)
        # NeuroSim 1T1R word line: wire 0.0528 fF + gate 1.4298 fF/um x access width, per cell;
        # width = 86.36 kohm x 0.20 x g_on / 0.25 in F, at least 2 F (22 nm)
        width = max(2.0, 86.36e3 * 0.20 * g_on / 0.25) * 22e-9
        c_word = 0.0528e-15 + 1.4298e-9 * width
        drivers = np.count_nonzero(x) * g.shape[1] * c_word * 0.85**2
        # 8-bit ripple subtractor of MLP_NeuroSim V3.0 (derived 22 nm gate capacitances)
        subtract = active_reads * 5 * 7 * 0.85**2 * (8 * (4 * 0.209e-15 + 0.0786e-15)
                                                     + 6 * 0.108e-15 + 9 * 0.209e-15
                                                     + 0.229e-15)
        adds = active_reads * 5 * CIM["e_accumulate"]
        assert parts["adc"]["joules"] == pytest.approx(adc)
        assert parts["row_charging"]["joules"] == pytest.approx(rows)
        assert parts["driver"]["joules"] == pytest.approx(drivers, rel=1e-12)
        assert parts["subtract"]["joules"] == pytest.approx(subtract, rel=1e-12)
        assert ledger.total == pytest.approx(expected + rows + drivers + adc + subtract + adds,
                                             rel=1e-12)
        passive = tile_ledger(counts, CIM, adc_bits=8, cell="passive").breakdown()
        assert passive["driver"]["joules"] == 0.0
        assert passive["row_charging"]["joules"] == pytest.approx(
            0.016e-15 * g.shape[1] * np.sum(v**2))


def test_sar_adc_column_load_is_the_conductance_of_the_driven_cells():
    rng = np.random.default_rng(3)
    w = rng.normal(size=(12, 5))
    x = (rng.random((6, 12)) < 0.4).astype(float)
    x[1] = 0.0
    tile = ideal_tile(w)
    tile.matmul(x)
    g = tile.conductances()
    # NeuroSim GetColumnResistance: 1/R_j = sum of G_ij over the rows whose input is on
    inv_r = (x != 0) @ g
    assert tile.counts.adc_siemens == pytest.approx(inv_r.sum(), rel=1e-12)
    # SarADC.cpp 22 nm LP, 5 bits, R = 1 kohm at 0.5 V: (0.538*5 + 4.3753) uW + 0.072341/R,
    # for 6 ns: 0.476 pJ per conversion
    e = CIM.adc_energy(5, "neurosim-sar") + CIM.adc_load_energy(5, 1e-3, 0.5, "neurosim-sar")
    assert e == pytest.approx(0.476e-12, rel=2e-3)
    # columnRes *= 0.5 / readVoltage: the load term is linear in the read voltage
    assert CIM.adc_load_energy(5, 1e-3, 0.25, "neurosim-sar") == pytest.approx(
        0.5 * CIM.adc_load_energy(5, 1e-3, 0.5, "neurosim-sar"))
    assert CIM.adc_load_energy(5, 1e-3, 0.5, "walden") == 0.0
    ledger = tile_ledger(tile.counts, CIM, adc_bits=5, adc_model="neurosim-sar",
                         g_on=IDEAL_PCM.g_max, v_read=0.2)
    expected = (tile.counts.adc_conversions * (0.538 * 5 + 4.3753) * 1e-6 * 6e-9
                + 0.072341 * inv_r.sum() * 0.2 / 0.5 * 6e-9)
    assert ledger.breakdown()["adc"]["joules"] == pytest.approx(expected, rel=1e-12)


def test_access_transistor_is_sized_as_neurosim_sizes_it():
    # SubArray.cpp, R_on = 6 kohm (Param.cpp default): widthAccessCMOS = 11.51 F at 22 nm LP
    assert CIM.access_width(1 / 6e3) / 22e-9 == pytest.approx(11.51, rel=1e-3)
    line, word = CIM.row_capacitances("1T1R", 1 / 6e3)
    assert word - line == pytest.approx(0.362e-15, rel=2e-3)   # 1.4298 fF/um x 253 nm
    assert CIM.row_capacitances("passive", 1 / 6e3) == (0.016e-15, 0.0)
    with pytest.raises(ValueError, match="cell must be one of"):
        CIM.row_capacitances("2T2R", 1e-5)
    with pytest.raises(ValueError, match="g_on .* is required"):
        tile_ledger({}, CIM, adc_bits=8)


def test_read_energy_scales_with_v_squared_and_t_read():
    rng = np.random.default_rng(1)
    w = rng.normal(size=(16, 4))
    x = (rng.random((9, 16)) < 0.5).astype(float)
    energy = {}
    for v_read, t_read in ((0.1, 10e-9), (0.2, 10e-9), (0.2, 30e-9)):
        tile = ideal_tile(w, v_read, t_read)
        tile.matmul(x)
        energy[v_read, t_read] = tile.counts.array_joules
    assert energy[0.2, 10e-9] / energy[0.1, 10e-9] == pytest.approx(4.0, rel=1e-12)
    assert energy[0.2, 30e-9] / energy[0.2, 10e-9] == pytest.approx(3.0, rel=1e-12)


def test_wires_lower_the_read_power_below_the_ideal_formula():
    rng = np.random.default_rng(2)
    w = rng.normal(size=(64, 32))
    x = (rng.random((20, 64)) < 0.5).astype(float)
    ideal, wired = ideal_tile(w), ideal_tile(w, wires=Wires(20.0, 20.0))
    ideal.matmul(x)
    wired.matmul(x)
    assert 0.5 * ideal.counts.array_joules < wired.counts.array_joules \
        < ideal.counts.array_joules


def test_adc_models():
    # Walden: doubles per bit
    for b in range(1, 12):
        assert CIM.adc_energy(b + 1) / CIM.adc_energy(b) == pytest.approx(2.0)
    assert CIM.adc_energy(0) == 0.0
    # NeuroSim SAR 22 nm LP: (0.538 N + 4.3753) uW x (N + 1) ns
    assert CIM.adc_energy(5, "neurosim-sar") == pytest.approx(42.39e-15, rel=1e-3)
    assert CIM.adc_energy(8, "neurosim-sar") == pytest.approx(78.12e-15, rel=1e-3)
    with pytest.raises(ValueError, match="adc model must be one of"):
        CIM.adc_energy(4, "flash")


def test_baselines_reproduce_their_sources():
    work = Workload((100, 50), (10.0,))
    # Horowitz 45 nm: 8-bit multiply 0.2 pJ + 32-bit add 0.1 pJ per MAC; SRAM 10 pJ / 64 bit
    dense = int8_dense(work, DIGITAL).breakdown()
    assert dense["mac"]["joules"] == pytest.approx(5000 * 0.3e-12)
    assert dense["weight_fetch"]["events"] == 8 * 5000                 # every weight, 8 bits
    assert dense["weight_fetch"]["joules"] == pytest.approx(8 * 5000 * 10e-12 / 64)
    # event-driven: 10 active inputs x 50 targets, 4 of them multi-bit (a multiply each)
    event = int8_event(Workload((100, 50), (10.0,), (4.0,)), DIGITAL).breakdown()
    assert event["mac"]["joules"] == pytest.approx(4 * 50 * 0.3e-12)
    assert event["synaptic_add"]["joules"] == pytest.approx(6 * 50 * 0.1e-12)
    assert event["weight_fetch"]["events"] == 8 * 10 * 50
    # datasheets: A100 400 W / 19.5 TFLOPS fp32, H100 700 W / 989.4 TFLOPS fp16
    assert gpu(work, "a100", "fp32").total == pytest.approx(10000 * 400 / 19.5e12)
    assert gpu(work, "h100", "fp16").total == pytest.approx(10000 * 700 / 989.4e12)
    # Loihi Table 2: 23.6 pJ per synaptic op, 81 pJ active neuron update, 1.7 pJ spike
    ll = loihi(work).breakdown()
    assert ll["synaptic_op"]["joules"] == pytest.approx(10 * 50 * 23.6e-12)
    assert ll["neuron_update"]["joules"] == pytest.approx(50 * 81e-12)
    assert ll["spike_routing"]["joules"] == pytest.approx(10 * 1.7e-12)
    silent = loihi(Workload((100, 50), (0.0,))).breakdown()
    assert silent["neuron_update"]["joules"] == pytest.approx(50 * 52e-12)
    assert silent["synaptic_op"]["joules"] == 0.0


def test_node_scaling():
    """Stillmaker & Baas factors computed from the fitted coefficients by hand."""
    f = lambda a, b, c, v: a * v * v + b * v + c  # noqa: E731
    hp45, hp20 = (1.018, -0.3107, 0.1539), (0.373, -0.1582, 0.04104)
    assert energy_scale(45, 0.9, 45, 0.9) == pytest.approx(1.0)
    assert energy_scale(45, 0.9, 20, 0.9) == pytest.approx(f(*hp20, 0.9) / f(*hp45, 0.9))
    assert energy_scale(45, 0.9, 20, 0.9) == pytest.approx(0.287, abs=1e-3)
    scaled = int8_dense(Workload((10, 10), (1.0,)), DIGITAL, node_nm=20, vdd=0.9)
    assert scaled.total == pytest.approx(0.287 * int8_dense(
        Workload((10, 10), (1.0,)), DIGITAL).total, rel=2e-3)
    with pytest.raises(ValueError, match="to_nm must be >= 7"):
        energy_scale(45, 0.9, 5, 0.7)


def test_ledger_total_is_the_sum_of_parts_and_refuses_bad_charges():
    ledger = EnergyLedger()
    rng = np.random.default_rng(3)
    charges = rng.uniform(0, 1e-12, 50)
    for k, e in enumerate(charges):
        ledger.charge(("adc", "driver", "sram")[k % 3], 1, e)
    assert ledger.total == pytest.approx(charges.sum(), rel=1e-15)
    half, double = ledger.per(2), ledger.scaled(2)
    assert half.total == pytest.approx(charges.sum() / 2, rel=1e-15)
    assert double.total == pytest.approx(2 * charges.sum(), rel=1e-15)
    assert half.breakdown()["adc"]["events"] == 17 / 2        # 17 of the 50 charges
    with pytest.raises(ValueError, match="count must be > 0"):
        ledger.per(0)
    with pytest.raises(ValueError, match="unknown energy component 'laser'"):
        ledger.charge("laser", 1, 1e-12)
    with pytest.raises(ValueError, match="joules_each must be finite and >= 0"):
        ledger.charge("adc", 1, -1e-12)
    with pytest.raises(ValueError, match="joules must be finite"):
        ledger.charge("adc", 1, joules=float("nan"))
    with pytest.raises(ValueError, match="events must be finite"):
        ledger.charge("adc", float("inf"), 1e-12)


def test_run_energy_report_is_consistent_and_reproducible():
    config = load_config(ENERGY_DEFAULTS, overrides=["network.layers=[64, 32, 8]",
                                                     "network.inferences=16",
                                                     "tile.rows=32", "tile.cols=32"])
    report = run_energy(config)
    e = report["energy_per_inference"]
    assert report["ops_per_inference"]["dense"] == 2 * (64 * 32 + 32 * 8)
    # every active input drives its row in each tile of its row block: 2 tiles across
    # the 32 outputs of layer 1 (16 differential pairs per 32-column tile), 1 for layer 2
    active = report["workload"]["active_inputs"]
    assert e["components"]["driver"]["events"] == pytest.approx(2 * active[0] + active[1])
    # the baselines do the same network's work: every MAC (int8), two flops per MAC (GPU)
    base = report["baselines"]
    assert base["int8-dense"]["components"]["mac"]["events"] == 64 * 32 + 32 * 8
    assert base["h100-fp16"]["components"]["flop"]["events"] == 2 * (64 * 32 + 32 * 8)
    assert json.loads(json.dumps(report)) == json.loads(json.dumps(run_energy(config)))
    # ADC energy follows 2^bits under the Walden model
    six = run_energy(load_config(config, overrides=["tile.adc_bits=6"]))
    adc8 = e["components"]["adc"]["joules"] / e["components"]["adc"]["events"]
    adc6 = six["energy_per_inference"]["components"]["adc"]
    assert adc8 / (adc6["joules"] / adc6["events"]) == pytest.approx(4.0)


TECH = '''
name = "t"
kind = "digital"
node_nm = 45
[values.vdd]
value = 0.9
unit = "V"
source = "a paper"
[values.e_add_int8]
value = 1e-14
unit = "J"
source = "a paper"
[values.e_mult_int8]
value = 1e-13
unit = "J"
source = "a paper"
[values.e_add_int32]
value = 1e-13
unit = "J"
source = "a paper"
[values.e_sram_per_bit]
value = 1e-13
unit = "J"
source = "a paper"
[values.e_dram_per_bit]
value = 1e-11
unit = "J"
source = "a paper"
'''


@pytest.mark.parametrize("edit, match", [
    (lambda t: t.replace('source = "a paper"\n[values.e_add_int8]', '[values.e_add_int8]'),
     "values.vdd has no source"),
    (lambda t: t.replace('value = 1e-14', 'value = -1e-14'), "must be a finite number >= 0"),
    (lambda t: t.replace('value = 1e-14', 'value = nan'), "must be a finite number >= 0"),
    (lambda t: t.replace('unit = "V"', 'unit = "mV"'), "must be in 'V'"),
    (lambda t: t.replace('[values.vdd]', '[values.e_laser]'), "unknown technology value"),
    (lambda t: t.replace('kind = "digital"', 'kind = "quantum"'), "kind must be one of"),
    (lambda t: t.replace('[values.e_dram_per_bit]\nvalue = 1e-11\nunit = "J"\n'
                         'source = "a paper"', ''), "needs \\['e_dram_per_bit'\\]"),
])
def test_bad_technology_files(edit, match):
    assert technology_from_toml(TECH).name == "t"
    with pytest.raises(TechnologyError, match=match):
        technology_from_toml(edit(TECH))
    with pytest.raises(TechnologyError, match="unknown technology 'nope'"):
        load_technology("nope")


def test_shipped_technologies_carry_sources():
    for name in ("cim-22nm", "digital-45nm"):
        tech = load_technology(name)
        assert all(len(q.source) > 10 for q in tech.values.values())
    assert DIGITAL["e_mult_int8"] == 0.2e-12 and CIM["t_read"] == 10e-9


def test_config_errors_name_the_key():
    with pytest.raises(ConfigError, match="unknown key 'tile.colour'"):
        load_config(ENERGY_DEFAULTS, overrides=["tile.colour=red"])
    with pytest.raises(ConfigError, match="tile.adc_bits must be int"):
        load_config(ENERGY_DEFAULTS, overrides=["tile.adc_bits=4.5"])
    with pytest.raises(ConfigError, match="key=value"):
        load_config(ENERGY_DEFAULTS, overrides=["tile.adc_bits"])
    assert load_config(ENERGY_DEFAULTS, overrides=["tile.r_row=2"])["tile"]["r_row"] == 2.0
    with pytest.raises(ValueError, match="network.activity must be"):
        run_energy(load_config(ENERGY_DEFAULTS, overrides=["network.activity=0"]))
    with pytest.raises(ValueError, match="tile energy needs a 'cim' technology"):
        tile_ledger({}, DIGITAL, adc_bits=8)
    with pytest.raises(ValueError, match="baseline must be one of"):
        baseline("tpu", Workload((2, 2), (1.0,)), DIGITAL)


def test_example_config_is_the_default_and_runs():
    from pathlib import Path
    example = Path(__file__).resolve().parents[2] / "data" / "experiments" / "energy.toml"
    assert load_config(ENERGY_DEFAULTS, example) == ENERGY_DEFAULTS


def test_int8_baselines_do_the_analog_work_with_its_periphery():
    """On the default energy config (spikes): the event-driven int8 design accumulates once
    per counted synaptic event and multiplies nothing; the dense one does every MAC; both
    pay exactly the analog side's neuron updates, spike routing and activation traffic."""
    report = run_energy(load_config(ENERGY_DEFAULTS, overrides=["network.inferences=16"]))
    analog = report["energy_per_inference"]["components"]
    event = report["baselines"]["int8-event"]["components"]
    dense = report["baselines"]["int8-dense"]["components"]
    assert event["synaptic_add"]["events"] == pytest.approx(report["workload"]["synaptic_events"])
    assert event["mac"]["events"] == 0.0
    assert event["weight_fetch"]["events"] == pytest.approx(8 * event["synaptic_add"]["events"])
    assert dense["mac"]["events"] == 256 * 256 + 256 * 10
    for part in ("neuron_update", "spike_routing", "sram"):
        assert event[part] == analog[part] == dense[part], part
    useful = report["ops_per_inference"]["useful"]
    assert useful == pytest.approx(2 * report["workload"]["synaptic_events"])
    assert report["tops_per_watt"]["useful"] == pytest.approx(
        useful / report["energy_per_inference"]["total_joules"] / 1e12)

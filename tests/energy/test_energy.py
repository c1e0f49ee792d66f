"""Energy: hand-computed tile cases, scaling laws, baselines against their sources,
ledger conservation and bad input."""

import json

import numpy as np
import pytest

from memsim.config import ConfigError, load_config
from memsim.crossbar import ADC, DAC, Tile, Wires
from memsim.devices import PCM, PCMParams
from memsim.energy import (EnergyLedger, TechnologyError, Workload, baseline, energy_scale, gpu,
                           int8_accelerator, load_technology, loihi, tile_ledger)
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
        ledger = tile_ledger(counts, CIM, adc_bits=8)
        parts = ledger.breakdown()
        adc = active_reads * 5 * 10e-15 * 2**8                 # Walden FOM x 2^bits per conversion
        rows = CIM["c_row_per_cell"] * g.shape[1] * np.sum(v**2)
        drivers = np.count_nonzero(x) * CIM["e_driver"]
        adds = active_reads * 5 * CIM["e_accumulate"]
        assert parts["adc"]["joules"] == pytest.approx(adc)
        assert parts["row_charging"]["joules"] == pytest.approx(rows)
        assert ledger.total == pytest.approx(expected + rows + drivers + adc + adds, rel=1e-12)


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
    int8 = int8_accelerator(work, DIGITAL).breakdown()
    assert int8["mac"]["joules"] == pytest.approx(5000 * 0.3e-12)
    assert int8["sram"]["events"] == 8 * (5000 + 100 + 50)
    assert int8["sram"]["joules"] == pytest.approx(8 * 5150 * 10e-12 / 64)
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
    scaled = int8_accelerator(Workload((10, 10), (1.0,)), DIGITAL, node_nm=20, vdd=0.9)
    assert scaled.total == pytest.approx(0.287 * int8_accelerator(
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
    assert report["ops_per_inference"] == 2 * (64 * 32 + 32 * 8)
    # every active input drives its row in each tile of its row block: 2 tiles across
    # the 32 outputs of layer 1 (16 differential pairs per 32-column tile), 1 for layer 2
    active = report["workload"]["active_inputs"]
    assert e["components"]["driver"]["events"] == pytest.approx(2 * active[0] + active[1])
    # the baselines do the same network's work: every MAC (int8), two flops per MAC (GPU)
    base = report["baselines"]
    assert base["int8"]["components"]["mac"]["events"] == 64 * 32 + 32 * 8
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

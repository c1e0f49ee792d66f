"""Area of tiles and chips: hand-computed cells and ADCs, the scaling laws of the issue
(ADC area as 1/m, array area as rows x cols), and the precision schemes end to end
through the energy study (energy, latency and area change together)."""

import math

import pytest

from memsim.config import load_config
from memsim.energy import adc_area, cell_area, chip_area, load_technology, tile_area
from memsim.studies.energy import ENERGY_DEFAULTS, run_energy

CIM = load_technology("cim-22nm")
F = 22e-9
PCM_G_ON = 25e-6            # the pcm preset's g_max (S): a 1.73F access transistor


def test_cells_by_hand():
    assert cell_area(CIM, "1T1R", PCM_G_ON) == pytest.approx(4 * 12 * F * F)
    assert cell_area(CIM, "passive") == pytest.approx(2 * 2 * (40e-9) ** 2)
    # an access transistor 12F wide needs R_on = 0.25 / g_on = 0.2 * 86.36 kohm / 12
    g_too_high = 12.5 * 0.25 / (0.2 * 86.36e3)
    with pytest.raises(ValueError, match="wider than the 1T1R cell"):
        cell_area(CIM, "1T1R", g_too_high)
    with pytest.raises(ValueError, match="g_on"):
        cell_area(CIM, "1T1R")


def test_sar_adc_area_matches_neurosim_counts():
    # SarADC.cpp: (269 + 109 (b-1)) NMOS and (209 + 73 (b-1)) PMOS unit gates of
    # 28F x 7.6F each at 22 nm: 124.2 um^2 at 5 bits, 180.4 um^2 at 8 bits
    gate = 28 * 7.6 * F * F
    for bits in (1, 5, 8):
        assert adc_area(CIM, bits) == pytest.approx(
            gate * (269 + 109 * (bits - 1) + 209 + 73 * (bits - 1)), rel=1e-3)
    assert adc_area(CIM, 5) == pytest.approx(124.2e-12, rel=1e-3)
    assert adc_area(CIM, 0) == 0.0


def _tile(**overrides):
    spec = dict(rows=256, cols=256, outputs=128, cell="1T1R", g_on=PCM_G_ON, adc_bits=8)
    return tile_area(CIM, **{**spec, **overrides})


def test_array_area_is_rows_times_columns_cells():
    for rows, cols in ((256, 256), (128, 64), (64, 512)):
        area = _tile(rows=rows, cols=cols, outputs=cols // 2)
        assert area["array"] == pytest.approx(rows * cols * 48 * F * F)
    passive = _tile(cell="passive", g_on=None)
    assert passive["array"] == pytest.approx(256 * 256 * 4 * (40e-9) ** 2)


def test_adc_area_falls_as_one_over_columns_per_adc():
    one = _tile()
    assert one["adc"] == pytest.approx(256 * adc_area(CIM, 8))
    for m in (2, 8, 256):
        shared = _tile(columns_per_adc=m)
        assert shared["adc"] == pytest.approx(one["adc"] / m)
        # one subtractor per converted output: 128 outputs share ceil(128 / m)
        assert shared["subtract"] == pytest.approx(one["subtract"] * math.ceil(128 / m) / 128)
        assert shared["array"] == one["array"]


def test_periphery_by_hand():
    area = _tile(adc_bits=6, in_bits=8, drive_legs=1, acc_bits=10, pulses=8)
    dff, gate = 12 * 28 * 7.6 * F * F, 28 * 7.6 * F * F
    adder_bit, sram_bit = 9 * 28 * 11.4 * F * F, 280 * F * F
    assert area["driver"] == pytest.approx(256 * (dff + 4 * gate), rel=1e-3)
    assert area["subtract"] == pytest.approx(128 * 6 * 28 * 133 * F * F, rel=1e-3)
    assert area["shift_add"] == pytest.approx(128 * (10 * adder_bit + 18 * dff), rel=1e-3)
    assert area["buffer"] == pytest.approx((256 * 8 + 128 * 10) * sram_bit, rel=1e-3)
    assert _tile(adc_bits=0)["subtract"] == 0.0 == _tile(adc_bits=0)["adc"]


def test_chip_adds_tiles_neuron_units_and_state():
    tile = _tile()
    chip = chip_area(CIM, [([(3, tile), (1, tile)], 2, 300), ([(1, tile)], 1, 10)])
    assert chip["tiles"] == 5
    for c in tile:
        assert chip["components"][c] == pytest.approx(5 * tile[c])
    adder_bit = 9 * 28 * 11.4 * F * F
    assert chip["components"]["neuron_unit"] == pytest.approx(3 * 120 * adder_bit, rel=1e-3)
    assert chip["components"]["neuron_state"] == pytest.approx(310 * 32 * 280 * F * F,
                                                               rel=1e-3)
    assert chip["total_m2"] == pytest.approx(math.fsum(chip["components"].values()))
    with pytest.raises(ValueError, match="at least one layer"):
        chip_area(CIM, [])


def _study(*settings):
    base = ["network.layers=[96, 40, 6]", "network.inferences=6", "tile.rows=64",
            "tile.cols=64", "tile.adc_bits=6", "network.input=\"analog\""]
    return run_energy(load_config(ENERGY_DEFAULTS, None, base + list(settings)))


def test_shared_adc_in_the_energy_study():
    one, shared = _study(), _study("tile.columns_per_adc=4")
    # same conversions, same energy; conversions four times as long; a quarter of the ADCs
    assert shared["energy_per_inference"]["total_joules"] == pytest.approx(
        one["energy_per_inference"]["total_joules"])
    for a, b in zip(one["latency"]["layers"], shared["latency"]["layers"]):
        assert b["adc"] == pytest.approx(4 * a["adc"])
    assert shared["area"]["components"]["adc"] == pytest.approx(
        one["area"]["components"]["adc"] / 4)
    # 96 x 40 on 64 x 64 differential tiles: 2 x 2 tiles; 40 x 6: 1 tile
    assert one["area"]["tiles"] == 5
    assert one["area"]["components"]["array"] == pytest.approx(5 * 64 * 64 * 48 * F * F)


def test_bit_serial_inputs_in_the_energy_study():
    shot, serial = _study("tile.dac_bits=4"), _study("tile.dac_bits=4", "tile.bit_serial=true")
    # the first layer's inputs go as 4 one-bit pulses, each converted; the second
    # layer's inputs are analog outputs too: also 4 pulses
    for a, b in zip(shot["latency"]["layers"], serial["latency"]["layers"]):
        assert b["read_pulse"] == pytest.approx(4 * a["read_pulse"])
        assert b["adc"] == pytest.approx(4 * a["adc"])
    e_shot = shot["energy_per_inference"]["components"]
    e_serial = serial["energy_per_inference"]["components"]
    assert "shift_add" in e_serial and "shift_add" not in e_shot
    # every pulse of an input with any bit set is converted: at most 4x the conversions
    assert e_shot["adc"]["events"] < e_serial["adc"]["events"] <= 4 * e_shot["adc"]["events"]
    # one-bit drivers instead of 4-leg DAC drivers
    assert serial["area"]["components"]["driver"] == pytest.approx(
        shot["area"]["components"]["driver"] / 4)


def test_weight_slices_in_the_energy_study():
    plain = _study()
    sliced = _study("tile.weight_slices=2", "tile.slice_bits=3")
    # 40 outputs in 2 slices on 32-pair tiles: 3 columns of tiles (was 2) per row block
    assert sliced["area"]["tiles"] == 2 * 3 + 1
    assert sliced["energy_per_inference"]["components"]["shift_add"]["events"] == \
        pytest.approx((40 + 6) * (2 - 1))
    assert sliced["latency"]["layers"][0]["adc"] == plain["latency"]["layers"][0]["adc"]

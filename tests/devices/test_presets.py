"""Every preset loads, carries its source and round-trips through TOML."""

import pytest

from memsim.devices.presets import (PresetError, list_presets, load_preset, preset_from_toml,
                                    preset_to_toml)

REQUIRED = ["pcm", "ag-si", "taox-hfox", "pcmo", "alox-hfo2", "gst", "epiram", "hzo-fefet"]


def test_required_presets_shipped():
    assert set(REQUIRED) <= set(list_presets())


@pytest.mark.parametrize("name", REQUIRED)
def test_preset_loads_with_source_and_round_trips(name):
    preset = load_preset(name)
    assert len(preset.source) > 20
    again = preset_from_toml(preset_to_toml(preset))
    assert again.params == preset.params
    assert again.device().g_max == pytest.approx(preset.params.g_max)


def test_device_table_values():
    p = load_preset("ag-si").params
    assert p.g_max == pytest.approx(1 / 26e6) and p.g_max / p.g_min == pytest.approx(12.5)
    assert (p.levels, p.p_max_ltd, p.nl_ltp, p.nl_ltd, p.c2c) == (97, 100, 2.4, -4.88, 0.035)
    # A = getParamA(NL) * levels, from NeuroSim's table
    assert p.a_ltp == pytest.approx(0.499181 * 97) and p.a_ltd == pytest.approx(-0.200303 * 100)


@pytest.mark.parametrize("text, match", [
    ('name = "x"\nmodel = "pulse"\n', "source"),
    ('name = "x"\nmodel = "magic"\nsource = "s"\n', "model must be one of"),
    ('name = "x"\nmodel = "pulse"\nsource = "s"\n[parameters]\nr_on = 1e4\non_off = 10\n'
     'levels = 10\nnl_ltp = 20\nnl_ltd = -1\n', "nl_ltp"),
    ('name = "x"\nmodel = "pulse"\nsource = "s"\n[parameters]\ng_min = 2e-6\ng_max = 1e-6\n'
     'levels = 10\nnl_ltp = 1\nnl_ltd = -1\n', "g_min must be < g_max"),
    ('name = "x"\nmodel = "pcm"\nsource = "s"\n[parameters]\nspeed = 1\n', "unknown PCM"),
    ("name = ", "invalid TOML"),
])
def test_invalid_presets(text, match):
    with pytest.raises(PresetError, match=match):
        preset_from_toml(text, "test.toml")


def test_unknown_preset_name():
    with pytest.raises(PresetError, match="unknown device preset 'nope'; shipped: ag-si"):
        load_preset("nope")

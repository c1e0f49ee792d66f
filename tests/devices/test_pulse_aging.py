"""Endurance and retention of pulse devices (Lammie et al., Semicond. Sci. Technol. 2021)."""

import math
from dataclasses import replace

import numpy as np
import pytest

from memsim.devices import PulseDevice, PulseParams
from memsim.devices.faults import STUCK_MIN
from memsim.devices.presets import load_preset
from memsim.errors import InputError

BASE = PulseParams(g_min=1e-6, g_max=1e-5, levels=50, nl_ltp=1.0, nl_ltd=-1.0)


def cycle(device, state, rounds, k=5, seed=0):
    """Alternate +k and -k pulses on every device, ``rounds`` times each."""
    rng = np.random.default_rng(seed)
    for _ in range(rounds):
        for sign in (1, -1):
            device.apply_pulses(state, np.full(state.g.size, sign * k), rng)


def test_window_closes_as_the_power_law_of_cycles():
    p = replace(BASE, endurance_cycles=100, endurance_exp_on=0.12, endurance_exp_off=-0.16)
    device = PulseDevice(p)
    state = device.make(20, seed=1)
    cycle(device, state, 5)                                # 50 cycles: below N_th
    np.testing.assert_array_equal(state.cycles, 50)
    np.testing.assert_allclose(state.g_max, 1e-5)
    np.testing.assert_allclose(state.g_min, 1e-6)
    cycle(device, state, 95)                               # 1000 cycles = 10 N_th
    np.testing.assert_array_equal(state.cycles, 1000)
    np.testing.assert_allclose(state.g_max, 1e-5 * 10.0 ** -0.12, rtol=1e-12)
    np.testing.assert_allclose(state.g_min, 1e-6 * 10.0 ** 0.16, rtol=1e-12)
    assert np.all((state.g >= state.g_min) & (state.g <= state.g_max))


def test_window_that_closes_fully_leaves_one_value():
    p = replace(BASE, endurance_cycles=10, endurance_exp_on=1.0, endurance_exp_off=-1.0)
    device = PulseDevice(p)
    state = device.make(4, seed=2)
    cycle(device, state, 40)                                # 400 cycles: g_max < g_min0 40^1
    np.testing.assert_allclose(state.g_min, state.g_max)
    np.testing.assert_allclose(state.g, state.g_max)


def test_devices_fail_stuck_at_g_min_after_their_budget():
    device = PulseDevice(replace(BASE, failure_cycles=30))
    state = device.make(10, seed=3)
    cycle(device, state, 2)                                 # 20 cycles
    assert not np.any(state.stuck)
    cycle(device, state, 1)                                 # 30 cycles: every budget reached
    assert np.all(state.stuck == STUCK_MIN) and np.all(state.g == 1e-6)
    frozen = state.g.copy()
    cycle(device, state, 3)
    np.testing.assert_array_equal(state.g, frozen)          # failed devices take no pulses
    np.testing.assert_array_equal(state.cycles, 30)


def test_budget_is_lognormal_per_device_on_its_own_stream():
    p = replace(BASE, c2c=0.05, d2d_nl=0.5, failure_cycles=1e4, failure_spread=0.5)
    state = PulseDevice(p).make(20000, seed=4)
    log_b = np.log(state.budget)
    n = log_b.size
    assert abs(log_b.mean() - math.log(1e4)) < 4 * 0.5 / math.sqrt(n)
    assert log_b.std() == pytest.approx(0.5, abs=4 * 0.5 / math.sqrt(2 * n))
    plain = PulseDevice(replace(p, failure_cycles=0.0, failure_spread=0.0)).make(20000, seed=4)
    np.testing.assert_array_equal(state.a_ltp, plain.a_ltp)  # the other draws are unchanged
    again = PulseDevice(p).make(20000, seed=4)
    np.testing.assert_array_equal(state.budget, again.budget)


# Lammie et al. 2021 retention fit of Ti/HfOx/TiN (SST-Reproducibility simulate_6C.py)
RETENTION = dict(retention_p0=1.541e-13, retention_p2=63.43, retention_p3=0.04)


def test_retention_onset_is_arrhenius_above_the_reference_temperature():
    k_b = 8.617333262e-5                                    # eV/K
    e_a = k_b * 298.0 * 63.43                               # 1.63 eV
    for temperature in (473.0, 523.0, 573.0):
        device = PulseDevice(replace(BASE, temperature=temperature, **RETENTION))
        assert device.drifts
        assert device.retention_onset() == pytest.approx(
            1.541e-13 * math.exp(e_a / (k_b * temperature)), rel=1e-9)
    cold = PulseDevice(replace(BASE, temperature=250.0, **RETENTION))
    assert cold.retention_onset() == pytest.approx(1.541e-13 * math.exp(63.43))
    assert not PulseDevice(BASE).drifts and PulseDevice(BASE).retention_onset() == math.inf


def test_retention_decays_low_resistance_states_only():
    device = PulseDevice(replace(BASE, temperature=523.0, **RETENTION))
    state = device.program(np.array([9e-6, 1.2e-6]), seed=5)  # LRS and HRS
    onset = device.retention_onset()
    g0 = state.g.copy()
    np.testing.assert_array_equal(device.conductances(state, 0.5 * onset), g0)
    t = 10.0 * onset
    g = device.conductances(state, t)
    exponent = 0.04 * 63.43 * 298.0 / 523.0
    assert g[0] == pytest.approx(max(g0[0] * 10.0 ** -exponent, 1e-6), rel=1e-12)
    assert g[1] == g0[1]
    assert np.all(device.conductances(state, 1e6 * onset) >= 1e-6)   # floored at g_min
    with pytest.raises(InputError, match="retention"):
        PulseDevice(BASE).read(state, 1.0, compensate=True)


def test_bad_aging_parameters_are_named():
    for key, value in (("endurance_cycles", -1.0), ("failure_spread", -0.1),
                       ("temperature", 0.0), ("retention_p0", float("nan"))):
        with pytest.raises(InputError, match=key):
            replace(BASE, **{key: value})


def test_taox_hfox_carries_the_hfox_endurance_fit():
    p = load_preset("taox-hfox").params
    assert p.endurance_cycles == pytest.approx(10 * math.exp(0.6907755 * 10), rel=1e-6)
    assert p.failure_cycles == pytest.approx(10629.49 * math.exp(0.241997 * 20), rel=1e-3)
    assert (p.endurance_exp_on, p.endurance_exp_off) == (0.121710, -0.158556)

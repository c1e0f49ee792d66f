"""Compact models with state against an independent integration of the published
equations (scipy's Radau), their NumPy twin, and what a memristor must do: a
pinched hysteresis loop, states within bounds, windows that vanish where published."""

import dataclasses
import math

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from memsim.devices import _reference
from memsim.devices.compact import CompactModel, PiecewiseLinear, Sine
from memsim.devices.presets import load_preset
from memsim.errors import ComputationError, InputError

Q, K_B = 1.602176634e-19, 1.380649e-23


# -- the published equations, written out again here, scalar by scalar ------------------

def vteam_rate(p, w, v):
    s = (w - p.w_on) / (p.w_off - p.w_on)
    if v > p.v_off:
        rate = p.k_off * (v / p.v_off - 1.0) ** p.alpha_off
    elif v < p.v_on:
        rate = p.k_on * (v / p.v_on - 1.0) ** p.alpha_on
    else:
        return 0.0
    window = {"none": lambda: 1.0,
              "joglekar": lambda: 1.0 - (2.0 * s - 1.0) ** (2 * int(p.window_p)),
              "biolek": lambda: 1.0 - (s - (1.0 if v <= 0 else 0.0)) ** (2 * int(p.window_p)),
              "prodromakis": lambda: p.window_j * (1.0 - ((s - 0.5) ** 2 + 0.75) ** p.window_p),
              "kvatinsky": lambda: (math.exp(-math.exp((w - p.a_off) / p.w_c)) if v > 0
                                    else math.exp(-math.exp((p.a_on - w) / p.w_c)))}[p.window]
    return rate * window()


def vteam_current(p, w, v):
    s = (w - p.w_on) / (p.w_off - p.w_on)
    if p.iv == "linear":
        return v / (p.r_on + (p.r_off - p.r_on) * s)
    return v / p.r_on * math.exp(-math.log(p.r_off / p.r_on) * s)


def yakopcic_rate(p, x, v):
    if v > p.v_p:
        g = p.a_p * (math.exp(v) - math.exp(p.v_p))
    elif v < -p.v_n:
        g = -p.a_n * (math.exp(-v) - math.exp(p.v_n))
    else:
        g = 0.0
    if p.eta * v > 0:
        f = (math.exp(-p.alpha_p * (x - p.x_p)) * ((p.x_p - x) / (1 - p.x_p) + 1)
             if x >= p.x_p else 1)
    else:
        f = math.exp(p.alpha_n * (x + p.x_n - 1)) * (x / (1 - p.x_n)) if x <= 1 - p.x_n else 1
    return p.eta * g * f


def yakopcic_current(p, x, v):
    return (p.a1 if v >= 0 else p.a2) * x * math.sinh(p.b * v)


def stanford_current(p, g, v):
    return p.i0 * math.exp(-g / p.g0) * math.sinh(v / p.v0)


def stanford_rate(p, g, v):
    temp = p.t0 + abs(v * stanford_current(p, g, v)) * p.r_th
    gamma = p.gamma0 - p.beta * (g / p.g1) ** 3
    if gamma * abs(v) / p.t_ox < p.f_min:
        gamma = 0.0
    return -p.vel0 * math.exp(-Q * p.e_a / (K_B * temp)) * math.sinh(
        gamma * p.a0 / p.t_ox * Q * v / (K_B * temp))


EQUATIONS = {"vteam": (vteam_rate, vteam_current), "yakopcic": (yakopcic_rate, yakopcic_current),
             "stanford-pku": (stanford_rate, stanford_current)}


def radau(model_name, params, drive, times, x0):
    """The state by scipy's Radau at rtol 1e-9, output at ``times``. The models clip
    their state: a state that reaches a bound (an event) rests there until the rate at
    the bound turns inwards (found by bisection), then Radau takes over again."""
    rate, current = EQUATIONS[model_name]
    lo, hi = params.bounds
    T, dt = times[-1], times[1] - times[0]
    x_out = np.full(times.size, np.nan)

    def outward(x, t):
        r = rate(params, x, float(drive(t)))
        return (x <= lo and r <= 0) or (x >= hi and r >= 0)

    t, x = times[0], x0
    while t < T:
        if x in (lo, hi) and outward(x, t):
            grid = np.linspace(t, T, int(np.ceil((T - t) / (dt / 20))) + 1)
            free = [tau for tau in grid if not outward(x, tau)]
            t_next = T
            if free:
                a, b = grid[np.searchsorted(grid, free[0]) - 1], free[0]
                for _ in range(200):
                    m = 0.5 * (a + b)
                    a, b = (m, b) if outward(x, m) else (a, m)
                t_next = b
            held = (times >= t) & (times <= t_next)
            x_out[held] = x
            t = t_next
            continue
        hit_lo = lambda tau, y: y[0] - lo
        hit_hi = lambda tau, y: y[0] - hi
        hit_lo.terminal = hit_hi.terminal = True
        hit_lo.direction, hit_hi.direction = -1, 1
        inside = times[(times >= t) & (times <= T)]
        sol = solve_ivp(lambda tau, y: [rate(params, y[0], float(drive(tau)))], (t, T), [x],
                        method="Radau", t_eval=inside, rtol=1e-9, atol=1e-12 * (hi - lo),
                        max_step=dt, events=(hit_lo, hit_hi))
        assert sol.status >= 0, sol.message
        x_out[np.searchsorted(times, sol.t)] = sol.y[0]
        if sol.status == 1:
            t, x = (sol.t_events[0][0], lo) if sol.t_events[0].size else (sol.t_events[1][0], hi)
        else:
            t = T
    x_out = np.clip(x_out, lo, hi)
    return x_out, np.array([current(params, xi, float(drive(tt))) for xi, tt in zip(x_out, times)])


CASES = [  # preset, parameter changes, amplitude (V), frequency (Hz)
    ("vteam", {}, 0.3, 1e6),
    ("vteam", {"window": "joglekar", "window_p": 1, "w0": 1.5e-9}, 0.3, 1e6),
    ("vteam", {"window": "biolek", "window_p": 2, "w0": 1.0e-9, "iv": "exponential"}, 0.25, 1e6),
    ("vteam", {"window": "prodromakis", "window_p": 2, "window_j": 1.0, "w0": 1.5e-9}, 0.3, 1e6),
    ("vteam", {"window": "kvatinsky", "a_on": 0.6e-9, "a_off": 2.4e-9, "w_c": 0.107e-9,
               "w0": 1.5e-9}, 0.3, 1e6),
    ("yakopcic", {}, 0.5, 100.0),
    ("stanford-pku", {}, 1.6, 1e5),
    ("stanford-pku", {"gap0": 1.0e-9, "f_min": 0.0}, 1.2, 1e4),
]


def _model(name, changes):
    preset = load_preset(name)
    return CompactModel(dataclasses.replace(preset.params, **changes))


@pytest.mark.parametrize("name, changes, amplitude, frequency", CASES)
def test_state_and_current_match_radau_on_the_published_equations(name, changes, amplitude,
                                                                   frequency):
    model = _model(name, changes)
    trace = model.iv_loop(amplitude, frequency, cycles=2, points=400)
    lo, hi = model.bounds
    x_ref, i_ref = radau(name, model.params, Sine(amplitude, frequency), trace.time,
                         model.params.x0)
    assert np.ptp(trace.state) > 0.05 * (hi - lo)          # it did switch
    np.testing.assert_allclose(trace.state[0], x_ref, rtol=0, atol=1e-4 * (hi - lo))
    np.testing.assert_allclose(trace.current[0], i_ref, rtol=0,
                               atol=1e-4 * np.abs(i_ref).max())


@pytest.mark.parametrize("name, changes, amplitude, frequency", CASES)
def test_kernel_equals_its_numpy_twin(name, changes, amplitude, frequency):
    model = _model(name, changes)
    times = np.arange(801) / (400 * frequency)
    wave = Sine(amplitude, frequency)
    _assert_twin_agrees(model, wave, times)


def _assert_twin_agrees(model, wave, times):
    trace = model.simulate(wave, times)
    args = model._plan(wave, times, None, 1e-8, 1e-10, None, 1)
    x, stats = np.empty((trace.state.shape[0], times.size)), np.zeros(4, np.int64)
    assert _reference.integrate_compact(*args["call"], x, stats) == 0
    lo, hi = model.bounds
    # NumPy's exp and pow may differ from C's in the last bit, which can flip one step's
    # accept/reject: the two then agree to the integration tolerance, not to rounding
    np.testing.assert_allclose(trace.state, x, rtol=0, atol=1e-9 * (hi - lo))


def test_twin_agrees_on_piecewise_drives_with_outputs_on_their_steps():
    model = load_preset("yakopcic").device()
    wave = PiecewiseLinear(np.array([0.0, 1e-3, 1e-3, 2e-3, 3e-3, 3e-3, 4e-3]),
                           np.array([[0.0, 0.0, 0.5, 0.5, 0.2, -0.5, -0.5],
                                     [0.1, 0.3, 0.6, 0.6, 0.0, -0.3, -0.6]]))
    _assert_twin_agrees(model, wave, np.linspace(0.0, 4e-3, 9))


def test_outputs_right_after_a_breakpoint_and_on_a_step():
    model = load_preset("yakopcic").device()
    wave = PiecewiseLinear(np.array([0.0, 0.3, 0.3, 1.0]), np.array([0.0, 0.0, 0.5, 0.5]))
    times = np.arange(0.0, 1.05, 0.1)                # 0.30000000000000004: 4e-17 s past the step
    trace = model.simulate(wave, times)
    assert trace.state[0, -1] > 0.5
    # on a step the current is the one just after it, as the waveform's voltage is
    step = model.simulate(PiecewiseLinear(np.array([0.0, 1e-3, 1e-3, 2e-3]),
                                          np.array([0.0, 0.0, 1.0, 1.0])),
                          np.array([0.0, 1e-3, 2e-3]))
    assert step.voltage[0, 1] == 1.0
    assert step.current[0, 1] == model.current(step.state[0, 1], 1.0) > 0
    with pytest.raises(InputError, match="defined on"):
        wave(1.5)


@pytest.mark.parametrize("name, changes, amplitude, frequency", CASES)
def test_loop_is_pinched_at_the_origin_and_hysteretic(name, changes, amplitude, frequency):
    model = _model(name, changes)
    points = 400
    trace = model.iv_loop(amplitude, frequency, cycles=2, points=points)
    v, i = trace.voltage[0], trace.current[0]
    zero = np.arange(0, v.size, points // 2)               # v = 0 every half period
    assert np.all(np.abs(v[zero]) < 1e-12 * amplitude)
    assert np.all(np.abs(i[zero]) <= 1e-12 * np.abs(i).max())
    # a lobe encloses area (a resistor's would not); a Joglekar window may stick the state
    # at a bound after the first switch (its published terminal-state problem), so the
    # largest lobe counts
    half = points // 2 + 1
    lobes = [abs(np.trapezoid(i[a:a + half], v[a:a + half])) for a in zero[:-1]]
    assert max(lobes) > 1e-3 * np.abs(i).max() * amplitude


def test_states_stay_within_bounds_and_rest_there():
    model = load_preset("vteam").device()                  # no window: only the bounds stop it
    trace = model.iv_loop(1.0, 1e6, cycles=3, points=200)
    lo, hi = model.bounds
    assert trace.state.min() == lo and trace.state.max() == hi
    assert np.all((trace.state >= lo) & (trace.state <= hi))


def test_windows_vanish_where_their_papers_say():
    p = load_preset("vteam").params
    span = np.linspace(p.w_on, p.w_off, 5)
    jog = CompactModel(dataclasses.replace(p, window="joglekar", window_p=2))
    r = jog.rate(span, 0.5)
    plain = load_preset("vteam").device().rate(span, 0.5)
    assert r[0] == 0 and r[-1] == 0 and r[2] == pytest.approx(plain[2], rel=1e-15)  # f(1/2) = 1
    assert 0 < r[1] < plain[1]
    bio = CompactModel(dataclasses.replace(p, window="biolek", window_p=1))
    up, down = bio.rate(span, 0.5), bio.rate(span, -0.5)
    assert up[-1] == 0 and up[0] > 0 and down[0] == 0 and down[-1] < 0
    prod = CompactModel(dataclasses.replace(p, window="prodromakis", window_p=3, window_j=2.0))
    r = prod.rate(span, 0.5)
    assert abs(r[0]) < 1e-12 * plain[0] and abs(r[-1]) < 1e-12 * plain[0]
    assert r[2] == pytest.approx(plain[2] * 2.0 * (1 - 0.75**3))


def test_below_threshold_nothing_moves():
    for name, v in (("vteam", 0.01), ("yakopcic", 0.1), ("stanford-pku", 0.5)):
        model = load_preset(name).device()
        lo, hi = model.bounds
        trace = model.iv_loop(v, 1e3, cycles=1, points=50, x0=0.5 * (lo + hi))
        assert np.all(trace.state == 0.5 * (lo + hi))


def test_pulse_ramps_start_at_the_far_bound_and_move_monotonically():
    for name, amp, width in (("yakopcic", 0.5, 1e-4), ("stanford-pku", 1.5, 1e-8),
                             ("stanford-pku", -1.5, 1e-8)):
        model = load_preset(name).device()
        g = model.pulse_ramp(amp, width, 30, read_voltage=0.1)[0]
        steps = np.diff(g)
        assert np.all(steps >= 0) or np.all(steps <= 0)
        assert abs(g[-1] - g[0]) > 0.1 * max(g[0], g[-1])


def test_pwl_steps_are_never_stepped_over():
    model = load_preset("yakopcic").device()
    # a 10 us pulse inside 1 s of 0 V: an integrator that steps over it would not switch
    wave = PiecewiseLinear(np.array([0.0, 0.5, 0.5, 0.5 + 1e-5, 0.5 + 1e-5, 1.0]),
                           np.array([0.0, 0.0, 1.0, 1.0, 0.0, 0.0]))
    trace = model.simulate(wave, np.array([0.0, 1.0]))
    pulse = model.simulate(PiecewiseLinear(np.array([0.0, 1e-5]), np.array([1.0, 1.0])),
                           np.array([0.0, 1e-5]))
    assert trace.state[0, -1] == pytest.approx(pulse.state[0, -1], rel=1e-6)
    assert trace.state[0, -1] > 1.5 * trace.state[0, 0]


def test_overflowing_currents_raise_computation_error():
    model = load_preset("stanford-pku").device()
    with pytest.raises(ComputationError, match="non-finite"):
        model.iv_loop(400.0, 1e3, cycles=1)             # sinh(v / V0) overflows


@pytest.mark.parametrize("change, match", [({"k_off": -1.0}, "k_off"), ({"v_on": 0.1}, "v_on"),
                                           ({"w0": 4e-9}, "w0"), ({"window": "hann"}, "window"),
                                           ({"window": "joglekar", "window_p": 1.5}, "window_p"),
                                           ({"r_off": float("nan")}, "r_off"),
                                           ({"window": "kvatinsky"}, "a_on"),
                                           ({"window": "kvatinsky", "a_on": 1e-9,
                                             "a_off": 2e-9}, "w_c")])
def test_bad_parameters_name_themselves(change, match):
    with pytest.raises(InputError, match=match):
        dataclasses.replace(load_preset("vteam").params, **change)


@pytest.mark.parametrize("name, up, down", [
    ("vteam", (-0.22, 1e-8), (0.1, 1e-8)),
    ("stanford-pku", (1.6, 1e-9), (-1.3, 1e-9)),
    ("yakopcic", (0.5, 2e-4), (-0.5, 2e-4))])
def test_pulse_model_fitted_to_a_compact_ramp_reproduces_it_within_its_stated_error(name, up,
                                                                                  down):
    """The loop from physics to the fast model: fit NeuroSim's pulse model to a compact
    model's ramps, then simulate the fitted pulse device afresh (no noise) and measure
    its distance to the ramps: it is the RMSE the fit states."""
    from memsim.devices.fitting import fit_pulse_ramps
    from memsim.devices.simulate import ramp_traces
    model = load_preset(name).device()
    ltp = model.pulse_ramp(*up, 60)[0]
    ltd = model.pulse_ramp(*down, 60)[0]
    assert ltp[-1] > ltp[0] and ltd[-1] < ltd[0]
    fit = fit_pulse_ramps([ltp, ltp], [ltd, ltd], n_bootstrap=0)
    assert fit.params().levels == 60
    sim_ltp, sim_ltd = ramp_traces(dataclasses.replace(fit.params(), c2c=0.0), 1, 60, 60, 0)
    rmse = np.sqrt(np.mean(np.concatenate([sim_ltp[:, 0] - ltp, sim_ltd[:, 0] - ltd]) ** 2))
    assert rmse == pytest.approx(fit.goodness["rmse"], rel=1e-3)
    assert fit.goodness["rmse_relative"] < 0.2


def test_results_do_not_depend_on_the_number_of_threads(tmp_path):
    import os
    import subprocess
    import sys
    script = ("import numpy as np, sys\n"
              "from memsim.devices.presets import load_preset\n"
              "from memsim.devices.compact import Sine\n"
              "m = load_preset('stanford-pku').device(); lo, hi = m.bounds\n"
              "tr = m.simulate(Sine(1.6, 1e5), np.arange(401) / 2e7, np.linspace(lo, hi, 300))\n"
              "np.save(sys.argv[1], tr.state)\n")
    for n in (1, 2):
        env = dict(os.environ, OMP_NUM_THREADS=str(n))
        subprocess.run([sys.executable, "-c", script, str(tmp_path / f"{n}.npy")], env=env,
                       check=True, timeout=120)
    assert np.array_equal(np.load(tmp_path / "1.npy"), np.load(tmp_path / "2.npy"))


def test_presets_show_their_units_per_model():
    assert load_preset("stanford-pku").to_dict()["units"]["t0"] == "K"
    assert load_preset("pcm").to_dict()["units"]["t0"] == "s"
    units = load_preset("vteam").to_dict()["units"]
    assert units["k_on"] == "m/s" and units["r_on"] == "ohm"


def test_a_zero_absolute_tolerance_is_refused():
    with pytest.raises(InputError, match="atol"):
        load_preset("vteam").device().simulate(Sine(0.01, 1.0), np.linspace(0, 1, 11), atol=0)

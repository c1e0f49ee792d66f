"""Every CLI command run as a user would: a subprocess of the installed `memsim`."""

import csv
import json
import re
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from memsim.devices.simulate import ramp_traces
from memsim.devices import PulseParams
from memsim.devices.measured import MEASURED_RAMPS


def memsim(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "memsim", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=300)


def ok(*args, **kw):
    res = memsim(*args, **kw)
    assert res.returncode == 0, res.stderr
    return res


@pytest.mark.parametrize("args", [[], ["run"], ["device"], ["device", "demo"], ["device", "list"],
                                  ["device", "show"], ["device", "simulate"],
                                  ["device", "fit"], ["device", "fit-drift"], ["device", "iv"],
                                  ["device", "pulses"],
                                  ["crossbar"], ["crossbar", "solve"], ["crossbar", "map"],
                                  ["crossbar", "write"],
                                  ["energy"], ["train"], ["evaluate"], ["sweep"]])
def test_help_on_every_command(args):
    res = ok(*args, "--help")
    assert "usage: memsim" in res.stdout


def test_version():
    from memsim import __version__
    assert ok("--version").stdout.strip() == f"memsim {__version__}"


def test_device_list_and_show():
    names = [r["name"] for r in json.loads(ok("device", "list", "--json").stdout)]
    assert "pcm" in names and "hzo-fefet" in names
    info = json.loads(ok("device", "show", "ag-si", "--json").stdout)
    params = info["parameters"]
    for key in ("g_min", "g_max", "levels", "nl_ltp", "nl_ltd", "c2c", "a_ltp", "a_ltd"):
        assert key in params
    assert params["a_ltp"] == pytest.approx(0.499181 * 97)
    assert "Jo et al" in info["source"]
    assert ok("device", "show", "pcm", "--quiet").stdout == ""


def test_device_simulate_json():
    res = ok("device", "simulate", "pcm", "--targets", "5e-6,25e-6", "--times", "0,86400",
             "--samples", "4000", "--seed", "3", "--json")
    records = json.loads(res.stdout)
    assert [set(r) for r in records] == [{"target", "time", "mean", "std"}] * 4
    by = {(r["target"], r["time"]): r for r in records}
    assert by[(25e-6, 86400.0)]["mean"] < by[(25e-6, 0.0)]["mean"]
    again = ok("device", "simulate", "pcm", "--targets", "5e-6,25e-6", "--times", "0,86400",
               "--samples", "4000", "--seed", "3", "--json")
    assert again.stdout == res.stdout


def _ramp_csvs(tmp_path):
    truth = PulseParams(g_min=1e-6, g_max=1e-5, levels=60, nl_ltp=2.0, nl_ltd=-1.0, c2c=0.01)
    ltp, ltd = ramp_traces(truth, 6, 60, 60, seed=1)
    paths = []
    for name, trace in (("set.csv", ltp), ("reset.csv", ltd)):
        header = ",".join(f"r{i}" for i in range(trace.shape[1]))
        np.savetxt(tmp_path / name, trace, delimiter=",", header=header, comments="")
        paths.append(tmp_path / name)
    return paths


def test_device_fit_writes_json_figure_and_loadable_preset(tmp_path):
    ltp, ltd = MEASURED_RAMPS / "set.csv", MEASURED_RAMPS / "reset.csv"
    extra = ["--read-voltage", "0.1"]
    res = ok("device", "fit", "--ltp", str(ltp), "--ltd", str(ltd), *extra, "--bootstrap", "5",
             "--json", "--plot", str(tmp_path / "fit.png"), "--out", str(tmp_path / "fit.toml"),
             "--name", "mine")
    fit = json.loads(res.stdout)
    for key in ("g_min", "g_max", "nl_ltp", "nl_ltd", "c2c"):
        assert np.isfinite(fit[key]) and fit["uncertainty"][key] > 0
    assert (tmp_path / "fit.png").stat().st_size > 1000
    assert (tmp_path / "fit.csv").read_text().startswith("ltp_data_mean_S")
    shown = json.loads(ok("device", "show", str(tmp_path / "fit.toml"), "--json").stdout)
    assert shown["name"] == "mine"
    assert shown["parameters"]["g_max"] == pytest.approx(fit["g_max"])


@pytest.mark.parametrize("content, match", [
    ("a,b\n1,2\n,3\n4,5\n", "line 4, column 'a'"),
    ("a,b\n1,2\nnan,3\n", "non-finite"),
    ("", "needs a header row"),
])
def test_device_fit_bad_input_fails_cleanly(tmp_path, content, match):
    bad = tmp_path / "bad.csv"
    bad.write_text(content)
    good = _ramp_csvs(tmp_path)[1]
    out = tmp_path / "out.toml"
    res = memsim("device", "fit", "--ltp", str(bad), "--ltd", str(good), "--out", str(out),
                 "--plot", str(tmp_path / "p.png"))
    assert res.returncode != 0
    assert match in res.stderr and str(bad) in res.stderr
    assert not out.exists() and not (tmp_path / "p.png").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


@pytest.mark.parametrize("args, match", [
    (["device", "show", "nope"], "unknown device preset 'nope'"),
    (["device", "simulate", "pcm", "--targets", "1e-6,x", "--times", "0"], "--targets"),
    (["device", "simulate", "pcm", "--targets=-1e-6", "--times", "0"], "g_target"),
    (["device", "simulate", "ag-si", "--targets", "1", "--times", "0"], "g_target"),
    (["device", "simulate", "pcm", "--targets", "1e-6", "--times", "0", "--samples", "1"],
     "samples"),
])
def test_bad_arguments_name_the_parameter(args, match):
    res = memsim(*args)
    assert res.returncode == 2
    assert match in res.stderr


def test_fit_drift_command(tmp_path):
    from memsim.devices import PCM
    pcm = PCM()
    state = pcm.program(np.full(200, 10e-6), seed=0)
    rows = ["device,time,conductance"]
    for t in (1.0, 100.0, 1e4, 1e6):
        g = pcm.read(state, t, seed=int(t))
        rows += [f"d{i},{t},{float(gi)!r}" for i, gi in enumerate(g)]
    path = tmp_path / "drift.csv"
    path.write_text("\n".join(rows) + "\n")
    res = json.loads(ok("device", "fit-drift", str(path), "--states", "1", "--json").stdout)
    mu, _ = pcm.drift_moments(10e-6)
    assert res["states"][0]["nu_mean"] == pytest.approx(float(mu), abs=0.01)


def test_device_demo_writes_report(tmp_path):
    res = ok("device", "demo", "--out", str(tmp_path / "report"), "--bootstrap", "5", "--quiet")
    assert res.stdout == ""
    summary = json.loads((tmp_path / "report" / "summary.json").read_text())
    assert {"ramp_fit", "pcm_drift", "presets"} <= set(summary)
    for name in ("ramp_fit.png", "ramp_fit.csv", "pcm_drift_compensated.png",
                 "fitted-rram.toml"):
        assert (tmp_path / "report" / name).is_file()
    ok("device", "show", str(tmp_path / "report" / "fitted-rram.toml"))
    _check_aging_figures(tmp_path / "report", summary)


def _check_aging_figures(report, summary):
    """The demo's relaxation, endurance and retention figures and their data against
    the models' own statements: spread grows, window closes only past N_th, onset is
    Arrhenius in 1/T and nothing decays before it."""
    for name in ("rram_relaxation", "endurance", "retention"):
        assert (report / f"{name}.png").is_file() and (report / f"{name}.csv").is_file()
    relax = {r["time"]: r["std"] for r in summary["rram_relaxation"] if r["target"] == 20e-6}
    assert relax[1.0] < relax[86400.0] < 2.5 * relax[1.0]

    end = summary["endurance"]
    cycles, g_max = np.array(end["cycles"]), np.array(end["g_max"])
    fresh = cycles <= end["endurance_cycles"]
    assert np.all(g_max[fresh] == g_max[0]) and np.all(np.diff(g_max[~fresh]) < 0)
    with open(report / "endurance.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == len(cycles)

    ret = summary["retention"]
    temps = sorted(float(k) for k in ret["onset_s"])
    onsets = np.array([ret["onset_s"][str(t)] for t in temps])
    fit = ret["fit"]
    # onset = p0 exp(p2 T_ref / T) for T >= T_ref: ln(onset) is linear in 1/T with slope p2 T_ref
    slope = np.polyfit(1.0 / np.array(temps), np.log(onsets), 1)[0]
    assert slope == pytest.approx(fit["retention_p2"] * fit["retention_t_ref"], rel=1e-9)
    hot = [r for r in ret["records"] if r["temperature"] == temps[-1]]
    before = [r["mean"] for r in hot if r["time"] < onsets[-1]]
    after = [r["mean"] for r in hot if r["time"] > 10 * onsets[-1]]
    assert before and after and max(after) < min(before) == max(before)


def test_main_job_small_config_and_resume(tmp_path):
    out = tmp_path / "report"
    small = ["--set", 'policies=["cartpole-spikes"]', "--set", 'devices=["pcm"]',
             "--set", "evaluation.times=[1.0, 86400.0]", "--set", "evaluation.compensate=[true]",
             "--set", "evaluation.instances=1", "--set", "evaluation.episodes=2",
             "--set", "calibration.episodes=1"]
    proc = subprocess.Popen([sys.executable, "-m", "memsim", "run", *small, "--out", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while not (out / "points.json").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)            # Ctrl-C after the first point
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    if proc.returncode == 130:                      # (it may also have finished first)
        assert "run the same command again to resume" in err
        assert len(json.loads((out / "points.json").read_text())) < 3
    res = ok("run", *small, "--out", str(out))
    assert "cartpole-spikes" in res.stdout and "pcm" in res.stdout
    summary = json.loads((out / "summary.json").read_text())
    assert [(r["device"], r["t"]) for r in summary["table"]] == [
        ("digital", 0.0), ("pcm", 1.0), ("pcm", 86400.0)]
    for name in ("points.json", "results.csv", "return_vs_drift.png", "return_vs_drift.csv",
                 "energy_per_decision.png", "energy_per_decision.csv"):
        assert (out / name).is_file()
    again = json.loads(ok("run", *small, "--out", str(out), "--json").stdout)
    assert again["table"] == summary["table"]
    other = memsim("run", *small, "--set", "evaluation.seed=1", "--out", str(out))
    assert other.returncode == 2 and "different config" in other.stderr
    bad = memsim("run", "--set", "evaluation.episods=2", "--out", str(tmp_path / "x"))
    assert bad.returncode == 2 and "evaluation.episods" in bad.stderr
    assert not (tmp_path / "x").exists()


@pytest.fixture()
def circuit_files(tmp_path):
    rng = np.random.default_rng(0)
    g = rng.uniform(1e-6, 1e-4, (24, 16))
    v = rng.uniform(0.0, 0.2, (20, 24))
    np.save(tmp_path / "G.npy", g)
    np.save(tmp_path / "V.npy", v)
    return tmp_path, g, v


@pytest.mark.parametrize("extra", [[], ["--iv", "sinh", "--v0", "0.1"]], ids=["ohmic", "sinh"])
def test_crossbar_solve_matches_the_library(circuit_files, extra):
    from memsim.crossbar import Crossbar, Wires
    from memsim.devices.iv import iv_law
    d, g, v = circuit_files
    res = ok("crossbar", "solve", "--conductances", "G.npy", "--voltages", "V.npy",
             "--r-row", "2.5", "--r-col", "5", "--r-driver", "10", "--out", "I.npy", "--json",
             *extra, cwd=d)
    summary = json.loads(res.stdout)
    law = iv_law(*(["sinh", 0.1] if extra else ["ohmic"]))
    expected = Crossbar(g, Wires(2.5, 5.0, 10.0), law).solve(v).currents
    got = np.load(d / "I.npy")
    assert got.shape == (20, 16)
    assert np.allclose(got, expected, rtol=1e-10, atol=0)
    assert summary["solver"] == ("nonlinear" if extra else "linear")
    assert summary["relative_deviation_from_ideal"] > 0.01


def test_crossbar_solve_ideal_without_wires(circuit_files):
    d, g, v = circuit_files
    ok("crossbar", "solve", "--conductances", "G.npy", "--voltages", "V.npy", "--out", "I.npy",
       "--quiet", cwd=d)
    assert np.array_equal(np.load(d / "I.npy"), v @ g)


def test_crossbar_map_writes_figure_and_data(circuit_files):
    d, g, v = circuit_files
    res = ok("crossbar", "map", "--conductances", "G.npy", "--voltages", "V.npy", "--r-row",
             "10", "--r-col", "10", "--index", "3", "--out", "maps/map.png", "--json", cwd=d)
    info = json.loads(res.stdout)
    assert (d / "maps" / "map.png").stat().st_size > 10_000
    data = np.genfromtxt(d / "maps" / "map.csv", delimiter=",", names=True)
    assert len(data) == 24 * 16
    assert info["min_device_voltage"] < v[3].max()
    assert np.nanmin(data["v_device_V"]) == pytest.approx(info["min_device_voltage"])


@pytest.mark.parametrize("setup, args, match", [
    (lambda d: np.save(d / "B.npy", -np.ones((24, 16))), ["--conductances", "B.npy"],
     "conductances must be >= 0"),
    (lambda d: np.save(d / "B.npy", np.full((24, 16), np.nan)), ["--conductances", "B.npy"],
     "conductances must be finite"),
    (lambda d: np.save(d / "B.npy", np.ones((3, 25))), ["--voltages", "B.npy"],
     r"voltages must have shape \(batch, 24\)"),
    (lambda d: None, ["--r-row", "1"], "--r-row and --r-col go together"),
    (lambda d: None, ["--r-row", "1", "--r-col", "-1"], "r_col must be > 0"),
    (lambda d: None, ["--r-row", "1", "--r-col", "1", "--iv", "sinh"], "needs v0"),
    (lambda d: None, ["--solver", "linear"], "needs wires"),
    (lambda d: None, ["--conductances", "missing.npy"], "missing.npy: cannot read"),
])
def test_crossbar_bad_input_writes_nothing(circuit_files, setup, args, match):
    d, _, _ = circuit_files
    setup(d)
    base = {"--conductances": "G.npy", "--voltages": "V.npy"}
    for flag, value in zip(args[::2], args[1::2]):
        base[flag] = value
    res = memsim("crossbar", "solve", *[x for kv in base.items() for x in kv], "--out", "I.npy",
                 cwd=d)
    assert res.returncode == 2
    assert re.search(match, res.stderr), res.stderr
    assert not (d / "I.npy").exists()


def test_crossbar_nonconvergence_fails_with_the_residual(circuit_files):
    d, _, _ = circuit_files
    res = memsim("crossbar", "solve", "--conductances", "G.npy", "--voltages", "V.npy",
                 "--r-row", "10", "--r-col", "10", "--iv", "sinh", "--v0", "0.01",
                 "--rtol", "1e-300", "--out", "I.npy", cwd=d)
    assert res.returncode == 1
    assert "did not converge for input 0" in res.stderr and "(relative " in res.stderr
    assert not (d / "I.npy").exists()


def test_energy_command_json_plot_and_overrides(tmp_path):
    (tmp_path / "small.toml").write_text(
        "[network]\nlayers = [64, 32]\ninferences = 8\n[tile]\nrows = 32\ncols = 32\n")
    res = ok("energy", "small.toml", "--set", "tile.adc_bits=5", "--set",
             "tile.adc_model=\"neurosim-sar\"", "--json", "--plot", "fig/energy.png",
             cwd=tmp_path)
    report = json.loads(res.stdout)
    assert report["config"]["tile"]["adc_bits"] == 5
    assert report["config"]["network"]["layers"] == [64, 32]
    parts = report["energy_per_inference"]["components"]
    assert report["energy_per_inference"]["total_joules"] == pytest.approx(
        sum(p["joules"] for p in parts.values()))
    assert set(report["baselines"]) == {"int8-dense", "int8-event", "a100-fp32", "a100-fp16",
                                        "h100-fp32", "h100-fp16", "loihi"}
    assert (tmp_path / "fig" / "energy.png").stat().st_size > 10_000
    data = np.genfromtxt(tmp_path / "fig" / "energy.csv", delimiter=",", names=True)
    assert data["total_J"][0] == pytest.approx(report["energy_per_inference"]["total_joules"])


@pytest.mark.parametrize("args, match", [
    (["--set", "tile.colour=red"], "unknown key 'tile.colour'"),
    (["--set", "network.activity=-1"], "network.activity must be > 0"),
    (["--set", "technology=nowhere"], "unknown technology 'nowhere'"),
    (["missing.toml"], "cannot read the config"),
])
def test_energy_bad_input(tmp_path, args, match):
    res = memsim("energy", *args, "--plot", "e.png", cwd=tmp_path)
    assert res.returncode == 2 and match in res.stderr, res.stderr
    assert not (tmp_path / "e.png").exists()


def test_train_and_evaluate_commands(tmp_path):
    res = ok("train", "cartpole", "--seed", "0", "--out", "p.npz", "--episodes", "3",
             "--set", "eprop.n_rec=12", "--json", cwd=tmp_path)
    meta = json.loads(res.stdout)
    assert meta["episodes"] == 3 and meta["command"].startswith("memsim train cartpole")
    assert (tmp_path / "p.curve.png").exists() and (tmp_path / "p.log.csv").exists()
    stats = json.loads(ok("evaluate", "p.npz", "--episodes", "3", "--seed", "1", "--json",
                          cwd=tmp_path).stdout)
    for key in ("mean_return", "std_return", "spikes_per_decision",
                "synaptic_events_per_decision", "mean_rate"):
        assert np.isfinite(stats[key])
    bad = memsim("train", "pong", "--seed", "0", "--out", "x.npz", cwd=tmp_path)
    assert bad.returncode == 2 and "environment must be one of" in bad.stderr
    bad = memsim("evaluate", "missing.npz", cwd=tmp_path)
    assert bad.returncode == 2 and "'missing.npz': no such file" in bad.stderr


def test_device_iv_and_pulses_write_what_device_fit_reads(tmp_path):
    iv = tmp_path / "iv.csv"
    res = ok("device", "iv", "stanford-pku", "--amplitude", "1.6", "--frequency", "1e5",
             "--cycles", "2", "--points", "100", "--out", str(iv), "--plot",
             str(tmp_path / "iv.png"), "--json")
    summary = json.loads(res.stdout)
    with open(iv, newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["time_s", "voltage_V", "current_A", "state"] and len(rows) == 201
    assert summary["state_min"] == pytest.approx(0.2e-9)
    assert summary["state_max"] == pytest.approx(1.7e-9)
    assert (tmp_path / "iv.png").is_file()
    for name, amp in (("set", "1.6"), ("reset", "-1.3")):
        ok("device", "pulses", "stanford-pku", "--amplitude", amp, "--width", "1e-9",
           "--count", "40", "--out", str(tmp_path / f"{name}.csv"))
    fit = json.loads(ok("device", "fit", "--ltp", str(tmp_path / "set.csv"), "--ltd",
                        str(tmp_path / "reset.csv"), "--bootstrap", "5", "--json").stdout)
    assert fit["levels"] == 40 and fit["g_max"] > fit["g_min"] > 0
    mid = json.loads(ok("device", "iv", "vteam", "--amplitude", "0.01", "--frequency", "1e6",
                        "--x0", "1.5e-9", "--out", str(tmp_path / "mid.csv"), "--json").stdout)
    assert mid["state_min"] == mid["state_max"] == 1.5e-9           # below both thresholds
    bad = memsim("device", "iv", "vteam", "--amplitude", "0.3", "--frequency", "1e6", "--x0",
                 "5e-9", "--out", str(tmp_path / "y.csv"))
    assert bad.returncode == 2 and "x0 must be <= 3e-09" in bad.stderr
    bad = memsim("device", "iv", "pcm", "--amplitude", "1", "--frequency", "1", "--out",
                 str(tmp_path / "x.csv"))
    assert bad.returncode == 2 and "compact models" in bad.stderr
    assert not (tmp_path / "x.csv").exists()
    bad = memsim("device", "simulate", "vteam", "--targets", "1e-3", "--times", "0")
    assert bad.returncode == 2 and "compact model" in bad.stderr


def test_crossbar_solve_1t1r_cells_match_the_reference(tmp_path):
    from memsim.crossbar import Wires
    from memsim.crossbar._reference import one_t_one_r_solve
    from memsim.devices.iv import Ohmic
    rng = np.random.default_rng(4)
    g, v = rng.uniform(1e-5, 2e-3, (6, 5)), rng.uniform(0.0, 0.8, (2, 6))
    np.save(tmp_path / "g.npy", g)
    np.save(tmp_path / "v.npy", v)
    base = ["crossbar", "solve", "--conductances", str(tmp_path / "g.npy"), "--voltages",
            str(tmp_path / "v.npy"), "--r-row", "1", "--r-col", "1", "--cell", "1t1r",
            "--v-gate", "0.7", "--out", str(tmp_path / "i.npy")]
    bad = memsim(*base)
    assert bad.returncode == 2 and "--vth, --kp, --w-over-l" in bad.stderr
    bad = memsim(*[a for a in base if a not in ("--cell", "1t1r")])
    assert bad.returncode == 2 and "--v-gate describe the access device of --cell 1t1r" in bad.stderr
    summary = json.loads(ok(*base, "--vth", "0.4", "--kp", "2e-4", "--w-over-l", "2",
                            "--json").stdout)
    assert summary["cell"] == "1t1r" and summary["solver"] == "nonlinear"
    ref = one_t_one_r_solve(g, v, Wires(1.0, 1.0), Ohmic(), 0.7, 0.4, 2e-4, 2.0)[0]
    np.testing.assert_allclose(np.load(tmp_path / "i.npy"), ref, rtol=1e-9)


def test_crossbar_train_writes_its_history_and_counts_disturb(tmp_path):
    base = ["crossbar", "train", "yakopcic", "--epochs", "3", "--json"]
    v2 = json.loads(ok(*base, "--scheme", "v/2", "--out", str(tmp_path / "v2")).stdout)
    assert v2["disturb_events"] == 6 * v2["pulses"] + 8 * v2["cells_written"] > 0
    with open(tmp_path / "v2" / "history.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert [int(r["epoch"]) for r in rows] == [0, 1, 2, 3]
    assert sum(int(r["disturb_events"]) for r in rows) == v2["disturb_events"]
    assert np.load(tmp_path / "v2" / "states.npy").shape == (10, 6)
    gate = json.loads(ok(*base, "--cell", "1t1r", "--v-gate", "1.8", "--vth", "0.4", "--kp",
                         "2e-4", "--w-over-l", "500", "--out", str(tmp_path / "g")).stdout)
    assert gate["scheme"] == "gate" and gate["disturb_events"] == 0
    assert gate["energy_J"]["access"] > 0
    bad = memsim(*base, "--scheme", "gate", "--out", str(tmp_path / "bad"))
    assert bad.returncode == 2 and "--scheme gate does not write --cell passive" in bad.stderr
    # the folder is the command's own: other options are refused, not overwritten
    bad = memsim(*base, "--scheme", "v/3", "--out", str(tmp_path / "v2"))
    assert bad.returncode == 2 and not (tmp_path / "bad").exists()


def test_crossbar_solve_1s1r_cells_match_the_reference(tmp_path):
    from memsim.crossbar import Wires
    from memsim.crossbar._reference import one_s_one_r_solve
    from memsim.devices.iv import Ohmic
    rng = np.random.default_rng(5)
    g, v = rng.uniform(1e-5, 2e-3, (6, 5)), rng.uniform(-0.8, 0.8, (2, 6))
    np.save(tmp_path / "g.npy", g)
    np.save(tmp_path / "v.npy", v)
    base = ["crossbar", "solve", "--conductances", str(tmp_path / "g.npy"), "--voltages",
            str(tmp_path / "v.npy"), "--r-row", "1", "--r-col", "1", "--cell", "1s1r",
            "--out", str(tmp_path / "i.npy")]
    bad = memsim(*base)
    assert bad.returncode == 2 and "--i-s" in bad.stderr
    bad = memsim(*base, "--i-s", "1e-9", "--vth", "0.4")
    assert bad.returncode == 2 and "--vth describe the access device of --cell 1t1r" in bad.stderr
    summary = json.loads(ok(*base, "--i-s", "1e-9", "--ideality", "1.5", "--json").stdout)
    assert summary["cell"] == "1s1r" and summary["solver"] == "nonlinear"
    ref = one_s_one_r_solve(g, v, Wires(1.0, 1.0), Ohmic(), 1e-9, 1.5, 300.0)[0]
    np.testing.assert_allclose(np.load(tmp_path / "i.npy"), ref, rtol=1e-9)


def test_crossbar_write_counts_the_disturbed_half_selected_cells(tmp_path):
    base = ["crossbar", "write", "yakopcic", "--shape", "4,5", "--row", "1", "--columns", "2",
            "--v-write", "0.4", "--width", "1e-4", "--json"]
    v2 = json.loads(ok(*base, "--scheme", "v/2").stdout)
    assert v2["half_selected_voltage_V"] == [pytest.approx(0.2), pytest.approx(0.2)]
    assert v2["disturbed"] == v2["half_selected"] == 7
    v3 = json.loads(ok(*base, "--scheme", "v/3", "--out", str(tmp_path / "x.npy")).stdout)
    assert v3["disturbed"] == 0 and v3["selected_state_change"] > 0.05
    assert np.load(tmp_path / "x.npy").shape == (4, 5)
    bad = memsim("crossbar", "write", "pcm", "--shape", "4,5", "--row", "1", "--columns", "2",
                 "--v-write", "0.4", "--width", "1e-4")
    assert bad.returncode == 2 and "compact models" in bad.stderr
    bad = memsim(*base[:7], "--columns", "2.7", *base[9:])
    assert bad.returncode == 2 and "--columns must be a comma-separated list of whole" in bad.stderr
    np.save(tmp_path / "s.npy", np.full((4, 5), 0.2))
    bad = memsim(*base, "--state", "0.2", "--states", str(tmp_path / "s.npy"))
    assert bad.returncode == 2 and "not both" in bad.stderr

"""Every CLI command run as a user would: a subprocess of the installed `memsim`."""

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
                                  ["device", "fit"], ["device", "fit-drift"],
                                  ["crossbar"], ["crossbar", "solve"], ["crossbar", "map"],
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

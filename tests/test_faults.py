"""Nothing a user has is ever lost: every case of the hostile-user review, as a user runs it.

Each test runs the installed ``memsim`` in a subprocess (signals and sockets
are real) and checks the exit code, that the error is one line naming the
file, key or address, and that no file that existed before the command changed.
"""

import http.server
import json
import os
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from memsim.config import load_config
from memsim.devices.simulate import ramp_traces
from memsim.studies.run import RUN_DEFAULTS
from memsim.devices import PulseParams

REPO = Path(__file__).resolve().parents[1]
POLICY = REPO / "data" / "policies" / "cartpole.npz"


def memsim(*args, cwd, umask=None, timeout=300):
    return subprocess.run([sys.executable, "-m", "memsim", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=timeout,
                          preexec_fn=None if umask is None else (lambda: os.umask(umask)))


def snapshot(folder):
    """Every file under ``folder`` (content, mode, modification time) and every folder."""
    return {p.relative_to(folder): (p.read_bytes(), p.stat().st_mode, p.stat().st_mtime_ns)
            if p.is_file() else "folder" for p in Path(folder).rglob("*")}


def refused(res, *names):
    """Exit 2 with one error line that names each of ``names``."""
    assert res.returncode == 2, (res.returncode, res.stderr)
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("memsim: error: "), res.stderr
    for name in names:
        assert str(name) in lines[0], (name, lines[0])
    assert "np.float64" not in lines[0]
    return lines[0]


def ramps(folder):
    truth = PulseParams(g_min=1e-6, g_max=1e-5, levels=40, nl_ltp=2.0, nl_ltd=-1.0, c2c=0.01)
    ltp, ltd = ramp_traces(truth, 4, 40, 40, seed=1)
    for name, trace in (("set.csv", ltp), ("reset.csv", ltd)):
        np.savetxt(folder / name, trace, delimiter=",", comments="",
                   header=",".join(f"r{i}" for i in range(trace.shape[1])))


def synthetic_spec(folder, name="s.toml"):
    (folder / name).write_text('experiment = "synthetic"\n[grid]\nx = [0.0, 1.0]\n')
    return folder / name


# ------------------------------------------------------------- 1. output folders

def test_run_and_demo_refuse_folders_they_did_not_write(tmp_path):
    sweep = tmp_path / "sweep-out"
    assert memsim("sweep", synthetic_spec(tmp_path), "--out", sweep, "--workers", "1",
                  cwd=tmp_path).returncode == 0
    user = tmp_path / "mine"
    user.mkdir()
    (user / "notes.txt").write_text("my notes")
    before = snapshot(tmp_path)
    refused(memsim("run", "--out", sweep, cwd=tmp_path), sweep, "memsim sweep")
    refused(memsim("run", "--out", user, cwd=tmp_path), user, "notes.txt")
    refused(memsim("device", "demo", "--out", sweep, cwd=tmp_path), "memsim sweep")
    refused(memsim("device", "demo", "--out", user, cwd=tmp_path), "notes.txt")
    refused(memsim("sweep", "plot", user, cwd=tmp_path), user)
    assert snapshot(tmp_path) == before


def test_demo_resumes_only_its_own_folder(tmp_path):
    out = tmp_path / "demo"
    assert memsim("device", "demo", "--out", out, "--bootstrap", "2", cwd=tmp_path
                  ).returncode == 0
    again = memsim("device", "demo", "--out", out, "--bootstrap", "2", cwd=tmp_path)
    assert again.returncode == 0, again.stderr          # its own output: refreshed
    before = snapshot(tmp_path)
    refused(memsim("device", "demo", "--out", out, "--bootstrap", "3", cwd=tmp_path),
            "different config")
    (out / "extra.csv").write_text("a,b\n")
    refused(memsim("device", "demo", "--out", out, "--bootstrap", "2", cwd=tmp_path),
            "extra.csv")
    assert {k: v for k, v in snapshot(tmp_path).items() if k.name != "extra.csv"} == before


# ------------------------------------------------------------ 2. figure data files

def test_plot_data_never_overwrites_an_input_or_a_foreign_file(tmp_path):
    ramps(tmp_path)
    (tmp_path / "fit.csv").write_text("mine,not,memsim's\n1,2,3\n")
    before = snapshot(tmp_path)
    fit = ["device", "fit", "--ltp", "set.csv", "--ltd", "reset.csv", "--bootstrap", "2"]
    refused(memsim(*fit, "--plot", "set.png", cwd=tmp_path), "set.csv", "input")
    refused(memsim(*fit, "--plot", "fit.png", cwd=tmp_path), "fit.csv")
    refused(memsim(*fit, "--out", "reset.csv", cwd=tmp_path), "reset.csv", "input")
    refused(memsim(*fit, "--plot", "fit.txt", cwd=tmp_path), "fit.txt", "suffix")
    refused(memsim("energy", "--plot", "fit.png", cwd=tmp_path), "fit.csv")
    assert snapshot(tmp_path) == before
    for _ in range(2):           # its own data file is replaced by the next run
        res = memsim(*fit, "--plot", "curve.png", cwd=tmp_path)
        assert res.returncode == 0, res.stderr
    assert (tmp_path / "curve.csv").read_text().startswith("ltp_data_mean_S,")


# ------------------------------------------------------- 3. checks before writing

@pytest.mark.parametrize("override, key", [("tile.solver=\"magic\"", "tile.solver"),
                                           ("tile.scheme=\"magic\"", "tile.scheme"),
                                           ("tile.r_row=0.0", "tile.solver")])
def test_run_checks_the_whole_config_before_writing(tmp_path, override, key):
    extra = ["--set", "tile.r_col=0.0", "--set", "tile.solver=\"linear\""] \
        if override == "tile.r_row=0.0" else []
    refused(memsim("run", "--set", override, *extra, "--out", tmp_path / "report",
                   cwd=tmp_path), key)
    assert not (tmp_path / "report").exists()


def test_train_checks_its_outputs_before_training(tmp_path):
    (tmp_path / "afile").write_text("a file, not a folder")
    start = time.monotonic()
    refused(memsim("train", "cartpole", "--seed", "0", "--out", "afile/p.npz", cwd=tmp_path),
            "afile")
    assert time.monotonic() - start < 30        # training takes longer: it did not start
    assert (tmp_path / "afile").read_text() == "a file, not a folder"


def test_train_refuses_files_of_other_runs_and_of_the_user(tmp_path):
    (tmp_path / "p.log.csv").write_text("my,own,log\n")
    shipped = snapshot(POLICY.parent)
    refused(memsim("train", "cartpole", "--seed", "0", "--out", "p.npz", cwd=tmp_path),
            "p.log.csv")
    (tmp_path / "p.log.csv").unlink()
    (tmp_path / "q.json").write_text('{"my": "data"}')
    refused(memsim("train", "cartpole", "--seed", "0", "--out", "q.npz", cwd=tmp_path),
            "q.json")
    refused(memsim("train", "cartpole", "--seed", "0", "--out", POLICY.name, "--init",
                   POLICY, cwd=POLICY.parent), "input")
    assert (tmp_path / "q.json").read_text() == '{"my": "data"}'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["q.json"]
    assert snapshot(POLICY.parent) == shipped


# ----------------------------------------------------------------------- 4. names

def test_shipped_names_are_not_hidden_by_files_in_the_working_directory(tmp_path):
    (tmp_path / "pcm").mkdir()
    (tmp_path / "cim-22nm").write_text("not a technology")
    shown = memsim("device", "show", "pcm", "--json", cwd=tmp_path)
    assert shown.returncode == 0 and json.loads(shown.stdout)["name"] == "pcm"
    out = tmp_path / "pcm-drift-noise"
    out.mkdir()
    (out / "keep.txt").write_text("x")
    # the README's resume step with --out equal to the spec's name: the name is the
    # shipped spec; the folder is judged as an output folder (here: not memsim's)
    refused(memsim("sweep", "pcm-drift-noise", "--out", "pcm-drift-noise", "--resume",
                   cwd=tmp_path), "keep.txt")
    line = refused(memsim("device", "show", "no-such", cwd=tmp_path), "no-such", "pcm")
    assert "'/'" in line and "suffix" in line
    refused(memsim("device", "show", "./pcm", cwd=tmp_path), "pcm", "folder")
    refused(memsim("evaluate", "./cartpole", cwd=tmp_path), "./cartpole", "no such file")


# ---------------------------------------------------------------- 5. schedulers

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_scheduler_addresses_that_do_not_answer_as_dask(tmp_path):
    spec = synthetic_spec(tmp_path)
    web = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
    threading.Thread(target=web.serve_forever, daemon=True).start()
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)                  # accepts connections (kernel backlog), never answers
    try:
        for port in (web.server_address[1], silent.getsockname()[1], free_port()):
            address = f"tcp://127.0.0.1:{port}"
            start = time.monotonic()
            res = memsim("sweep", spec, "--out", tmp_path / "out", "--scheduler", address,
                         "--timeout", "2", cwd=tmp_path, timeout=60)
            refused(res, address)
            assert time.monotonic() - start < 20, address
            assert not (tmp_path / "out").exists()
    finally:
        web.shutdown()
        silent.close()
    refused(memsim("sweep", spec, "--out", tmp_path / "out", "--scheduler", "tcp://x:1",
                   "--timeout", "-1", cwd=tmp_path), "--timeout", "-1")
    refused(memsim("sweep", spec, "--out", tmp_path / "out", "--scheduler", "nonsense",
                   cwd=tmp_path), "nonsense")


# ------------------------------------------------------------------ 6. bad files

def _npy_header_only(path, shape):
    with open(path, "wb") as fh:
        np.lib.format.write_array_header_1_0(
            fh, {"descr": "<f8", "fortran_order": False, "shape": shape})


def test_bad_array_files_name_the_file(tmp_path):
    np.save(tmp_path / "V.npy", np.full((1, 4), 0.1))
    (tmp_path / "empty.npy").write_bytes(b"")
    _npy_header_only(tmp_path / "huge.npy", (200_000, 200_000))       # 298 GiB promised
    np.save(tmp_path / "complex.npy", np.full((4, 3), 1e-6 + 1e-7j))
    np.save(tmp_path / "negative.npy", np.array([[1e-6, -1e-6, 1e-6]] * 4))
    (tmp_path / "text.npy").write_text("0.1, 0.2\n")
    before = snapshot(tmp_path)
    for name, words in (("empty.npy", ["empty"]), ("huge.npy", ["truncated"]),
                        ("complex.npy", ["complex"]), ("negative.npy", ["-1e-06"]),
                        ("text.npy", ["not a .npy"])):
        res = memsim("crossbar", "solve", "--conductances", name, "--voltages", "V.npy",
                     "--out", "I.npy", cwd=tmp_path)
        refused(res, *([name] if name not in ("complex.npy", "negative.npy")
                       else ["--conductances"]), *words)
    assert snapshot(tmp_path) == before


def _damaged_policies(folder):
    meta = json.loads(POLICY.with_suffix(".json").read_text())
    (folder / "empty.npz").write_bytes(b"")
    (folder / "empty.json").write_text(json.dumps(meta))
    (folder / "cut.npz").write_bytes(POLICY.read_bytes()[:4000])
    (folder / "cut.json").write_text(json.dumps(meta))
    with np.load(POLICY) as saved:
        arrays = {k: saved[k] for k in saved.files if k != "weights/w_rec"}
    np.savez(folder / "lacking.npz", **arrays)
    (folder / "lacking.json").write_text(json.dumps(meta))
    (folder / "badjson.npz").write_bytes(POLICY.read_bytes())
    (folder / "badjson.json").write_text("{not json")
    return {"empty.npz": "empty", "cut.npz": "not an .npz", "lacking.npz": "weights/w_rec",
            "badjson.json": "not valid JSON"}


def test_damaged_policies_through_every_command(tmp_path):
    cases = _damaged_policies(tmp_path)
    before = snapshot(tmp_path)
    for name, words in cases.items():
        npz = "./" + name.replace(".json", ".npz")
        refused(memsim("evaluate", npz, "--episodes", "1", cwd=tmp_path), name, words)
        refused(memsim("train", "cartpole", "--seed", "0", "--out", "new.npz", "--init", npz,
                       cwd=tmp_path), name, words)
        refused(memsim("run", "--set", f'policies=["{npz}"]', "--out", "rep", cwd=tmp_path),
                name, words)
    assert snapshot(tmp_path) == before


def test_corrupt_state_files_name_the_file(tmp_path):
    spec = synthetic_spec(tmp_path)
    out = tmp_path / "out"
    assert memsim("sweep", spec, "--out", out, "--workers", "1", cwd=tmp_path).returncode == 0
    (out / "sweep.json").write_text("")
    refused(memsim("sweep", "plot", out, cwd=tmp_path), "sweep.json", "empty")
    (out / "memsim-folder.json").write_text("{")
    refused(memsim("sweep", spec, "--out", out, "--resume", cwd=tmp_path),
            "memsim-folder.json", "not valid JSON")
    run = tmp_path / "run"
    run.mkdir()
    stamp = {"command": "run", "identity": None, "files": ["points.json"]}
    (run / "memsim-folder.json").write_text(json.dumps(stamp))
    refused(memsim("run", "--out", run, cwd=tmp_path), "different config")
    stamp["identity"] = load_config(RUN_DEFAULTS)          # the default run's own folder
    (run / "memsim-folder.json").write_text(json.dumps(stamp))
    (run / "points.json").write_text('[{"policy": "cartpole"')
    before = snapshot(tmp_path)
    refused(memsim("run", "--out", run, cwd=tmp_path), "points.json", "not valid JSON")
    (run / "points.json").write_text('{"not": "a list"}')
    refused(memsim("run", "--out", run, cwd=tmp_path), "points.json", "not the points")
    assert {k: v for k, v in snapshot(tmp_path).items() if k.name != "points.json"} == \
        {k: v for k, v in before.items() if k.name != "points.json"}


def test_sizes_beyond_memory_are_refused_before_allocating(tmp_path):
    refused(memsim("device", "simulate", "pcm", "--targets", "5e-6", "--times", "0",
                   "--samples", str(10**15), cwd=tmp_path), "samples", "memory")
    refused(memsim("energy", "--set", "network.layers=[10000000, 10000000]", cwd=tmp_path),
            "network.layers", "memory")
    np.save(tmp_path / "G.npy", np.full((2, 300_000), 1e-6))    # K's work: 2 N^2 doubles
    np.save(tmp_path / "V.npy", np.full((20, 2), 0.1))
    refused(memsim("crossbar", "solve", "--conductances", "G.npy", "--voltages", "V.npy",
                   "--r-row", "1", "--r-col", "1", "--out", "I.npy", cwd=tmp_path),
            "effective matrix", "memory")
    assert not (tmp_path / "I.npy").exists()


# ------------------------------------------------------------------------ 7. Ctrl-C

def test_ctrl_c_stops_an_effective_matrix_build_within_a_second(tmp_path):
    rng = np.random.default_rng(0)
    np.save(tmp_path / "G.npy", rng.uniform(1e-6, 1e-5, (1200, 1200)))
    np.save(tmp_path / "V.npy", rng.uniform(0.0, 0.2, (20, 1200)))
    err = open(tmp_path / "err.txt", "w+")
    proc = subprocess.Popen([sys.executable, "-m", "memsim", "crossbar", "solve",
                             "--conductances", "G.npy", "--voltages", "V.npy", "--r-row", "1",
                             "--r-col", "1", "--out", "I.npy"], cwd=tmp_path,
                            stdout=subprocess.DEVNULL, stderr=err, text=True,
                            # as at a terminal, whatever the test runner's own SIGINT is
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        deadline = time.monotonic() + 60
        while "row" not in (tmp_path / "err.txt").read_text() and time.monotonic() < deadline:
            time.sleep(0.05)                    # the build has started: its progress shows
        time.sleep(0.5)
        assert proc.poll() is None, "the build finished before the test could interrupt it"
        start = time.monotonic()
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
        stopped = time.monotonic() - start
    finally:
        proc.kill()
        err.close()
    assert proc.returncode == 130
    assert stopped < 1.0
    assert (tmp_path / "err.txt").read_text().rstrip().endswith("memsim: interrupted")
    assert not (tmp_path / "I.npy").exists()


# ------------------------------------------------------------------------- 8. umask

@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o027, 0o640)])
def test_files_follow_the_umask(tmp_path, umask, mode):
    ramps(tmp_path)
    res = memsim("device", "fit", "--ltp", "set.csv", "--ltd", "reset.csv", "--bootstrap", "2",
                 "--out", "mine.toml", "--plot", "fit.png", cwd=tmp_path, umask=umask)
    assert res.returncode == 0, res.stderr
    for name in ("mine.toml", "fit.png", "fit.csv"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == mode, name


# ------------------------------------------------------------------ 9. fit-drift

def test_fit_drift_bins_and_valid_json(tmp_path):
    t = np.array([20.0, 200.0, 2000.0])
    rows = ["device,time,conductance"] + [f"{d},{ti},{g0 * ((ti + 20) / 20) ** -0.05}"
                                          for d, g0 in enumerate((5e-6, 1e-5, 2e-5))
                                          for ti in t]
    (tmp_path / "drift.csv").write_text("\n".join(rows) + "\n")
    refused(memsim("device", "fit-drift", "drift.csv", "--states", "5", "--json",
                   cwd=tmp_path), "--states", "3")
    res = memsim("device", "fit-drift", "drift.csv", "--states", "3", "--json", cwd=tmp_path)
    assert res.returncode == 0, res.stderr

    def no_constants(name):
        raise AssertionError(f"{name} is not JSON")
    fit = json.loads(res.stdout, parse_constant=no_constants)
    assert [s["n_devices"] for s in fit["states"]] == [1, 1, 1]
    assert all(s["nu_mean_err"] is None for s in fit["states"])     # one device: no spread
    assert [s["nu_mean"] for s in fit["states"]] == pytest.approx([0.05] * 3, abs=1e-9)


# ------------------------------------------------------------------ 10. the rest

def test_a_policy_json_must_describe_its_npz(tmp_path):
    (tmp_path / "cartpole.npz").write_bytes(POLICY.read_bytes())
    (tmp_path / "cartpole.json").write_text(
        (POLICY.parent / "cartpole-spikes.json").read_text())
    refused(memsim("evaluate", "./cartpole.npz", "--episodes", "1", cwd=tmp_path),
            "cartpole.json", "cartpole.npz")


def test_a_sweep_spec_is_checked_before_it_imports_a_module(tmp_path):
    (tmp_path / "marker_module.py").write_text(
        "from pathlib import Path\nPath('imported').write_text('yes')\n")
    env = dict(os.environ, PYTHONPATH=str(tmp_path))
    bad = tmp_path / "bad.toml"
    bad.write_text('experiment = "marker_module:EXP"\nreplicates = 0\n[grid]\nx = [1]\n')
    res = subprocess.run([sys.executable, "-m", "memsim", "sweep", str(bad), "--out", "o"],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    refused(res, "replicates")
    assert not (tmp_path / "imported").exists()
    bad.write_text('experiment = "marker module:EXP"\n[grid]\nx = [1]\n')
    refused(memsim("sweep", bad, "--out", "o", cwd=tmp_path), "marker module:EXP")

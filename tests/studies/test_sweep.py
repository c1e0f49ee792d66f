"""Sweeps: spec validation, resume, and the same results locally and on Dask.

The Dask tests start a real ``dask scheduler`` and ``dask worker`` processes on
127.0.0.1 (free ports) and stop them however the test ends.
"""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from memsim.config import ConfigError
from memsim.errors import OutputError
from memsim.studies.sweep import SweepError, load_results, load_spec, plan, run_sweep
from memsim.studies.sweep.points import synthetic_point

REPO = Path(__file__).resolve().parents[2]
TILE = """experiment = "tile"
replicates = 2
batch = 2
[base]
inputs.n = 8
[grid]
"tile.r_row,tile.r_col" = [[0.0, 0.0], [5.0, 5.0]]
"tile.rows,tile.cols" = [[16, 16], [32, 32]]
"""


def synthetic(tmp_path, work=0, xs=(0.0, 1.0, 2.0), replicates=2, extra="", name="s.toml"):
    path = tmp_path / name
    path.write_text(f'experiment = "synthetic"\nreplicates = {replicates}\n{extra}\n'
                    f'[base]\nwork = {work}\n[grid]\nx = {list(xs)}\ny = [0.5]\n')
    return path


def spec_file(tmp_path, text, name="spec.toml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def values(rows):
    """Rows without what may differ between runs (seconds)."""
    return [{k: v for k, v in r.items() if k != "seconds"} for r in rows]


def snapshot(folder):
    return {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in Path(folder).rglob("*")
            if p.is_file()}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def dask_cluster(n_workers):
    """A real scheduler and ``n_workers`` single-threaded workers; yields (address, workers)."""
    from distributed import Client
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    procs, workers = [], []
    quiet = dict(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        procs.append(subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler",
                                       "--host", "127.0.0.1", "--port", str(port),
                                       "--no-dashboard"], **quiet))
        for _ in range(n_workers):
            workers.append(subprocess.Popen(
                [sys.executable, "-m", "distributed.cli.dask_worker", address, "--nthreads",
                 "1", "--no-nanny", "--no-dashboard", "--host", "127.0.0.1"], **quiet))
        procs += workers
        with Client(address, timeout=30) as client:
            client.wait_for_workers(n_workers, timeout=60)
        yield address, workers
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


# --------------------------------------------------------------------------- spec

@pytest.mark.parametrize("text, match", [
    ('experiment = "tile"\n[grid]\n"tile.r_wyre" = [1.0]\n', "unknown key 'tile.r_wyre'"),
    ('experiment = "tile"\n[base]\nr_wire = 3\n[grid]\n"tile.r_row" = [1.0]\n',
     "unknown key 'r_wire'"),
    ('experiment = "tile"\n[grid]\n"tile.r_row" = ["high"]\n', "tile.r_row must be float"),
    ('experiment = "tile"\n[grid]\n"tile.r_row" = []\n', "non-empty list"),
    ('experiment = "tile"\n[base]\ntile.rows = 1\n[grid]\n"tile.r_row" = [1.0]\n',
     "tile.rows must be >= 2"),
    ('experiment = "tile"\n[grid]\n', r"\[grid\] is empty"),
    ('experiment = "tile"\n', "sweeps nothing"),
    ('experiment = "tile"\nreplicate = 3\n[grid]\n"tile.r_row" = [1.0]\n', "unknown top-level"),
    ('experiment = "tile"\n[grid]\nseed = [1, 2]\n', "seed key"),
    ('experiment = "tile"\nmeasures = ["energy"]\n[grid]\n"tile.r_row" = [1.0]\n', "measures"),
    ('experiment = "tile"\n[grid]\n"tile.r_row" = [-1.0]\n', "tile.r_row must be >= 0"),
    ('experiment = "tile"\n[grid]\n"tile.solver" = ["linear"]\n[base]\ntile.r_row = 0.0\n'
     'tile.r_col = 0.0\n', "tile.solver 'linear' needs wires"),
    ('experiment = "tile"\n[random]\nn = 2\n"tile.r_row" = {low = 2.0, high = 1.0}\n',
     "low < high"),
    ('experiment = "nope"\n[grid]\nx = [1]\n', "experiment must be one of"),
    ('experiment = "run"\n[grid]\n"evaluation.epsiodes" = [1]\n', "evaluation.epsiodes"),
    ('experiment = "run"\n[grid]\n"pcm.prog_noise_scale" = [1.0]\n',
     "policies has 2 values"),
])
def test_bad_spec_is_a_clear_error(tmp_path, text, match):
    with pytest.raises((SweepError, ConfigError), match=match):
        load_spec(spec_file(tmp_path, text))


def test_shipped_specs_are_valid():
    for name in ("pcm-drift-noise", "tile-ir-drop"):
        spec = load_spec(REPO / "data" / "sweeps" / f"{name}.toml")
        assert len(plan(spec)) >= 100 and spec["replicates"] == 10
    spec = load_spec(REPO / "data" / "sweeps" / "pcm-drift-noise.toml")
    assert [k for keys, _ in spec["axes"] for k in keys] == ["evaluation.times",
                                                              "pcm.prog_noise_scale"]


def test_points_seeds_and_random_samples(tmp_path):
    text = ('experiment = "synthetic"\nseed = 7\nreplicates = 3\n[grid]\nx = [1, 2]\n'
            '[random]\nn = 4\ny = {low = 0.01, high = 100.0, log = true}\n')
    spec = load_spec(spec_file(tmp_path, text))
    points = plan(spec)
    assert len(points) == 2 * 4 * 3 and len({p[0] for p in points}) == len(points)
    assert [p[3] for p in points[:3]] == [7, 8, 9]                 # seed + replicate
    ys = {p[1]["y"] for p in points}
    assert len(ys) == 4 and all(0.01 <= y <= 100.0 for y in ys)
    assert all(isinstance(p[1]["x"], float) for p in points)       # typed as the default
    assert plan(load_spec(spec_file(tmp_path, text, "again.toml"))) == points


# ------------------------------------------------------------------ local, folder

def test_local_sweep_resume_refusals_and_plot(tmp_path):
    out = tmp_path / "out"
    spec = load_spec(synthetic(tmp_path))
    summary = run_sweep(spec, out, workers=1)
    assert summary["computed"] == 6
    meta, rows = load_results(out)
    assert [r["point"] for r in rows] == [p[0] for p in plan(spec)]
    for r in rows:
        expected = synthetic_point({"x": r["x"], "y": 0.5, "work": 0, "seed": r["seed"]})
        assert r["value"] == expected["value"]
    assert (out / "results.csv").read_text().count("\n") == 7
    before = snapshot(out)
    with pytest.raises(OutputError, match="different sweep spec"):
        run_sweep(load_spec(synthetic(tmp_path, xs=(0.0, 1.0, 3.0), name="other.toml")), out)
    with pytest.raises(SweepError, match="--resume"):
        run_sweep(spec, out)
    assert snapshot(out) == before                                 # nothing touched
    again = run_sweep(load_spec(synthetic(tmp_path, extra="batch = 3", name="b.toml")), out,
                      resume=True)                                # batch is not the spec
    assert again["computed"] == 0 and again["skipped"] == 6

    res = subprocess.run([sys.executable, "-m", "memsim", "sweep", "plot", str(out), "--json"],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    for name in ("value", "work_checksum"):
        assert (out / "plots" / f"{name}.png").is_file()
        assert "x_ci_low" in (out / "plots" / f"{name}.csv").read_text()


def test_cli_errors_touch_nothing(tmp_path):
    spec = spec_file(tmp_path, 'experiment = "tile"\n[grid]\n"tile.r_row" = []\n')
    out = tmp_path / "never"
    res = subprocess.run([sys.executable, "-m", "memsim", "sweep", str(spec), "--out", str(out)],
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 2 and "grid 'tile.r_row' must be a non-empty list" in res.stderr
    port = free_port()                                             # nothing listens there
    res = subprocess.run([sys.executable, "-m", "memsim", "sweep", str(synthetic(tmp_path)),
                          "--out", str(out), "--scheduler", f"tcp://127.0.0.1:{port}",
                          "--timeout", "1"], capture_output=True, text=True, timeout=60)
    assert res.returncode == 2 and "cannot reach the Dask scheduler" in res.stderr
    assert not out.exists()


# ------------------------------------------------------------------------ Dask

def test_same_results_locally_on_local_dask_and_on_a_cluster(tmp_path):
    spec = load_spec(spec_file(tmp_path, TILE))
    run_sweep(spec, tmp_path / "local", workers=2)
    run_sweep(spec, tmp_path / "dask-local", dask_local=2)
    with dask_cluster(2) as (address, _):
        summary = run_sweep(spec, tmp_path / "cluster", scheduler=address)
    assert "127.0.0.1" in summary["backend"]
    local = values(load_results(tmp_path / "local")[1])
    assert len(local) == 8
    assert values(load_results(tmp_path / "dask-local")[1]) == local
    assert values(load_results(tmp_path / "cluster")[1]) == local


def test_a_killed_worker_does_not_lose_points(tmp_path):
    spec = load_spec(synthetic(tmp_path, work=600, xs=(0.0, 1.0, 2.0, 3.0, 4.0, 5.0)))
    with dask_cluster(2) as (address, workers):
        killed = []

        def progress(done, total):
            if done >= 2 and not killed:        # both workers hold queued tasks now
                workers[0].kill()
                killed.append(done)

        run_sweep(spec, tmp_path / "out", scheduler=address, progress=progress)
    assert killed and killed[0] < 12
    _, rows = load_results(tmp_path / "out")
    assert sorted(r["point"] for r in rows) == sorted(p[0] for p in plan(spec))
    for r in rows:
        assert r["value"] == synthetic_point({"x": r["x"], "y": 0.5, "work": 0,
                                              "seed": r["seed"]})["value"]


def test_killed_client_then_resume(tmp_path):
    import psutil
    spec_path = synthetic(tmp_path, work=400, xs=[float(x) for x in range(8)], replicates=2)
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "memsim", "sweep", str(spec_path), "--out",
                             str(out), "--workers", "2", "--quiet"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while len(list((out / "results").glob("part-*.csv"))) < 3:
            assert proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        children = psutil.Process(proc.pid).children(recursive=True)
        os.kill(proc.pid, signal.SIGKILL)                           # the client only
        proc.wait(10)
        _, alive = psutil.wait_procs(children, timeout=10)          # its workers follow
        assert not alive
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    parts = {p: p.read_bytes() for p in (out / "results").glob("part-*.csv")}
    _, before = load_results(out)
    assert 3 <= len(before) < 16
    summary = run_sweep(load_spec(spec_path), out, workers=2, resume=True)
    assert summary["skipped"] == len(before) and summary["computed"] == 16 - len(before)
    assert all(p.read_bytes() == text for p, text in parts.items())  # kept byte-identical
    lines = (out / "results.csv").read_text().splitlines()[1:]
    keys = [line.split(",")[0] for line in lines]
    assert len(keys) == 16 == len(set(keys))
    assert sorted(keys) == sorted(p[0] for p in plan(load_spec(spec_path)))


def test_run_experiment_point(tmp_path):
    text = ('experiment = "run"\n[base]\npolicies = ["cartpole"]\ndevices = ["pcm"]\n'
            'evaluation.compensate = [true]\nevaluation.instances = 1\n'
            'evaluation.episodes = 1\ncalibration.episodes = 1\n'
            '[grid]\n"evaluation.times" = [31536000.0]\n"pcm.prog_noise_scale" = [4.0]\n')
    spec = load_spec(spec_file(tmp_path, text))
    run_sweep(spec, tmp_path / "out", workers=1)
    _, rows = load_results(tmp_path / "out")
    (row,) = rows
    assert row["evaluation.times"] == 31536000.0 and row["seed"] == 0
    assert 0 < row["mean_return"] <= 500 and row["digital_return"] > 0
    assert row["energy_per_decision_J"] > 0 and row["ratio_int8_dense"] > row["ratio_int8_event"] > 0


def test_a_killed_local_worker_is_replaced(tmp_path):
    import psutil
    spec = load_spec(synthetic(tmp_path, work=600, xs=(0.0, 1.0, 2.0, 3.0, 4.0)))
    killed = []

    def progress(done, total):
        workers = psutil.Process().children()
        if done >= 2 and not killed and workers:
            workers[0].kill()
            killed.append(done)

    run_sweep(spec, tmp_path / "out", workers=2, progress=progress)
    assert killed
    _, rows = load_results(tmp_path / "out")
    assert sorted(r["point"] for r in rows) == sorted(p[0] for p in plan(spec))

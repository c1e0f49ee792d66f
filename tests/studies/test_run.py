"""The main job, memsim run: points, seeds, resume, refusals, config checks."""

import json

import numpy as np
import pytest

from memsim.config import ConfigError, load_config
from memsim.devices import PCM, PCMParams
from memsim.errors import OutputError
from memsim.studies.run import RUN_DEFAULTS, plan, run_experiment
from memsim.hardware import deploy
from memsim.rl.train import run_episodes

IDEAL_PCM = PCM(PCMParams(prog_noise_scale=0.0, drift_scale=0.0, read_noise_scale=0.0))
SEEDS = [11, 12, 13, 14]


def _episodes(agent, encoder, meta, seeds=SEEDS, input_seed=5):
    return run_episodes(meta["env"], encoder, agent, seeds, np.random.default_rng(input_seed))


def _ideal_deploy(agent, encoder, device=IDEAL_PCM, seed=0, **kw):
    options = dict(dac_bits=0, adc_bits=0, wires=None)
    options.update(kw)
    return deploy(agent, encoder, device, seed=np.random.default_rng(seed), **options)


def _small(devices='["pcm"]', **evaluation):
    overrides = ['policies=["cartpole-spikes"]', f"devices={devices}",
                 "evaluation.times=[1.0, 3600.0]", "evaluation.compensate=[false]",
                 "evaluation.instances=1", "evaluation.episodes=2",
                 "calibration.episodes=1"]
    overrides += [f"evaluation.{k}={v}" for k, v in evaluation.items()]
    return load_config(RUN_DEFAULTS, None, overrides)


def _strip(points):
    return [{k: v for k, v in p.items() if k != "seconds"} for p in points]


def test_plan_skips_time_and_compensation_for_devices_without_drift():
    points = plan(_small('["pcm", "taox-hfox"]', compensate="[false, true]"))
    pcm = [p for p in points if p["device"] == "pcm"]
    rram = [p for p in points if p["device"] == "taox-hfox"]
    assert len(pcm) == 2 * 2 and len(rram) == 1 and rram[0]["compensate"] is False


def test_same_seed_same_report_and_resume_after_interrupt(tmp_path):
    config = _small()
    full = run_experiment(config, tmp_path / "a")
    first = _strip(json.loads((tmp_path / "a" / "points.json").read_text()))

    class Stop(Exception):
        pass

    def stop_after_two(done, total, point):
        if done == 2:
            raise Stop
    with pytest.raises(Stop):
        run_experiment(config, tmp_path / "b", progress=stop_after_two)
    partial = json.loads((tmp_path / "b" / "points.json").read_text())
    assert len(partial) == 2
    ran = []
    resumed = run_experiment(config, tmp_path / "b",
                             progress=lambda d, n, p: ran.append(p["seconds"]))
    assert ran[:2] == [p["seconds"] for p in partial]      # kept, not recomputed
    assert _strip(json.loads((tmp_path / "b" / "points.json").read_text())) == first
    assert resumed["table"] == full["table"]


def test_a_folder_of_another_config_is_refused_and_untouched(tmp_path):
    run_experiment(_small(times="[1.0]"), tmp_path)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    with pytest.raises(OutputError, match="different config"):
        run_experiment(_small(times="[1.0]", seed=3), tmp_path)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


@pytest.mark.parametrize("override, message", [
    ("policies=[]", "policies"),
    ('policies=["no-such-policy"]', "no-such-policy"),
    ('devices=["no-such-device"]', "no-such-device"),
    ("evaluation.times=[-1.0]", "evaluation.times"),
    ("evaluation.times=[]", "evaluation.times"),
    ("evaluation.compensate=[1]", "evaluation.compensate"),
    ("evaluation.instances=0", "evaluation.instances"),
    ("calibration.percentile=0.0", "calibration.percentile"),
    ('tile.scheme="diagonal"', "tile.scheme"),
    ('tile.solver="magic"', "tile.solver"),
    ('tile.adc_model="flash"', "tile.adc_model"),
    ("pcm.drift_scale=-1.0", "pcm.drift_scale"),
])
def test_bad_config_names_the_key(tmp_path, override, message):
    config = load_config(RUN_DEFAULTS, None, [override])
    with pytest.raises(ValueError, match=message):
        run_experiment(config, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_device_scales_apply_to_pcm_only(tmp_path):
    from memsim.hardware import resolve_device
    config = load_config(RUN_DEFAULTS, None, ["pcm.prog_noise_scale=3.0"])
    assert resolve_device("pcm", config["pcm"]).params.prog_noise_scale == 3.0
    with pytest.raises(ConfigError, match="apply to PCM presets"):
        resolve_device("taox-hfox", config["pcm"])
    with pytest.raises(ConfigError, match="apply to PCM presets"):
        run_experiment(config, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_shipped_example_config_is_the_default():
    from pathlib import Path
    example = Path(__file__).resolve().parents[2] / "data" / "experiments" / "run.toml"
    assert load_config(RUN_DEFAULTS, example) == RUN_DEFAULTS


def test_every_solver_that_can_solve_the_tiles_is_accepted():
    from memsim.studies.run import check_config
    for overrides in (['tile.solver="linear"'], ['tile.solver="ideal"'],
                      ['tile.solver="nonlinear"'],
                      ["tile.r_row=0.0", "tile.r_col=0.0", 'tile.solver="ideal"']):
        checked = check_config(load_config(RUN_DEFAULTS, None, overrides))
        assert checked.hardware["pcm"].solver == overrides[-1].split("=")[1].strip('"')

"""The device demonstration, ``memsim device demo``.

It fits the pulse model to the measured RRAM ramps that memsim ships
(:data:`memsim.devices.measured.MEASURED_RAMPS`), simulates PCM drift from 1 s
to 1 year with and without compensation, the relaxation of RRAM programmed by
write-verify (``rram-wan2022``), every pulse preset, and the aging of a pulse
device: its window against write cycles (``taox-hfox``'s HfOx endurance fit) and
the retention of its low-resistance state at 298-573 K (the HfOx retention fit,
:data:`memsim.devices.pulse.HFOX_RETENTION`). It writes a report folder:
``summary.json`` and the fitted device as a preset TOML; the command line adds the
figures, each with its data (CSV) beside it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from .._io import write_json
from .._outdir import OutputFolder
from .._validation import check_scalar
from .._version import __version__
from ..devices.fitting import fit_pulse_ramps
from ..devices.measured import MEASURED_RAMPS, read_ramps
from ..devices.presets import list_presets, load_preset, save_preset
from ..devices.pulse import HFOX_RETENTION, PulseDevice
from ..devices.simulate import ramp_traces, simulate_targets

DRIFT_TIMES = (1.0, 3600.0, 86400.0, 2.592e6, 3.1536e7)   # 1 s, 1 h, 1 day, 30 days, 1 year
RETENTION_TEMPERATURES = (298.0, 398.0, 473.0, 523.0, 573.0)   # K: room to the bakes fitted


@dataclass(frozen=True)
class DemoResult:
    """What :func:`run_demo` found: its summary and the data of its figures.

    Attributes
    ----------
    summary : dict
        As written to ``summary.json``; ``summary["pcm_drift"]`` holds the
        drift records (compensated and not) that the drift figures show.
    folder : memsim._outdir.OutputFolder
        The report folder (figures are added to it).
    fit : memsim.devices.fitting.PulseFit
    ltp, ltd : list of ndarray
        The measured ramps (S per pulse).
    simulated : dict
        ``{"ltp": (mean, std), "ltd": (mean, std)}`` of 200 simulated devices
        of the fitted model (S per pulse).
    """

    summary: dict
    folder: OutputFolder
    fit: object
    ltp: list
    ltd: list
    simulated: dict


def run_demo(out_dir, *, seed=0, n_bootstrap=50, progress=None):
    """Run the device demonstration and write its report to ``out_dir``.

    Parameters
    ----------
    out_dir : str or Path
        Report folder: new, empty, or one this demo wrote with the same
        ``seed`` and ``n_bootstrap`` (anything else is refused, untouched).
    seed : int, default=0
        Seed of every random draw.
    n_bootstrap : int, default=50
        Bootstrap resamples of the ramp fit.
    progress : callable, optional
        Called with a short message before each step.

    Returns
    -------
    DemoResult
        The summary (also written to ``summary.json``) and the data of its
        figures, for :mod:`memsim.plots` (``memsim device demo`` draws them
        into the folder).
    """
    seed = check_scalar("seed", seed, low=0, integer=True)
    n_bootstrap = check_scalar("n_bootstrap", n_bootstrap, low=0, integer=True)
    out = OutputFolder.open(out_dir, "device demo", {"seed": seed, "n_bootstrap": n_bootstrap})
    say = progress or (lambda msg: None)
    summary = {"memsim_version": __version__, "seed": seed}

    say("fitting pulse ramps")
    _, ltp = read_ramps(MEASURED_RAMPS / "set.csv", read_voltage=0.1)
    _, ltd = read_ramps(MEASURED_RAMPS / "reset.csv", read_voltage=0.1)
    data_source = ("measured: CrossSim RRAM ramps shipped in memsim "
                   "(data/measured/crosssim-rram-ramps, BSD-3-Clause), currents at 0.1 V")
    fit = fit_pulse_ramps(ltp, ltd, n_bootstrap=n_bootstrap, seed=seed)
    sim_ltp, sim_ltd = ramp_traces(fit.params(), 200, max(r.size for r in ltp) - 1,
                                   max(r.size for r in ltd) - 1, seed + 1)
    sim = {"ltp": (sim_ltp.mean(axis=1), sim_ltp.std(axis=1)),
           "ltd": (sim_ltd.mean(axis=1), sim_ltd.std(axis=1))}
    save_preset(fit.to_preset("fitted-rram", f"memsim device fit of {data_source}"),
                out / "fitted-rram.toml")
    summary["ramp_fit"] = {"data": data_source, **fit.to_dict()}

    say("simulating PCM drift")
    pcm = load_preset("pcm").device()
    targets = np.array([5e-6, 10e-6, 15e-6, 20e-6, 25e-6])
    times = np.array((0.0,) + DRIFT_TIMES)
    summary["pcm_drift"] = {}
    for comp in (False, True):
        records = simulate_targets(pcm, targets, times, 2000, seed + 2, compensate=comp)
        key = "compensated" if comp else "uncompensated"
        summary["pcm_drift"][key] = records

    say("simulating RRAM relaxation")
    wan = load_preset("rram-wan2022").device()
    summary["rram_relaxation"] = simulate_targets(
        wan, np.array([5e-6, 10e-6, 20e-6, 30e-6, 38e-6]), times, 2000, seed + 4)

    say("aging a pulse device")
    summary["endurance"], summary["retention"] = _aging(load_preset("taox-hfox"), seed + 5)

    say("simulating pulse presets")
    summary["presets"] = {}
    for name in list_presets():
        preset = load_preset(name)
        if preset.model != "pulse":
            continue
        p = preset.params
        ltp_trace, _ = ramp_traces(p, 500, p.p_max_ltp, p.p_max_ltd, seed + 3)
        ltp_mean = ltp_trace.mean(axis=1)
        mid = (p.g_min + p.g_max) / 2
        summary["presets"][name] = {
            "g_min": p.g_min, "g_max": p.g_max, "levels": p.levels, "nl_ltp": p.nl_ltp,
            "nl_ltd": p.nl_ltd,
            "a_ltp": p.a_ltp, "a_ltd": p.a_ltd,
            "ltp_end_mean": float(ltp_mean[-1]), "ltp_end_std": float(ltp_trace[-1].std()),
            "ltp_pulses_to_mid": int(np.argmax(ltp_mean >= mid)),
        }
    write_json(out / "summary.json", summary)
    return DemoResult(summary, out, fit, ltp, ltd, sim)


def _aging(preset, seed):
    """The window of ``preset`` against write cycles, and the retention of devices
    programmed to its ``g_max`` at each of :data:`RETENTION_TEMPERATURES`."""
    device = preset.device()
    p = device.params
    cycles = np.logspace(2, 7, 51)
    g_min, g_max = device.window(cycles)
    endurance = {"preset": preset.name, "cycles": cycles.tolist(), "g_min": g_min.tolist(),
                 "g_max": g_max.tolist(), "failure_cycles": p.failure_cycles,
                 "endurance_cycles": p.endurance_cycles}
    times = np.logspace(0, 9, 37)
    records, onsets = [], {}
    for temperature in RETENTION_TEMPERATURES:
        aged = PulseDevice(replace(p, temperature=temperature, **HFOX_RETENTION))
        onsets[str(temperature)] = aged.retention_onset()
        state = aged.program(np.full(2000, p.g_max), seed)
        for t in times:
            g = aged.conductances(state, float(t))
            records.append({"temperature": temperature, "time": float(t),
                            "mean": float(g.mean()), "std": float(g.std(ddof=1))})
    retention = {"preset": preset.name, "fit": dict(HFOX_RETENTION), "onset_s": onsets,
                 "records": records}
    return endurance, retention


"""The ``memsim`` command line.

Every command validates its input before it writes anything; a bad input
prints ``memsim: error: ...`` naming the file, line or parameter and exits 2.
Output files are written atomically. ``--json`` prints machine-readable
results on stdout; ``--quiet`` silences progress and summaries.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np

from ._io import (check_data_file, check_output, read_npy, to_json, write_bytes, write_csv,
                  write_json, write_text)
from ._validation import check_array
from ._version import __version__
from .devices.iv import IV_LAWS
from .errors import ComputationError, InputError, MemsimError

EXIT_USAGE = 2        # bad input
EXIT_FAILURE = 1      # a computation that did not succeed (e.g. did not converge)
EXIT_INTERRUPTED = 130  # Ctrl-C (128 + SIGINT)
EXIT_BROKEN_PIPE = 141  # stdout closed by its reader (128 + SIGPIPE)

#: Commands that resume from what they stored when run again.
RESUMABLE = ("run", "train")


class CLIError(InputError):
    """An error to report to the user without a traceback."""


def _ints(text, name):
    values = _floats(text, name)
    if not all(float(v).is_integer() for v in values):
        raise CLIError(f"{name} must be a comma-separated list of whole numbers, got {text!r}")
    return [int(v) for v in values]


def _floats(text, name):
    try:
        values = [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise CLIError(f"{name} must be a comma-separated list of numbers, got {text!r}")
    if not values:
        raise CLIError(f"{name} must list at least one number, got {text!r}")
    return values


def _emit(args, payload, text):
    if args.json:
        print(to_json(payload))
    elif not args.quiet:
        print(text)


class _Progress:
    """A progress bar on stderr, made at its first update (so that an input error,
    found before any work, prints alone) and closed before an error line is printed.

    None with --quiet or --json.
    """

    active = []

    def __init__(self, args, **kw):
        self.off = args.quiet or args.json
        self.kw = kw
        self.bar = None

    def update(self, done, total=None, postfix=None):
        if self.off:
            return
        if self.bar is None:
            from tqdm import tqdm
            self.bar = tqdm(file=sys.stderr, total=total, initial=done, **self.kw)
            _Progress.active.append(self)
        elif total is not None:
            self.bar.total = total
        if postfix is not None:
            self.bar.set_postfix_str(postfix, refresh=False)
        self.bar.update(done - self.bar.n)

    def close(self):
        if self.bar is not None:
            self.bar.close()
            self.bar = None
            _Progress.active.remove(self)


def _close_bars():
    for progress in list(_Progress.active):
        progress.close()


# ----------------------------------------------------------------------------- device

def cmd_device_list(args):
    from .devices.presets import list_presets, load_preset
    rows = []
    for name in list_presets():
        p = load_preset(name)
        rows.append({"name": name, "model": p.model, "description": p.description,
                     "source": p.source})
    w_name = max(len(r["name"]) for r in rows)
    w_model = max(len(r["model"]) for r in rows)
    text = "\n".join(f"{r['name']:<{w_name}} {r['model']:<{w_model}} {r['description']}"
                     for r in rows)
    _emit(args, rows, text)


def cmd_device_show(args):
    from .devices.presets import load_preset
    info = load_preset(args.name).to_dict()
    units = info["units"]
    lines = [f"{info['name']} ({info['model']}): {info['description']}",
             f"source: {info['source']}"]
    for key, value in info["parameters"].items():
        lines.append(f"  {key:<18} {value!r} {units.get(key, '')}".rstrip())
    _emit(args, info, "\n".join(lines))


def cmd_device_simulate(args):
    from .devices.presets import load_preset
    from .devices.simulate import simulate_targets
    device = load_preset(args.name).cell_device()
    targets = _floats(args.targets, "--targets")
    times = _floats(args.times, "--times")
    records = simulate_targets(device, targets, times, args.samples, args.seed,
                               compensate=args.compensate)
    text = "\n".join(f"target {r['target']:.4g} S  t {r['time']:.4g} s  mean {r['mean']:.5g} S"
                     f"  std {r['std']:.3g} S" for r in records)
    _emit(args, records, text)


def _compact_model(name, what):
    from .devices.presets import COMPACT_MODELS, load_preset
    preset = load_preset(name)
    if preset.model not in COMPACT_MODELS:
        raise CLIError(f"{what} drives compact models with state ({', '.join(COMPACT_MODELS)}); "
                       f"{name!r} is a {preset.model} preset")
    return preset


def cmd_device_iv(args):
    from ._io import write_csv
    preset = _compact_model(args.name, "memsim device iv")
    if args.points < 4 or args.cycles < 1:
        raise CLIError(f"--points must be >= 4 and --cycles >= 1, got {args.points} and "
                       f"{args.cycles}")
    check_output(args.out, "--out")
    if args.plot:
        from .plots import check_figure_path, data_path
        if data_path(args.plot) != Path(args.out):
            check_figure_path(args.plot, "--plot")
    trace = preset.device().iv_loop(args.amplitude, args.frequency, args.cycles, args.points,
                                    x0=args.x0)
    columns = {"time_s": trace.time, "voltage_V": trace.voltage[0],
               "current_A": trace.current[0], "state": trace.state[0]}
    write_csv(args.out, list(columns), zip(*(map(repr, map(float, c)) for c in columns.values())))
    if args.plot:
        from .plots import plot_iv_loop
        plot_iv_loop(preset.name, columns, args.plot, state_name=preset.params.state_name)
    i, x = trace.current[0], trace.state[0]
    summary = {"preset": preset.name, "model": preset.model, "amplitude_V": args.amplitude,
               "frequency_Hz": args.frequency, "cycles": args.cycles, "points": len(trace.time),
               "state_min": float(x.min()), "state_max": float(x.max()),
               "current_min_A": float(i.min()), "current_max_A": float(i.max()),
               "steps": trace.stats, "out": str(args.out)}
    _emit(args, summary, f"{preset.name} ({preset.model}): {args.cycles} cycles of "
          f"{args.amplitude:g} V at {args.frequency:g} Hz, {len(trace.time)} points -> {args.out}\n"
          f"  state {x.min():.4g} .. {x.max():.4g}   current {i.min():.4g} .. {i.max():.4g} A\n"
          f"  {trace.stats['accepted']} steps accepted, {trace.stats['rejected']} rejected")


def cmd_device_pulses(args):
    from ._io import write_csv
    preset = _compact_model(args.name, "memsim device pulses")
    if args.runs < 1 or args.count < 1:
        raise CLIError(f"--runs and --count must be >= 1, got {args.runs} and {args.count}")
    check_output(args.out, "--out")
    runs = preset.device().pulse_ramp(args.amplitude, args.width, args.count, args.read_voltage,
                                      x0=args.x0, n_devices=args.runs)
    g = runs[0]
    write_csv(args.out, [f"run{k + 1}" for k in range(len(runs))],
              ([repr(float(v)) for v in row] for row in runs.T))
    summary = {"preset": preset.name, "amplitude_V": args.amplitude, "width_s": args.width,
               "count": args.count, "runs": len(runs), "read_voltage_V": args.read_voltage,
               "g_first_S": float(g[0]), "g_last_S": float(g[-1]), "out": str(args.out)}
    _emit(args, summary, f"{preset.name}: {args.count} pulses of {args.amplitude:g} V, "
          f"{args.width:g} s; G at {args.read_voltage:g} V from {g[0]:.4g} S to {g[-1]:.4g} S "
          f"-> {args.out} (conductances, S: memsim device fit reads it)")


def cmd_device_fit(args):
    from .devices.fitting import fit_pulse_ramps
    from .devices.measured import read_ramps
    from .devices.presets import save_preset
    inputs = [args.ltp, args.ltd]
    if args.plot:
        from .plots import check_figure_path
        check_figure_path(args.plot, "--plot", inputs=inputs)
    if args.out:
        check_output(args.out, "--out", inputs=inputs)
    _, ltp = read_ramps(args.ltp, read_voltage=args.read_voltage)
    _, ltd = read_ramps(args.ltd, read_voltage=args.read_voltage)
    fit = fit_pulse_ramps(ltp, ltd, n_bootstrap=args.bootstrap, seed=args.seed)
    # compute everything before writing anything: no half-written outputs
    if args.plot:
        from .plots import plot_ramp_fit
        plot_ramp_fit(fit, ltp, ltd, args.plot)
    if args.out:
        source = (f"memsim {__version__} device fit of {args.ltp} (LTP) and {args.ltd} (LTD)"
                  + (f", currents at {args.read_voltage} V" if args.read_voltage else ""))
        save_preset(fit.to_preset(args.name, source), args.out)
    u = fit.uncertainty
    lines = [f"{k:<7} {getattr(fit, k):.6g} ± {u.get(k, float('nan')):.2g}"
             for k in ("g_min", "g_max", "nl_ltp", "nl_ltd", "c2c")]
    lines.append(f"levels {fit.levels} (LTP), {fit.levels_ltd} (LTD); "
                 f"RMSE {fit.goodness['rmse_relative']:.2%} of range, R² {fit.goodness['r2']:.4f}")
    lines += fit.notes
    _emit(args, fit.to_dict(), "\n".join(lines))


def cmd_device_fit_drift(args):
    from .devices.fitting import fit_drift
    from .devices.measured import read_drift
    data = read_drift(args.csv)
    fit = fit_drift(data["device"], data["time"], data["conductance"],
                    state=data.get("state"), n_states=args.states, t0=args.t0)
    d = fit.to_dict()
    text = "\n".join(f"{s['state']:<12} G0 {s['g0_mean']:.4g} S  nu {s['nu_mean']:.4f} "
                     f"± {s['nu_mean_err']:.4f}  spread {s['nu_std']:.4f}  "
                     f"({s['n_devices']} devices)" for s in d["states"])
    _emit(args, d, text)


# ---------------------------------------------------------------------------- crossbar

def _load_npy(path, name):
    return read_npy(path, f"{name} array")


_CELL_OPTIONS = {"1t1r": ("v_gate", "vth", "kp", "w_over_l"),
                 "1s1r": ("i_s", "ideality", "temperature", "selector")}


def _access(args):
    """The access device of ``--cell`` (None for passive cells), its options checked."""
    cell = getattr(args, "cell", "passive")
    flag = lambda k: f"--{k.replace('_', '-')}"     # noqa: E731
    for kind, keys in _CELL_OPTIONS.items():
        given = [flag(k) for k in keys if getattr(args, k, None) is not None]
        if given and cell != kind:
            raise CLIError(f"{', '.join(given)} describe the access device of --cell {kind}; "
                           f"add --cell {kind} or drop them")
    if cell == "1t1r":
        from .crossbar import AccessTransistor
        missing = [flag(k) for k in _CELL_OPTIONS["1t1r"] if getattr(args, k) is None]
        if missing:
            raise CLIError(f"--cell 1t1r needs the access transistor: give {', '.join(missing)}")
        return AccessTransistor(args.v_gate, args.vth, args.kp, args.w_over_l)
    if cell == "1s1r":
        from .crossbar import Selector
        if args.i_s is None:
            raise CLIError("--cell 1s1r needs the selector's saturation current: give --i-s")
        return Selector(args.i_s, 1.0 if args.ideality is None else args.ideality,
                        300.0 if args.temperature is None else args.temperature,
                        args.selector or "bidirectional")
    return None


def _crossbar(args):
    """The Crossbar and voltages (batch, M) described by the common options."""
    from .crossbar import Crossbar
    from .devices.iv import iv_law
    g = check_array("--conductances", _load_npy(args.conductances, "--conductances"), ndim=2,
                    low=0.0)
    v = check_array("--voltages", _load_npy(args.voltages, "--voltages"))
    wires = _wires(args)
    iv = iv_law(args.iv, args.v0)
    access = _access(args)
    xb = Crossbar(g, wires, iv, args.solver, access=access)
    if np.ndim(v) == 1:
        v = np.asarray(v)[None, :]
    return xb, v


def cmd_crossbar_solve(args):
    import time

    from ._io import check_output, write_bytes
    check_output(args.out, "--out", inputs=[args.conductances, args.voltages])
    from .crossbar.circuit import MATRIX_BATCH, THREAD_FLOPS, Solver
    xb, v = _crossbar(args)
    start = time.perf_counter()
    m, n = xb.shape
    if xb.solver is Solver.LINEAR and len(v) >= MATRIX_BATCH and m * n ** 3 >= THREAD_FLOPS:
        # the solve is one product with K, whose O(M N^3) build is the long part
        bar = _Progress(args, desc=f"effective matrix ({m} x {n}, ~{m * n ** 3:.1e} flops)",
                        unit="row")
        xb.effective_matrix(progress=bar.update)
        bar.close()
    sol = xb.solve(v, rtol=args.rtol)
    elapsed = time.perf_counter() - start
    write_bytes(args.out, lambda fh: np.save(fh, sol.currents))
    m, n = xb.shape
    ideal = v @ xb.g
    scale = np.linalg.norm(ideal)
    summary = {"out": str(args.out), "shape": [m, n], "batch": len(v),
               "solver": xb.solver.value, "cell": args.cell, "seconds": elapsed,
               "max_newton_or_cg_iterations": int(sol.n_iter.max()),
               "relative_residual": None if np.isnan(sol.residual) else sol.residual,
               "relative_deviation_from_ideal": (float(np.linalg.norm(sol.currents - ideal)
                                                       / scale) if scale > 0 else 0.0)}
    # with 1T1R/1S1R cells the ideal product is of the devices alone: the access devices
    # count too
    ideal_of = (" (devices alone; access devices included)" if args.cell != "passive"
                else "")
    text = (f"{len(v)} input(s) on a {m} x {n} array, solver {xb.solver.value}, "
            f"{elapsed:.3g} s; currents (A) written to {args.out}, shape {sol.currents.shape}\n"
            f"deviation from the ideal product G^T V{ideal_of}: "
            f"{summary['relative_deviation_from_ideal']:.3%}")
    _emit(args, summary, text)


def cmd_crossbar_write(args):
    from .crossbar import write_pulse
    preset = _compact_model(args.name, "memsim crossbar write")
    model = preset.device()
    shape = _ints(args.shape, "--shape")
    if len(shape) != 2 or min(shape) < 1:
        raise CLIError(f"--shape must be M,N (rows, columns), got {args.shape!r}")
    if args.states and args.state is not None:
        raise CLIError("give --state (every cell) or --states (a file), not both")
    if args.states:
        states = check_array("--states", _load_npy(args.states, "--states"), ndim=2)
        if states.shape != tuple(shape):
            raise CLIError(f"--states has shape {states.shape}, --shape says {tuple(shape)}")
    else:
        states = np.full(shape, model.params.x0 if args.state is None else args.state)
    if args.out:
        check_output(args.out, "--out", inputs=[args.states] if args.states else [])
    wires = _wires(args)
    columns = _ints(args.columns, "--columns")
    scheme = _write_scheme(args)
    res = write_pulse(model, states, args.row, columns, args.v_write, args.width,
                      scheme=scheme, wires=wires, steps=args.steps, access=_access(args))
    if args.out:
        from ._io import write_bytes
        write_bytes(args.out, lambda fh: np.save(fh, res.states))
    half = np.zeros(res.states.shape, dtype=bool)
    half[args.row, :] = True
    half[:, columns] = True
    half &= ~res.selected
    v = res.voltages
    summary = {"preset": preset.name, "shape": shape, "cell": args.cell, "scheme": scheme,
               "v_write_V": args.v_write, "width_s": args.width,
               "selected_voltage_V": [float(v[res.selected].min()), float(v[res.selected].max())],
               "half_selected_voltage_V": ([float(v[half].min()), float(v[half].max())]
                                           if half.any() else None),
               "disturbed": int(res.disturbed.sum()), "half_selected": int(half.sum()),
               "selected_state_change": float(np.abs(res.states - states)[res.selected].max()),
               "max_disturb_state_change": float(np.abs(res.states - states)[~res.selected].max()
                                                 if (~res.selected).any() else 0.0),
               "energy_cells_J": res.energy_cells, "energy_access_J": res.energy_access,
               "energy_sources_J": res.energy_sources, "out": args.out}
    text = (f"{preset.name}: {scheme} write of row {args.row}, columns {columns}, "
            f"{args.v_write:g} V for {args.width:g} s on a {shape[0]} x {shape[1]} array\n"
            f"  selected cells see {v[res.selected].min():.4g}..{v[res.selected].max():.4g} V"
            + (f", half-selected {v[half].min():.4g}..{v[half].max():.4g} V" if half.any()
               else "") +
            f"\n  disturbed {summary['disturbed']} of {res.states.size - res.selected.sum()} "
            f"unselected cells (largest state change {summary['max_disturb_state_change']:.3g}"
            f"); selected state change {summary['selected_state_change']:.3g}\n"
            f"  energy: {res.energy_cells:.4g} J in the devices"
            + (f", {res.energy_access:.4g} J in the access devices" if args.cell != "passive"
               else "") + f", {res.energy_sources:.4g} J from the drivers")
    _emit(args, summary, text)


def cmd_crossbar_train(args):
    from ._outdir import OutputFolder
    from .studies.insitu import HISTORY, train_insitu
    preset = _compact_model(args.name, "memsim crossbar train")
    scheme = _write_scheme(args)
    access = _access(args)
    wires = _wires(args)
    identity = {k: v for k, v in sorted(vars(args).items())
                if k not in ("func", "json", "quiet", "out") and not k.endswith("_command")}
    folder = OutputFolder.open(args.out, "crossbar-train", identity, of="options")
    bar = _Progress(args, desc="in-situ training", unit="epoch")
    res = train_insitu(preset.device(), access=access, scheme=scheme, wires=wires,
                       epochs=args.epochs, v_write=args.v_write, width=args.width,
                       v_read=args.v_read, steps=args.steps, seed=args.seed,
                       progress=lambda done, total, post: bar.update(done, total, post))
    bar.close()
    h = res.history
    write_csv(folder / "history.csv", HISTORY, zip(*(h[k] for k in HISTORY)))
    write_bytes(folder / "states.npy", lambda fh: np.save(fh, res.states))
    trained = np.flatnonzero(h["accuracy"] == 1.0)
    summary = {"preset": preset.name, "cell": args.cell, "scheme": scheme,
               "epochs": args.epochs, "final_accuracy": float(h["accuracy"][-1]),
               "first_epoch_at_100pct": int(trained[0]) if trained.size else None,
               "pulses": int(h["pulses"].sum()), "cells_written": int(h["cells_written"].sum()),
               "disturb_events": int(h["disturb_events"].sum()),
               "disturbed_cells": int(res.disturbed.sum()), "cells": int(res.disturbed.size),
               "disturb_state_change": float(h["disturb_state_change"].sum()),
               "energy_J": {k[len("energy_"):-2]: float(h[k].sum())
                            for k in HISTORY if k.startswith("energy_")},
               "out": str(args.out)}
    write_json(folder / "summary.json", summary)
    e = summary["energy_J"]
    text = (f"{preset.name}, {args.cell} cells, {scheme} writes: accuracy "
            f"{h['accuracy'][0]:.0%} -> {h['accuracy'][-1]:.0%} in {args.epochs} epochs"
            + (f" (100% from epoch {summary['first_epoch_at_100pct']})" if trained.size else "")
            + f"\n  {summary['pulses']} pulses wrote {summary['cells_written']} cells; "
            f"{summary['disturb_events']} disturb events on {summary['disturbed_cells']} of "
            f"{summary['cells']} cells, total state change {summary['disturb_state_change']:.4g}"
            f"\n  write energy: {e['selected']:.4g} J in written devices, {e['unselected']:.4g}"
            f" J in unselected devices, {e['access']:.4g} J in access devices, "
            f"{e['sources']:.4g} J from the drivers\n  history in {args.out}/history.csv")
    _emit(args, summary, text)


def cmd_crossbar_map(args):
    from .plots import check_figure_path, plot_crossbar_maps
    check_figure_path(args.out, "--out", inputs=[args.conductances, args.voltages])
    xb, v = _crossbar(args)
    if not 0 <= args.index < len(v):
        raise CLIError(f"--index must be in [0, {len(v) - 1}] for {len(v)} input(s), "
                       f"got {args.index}")
    sol = xb.solve(v[args.index], return_voltages=True, rtol=args.rtol)
    info = plot_crossbar_maps(xb.g, v[args.index], sol, args.out, iv=xb.iv)
    text = (f"maps of input {args.index} written to {args.out} (data: "
            f"{info['data']}); smallest device voltage {info['min_device_voltage']:.4g} V "
            f"of {info['max_source_voltage']:.4g} V driven")
    _emit(args, info, text)


def _wire_options(p, column_end):
    p.add_argument("--r-row", type=float, metavar="OHMS", help="row-wire segment resistance")
    p.add_argument("--r-col", type=float, metavar="OHMS", help="column-wire segment resistance")
    p.add_argument("--r-driver", type=float, default=0.0, metavar="OHMS",
                   help="row driver output resistance (default: %(default)s)")
    p.add_argument("--r-sense", type=float, default=0.0, metavar="OHMS",
                   help=f"{column_end} resistance (default: %(default)s)")


def _wires(args):
    """The Wires of --r-row/--r-col/--r-driver/--r-sense, or None (no wire resistance)."""
    from .crossbar import Wires
    if (args.r_row is None) != (args.r_col is None):
        raise CLIError("--r-row and --r-col go together: give both (ohms per segment) "
                       "or neither (ideal wiring)")
    return None if args.r_row is None else Wires(args.r_row, args.r_col, args.r_driver,
                                                args.r_sense)


def _cell_options(p):
    p.add_argument("--cell", choices=["passive", "1t1r", "1s1r"], default="passive",
                   help="passive: the device alone; 1t1r: the device in series with an NMOS "
                   "access transistor (level-1 MOSFET, Shichman-Hodges) to the column; "
                   "1s1r: in series with a diode-law selector (Shockley)")
    p.add_argument("--v-gate", type=float, metavar="V",
                   help="1t1r: gate (word-line) voltage of the cells read or written")
    p.add_argument("--vth", type=float, metavar="V", help="1t1r: threshold voltage")
    p.add_argument("--kp", type=float, metavar="A/V2",
                   help="1t1r: process transconductance mu_n C_ox")
    p.add_argument("--w-over-l", type=float, metavar="X", help="1t1r: transistor W/L")
    p.add_argument("--i-s", type=float, metavar="A", help="1s1r: selector saturation current")
    p.add_argument("--ideality", type=float, metavar="N",
                   help="1s1r: selector ideality factor (default 1)")
    p.add_argument("--temperature", type=float, metavar="K",
                   help="1s1r: temperature of V_T = k_B T / q (default 300 K)")
    p.add_argument("--selector", choices=["bidirectional", "rectifying"],
                   help="1s1r: two antiparallel diodes (default) or one")


def _write_scheme(args):
    """--scheme, defaulting to 'gate' for 1T1R cells and 'v/3' otherwise."""
    one_t = args.cell == "1t1r"
    scheme = args.scheme or ("gate" if one_t else "v/3")
    if (scheme == "gate") != one_t:
        raise CLIError(f"--scheme {scheme} does not write --cell {args.cell} arrays: 1t1r "
                       f"arrays are written by their gates (--scheme gate), passive and 1s1r "
                       f"ones by v/2 or v/3")
    return scheme


def _circuit_options(p):
    p.add_argument("--conductances", required=True, metavar="G.npy",
                   help="device conductances, S, shape (M rows, N columns)")
    p.add_argument("--voltages", required=True, metavar="V.npy",
                   help="row source voltages, V, shape (batch, M): one input per row")
    _wire_options(p, "sense-amplifier input")
    p.add_argument("--iv", choices=IV_LAWS, default="ohmic",
                   help="device I-V law (milo2021: Milo et al., IRPS 2021, within +-0.5 V)")
    p.add_argument("--v0", type=float, help="sinh characteristic voltage, V")
    p.add_argument("--solver", choices=["auto", "ideal", "linear", "nonlinear"],
                   default="auto", help="circuit solver (default: %(default)s)")
    p.add_argument("--rtol", type=float, default=1e-10,
                   help="relative KCL residual of iterative solves (default: %(default)s)")


# ------------------------------------------------------------------------------ energy

def cmd_energy(args):
    from .config import load_config
    from .studies.energy import ENERGY_DEFAULTS, run_energy
    config = load_config(ENERGY_DEFAULTS, args.config, args.set or ())
    if args.plot:
        from .plots import check_figure_path
        check_figure_path(args.plot, "--plot", inputs=[args.config])
    folder = None
    if args.out:
        from ._outdir import OutputFolder
        folder = OutputFolder.open(args.out, "energy", config)
    report = run_energy(config)
    if args.plot:
        from .plots import plot_energy_breakdown
        plot_energy_breakdown(report, args.plot)
    if folder is not None:
        _write_energy_folder(folder, report)
    e = report["energy_per_inference"]
    total = e["total_joules"]
    ops, tops = report["ops_per_inference"], report["tops_per_watt"]
    lines = [f"energy per inference on {report['technology']} tiles: {total * 1e12:.4g} pJ; "
             f"{ops['useful']:.6g} useful ops (2 per synaptic event) of {ops['dense']} dense "
             f"(2 per MAC): {tops['useful']:.3g} useful TOPS/W, {tops['dense']:.3g} dense TOPS/W"]
    lines += [f"  {c:<14} {v['joules'] * 1e12:>12.4g} pJ  {v['events']:>12.6g} events"
              for c, v in e["components"].items()]
    timing = report["latency"]
    lines.append(f"latency per inference: {timing['latency_s'] * 1e9:.4g} ns "
                 f"({'pipelined layers' if timing['pipelined'] else 'layer after layer'}: "
                 f"{timing['throughput_per_s']:.4g} inferences/s); energy-delay product "
                 f"{report['energy_delay_product_Js']:.4g} J s")
    lines += [f"  {p:<14} {s * 1e9:>12.4g} ns" for p, s in timing["phases"].items()]
    area, density = report["area"], report["tops_per_mm2"]
    lines.append(f"chip area: {area['total_m2'] * 1e6:.4g} mm^2 on {area['tiles']} tiles: "
                 f"{density['useful']:.3g} useful TOPS/mm^2, {density['dense']:.3g} dense "
                 f"TOPS/mm^2")
    lines += [f"  {c:<14} {a * 1e12:>12.4g} um^2" for c, a in area["components"].items()]
    lines.append("baselines (same network, same measured activity; x: baseline / analog):")
    lines.append(f"  {'':<10} {'energy':>12}     {'x':>7} {'latency':>12}    {'x':>7} "
                 f"{'area':>11}      {'x':>7}")
    lines += [f"  {n:<10} {b['total_joules'] * 1e12:>9.4g} pJ {b['ratio_to_analog']:>7.3g}x "
              f"{b['latency_s'] * 1e9:>9.4g} ns {b['latency_ratio_to_analog']:>7.3g}x "
              f"{b['area_m2'] * 1e6:>8.4g} mm2 {b['area_ratio_to_analog']:>7.3g}x  {b['what']}"
              for n, b in report["baselines"].items()]
    lines.append("output error (relative, per layer): "
                 + ", ".join(f"{x:.3g}" for x in report["output_error"]))
    _emit(args, report, "\n".join(lines))


def _write_energy_folder(folder, report):
    """``energy.json``, the breakdown figure with its data and ``report.html`` in ``folder``."""
    from .plots import plot_energy_breakdown
    from .report import energy_report
    write_json(folder / "energy.json", report)
    figures = _draw(folder, {"energy_breakdown": (plot_energy_breakdown, (report,), {})})
    write_text(folder / "report.html", energy_report(
        report, {"Energy per inference: totals and each component's share":
                 figures["energy_breakdown"][0]}))


# ----------------------------------------------------------------------------- nir

def _nir_config(args):
    from .config import load_config
    from .nir.run import NIR_DEFAULTS
    return load_config(NIR_DEFAULTS, args.config, args.set or ())


def cmd_nir_info(args):
    from .nir.run import graph_info
    info = graph_info(args.graph, _nir_config(args))
    lines = [f"{args.graph}: input {tuple(info['input_shape'])} -> output "
             f"{tuple(info['output_shape'])}; {info['parameters']} parameters, "
             f"{info['tiles']} tiles"]
    for name, node in info["nodes"].items():
        extra = (f"  matrices {[tuple(m) for m in node['matrices']]} x "
                 f"{node['reads_per_step']} reads/step, {node['tiles']} tiles"
                 if "matrices" in node else "")
        lines.append(f"  {name:<16} {node['type']:<10} {str(tuple(node['in'])):>16} -> "
                     f"{str(tuple(node['out'])):<16} {node['parameters']:>8} params{extra}")
    if info["delayed_edges"]:
        lines.append("recurrent edges (one step of delay): "
                     + ", ".join(f"{a} -> {b}" for a, b in info["delayed_edges"]))
    _emit(args, info, "\n".join(lines))


def cmd_nir_run(args):
    from ._outdir import OutputFolder
    from .nir.run import run_nir
    config = _nir_config(args)
    check_output(args.out, "--out", inputs=[args.graph, args.input])
    x = _load_npy(args.input, "--input")
    identity = {"config": config, "graph": str(args.graph), "input": str(args.input),
                "dt": args.dt, "digital": args.digital}
    folder = OutputFolder.open(args.out, "nir-run", identity, of="graph, input and config")
    res = run_nir(args.graph, x, args.dt, config, digital_only=args.digital)
    write_bytes(folder / "outputs.npy", lambda fh: np.save(fh, res["outputs"]))
    summary = {"graph": str(args.graph), "input": str(args.input),
               "input_shape": list(np.shape(x)), "dt": args.dt,
               "integrator": config["graph"]["integrator"],
               "spike_mode": config["graph"]["spikes"],
               "batch": res["batch"], "steps": res["steps"], "digital_only": args.digital,
               "spikes": res["spikes"], "digital_spikes": res["digital_spikes"],
               "config": config}
    if not args.digital:
        write_bytes(folder / "digital_outputs.npy",
                    lambda fh: np.save(fh, res["digital_outputs"]))
        summary.update(comparison=res["comparison"], cost=res["cost"], tiles=res["tiles"])
    write_json(folder / "summary.json", summary)
    from .report import nir_report
    write_text(folder / "report.html", nir_report(summary))
    lines = [f"{args.graph}: {res['batch']} input(s) x {res['steps']} steps of {args.dt:g} s; "
             f"outputs {tuple(np.shape(res['outputs']))} in {args.out}/outputs.npy",
             "spikes (tiles / digital): " + ", ".join(
                 f"{n} {res['spikes'].get(n, 0)}/{d}" for n, d in res["digital_spikes"].items())]
    if not args.digital:
        c, cost = res["comparison"], res["cost"]
        lines.append("tiles vs digital: relative difference "
                     f"{c['relative_difference']:.3g}, max |difference| "
                     f"{c['max_abs_difference']:.3g}"
                     + (f", top-1 agreement {c['top1_agreement']:.0%}"
                        if "top1_agreement" in c else ""))
        lines.append(f"per inference on {config['technology']} tiles: "
                     f"{cost['analog']['total_joules'] * 1e12:.4g} pJ, "
                     f"{cost['latency']['latency_s'] * 1e9:.4g} ns, "
                     f"{cost['area']['total_m2'] * 1e6:.4g} mm^2 ({cost['area']['tiles']} tiles)")
        lines += [f"  {n:<11} {b['total_joules'] * 1e12:>12.4g} pJ  x{b['ratio_to_analog']:.3g} "
                  f"energy, x{b['latency_ratio_to_analog']:.3g} latency"
                  for n, b in cost["baselines"].items()]
    _emit(args, summary, "\n".join(lines))


def cmd_nir_export(args):
    from .nir.export import export_policy
    from .rl.train import load_policy
    check_output(args.out, "--out")
    agent, _, meta = load_policy(args.policy, what="POLICY")
    graph = export_policy(agent, args.out)
    info = {"policy": str(args.policy), "out": str(args.out), "nodes": sorted(graph.nodes),
            "dt": agent.config.neuron.dt, "steps_per_decision":
            agent.config.steps_per_decision}
    _emit(args, info, f"{args.policy} ({meta['env']}, {agent.config.n_rec} LIF neurons) "
          f"written to {args.out} as a NIR graph of {len(graph.nodes)} nodes; run it with "
          f"forward Euler at dt = {agent.config.neuron.dt:g} s, "
          f"{agent.config.steps_per_decision} steps per decision")


# ----------------------------------------------------------------------------- rl

def cmd_train(args):
    from .plots import LEARNING_CURVE_COLUMNS, check_figure_path, data_path, plot_learning_curve
    from .rl.train import policy_files, read_log
    from .studies.train import train
    files = policy_files(args.out)
    curve = Path(f"{files['policy'].with_suffix('')}.curve.png")
    check_figure_path(curve, f"--out ({curve.name})", inputs=[args.init])
    check_data_file(data_path(curve), LEARNING_CURVE_COLUMNS, "learning-curve data")
    bar = _Progress(args, desc=f"train {args.env}", unit="episode")

    def progress(episode, ret, mean):
        bar.update(episode + 1, args.episodes, f"return {ret:.0f}, mean {mean:.1f}")

    meta = train(args.env, args.out, args.seed, rule=args.rule, config_path=args.config,
                 overrides=args.set or (), episodes=args.episodes, progress=progress,
                 command="memsim " + " ".join(sys.argv[1:]), init=args.init)
    bar.close()
    rows = read_log(files["log"])
    if rows:
        plot_learning_curve(rows, curve, target=meta["target"], window=meta["window"],
                            title=f"{args.env}, {args.rule}, seed {args.seed}")
    text = (f"{args.env}: {meta['episodes']} episodes in {meta['seconds']:.1f} s, mean return "
            f"of the last {meta['window']} {meta['final_mean_return']:.1f} (target "
            f"{meta['target']:g}: {'met' if meta['criterion_met'] else 'NOT met'}); policy "
            f"written to {args.out}")
    wear = meta.get("device_wear")
    if wear:
        text += (f"\n{wear['devices']} devices: write cycles per device max {wear['max_cycles']}, "
                 f"mean {wear['mean_cycles']:.1f} (programming included); "
                 f"{wear['failed_devices']} failed")
    _emit(args, meta, text)


def cmd_evaluate(args):
    from .studies.train import evaluate
    stats = evaluate(args.policy, args.episodes, args.seed, greedy=not args.sample)
    text = (f"{stats['env']}: mean return {stats['mean_return']:.1f} ± {stats['std_return']:.1f} "
            f"over {stats['episodes']} episodes; {stats['spikes_per_decision']:.1f} spikes and "
            f"{stats['synaptic_events_per_decision']:.0f} synaptic events per decision, mean "
            f"rate {stats['mean_rate']:.3f} spikes per neuron per step")
    _emit(args, stats, text)


def _draw(folder, figures):
    """Draw ``figures`` (``{name: (plot, args, kwargs)}``) into the output folder as
    ``name.png`` with its ``name.csv``; returns ``{name: [figure, data]}`` paths."""
    drawn = {}
    for name, (plot, plot_args, kwargs) in figures.items():
        png, _ = folder.claim(f"{name}.png", f"{name}.csv")
        drawn[name] = [str(path) for path in plot(*plot_args, png, **kwargs)]
    return drawn


# ------------------------------------------------------------------------------- run

def cmd_run(args):
    from .config import load_config
    from .studies.run import RUN_DEFAULTS, format_table, run_experiment
    config = load_config(RUN_DEFAULTS, args.config, args.set or ())
    bar = _Progress(args, desc="memsim run", unit="point")

    def progress(done, total, point):
        bar.update(done, total, f"{point['policy']} on {point['device']}")

    summary = run_experiment(config, args.out, progress=progress)
    bar.close()
    from ._outdir import OutputFolder
    from .plots import plot_energy_per_decision, plot_return_vs_drift
    folder = OutputFolder.existing(args.out, "run")
    summary["figures"] = _draw(folder, {
        "return_vs_drift": (plot_return_vs_drift, (summary,), {}),
        "energy_per_decision": (plot_energy_per_decision, (summary,), {})})
    write_json(folder / "summary.json", summary)
    from .report import run_report
    write_text(folder / "report.html", run_report(summary, {
        "Return against time after programming": summary["figures"]["return_vs_drift"][0],
        "Energy per decision": summary["figures"]["energy_per_decision"][0]}))
    text = (f"memsim {__version__}: spiking agents on memristor tiles, report in {args.out}/\n"
            f"return: mean ± std over episodes of every device instance; energy and latency "
            f"per decision on the tiles; int8 dense x, int8 event x, Loihi x: baseline energy / analog "
            f"energy (both int8 designs carry the analog side's neuron updates, spike routing "
            f"and activation traffic)\n"
            + format_table(summary))
    _emit(args, summary, text)


# ----------------------------------------------------------------------------- sweep

def cmd_sweep(args):
    if args.target == "plot":
        return _sweep_plot(args)
    if args.extra is not None:
        raise CLIError(f"memsim sweep takes one SPEC, got also {args.extra!r} (the plot "
                       f"command is `memsim sweep plot DIR`)")
    if args.out is None:
        raise CLIError("memsim sweep SPEC needs --out DIR (the results folder)")
    from .studies.sweep import load_spec, run_sweep
    spec = load_spec(args.target)
    bar = _Progress(args, desc="memsim sweep", unit="point", smoothing=0.05)

    def progress(done, total):
        bar.update(done, total)

    try:
        summary = run_sweep(spec, args.out, resume=args.resume, workers=args.workers,
                            scheduler=args.scheduler, dask_local=args.dask_local,
                            timeout=args.timeout, progress=progress)
    except KeyboardInterrupt:
        _close_bars()
        print(f"memsim: interrupted; every finished point is stored in {args.out}/results; "
              f"run the same command with --resume to compute the rest", file=sys.stderr)
        raise SystemExit(130)
    bar.close()
    text = (f"memsim {__version__}: sweep {spec['source']} ({spec['experiment']}), "
            f"{summary['points']} points: {summary['computed']} computed"
            + (f" on {summary['backend']}" if summary["backend"] else "")
            + f" in {summary['seconds']:.1f} s, {summary['skipped']} already stored; "
            f"results in {summary['results']}")
    _emit(args, summary, text)


def _sweep_plot(args):
    if args.extra is None:
        raise CLIError("memsim sweep plot needs the results folder: memsim sweep plot DIR")
    from ._outdir import OutputFolder
    from .plots import plot_sweep
    from .studies.sweep import load_results
    folder = OutputFolder.existing(args.extra, "sweep")
    meta, rows = load_results(folder.path)
    if not rows:
        raise CLIError(f"{args.extra} holds no finished points yet")
    folder.claim("plots")
    figures = plot_sweep(meta, rows, folder.path)
    text = "\n".join(f"{m}: {paths[0]} (data: {paths[1]})" for m, paths in figures.items())
    _emit(args, {m: [str(p) for p in paths] for m, paths in figures.items()}, text)


def cmd_device_demo(args):
    from .studies.demo import run_demo
    steps = _Progress(args, desc="memsim device demo")
    started = []

    def progress(msg):
        steps.update(len(started), 5, msg)     # the steps before this one have finished
        started.append(msg)

    result = run_demo(args.out, seed=args.seed, n_bootstrap=args.bootstrap, progress=progress)
    steps.update(len(started), 5)
    steps.close()
    from .plots import plot_drift, plot_endurance, plot_ramp_fit, plot_retention
    summary = result.summary
    _draw(result.folder, {
        "ramp_fit": (plot_ramp_fit, (result.fit, result.ltp, result.ltd),
                     {"simulated": result.simulated}),
        **{f"pcm_drift_{key}": (plot_drift, (records,),
                                {"title": f"PCM, {key} (2000 devices per target)"})
           for key, records in summary["pcm_drift"].items()},
        "rram_relaxation": (plot_drift, (summary["rram_relaxation"],),
                            {"title": "RRAM (rram-wan2022): relaxation after write-verify"}),
        "endurance": (plot_endurance, (summary["endurance"],), {}),
        "retention": (plot_retention, (summary["retention"],), {})})
    relax = {r["time"]: r["std"] for r in summary["rram_relaxation"] if r["target"] == 20e-6}
    wear = summary["endurance"]
    window = [hi / lo for lo, hi in zip(wear["g_min"], wear["g_max"])]
    kept = summary["retention"]["records"]
    t_last = max(r["time"] for r in kept)
    held = {r["temperature"]: r["mean"] for r in kept if r["time"] == t_last}
    fit = summary["ramp_fit"]
    lines = [f"memsim {__version__}: device demo, report in {args.out}/",
             f"RRAM ramp fit ({fit['data'].split(':')[0]} data):",
             f"  g_min {fit['g_min'] * 1e3:.4f} mS, g_max {fit['g_max'] * 1e3:.4f} mS, "
             f"NL LTP {fit['nl_ltp']:+.2f}, NL LTD {fit['nl_ltd']:+.2f}, c2c {fit['c2c']:.3%}, "
             f"RMSE {fit['goodness']['rmse_relative']:.2%} of range",
             "PCM at 25 µS target, mean (µS) after: " + ", ".join(
                 f"{r['time']:.3g} s {r['mean'] * 1e6:.2f}"
                 for r in summary["pcm_drift"]["uncompensated"] if r["target"] == 25e-6),
             "pulse presets: LTP pulses from g_min to mid-range (of a full ramp)"]
    lines += [f"  {n:<10} {v['ltp_pulses_to_mid']:>4} of {v['levels']}"
              for n, v in summary["presets"].items()]
    lines += ["RRAM rram-wan2022 at 20 µS, spread (µS) after: " + ", ".join(
                  f"{t:.3g} s {s * 1e6:.2f}" for t, s in relax.items() if t > 0),
              f"{wear['preset']} window g_max/g_min: {window[0]:.1f} fresh, "
              f"{window[20]:.1f} at {wear['cycles'][20]:.0e} cycles, {window[40]:.1f} at "
              f"{wear['cycles'][40]:.0e}; devices fail at {wear['failure_cycles']:.3g} cycles",
              f"{wear['preset']} at g_max, HfOx retention: conductance (µS) after "
              f"{t_last:.0e} s: " + ", ".join(
                  f"{temp:g} K {g * 1e6:.1f}" for temp, g in held.items())]
    _emit(args, summary, "\n".join(lines))


# --------------------------------------------------------------------------- parser

def _config_arguments(parser, example):
    """The optional CONFIG.toml and repeatable --set of an experiment command."""
    parser.add_argument("config", nargs="?", help="experiment config TOML (default: built-in)")
    parser.add_argument("--set", action="append", metavar="KEY=VALUE",
                        help=f"override a config key, e.g. --set {example} (repeatable)")


def build_parser():
    parser = argparse.ArgumentParser(
        prog="memsim", description="Simulator of memristor crossbar hardware for "
        "neuromorphic computing.")
    parser.add_argument("--version", action="version", version=f"memsim {__version__}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--json", action="store_true", help="print machine-readable JSON")
    common.add_argument("--quiet", action="store_true", help="no progress or summary output")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser(
        "run", parents=[common], help="the main job: spiking agents on memristor tiles",
        description="Deploy trained spiking policies on memristor tiles of each device, "
        "evaluate them in closed loop at each drift time (with and without drift "
        "compensation, over Monte Carlo device instances), price every decision against "
        "digital baselines, and write a report folder (summary.json, points.json, "
        "results.csv, figures with their data). Without CONFIG it runs the default "
        "experiment (data/experiments/run.toml documents every key). Run again with the "
        "same --out to resume.")
    _config_arguments(run, "evaluation.episodes=8")
    run.add_argument("--out", default="memsim-report", help="report folder (default: %(default)s)")
    run.set_defaults(func=cmd_run)

    p = sub.add_parser(
        "sweep", parents=[common], help="parameter and Monte Carlo sweeps, local or on Dask",
        usage="memsim sweep SPEC --out DIR [--resume] [--workers N | --dask-local N | "
        "--scheduler ADDR]\n       memsim sweep plot DIR",
        description="Run every point of a sweep spec (TOML: experiment, [base], [grid], "
        "[random], replicates, measures; shipped: data/sweeps) in local processes (default: "
        "all cores) or on Dask, one result row per point in DIR/results, or draw each "
        "measure against each swept parameter with 95%% confidence bands (`memsim sweep "
        "plot DIR`). An interrupted sweep continues with --resume; a folder of another "
        "spec is refused.")
    p.add_argument("target", metavar="SPEC|plot",
                   help="sweep spec (shipped name or .toml path), or `plot`")
    p.add_argument("extra", nargs="?", metavar="DIR", help="results folder (for `plot`)")
    p.add_argument("--out", help="results folder")
    p.add_argument("--resume", action="store_true",
                   help="continue the sweep stored in --out, computing only missing points")
    p.add_argument("--workers", type=int, help="local worker processes (default: all cores)")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--scheduler", metavar="ADDR",
                       help="run on the Dask cluster whose scheduler is at tcp://HOST:PORT")
    where.add_argument("--dask-local", type=int, metavar="N",
                       help="start a local Dask cluster of N single-threaded workers")
    p.add_argument("--timeout", type=float, default=10.0, metavar="SECONDS",
                   help="wait this long for --scheduler to answer (default: %(default)s)")
    p.set_defaults(func=cmd_sweep)

    device = sub.add_parser("device", help="device models: presets, simulation, fitting",
                            description="Device presets, simulation and characterisation.")
    dsub = device.add_subparsers(dest="device_command", required=True, metavar="SUBCOMMAND")
    p = dsub.add_parser("demo", parents=[common], help="device characterisation demo",
                        description="Fit the measured RRAM ramps, simulate PCM drift and "
                        "every pulse preset, write a report folder.")
    p.add_argument("--out", default="memsim-device-report",
                   help="report folder (default: %(default)s)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default: %(default)s)")
    p.add_argument("--bootstrap", type=int, default=50, help="bootstrap resamples of the fit")
    p.set_defaults(func=cmd_device_demo)
    p = dsub.add_parser("list", parents=[common], help="list device presets")
    p.set_defaults(func=cmd_device_list)
    p = dsub.add_parser("show", parents=[common], help="show a preset's parameters",
                        description="Parameters (SI units, snake case) of a preset or a "
                        "preset TOML file; for pulse devices also a_ltp and a_ltd (pulses).")
    p.add_argument("name", help="preset name or path to a preset .toml")
    p.set_defaults(func=cmd_device_show)
    p = dsub.add_parser("simulate", parents=[common], help="program and read devices",
                        description="Program SAMPLES devices per target and read them at "
                        "each time; prints mean and std per (target, time).")
    p.add_argument("name", help="preset name or path to a preset .toml")
    p.add_argument("--targets", required=True, help="target conductances, S, comma-separated")
    p.add_argument("--times", required=True, help="read times after programming, s, "
                   "comma-separated (0 = right after programming)")
    p.add_argument("--samples", type=int, default=1000, help="devices per target")
    p.add_argument("--seed", type=int, default=0, help="random seed (default: %(default)s)")
    p.add_argument("--compensate", action="store_true", help="global drift compensation")
    p.set_defaults(func=cmd_device_simulate)
    p = dsub.add_parser("iv", parents=[common], help="I-V loop of a compact model",
                        description="Drive a compact model (vteam, yakopcic, stanford-pku) "
                        "with AMPLITUDE sin(2 pi FREQUENCY t); CSV columns time_s, voltage_V, "
                        "current_A, state.")
    p.add_argument("name", help="compact-model preset name or path to a preset .toml")
    p.add_argument("--amplitude", type=float, required=True, help="V")
    p.add_argument("--frequency", type=float, required=True, help="Hz")
    p.add_argument("--cycles", type=int, default=2, help="periods (default: %(default)s)")
    p.add_argument("--points", type=int, default=200, help="output points per period")
    p.add_argument("--x0", type=float, help="initial state, in the model's units (default: "
                   "the preset's)")
    p.add_argument("--out", required=True, help="CSV file to write")
    p.add_argument("--plot", help="write the I-V loop and state figure here (its data as .csv)")
    p.set_defaults(func=cmd_device_iv)
    p = dsub.add_parser("pulses", parents=[common], help="pulse ramp of a compact model",
                        description="COUNT rectangular pulses of AMPLITUDE for WIDTH each; the "
                        "conductance read at --read-voltage before and after every pulse, as "
                        "a ramp CSV that memsim device fit reads (one column per run, S).")
    p.add_argument("name", help="compact-model preset name or path to a preset .toml")
    p.add_argument("--amplitude", type=float, required=True, help="V (sign sets the direction)")
    p.add_argument("--width", type=float, required=True, help="pulse width, s")
    p.add_argument("--count", type=int, required=True, help="number of pulses")
    p.add_argument("--read-voltage", type=float, default=0.1, help="V (default: %(default)s)")
    p.add_argument("--x0", type=float, help="initial state, in the model's units (default: the "
                   "bound the pulses drive it away from)")
    p.add_argument("--runs", type=int, default=2,
                   help="ramps written, one column each (the fit needs 2; the models are "
                   "deterministic, so they repeat exactly; default: %(default)s)")
    p.add_argument("--out", required=True, help="CSV file to write")
    p.set_defaults(func=cmd_device_pulses)
    p = dsub.add_parser("fit", parents=[common], help="fit the pulse model to measured ramps",
                        description="Fit g_min, g_max, NL LTP/LTD and c2c to measured ramps "
                        "(CSV: one column per run, one row per pulse), with bootstrap "
                        "uncertainties, run-to-run spread and goodness of fit.")
    p.add_argument("--ltp", required=True, help="potentiation ramps CSV")
    p.add_argument("--ltd", required=True, help="depression ramps CSV")
    p.add_argument("--read-voltage", type=float, default=None,
                   help="cells are read currents (A) at this voltage (V)")
    p.add_argument("--bootstrap", type=int, default=100, help="bootstrap resamples")
    p.add_argument("--seed", type=int, default=0, help="bootstrap seed")
    p.add_argument("--plot", help="write the data-vs-model figure here (its data as .csv)")
    p.add_argument("--out", help="write the fitted preset TOML here")
    p.add_argument("--name", default="fitted", help="preset name in --out")
    p.set_defaults(func=cmd_device_fit)
    p = dsub.add_parser("fit-drift", parents=[common], help="fit drift exponents",
                        description="Fit G = G0((t+t0)/t0)^-nu per device; nu mean and "
                        "spread per state. CSV columns: device,time,conductance[,state].")
    p.add_argument("csv", help="drift measurements CSV")
    p.add_argument("--t0", type=float, default=20.0, help="reference time, s")
    p.add_argument("--states", type=int, default=5, help="G0 bins when no state column")
    p.set_defaults(func=cmd_device_fit_drift)

    p = sub.add_parser("train", parents=[common], help="train a spiking agent on a task",
                       description="Online e-prop training of a recurrent spiking actor-critic; "
                       "stops when the mean return of the last training.window episodes meets "
                       "the task's target. Writes POLICY.npz, POLICY.json, POLICY.log.csv and a "
                       "checkpoint; the same command resumes an interrupted run.")
    p.add_argument("env", help="cartpole, cartpole-positions or acrobot")
    p.add_argument("--seed", type=int, required=True, help="training seed")
    p.add_argument("--out", required=True, help="policy file (.npz)")
    p.add_argument("--rule", default="eprop", help="learning rule (default: %(default)s)")
    p.add_argument("--episodes", type=int, help="maximum episodes (training.episodes)")
    p.add_argument("--config", help="training config TOML (keys: memsim.rl.TRAIN_DEFAULTS)")
    p.add_argument("--init", metavar="POLICY", help="start from this saved policy instead of "
                   "random weights (e.g. continue learning on pulse-device synapses)")
    p.add_argument("--set", action="append", metavar="KEY=VALUE",
                   help="override a config key, e.g. --set eprop.n_rec=128 (repeatable)")
    p.set_defaults(func=cmd_train)
    p = sub.add_parser("evaluate", parents=[common], help="evaluate a saved policy",
                       description="Greedy actions by default; prints mean_return, std_return, "
                       "spikes and synaptic events per decision and the mean firing rate.")
    p.add_argument("policy", help="policy file (.npz) written by memsim train")
    p.add_argument("--episodes", type=int, default=100, help="episodes (default: %(default)s)")
    p.add_argument("--seed", type=int, default=12345, help="evaluation seed")
    p.add_argument("--sample", action="store_true", help="sample actions instead of greedy")
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("energy", parents=[common], help="energy per inference against baselines",
                       description="Simulate a layered network on analog tiles with random "
                       "inputs of the configured activity, count every event, price it with a "
                       "technology file and compare with an int8 accelerator, GPUs and a "
                       "Loihi-like chip doing the same work. Keys and defaults: "
                       "memsim.energy.ENERGY_DEFAULTS (README).")
    _config_arguments(p, "tile.adc_bits=6")
    p.add_argument("--plot", help="write the energy figure here (its data as .csv)")
    p.add_argument("--out", help="also write energy.json, the figure and a self-contained "
                   "report.html into this folder (new, or one this command wrote for the "
                   "same config)")
    p.set_defaults(func=cmd_energy)

    nir = sub.add_parser("nir", help="run NIR graphs from other frameworks on tiles; export "
                         "policies to NIR",
                         description="Spiking networks in the Neuromorphic Intermediate "
                         "Representation (pip install 'memsim[nir]').")
    nsub = nir.add_subparsers(dest="nir_command", required=True, metavar="SUBCOMMAND")
    p = nsub.add_parser("info", parents=[common], help="nodes, shapes, parameters, tiles",
                        description="Print the graph as memsim reads it: every node's type, "
                        "shapes and parameter count, the matrices of weight nodes and the tiles "
                        "they need, and the recurrent edges (one step of delay each).")
    p.add_argument("graph", metavar="GRAPH.nir")
    _config_arguments(p, "tile.rows=128")
    p.set_defaults(func=cmd_nir_info)
    p = nsub.add_parser("run", parents=[common], help="run a graph digitally and on tiles",
                        description="Run a NIR graph on an input sequence with float weights "
                        "and with its weight nodes on memristor tiles; write both outputs, "
                        "spike counts and the energy, latency and area per inference against "
                        "every baseline. Keys and defaults: memsim.nir.NIR_DEFAULTS (README).")
    p.add_argument("graph", metavar="GRAPH.nir")
    _config_arguments(p, "read.t=86400")
    p.add_argument("--input", required=True, metavar="X.npy",
                   help="(T, *input_shape) or (batch, T, *input_shape)")
    p.add_argument("--dt", required=True, type=float, metavar="S", help="time step")
    p.add_argument("--digital", action="store_true", help="float weights only (no tiles)")
    p.add_argument("--out", required=True, metavar="DIR",
                   help="folder for outputs.npy, summary.json and report.html")
    p.set_defaults(func=cmd_nir_run)
    p = nsub.add_parser("export", parents=[common], help="a trained LIF policy as a NIR graph",
                        description="Write a trained e-prop LIF policy as a NIR graph that "
                        "memsim runs (forward Euler at the policy's dt) to the same actions.")
    p.add_argument("policy", metavar="POLICY", help="policy name or .npz path")
    p.add_argument("--out", required=True, metavar="POLICY.nir")
    p.set_defaults(func=cmd_nir_export)

    crossbar = sub.add_parser("crossbar", help="solve crossbar circuits, draw their maps",
                              description="Column currents of a crossbar array with wire "
                              "resistance and nonlinear devices.")
    csub = crossbar.add_subparsers(dest="crossbar_command", required=True, metavar="SUBCOMMAND")
    p = csub.add_parser("solve", parents=[common], help="column currents of a batch of inputs",
                        description="Current (A) into each column's sense amplifier for each "
                        "input. Row i is driven at its left end through r_driver + one "
                        "segment; column j is sensed at its bottom end through one segment "
                        "+ r_sense at virtual ground. Without --r-row/--r-col the wiring is "
                        "ideal.")
    _circuit_options(p)
    _cell_options(p)
    p.add_argument("--out", required=True, metavar="I.npy",
                   help="currents, A, shape (batch, N) (written only on success)")
    p.set_defaults(func=cmd_crossbar_solve)
    p = csub.add_parser("write", parents=[common], help="a V/2 or V/3 write on a passive array",
                        description="One write pulse on a passive array of compact-model cells "
                        "(vteam, yakopcic, stanford-pku): the selected row at V, its selected "
                        "columns at 0 V, the other lines biased by the scheme; prints the "
                        "voltages the selected and half-selected cells see, the disturbed "
                        "cells and the energy.")
    p.add_argument("name", help="compact-model preset name or path to a preset .toml")
    p.add_argument("--shape", required=True, metavar="M,N", help="rows, columns")
    p.add_argument("--row", type=int, required=True, help="the selected row")
    p.add_argument("--columns", required=True, metavar="J[,K...]", help="its selected columns")
    p.add_argument("--v-write", type=float, required=True, metavar="V", help="write voltage")
    p.add_argument("--width", type=float, required=True, metavar="S", help="pulse width")
    p.add_argument("--scheme", choices=["v/2", "v/3", "gate"],
                   help="biasing of the unselected lines: v/2, v/3 (passive, 1s1r; default "
                   "v/3) or gate (1t1r, the default there)")
    _cell_options(p)
    p.add_argument("--state", type=float, help="every cell's initial state (default: the "
                   "preset's)")
    p.add_argument("--states", metavar="X.npy", help="initial states, shape (M, N)")
    _wire_options(p, "column driver output")
    p.add_argument("--steps", type=int, default=8, help="circuit solves per pulse")
    p.add_argument("--out", metavar="X.npy", help="write the states after the pulse here")
    p.set_defaults(func=cmd_crossbar_write)
    p = csub.add_parser("train", parents=[common], help="in-situ training on a solved array, "
                        "with its write disturb",
                        description="Train a single-layer perceptron on 3x3 letter images "
                        "(z, v, n and their one-pixel flips; after Prezioso et al., Nature "
                        "2015) on a 10 x 6 array of compact-model cells, every read and write "
                        "through the solved circuit, by the batch Manhattan rule: counts the "
                        "half-selected cells each write disturbs and the write energy.")
    p.add_argument("name", help="compact-model preset name or path to a preset .toml")
    p.add_argument("--epochs", type=int, default=20, help="(default: %(default)s)")
    p.add_argument("--v-write", type=float, default=0.4, metavar="V",
                   help="write amplitude, sets at +V, resets at -V (default: %(default)s)")
    p.add_argument("--width", type=float, default=2e-5, metavar="S",
                   help="write pulse width (default: %(default)s)")
    p.add_argument("--v-read", type=float, default=0.1, metavar="V",
                   help="read amplitude, below the device's thresholds (default: %(default)s)")
    p.add_argument("--scheme", choices=["v/2", "v/3", "gate"],
                   help="write biasing: v/2, v/3 (passive, 1s1r; default v/3) or gate (1t1r)")
    _cell_options(p)
    _wire_options(p, "column driver output")
    p.add_argument("--steps", type=int, default=4, help="circuit solves per write pulse "
                   "(default: %(default)s)")
    p.add_argument("--seed", type=int, default=0, help="seed of the initial states")
    p.add_argument("--out", required=True, metavar="DIR",
                   help="folder for history.csv, states.npy and summary.json")
    p.set_defaults(func=cmd_crossbar_train)
    p = csub.add_parser("map", parents=[common], help="voltage and current maps of an array",
                        description="Row-wire, column-wire and device voltages and device "
                        "currents of one input, as images (data beside the figure as CSV).")
    _circuit_options(p)
    p.add_argument("--index", type=int, default=0, help="which input (row of V.npy) to draw")
    p.add_argument("--out", required=True, metavar="MAP.png", help="figure file")
    p.set_defaults(func=cmd_crossbar_map)
    return parser


def main(argv=None):
    """Entry point of the ``memsim`` console command; returns the exit code.

    A :class:`memsim.errors.MemsimError` is printed as one line: exit 2 for
    bad input, 1 for a computation that did not succeed (no convergence, a
    failed factorisation). Any other exception
    is a bug in memsim and keeps its traceback.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        args.func(args)
    except MemsimError as exc:
        _close_bars()
        print(f"memsim: error: {exc}", file=sys.stderr)
        return EXIT_FAILURE if isinstance(exc, ComputationError) else EXIT_USAGE
    except MemoryError as exc:
        _close_bars()
        print(f"memsim: error: out of memory ({exc or 'allocation failed'}); ask for "
              f"smaller arrays, fewer samples or a smaller batch", file=sys.stderr)
        return EXIT_FAILURE
    except BrokenPipeError:
        # the reader of stdout left (memsim ... | head): no traceback, nothing more to say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except KeyboardInterrupt:
        _close_bars()
        # every finished point / episode is already on disk (atomic writes, checkpoints)
        resume = "; run the same command again to resume" if args.command in RESUMABLE else ""
        print(f"memsim: interrupted{resume}", file=sys.stderr)
        return EXIT_INTERRUPTED
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

"""Matplotlib figures, each saved with its data beside it.

Figures are made as :class:`matplotlib.figure.Figure` objects on their own
Agg canvas, not through pyplot: drawing here never changes the backend or the
open figures of the program (or notebook) that calls memsim.

``save_figure(fig, path, columns)`` writes ``path`` (PNG/PDF/SVG) and, next to
it, ``<stem>.csv`` with the plotted numbers, both atomically. The data file
replaces only an earlier data file of the same columns: any other file of that
name (a measured input, say) stops the save before the figure is written.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ._io import atomic_path, check_data_file, check_output, write_csv
from .errors import OutputError


def _figure(nrows=1, ncols=1, *, figsize, constrained_layout=False, **subplot_kw):
    """A new figure on its own Agg canvas and its axes (as ``pyplot.subplots``)."""
    fig = Figure(figsize=figsize, layout="constrained" if constrained_layout else None)
    FigureCanvasAgg(fig)
    return fig, fig.subplots(nrows, ncols, **subplot_kw)

#: Columns of the learning curve's data file (:func:`plot_learning_curve`).
LEARNING_CURVE_COLUMNS = ("episode", "return", "running_mean", "seconds")


def data_path(path):
    """Where the data of the figure ``path`` go: the same name with suffix ``.csv``."""
    return Path(path).with_suffix(".csv")


def check_figure_path(path, what, *, inputs=()):
    """Check before any work that a figure (and its data file) can go to ``path``.

    The suffix must be a format matplotlib writes, and neither the figure nor
    its data file (:func:`data_path`) may be a folder, unwritable, or one of
    the command's ``inputs``.

    Raises
    ------
    OutputError
    """
    from matplotlib.backend_bases import FigureCanvasBase
    path = Path(path)
    formats = FigureCanvasBase.get_supported_filetypes()
    if path.suffix.lstrip(".").lower() not in formats:
        raise OutputError(f"{what} {path}: a figure needs a suffix of a format matplotlib "
                          f"writes ({', '.join(sorted(formats))}), got {path.suffix or 'none'}")
    check_output(path, what, inputs=inputs)
    check_output(data_path(path), f"{what} (the figure's data file)", inputs=inputs)


def save_figure(fig, path, columns):
    """Save ``fig`` to ``path`` and its data to ``path`` with suffix ``.csv``.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    path : str or Path
        Figure file; its suffix picks the format.
    columns : dict of str -> array_like
        Named data columns (ragged columns are padded with empty cells).

    Returns
    -------
    (Path, Path)
        The figure and data paths.

    Raises
    ------
    OutputError
        If ``<stem>.csv`` exists and is not a data file of these columns
        (nothing is written then).
    """
    path = Path(path)
    names = list(columns)
    csv_path = data_path(path)
    check_data_file(csv_path, names, f"data file of the figure {path.name}")
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format=path.suffix.lstrip(".") or "png", dpi=120)
    cols = [np.asarray(columns[n]).ravel() for n in names]
    n_rows = max((c.size for c in cols), default=0)
    write_csv(csv_path, names, ([repr(float(c[i])) if i < c.size else "" for c in cols]
                                for i in range(n_rows)))
    return path, csv_path


def plot_ramp_fit(fit, ltp_runs, ltd_runs, path, *, simulated=None):
    """Measured ramps against the fitted model (mean curve, optional simulated band).

    Parameters
    ----------
    fit : PulseFit
    ltp_runs, ltd_runs : list of ndarray
        Measured conductances (S).
    path : str or Path
    simulated : dict, optional
        ``{"ltp": (mean, std), "ltd": (mean, std)}`` arrays (S) per pulse.
    """
    fig, axes = _figure(1, 2, figsize=(10, 4), sharey=True)
    m_ltp, m_ltd = fit.curves(max(r.size for r in ltp_runs), max(r.size for r in ltd_runs))
    columns = {}
    for ax, runs, model, label in ((axes[0], ltp_runs, m_ltp, "ltp"),
                                   (axes[1], ltd_runs, m_ltd, "ltd")):
        for r in runs:
            ax.plot(np.arange(r.size), r * 1e3, color="0.7", lw=0.6)
        ax.plot(np.arange(model.size), model * 1e3, color="C3", lw=2, label="fitted model")
        data_mean = _ragged_mean(runs)
        columns[f"{label}_data_mean_S"] = data_mean
        columns[f"{label}_model_S"] = model
        if simulated is not None:
            mean, std = simulated[label]
            k = np.arange(mean.size)
            ax.fill_between(k, (mean - std) * 1e3, (mean + std) * 1e3, color="C0", alpha=0.3,
                            label="simulated mean ± std")
            columns[f"{label}_sim_mean_S"], columns[f"{label}_sim_std_S"] = mean, std
        ax.set_xlabel("pulse number")
        ax.set_title("potentiation (LTP)" if label == "ltp" else "depression (LTD)")
        ax.legend(loc="best", fontsize=8)
    axes[0].set_ylabel("conductance (mS)")
    fig.suptitle(f"NL LTP {fit.nl_ltp:+.2f}, NL LTD {fit.nl_ltd:+.2f}, c2c {fit.c2c:.2%}")
    fig.tight_layout()
    return save_figure(fig, path, columns)


def plot_drift(records, path, *, title="PCM conductance against time"):
    """Mean ± std of read conductance against time, one line per target.

    Parameters
    ----------
    records : list of dict
        From :func:`memsim.devices.simulate.simulate_targets` (times > 0 plotted).
    path : str or Path
    """
    fig, ax = _figure(figsize=(6, 4))
    targets = sorted({r["target"] for r in records})
    for i, tg in enumerate(targets):
        rows = sorted((r for r in records if r["target"] == tg and r["time"] > 0),
                      key=lambda r: r["time"])
        t = np.array([r["time"] for r in rows])
        m = np.array([r["mean"] for r in rows])
        s = np.array([r["std"] for r in rows])
        ax.plot(t, m * 1e6, color=f"C{i}", label=f"target {tg * 1e6:g} µS")
        ax.fill_between(t, (m - s) * 1e6, (m + s) * 1e6, color=f"C{i}", alpha=0.25)
    ax.set_xscale("log")
    ax.set_xlabel("time after programming (s)")
    ax.set_ylabel("conductance (µS)")
    ax.set_title(title)
    ax.legend(fontsize=8)
    fig.tight_layout()
    columns = {k: [r[k] for r in records] for k in ("target", "time", "mean", "std")}
    return save_figure(fig, path, columns)


def plot_endurance(endurance, path):
    """The conductance window against write cycles, with the failure budget.

    Parameters
    ----------
    endurance : dict
        ``summary["endurance"]`` of :func:`memsim.studies.demo.run_demo`.
    path : str or Path
    """
    fig, ax = _figure(figsize=(6, 4))
    n = np.asarray(endurance["cycles"])
    ax.plot(n, np.asarray(endurance["g_max"]) * 1e6, label="g_max (low-resistance state)")
    ax.plot(n, np.asarray(endurance["g_min"]) * 1e6, label="g_min (high-resistance state)")
    if endurance["failure_cycles"]:
        ax.axvline(endurance["failure_cycles"], color="k", ls=":", label="failure (stuck at g_min)")
    ax.set(xscale="log", yscale="log", xlabel="write cycles per device",
           ylabel="conductance (µS)", title=f"{endurance['preset']}: window against cycles")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return save_figure(fig, path, {k: endurance[k] for k in ("cycles", "g_min", "g_max")})


def plot_iv_loop(name, columns, path, *, state_name="state"):
    """A compact model's current against voltage (the pinched loop) and its state
    against time.

    Parameters
    ----------
    name : str
        The preset, for the title.
    columns : dict
        ``time_s``, ``voltage_V``, ``current_A``, ``state`` (the figure's data).
    path : str or Path
    state_name : str
        The state variable and its unit, for the axis.
    """
    fig, (ax_iv, ax_x) = _figure(1, 2, figsize=(10, 4))
    v, i = np.asarray(columns["voltage_V"]), np.asarray(columns["current_A"])
    ax_iv.plot(v, i * 1e3, lw=1)
    ax_iv.set(xlabel="voltage (V)", ylabel="current (mA)", title=f"{name}: I-V loop")
    ax_iv.axhline(0, color="k", lw=0.5)
    ax_iv.axvline(0, color="k", lw=0.5)
    t = np.asarray(columns["time_s"])
    ax_x.plot(t, columns["state"], lw=1)
    ax_x.set(xlabel="time (s)", ylabel=state_name, title="state against time")
    ax_x.ticklabel_format(axis="both", style="sci", scilimits=(-2, 3))
    fig.tight_layout()
    return save_figure(fig, path, columns)


def plot_retention(retention, path):
    """Mean conductance of devices programmed to ``g_max`` against time, per temperature.

    Parameters
    ----------
    retention : dict
        ``summary["retention"]`` of :func:`memsim.studies.demo.run_demo`.
    path : str or Path
    """
    fig, ax = _figure(figsize=(6, 4))
    records = retention["records"]
    for i, temp in enumerate(sorted({r["temperature"] for r in records})):
        rows = [r for r in records if r["temperature"] == temp]
        ax.plot([r["time"] for r in rows], [r["mean"] * 1e6 for r in rows], color=f"C{i}",
                label=f"{temp:g} K")
    ax.set(xscale="log", xlabel="time after the last write (s)", ylabel="conductance (µS)",
           title=f"{retention['preset']} low-resistance state, HfOx retention fit")
    ax.legend(fontsize=8)
    fig.tight_layout()
    columns = {k: [r[k] for r in records] for k in ("temperature", "time", "mean", "std")}
    return save_figure(fig, path, columns)


def _ragged_mean(runs):
    n = max(r.size for r in runs)
    total, count = np.zeros(n), np.zeros(n)
    for r in runs:
        total[:r.size] += r
        count[:r.size] += 1
    return total / count


def plot_crossbar_maps(g, v, solution, path, *, iv=None):
    """Voltage and current maps of one input on a crossbar array.

    Parameters
    ----------
    g : ndarray, shape (M, N)
        Device conductances (S).
    v : ndarray, shape (M,)
        Row source voltages (V).
    solution : CircuitSolution
        Of that single input, solved with ``return_voltages=True``.
    path : str or Path
        Figure file; the data go beside it as CSV (one row per cell, then the
        column currents).
    iv : I-V law, optional
        Device law used to compute device currents (default ohmic).

    Returns
    -------
    dict
        Paths written and the extremes shown: ``min_device_voltage`` (V),
        ``max_source_voltage`` (V), ``worst_column_error`` (relative to the
        ideal product).
    """
    from .devices.iv import Ohmic
    iv = Ohmic() if iv is None else iv
    v_row, v_col = solution.v_row[0], solution.v_col[0]
    v_dev = v_row - v_col
    i_dev = iv.current(g, v_dev)
    ideal = iv.current(g, v[:, None]).sum(axis=0)
    fig, axes = _figure(2, 3, figsize=(14, 8), constrained_layout=True)
    panels = [(v_row, "row-wire node voltage (V)"), (v_col, "column-wire node voltage (V)"),
              (v_dev, "voltage across device (V)"), (i_dev * 1e6, "device current (µA)")]
    for ax, (data, title) in zip(axes.flat, panels):
        im = ax.imshow(data, aspect="auto", interpolation="nearest", cmap="viridis")
        ax.set(title=title, xlabel="column j", ylabel="row i")
        fig.colorbar(im, ax=ax)
    ax = axes.flat[4]
    cols = np.arange(g.shape[1])
    ax.plot(cols, ideal * 1e6, label="ideal (no wires)")
    ax.plot(cols, solution.currents[0] * 1e6, label="with wires")
    ax.set(xlabel="column j", ylabel="sense current (µA)", title="column currents")
    ax.legend()
    ax = axes.flat[5]
    ax.hist(v_dev.ravel(), bins=50)
    ax.set(xlabel="voltage across device (V)", ylabel="devices", title="device voltages")
    rows, colidx = np.indices(g.shape)
    fig_path, csv_path = save_figure(fig, path, {
        "row": rows, "column": colidx, "v_row_V": v_row, "v_col_V": v_col,
        "v_device_V": v_dev, "i_device_A": i_dev, "sense_column": cols,
        "i_sense_A": solution.currents[0], "i_ideal_A": ideal})
    nonzero = np.abs(ideal) > 0
    worst = float(np.max(np.abs(solution.currents[0] - ideal)[nonzero] / np.abs(ideal[nonzero]))
                  ) if nonzero.any() else 0.0
    return {"figure": str(fig_path), "data": str(csv_path),
            "min_device_voltage": float(v_dev.min()), "max_source_voltage": float(np.max(v)),
            "worst_column_error": worst}


def plot_energy_breakdown(report, path):
    """Energy per inference of the analog tiles and every baseline: the totals on a log
    axis, and each component's share of its system's total on a linear one (a stack on a
    log axis would exaggerate whichever component is drawn first).

    Parameters
    ----------
    report : dict
        From :func:`memsim.studies.energy.run_energy`.
    path : str or Path
        Figure file; the numbers (J per inference, per component) go beside it
        as CSV.

    Returns
    -------
    (Path, Path)
    """
    from .energy.ledger import COMPONENTS
    systems = {"analog tiles": report["energy_per_inference"]["components"]}
    systems.update({name: b["components"] for name, b in report["baselines"].items()})
    names = list(systems)
    fig, (ax_total, ax_share) = _figure(1, 2, figsize=(13, 5.5), constrained_layout=True)
    totals = np.array([sum(c["joules"] for c in systems[n].values()) for n in names])
    columns = {"system_index": np.arange(len(names))}
    cmap = matplotlib.colormaps["tab20"]
    bottom = np.zeros(len(names))
    for k, comp in enumerate(COMPONENTS):
        joules = np.array([systems[n].get(comp, {}).get("joules", 0.0) for n in names])
        if not joules.any():
            continue
        share = np.divide(joules, totals, out=np.zeros_like(joules), where=totals > 0)
        ax_share.bar(names, 100 * share, bottom=100 * bottom, label=comp, color=cmap(k))
        bottom += share
        columns[f"{comp}_J"] = joules
    ax_total.bar(names, totals, color=["black"] + ["tab:gray"] * (len(names) - 1))
    ax_total.set_yscale("log")
    ax_total.set(ylabel="energy per inference (J)",
                 title=f"total, {report['technology']} tiles against digital baselines")
    ax_share.set(ylabel="share of the system's energy (%)", ylim=(0, 100),
                 title="by component")
    for ax in (ax_total, ax_share):
        ax.tick_params(axis="x", rotation=30)
    ax_share.legend(fontsize=8, ncol=2, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    columns["total_J"] = totals
    return save_figure(fig, path, columns)


def plot_learning_curve(log_rows, path, *, target=None, window=20, title="learning curve"):
    """Return per episode and its running mean, with the target line.

    Parameters
    ----------
    log_rows : sequence of rows
        Episode log rows ``(episode, return, steps, seconds, ...)``.
    path : str or Path
        Figure file; the data (episode, return, running mean, seconds) go
        beside it as CSV.
    target : float, optional
        The task's target return.
    window : int
        Episodes in the running mean.
    """
    rows = np.asarray([r[:4] for r in log_rows], dtype=float).reshape(-1, 4)
    episodes, returns, seconds = rows[:, 0], rows[:, 1], rows[:, 3]
    running = np.array([returns[max(0, k - window + 1):k + 1].mean()
                        for k in range(len(returns))])
    fig, ax = _figure(figsize=(8, 4.5), constrained_layout=True)
    ax.plot(episodes, returns, lw=0.6, alpha=0.5, label="return")
    ax.plot(episodes, running, lw=1.8, label=f"mean of last {window}")
    if target is not None:
        ax.axhline(target, color="k", ls="--", lw=1, label=f"target {target:g}")
    ax.set(xlabel="episode", ylabel="return", title=title)
    ax.legend()
    return save_figure(fig, path, dict(zip(LEARNING_CURVE_COLUMNS,
                                           (episodes, returns, running, seconds))))


def plot_return_vs_drift(summary, path):
    """Return against time after programming, one panel per device.

    Parameters
    ----------
    summary : dict
        From :func:`memsim.experiment.run_experiment`.
    path : str or Path
        Figure file; the plotted table goes beside it as CSV.

    Returns
    -------
    (Path, Path)
    """
    table = summary["table"]
    devices = list(dict.fromkeys(r["device"] for r in table if r["device"] != "digital"))
    times = np.asarray(summary["config"]["evaluation"]["times"], dtype=float)
    fig, axes = _figure(1, len(devices), figsize=(5.5 * len(devices), 4.5), squeeze=False,
                             sharey=True, constrained_layout=True)
    columns = {k: [] for k in ("device_index", "policy_index", "t_s", "compensate",
                               "mean_return", "std_return", "std_instance_means")}
    policies = list(dict.fromkeys(r["policy"] for r in table))
    for d, (ax, device) in enumerate(zip(axes[0], devices)):
        for p, policy in enumerate(policies):
            digital = [r for r in table if r["policy"] == policy and r["device"] == "digital"]
            if digital:
                ax.axhline(digital[0]["mean_return"], color=f"C{p}", lw=0.8, ls=":",
                           label=f"{policy}, digital")
            for comp in (False, True):
                rows = sorted((r for r in table if r["policy"] == policy
                               and r["device"] == device and r["compensate"] == comp),
                              key=lambda r: r["t"])
                if not rows:
                    continue
                t = np.array([r["t"] for r in rows])
                mean = np.array([r["mean_return"] for r in rows])
                std = np.array([r["std_instance_means"] for r in rows])
                if len(rows) == 1 and device not in summary["drifting_devices"]:
                    t, mean, std = times, np.full(times.size, mean[0]), np.full(times.size,
                                                                                 std[0])
                ax.errorbar(t, mean, yerr=std, color=f"C{p}", ls="-" if comp else "--",
                            marker="o", capsize=3,
                            label=f"{policy}, {'compensated' if comp else 'raw'}")
                for r in rows:
                    for key, value in (("device_index", d), ("policy_index", p),
                                       ("t_s", r["t"]), ("compensate", float(comp)),
                                       ("mean_return", r["mean_return"]),
                                       ("std_return", r["std_return"]),
                                       ("std_instance_means", r["std_instance_means"])):
                        columns[key].append(value)
        drift = "" if device in summary["drifting_devices"] else " (no drift model)"
        ax.set(xscale="log", xlabel="time after programming (s)", title=f"{device}{drift}")
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("mean return (error bar: std over device instances)")
    axes[0][-1].legend(fontsize=7)
    return save_figure(fig, path, columns)


def plot_energy_per_decision(summary, path):
    """Energy per decision on each device's tiles against the digital baselines.

    Parameters
    ----------
    summary : dict
        From :func:`memsim.experiment.run_experiment`; uses ``summary["energy"]``.
    path : str or Path
        Figure file; the bars (J per decision) go beside it as CSV.

    Returns
    -------
    (Path, Path)
    """
    labels, totals = [], []
    for policy, devices in summary["energy"].items():
        first = next(iter(devices.values()))
        for device, energy in devices.items():
            labels.append(f"{policy}\n{device} tiles")
            totals.append(energy["analog"]["total_joules"])
        for name, b in first["baselines"].items():
            labels.append(f"{policy}\n{name}")
            totals.append(b["total_joules"])
    fig, ax = _figure(figsize=(max(8, 0.7 * len(labels)), 5), constrained_layout=True)
    colors = ["C0" if "tiles" in label else "C7" for label in labels]
    ax.bar(np.arange(len(labels)), totals, color=colors)
    ax.set_xticks(np.arange(len(labels)), labels, rotation=60, fontsize=7)
    ax.set(yscale="log", ylabel="energy per decision (J)",
           title="energy per decision: analog tiles (blue) against digital baselines")
    return save_figure(fig, path, {"bar_index": np.arange(len(labels)),
                                   "energy_per_decision_J": np.array(totals)})


SWEEP_UNITS = {"evaluation.times": "s", "read.t": "s", "tile.r_row": "Ω", "tile.r_col": "Ω",
               "tile.v_read": "V", "calibration.time": "s",
               "energy_per_decision_J": "J", "seconds": "s"}


def _label(name):
    unit = SWEEP_UNITS.get(name)
    return f"{name} ({unit})" if unit else name


def plot_sweep(meta, rows, folder):
    """Each measure against each swept parameter, with 95% confidence bands.

    For each value of a parameter the line is the mean of the measure over
    every finished row with that value (all values of the other swept
    parameters and all replicates); the band is the 95% Student-t interval
    of that mean, ``mean ± t(0.975, n-1) s / sqrt(n)``. A parameter whose
    values are all positive and span more than two decades gets a log axis;
    text values (device names) are drawn as categories, written to the CSV as
    their index in the axis order.

    Parameters
    ----------
    meta : dict
        The folder's ``sweep.json`` (from :func:`memsim.sweep.load_results`).
    rows : list of dict
        Result rows.
    folder : str or Path
        Sweep folder; figures go to ``folder/plots/<measure>.png``.

    Returns
    -------
    dict of str -> (Path, Path)
        Figure and data paths per measure.
    """
    from scipy import stats
    spec = meta["spec"]
    params = [k for keys, _ in spec["axes"] for k in keys]
    out = {}
    for measure in spec["measures"]:
        fig, axes = _figure(1, len(params), figsize=(4.5 * len(params), 3.8),
                                 squeeze=False, constrained_layout=True)
        columns = {}
        for ax, param in zip(axes[0], params):
            values = sorted({r[param] for r in rows}, key=lambda v: (isinstance(v, str), v))
            text = any(isinstance(v, (str, bool)) for v in values)
            mean, low, high, count = [], [], [], []
            for value in values:
                y = np.array([r[measure] for r in rows if r[param] == value], dtype=float)
                y = y[np.isfinite(y)]
                m = float(y.mean()) if y.size else np.nan
                half = (float(stats.t.ppf(0.975, y.size - 1) * y.std(ddof=1) / np.sqrt(y.size))
                        if y.size > 1 else 0.0)
                mean.append(m), low.append(m - half), high.append(m + half)
                count.append(y.size)
            x = np.arange(len(values), dtype=float) if text else np.array(values, dtype=float)
            ax.plot(x, mean, marker="o", color="C0")
            ax.fill_between(x, low, high, color="C0", alpha=0.25, label="95% CI of the mean")
            if text:
                ax.set_xticks(x, [str(v) for v in values])
            elif x.min() > 0 and x.max() / x.min() > 100:
                ax.set_xscale("log")
            ax.set(xlabel=_label(param), ylabel=_label(measure))
            ax.grid(alpha=0.3)
            columns.update({f"{param}{'_index' if text else ''}": x, f"{param}_mean": mean,
                            f"{param}_ci_low": low, f"{param}_ci_high": high,
                            f"{param}_n": count})
        axes[0][0].legend(fontsize=7)
        fig.suptitle(f"{measure}: mean over the other parameters and {spec['replicates']} "
                     f"replicates", fontsize=9)
        out[measure] = save_figure(fig, Path(folder) / "plots" / f"{measure}.png", columns)
    return out

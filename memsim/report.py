"""Self-contained HTML reports of the energy study and the main job: one file to share.

A report is one ``report.html`` with its figures embedded (PNG, base64), its tables, the
full config and the memsim version. Every number in a table cell is also stored exactly in
the cell's ``data-value`` attribute (``repr`` of the float), so that a reader, or a test,
can check the tables against the JSON written beside the report.
"""

from __future__ import annotations

import base64
import html
import json
from pathlib import Path

from . import __version__

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 72em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
th { background: #f3f3f3; }
pre { background: #f7f7f7; padding: 1em; overflow-x: auto; font-size: 0.85em; }
img { max-width: 100%; }
caption { text-align: left; font-weight: bold; padding: 0.3em 0; }
"""


def _cell(value, scale=1.0, fmt=".4g"):
    """A table cell: numbers shown scaled and formatted, with their exact SI value kept."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return f"<td>{html.escape(str(value))}</td>"
    return (f'<td class="num" data-value="{float(value)!r}">'
            f"{format(value * scale, fmt)}</td>")


def table(table_id, caption, columns, rows):
    """An HTML table.

    Parameters
    ----------
    table_id : str
        The table's ``id``.
    caption : str
    columns : sequence of (str, float or None, str)
        ``(heading, scale, format)`` per column: a number is shown as
        ``format(value * scale, format)`` (scale None: not a number).
    rows : sequence of sequence
        Values, in SI units, one per column.
    """
    head = "".join(f"<th>{html.escape(c[0])}</th>" for c in columns)
    body = []
    for row in rows:
        cells = "".join(_cell(v) if c[1] is None else _cell(v, c[1], c[2])
                        for c, v in zip(columns, row))
        body.append(f"<tr>{cells}</tr>")
    return (f'<table id="{html.escape(table_id)}"><caption>{html.escape(caption)}</caption>'
            f"<tr>{head}</tr>{''.join(body)}</table>")


def figure(path, caption):
    """A PNG file embedded as a data URI, with its caption."""
    data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
    return (f'<figure><img alt="{html.escape(caption)}" src="data:image/png;base64,{data}">'
            f"<figcaption>{html.escape(caption)}</figcaption></figure>")


def page(title, sections, config):
    """A whole report: ``sections`` (HTML strings) then the config and the version."""
    config_text = html.escape(json.dumps(config, indent=2, sort_keys=True, default=str))
    return (f"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{html.escape(title)}"
            f"</title><style>{_STYLE}</style></head><body><h1>{html.escape(title)}</h1>"
            + "".join(sections)
            + f"<h2>Config</h2><pre id=\"config\">{config_text}</pre>"
            + f"<p id=\"version\">memsim {html.escape(__version__)}</p></body></html>")


def _ledger_table(table_id, caption, components):
    return table(table_id, caption, [("component", None, ""), ("energy (pJ)", 1e12, ".4g"),
                                     ("events", 1.0, ".6g")],
                 [(c, v["joules"], v["events"]) for c, v in components.items()])


def _cost_tables(prefix, what, energy, latency, area, baselines):
    """Energy, latency and area by component, and the baselines, of one costed unit."""
    return [
        _ledger_table(f"{prefix}energy", f"Energy per {what} on the tiles, by component",
                      energy["components"]),
        table(f"{prefix}latency", f"Latency per {what}, by phase "
              f"({'pipelined layers' if latency['pipelined'] else 'layer after layer'})",
              [("phase", None, ""), ("time (ns)", 1e9, ".4g")],
              list(latency["phases"].items())),
        table(f"{prefix}area", f"Chip area by component ({area['tiles']} tiles)",
              [("component", None, ""), ("area (um^2)", 1e12, ".4g")],
              list(area["components"].items())),
        table(f"{prefix}baselines", f"Baselines: the same network and measured activity, "
              f"per {what} (BASELINES in memsim.energy.baselines says how each is priced)",
              [("baseline", None, ""), ("energy (pJ)", 1e12, ".4g"),
               ("energy / analog", 1.0, ".3g"), ("latency (ns)", 1e9, ".4g"),
               ("latency / analog", 1.0, ".3g"), ("area (mm^2)", 1e6, ".4g"),
               ("area / analog", 1.0, ".3g"), ("what it is", None, "")],
              [(n, b["total_joules"], b["ratio_to_analog"], b["latency_s"],
                b["latency_ratio_to_analog"], b["area_m2"], b["area_ratio_to_analog"], b["what"])
               for n, b in baselines.items()]),
    ]


def energy_report(report, figures):
    """The HTML of a ``memsim energy`` report.

    Parameters
    ----------
    report : dict
        From :func:`memsim.studies.energy.run_energy` (the JSON beside it).
    figures : dict of str -> path
        Caption -> PNG file to embed.

    Returns
    -------
    str
    """
    e, timing, area = report["energy_per_inference"], report["latency"], report["area"]
    summary = table("summary", "Per inference", [("quantity", None, ""), ("value", 1.0, ".4g"),
                                                  ("unit", None, "")], [
        ("energy", e["total_joules"], "J"),
        ("latency", timing["latency_s"], "s"),
        ("throughput", timing["throughput_per_s"], "inferences/s"),
        ("energy-delay product", report["energy_delay_product_Js"], "J s"),
        ("chip area", area["total_m2"], "m^2"),
        ("useful TOPS/W (2 per synaptic event)", report["tops_per_watt"]["useful"], "TOPS/W"),
        ("dense TOPS/W (2 per MAC)", report["tops_per_watt"]["dense"], "TOPS/W"),
        ("useful TOPS/mm^2", report["tops_per_mm2"]["useful"], "TOPS/mm^2"),
        ("dense TOPS/mm^2", report["tops_per_mm2"]["dense"], "TOPS/mm^2"),
    ])
    errors = table("output_error", "Output error of each layer (relative to the exact product)",
                   [("layer", None, ""), ("relative error", 1.0, ".3g")],
                   [(k + 1, x) for k, x in enumerate(report["output_error"])])
    sections = [f"<p>Network {report['workload']['layers']} on {report['technology']} tiles; "
                f"every baseline is charged the same work from the same measured activity.</p>",
                summary, *_cost_tables("", "inference", e, timing, area, report["baselines"]),
                errors]
    sections += [figure(path, caption) for caption, path in figures.items()]
    return page("memsim energy", sections, report["config"])


def run_report(summary, figures):
    """The HTML of a ``memsim run`` report.

    Parameters
    ----------
    summary : dict
        From :func:`memsim.studies.run.run_experiment` (``summary.json``).
    figures : dict of str -> path
        Caption -> PNG file to embed.

    Returns
    -------
    str
    """
    rows = summary["table"]
    costed = [r for r in rows if "energy_per_decision_J" in r]
    results = table("results", "Return in closed loop (mean and std over episodes of every "
                    "device instance)",
                    [("policy", None, ""), ("device", None, ""), ("time (s)", 1.0, ".6g"),
                     ("compensate", None, ""), ("mean return", 1.0, ".1f"),
                     ("std return", 1.0, ".1f"), ("episodes", 1.0, ".0f")],
                    [(r["policy"], r["device"], r["t"], r["compensate"], r["mean_return"],
                      r["std_return"], r["episodes"]) for r in rows])
    costs = table("costs", "Cost per decision on the tiles, against the baselines (baseline "
                  "energy / analog energy)",
                  [("policy", None, ""), ("device", None, ""), ("time (s)", 1.0, ".6g"),
                   ("compensate", None, ""), ("energy (pJ)", 1e12, ".1f"),
                   ("latency (ns)", 1e9, ".1f"), ("area (mm^2)", 1e6, ".4g"),
                   ("int8 dense x", 1.0, ".3g"), ("int8 event x", 1.0, ".3g"),
                   ("Loihi x", 1.0, ".3g")],
                  [(r["policy"], r["device"], r["t"], r["compensate"],
                    r["energy_per_decision_J"], r["latency_per_decision_s"], r["area_m2"],
                    r["ratio_int8_dense"], r["ratio_int8_event"], r["ratio_loihi"])
                   for r in costed])
    sections = [results, costs]
    for policy, devices in summary["energy"].items():
        for device, cost in devices.items():
            sections.append(f"<h2>{html.escape(policy)} on {html.escape(device)}: per "
                            f"decision</h2>")
            sections += _cost_tables(f"{policy}/{device}/", "decision", cost["analog"],
                                     cost["latency"], cost["area"], cost["baselines"])
    sections += [figure(path, caption) for caption, path in figures.items()]
    return page("memsim run", sections, summary["config"])



def nir_report(summary):
    """The HTML of a ``memsim nir run`` report (``summary.json`` beside it)."""
    sections = [f"<p>NIR graph {html.escape(str(summary['graph']))}: input "
                f"{summary['input_shape']}, dt = {summary['dt']} s, integrator "
                f"{html.escape(summary['integrator'])}, spikes as "
                f"{html.escape(summary['spike_mode'])}.</p>"]
    sections.append(table("spikes", "Spikes per spiking node over the run",
                          [("node", None, ""), ("tiles", 1.0, ".6g"), ("digital", 1.0, ".6g")],
                          [(n, summary["spikes"].get(n, 0), d)
                           for n, d in summary["digital_spikes"].items()]))
    if "cost" in summary:
        c = summary["comparison"]
        sections.append(table("comparison", "Tiles against the digital run on the same input",
                              [("quantity", None, ""), ("value", 1.0, ".4g")],
                              list(c.items())))
        cost = summary["cost"]
        sections += _cost_tables("", "inference", cost["analog"], cost["latency"],
                                 cost["area"], cost["baselines"])
    return page("memsim nir run", sections, summary["config"])

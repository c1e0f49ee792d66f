"""The self-contained report.html of `memsim energy --out` and `memsim run`: its tables read
back from the HTML and checked against the JSON written beside it, its figures the PNG
files themselves, its config the run's config."""

import base64
import json
import subprocess
import sys
from html.parser import HTMLParser

import pytest

import memsim


class _Report(HTMLParser):
    """Tables (id -> rows of (text, data-value or None)), images, the config and version."""

    def __init__(self):
        super().__init__()
        self.tables, self.images, self.text = {}, [], {}
        self._table = self._row = self._cell = self._block = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table":
            self._table = self.tables.setdefault(attrs["id"], [])
        elif tag == "tr" and self._table is not None:
            self._row = []
        elif tag == "td" and self._row is not None:
            value = attrs.get("data-value")
            self._cell = ["", None if value is None else float(value)]
        elif tag == "img":
            self.images.append(attrs["src"])
        elif tag in ("pre", "p") and attrs.get("id"):
            self._block = attrs["id"]
            self.text[self._block] = ""

    def handle_endtag(self, tag):
        if tag == "td" and self._cell is not None:
            self._row.append(tuple(self._cell))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            if self._row:
                self._table.append(self._row)
            self._row = None
        elif tag == "table":
            self._table = None
        elif tag in ("pre", "p"):
            self._block = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell[0] += data
        elif self._block is not None:
            self.text[self._block] += data


def _read(path):
    parser = _Report()
    parser.feed(path.read_text())
    return parser


def _by_label(rows):
    """``{first cell's text: [data-values of the other cells]}``."""
    return {row[0][0]: [value for _, value in row[1:]] for row in rows}


def _check_costs(tables, prefix, energy, latency, area, baselines):
    rows = _by_label(tables[f"{prefix}energy"])
    assert rows == {c: [v["joules"], v["events"]] for c, v in energy["components"].items()}
    assert _by_label(tables[f"{prefix}latency"]) == {p: [s] for p, s in latency["phases"].items()}
    assert _by_label(tables[f"{prefix}area"]) == {c: [a] for c, a in area["components"].items()}
    assert _by_label(tables[f"{prefix}baselines"]) == {
        n: [b["total_joules"], b["ratio_to_analog"], b["latency_s"],
            b["latency_ratio_to_analog"], b["area_m2"], b["area_ratio_to_analog"], None]
        for n, b in baselines.items()}


def _check_page(page, config, figures):
    assert json.loads(page.text["config"]) == json.loads(json.dumps(config))
    assert page.text["version"] == f"memsim {memsim.__version__}"
    embedded = [base64.b64decode(src.split(",", 1)[1]) for src in page.images]
    assert embedded == [f.read_bytes() for f in figures]


def test_energy_report_tables_equal_the_json(tmp_path):
    out = tmp_path / "energy-report"
    subprocess.run([sys.executable, "-m", "memsim", "energy", "--set", "network.layers=[80, 30]",
                    "--set", "network.inferences=4", "--set", "tile.rows=64", "--set",
                    "tile.cols=64", "--quiet", "--out", str(out)], check=True, timeout=300)
    report = json.loads((out / "energy.json").read_text())
    page = _read(out / "report.html")
    _check_costs(page.tables, "", report["energy_per_inference"], report["latency"],
                 report["area"], report["baselines"])
    summary = _by_label(page.tables["summary"])
    assert summary["energy"][0] == report["energy_per_inference"]["total_joules"]
    assert summary["latency"][0] == report["latency"]["latency_s"]
    assert summary["chip area"][0] == report["area"]["total_m2"]
    assert summary["dense TOPS/mm^2"][0] == report["tops_per_mm2"]["dense"]
    assert [v for _, v in (row[1] for row in page.tables["output_error"])] == \
        report["output_error"]
    _check_page(page, report["config"], [out / "energy_breakdown.png"])
    # the folder is the command's own: the same config refreshes it, another is refused
    again = subprocess.run([sys.executable, "-m", "memsim", "energy", "--set",
                            "network.layers=[80, 31]", "--quiet", "--out", str(out)],
                           capture_output=True, text=True, timeout=300)
    assert again.returncode == 2 and "different config" in again.stderr


def test_run_report_tables_equal_the_summary(tmp_path):
    out = tmp_path / "run-report"
    subprocess.run([sys.executable, "-m", "memsim", "run", "--set",
                    'policies=["cartpole-spikes"]', "--set", 'devices=["taox-hfox"]',
                    "--set", "evaluation.times=[1.0]", "--set", "evaluation.compensate=[false]",
                    "--set", "evaluation.instances=1", "--set", "evaluation.episodes=2",
                    "--set", "calibration.episodes=1", "--quiet", "--out", str(out)],
                   check=True, timeout=600)
    summary = json.loads((out / "summary.json").read_text())
    page = _read(out / "report.html")
    costs = page.tables["costs"]
    costed = [r for r in summary["table"] if "energy_per_decision_J" in r]
    assert len(costs) == len(costed) == 1
    assert [v for _, v in costs[0][4:]] == [
        costed[0][k] for k in ("energy_per_decision_J", "latency_per_decision_s", "area_m2",
                               "ratio_int8_dense", "ratio_int8_event", "ratio_loihi")]
    assert [v for _, v in page.tables["results"][1][4:6]] == [
        summary["table"][1]["mean_return"], summary["table"][1]["std_return"]]
    cost = summary["energy"]["cartpole-spikes"]["taox-hfox"]
    _check_costs(page.tables, "cartpole-spikes/taox-hfox/", cost["analog"], cost["latency"],
                 cost["area"], cost["baselines"])
    _check_page(page, summary["config"], [out / "return_vs_drift.png",
                                          out / "energy_per_decision.png"])

"""Measured-data readers: ragged runs accepted, broken files named precisely."""

import numpy as np
import pytest

from memsim.devices.measured import DataFileError, read_drift, read_ramps


def write(tmp_path, text, name="ramps.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_ragged_runs_and_current_conversion(tmp_path):
    path = write(tmp_path, "a,b\n1e-4,2e-4\n2e-4,3e-4\n3e-4,\n")
    names, runs = read_ramps(path, read_voltage=0.1)
    assert names == ["a", "b"]
    np.testing.assert_allclose(runs[0], [1e-3, 2e-3, 3e-3])
    np.testing.assert_allclose(runs[1], [2e-3, 3e-3])


@pytest.mark.parametrize("text, match", [
    ("", "needs a header row"),
    ("a,b\n", "needs a header row"),
    ("a,b\n1,2\n,3\n4,5\n", r"line 4, column 'a': value after an empty cell"),
    ("a,b\n1,2\nnan,3\n", r"line 3, column 'a': non-finite"),
    ("a,b\n1,2\n1,x\n", r"line 3, column 'b': not a number"),
    ("a,b\n1,2\n-1,3\n", r"line 3, column 'a': negative"),
    ("a,a\n1,2\n3,4\n", "header must name every column once"),
    ("a,b\n1,2\n3,4,5\n", "line 3: 3 cells"),
    ("a,b\n1,2\n", "at least 2 pulses"),
])
def test_malformed_files_name_the_place(tmp_path, text, match):
    path = write(tmp_path, text)
    with pytest.raises(DataFileError, match=match) as info:
        read_ramps(path)
    assert str(path) in str(info.value)


def test_missing_file(tmp_path):
    with pytest.raises(DataFileError, match="cannot read"):
        read_ramps(tmp_path / "nope.csv")


def test_drift_reader(tmp_path):
    path = write(tmp_path, "device,time,conductance,state\nd1,1,1e-6,a\nd1,10,0.9e-6,a\n")
    data = read_drift(path)
    assert list(data["device"]) == ["d1", "d1"] and list(data["state"]) == ["a", "a"]
    bad = write(tmp_path, "device,time,conductance\nd1,1,-1e-6\n", "bad.csv")
    with pytest.raises(DataFileError, match="line 2, column 'conductance'"):
        read_drift(bad)
    with pytest.raises(DataFileError, match="missing column"):
        read_drift(write(tmp_path, "device,t,g\n", "cols.csv"))


def test_measured_ramps_read(ramps_dir):
    names, runs = read_ramps(ramps_dir / "set.csv", read_voltage=0.1)
    assert len(runs) == 39 and max(r.size for r in runs) == 192
    assert all(1.5e-3 < r.min() and r.max() < 2.6e-3 for r in runs)

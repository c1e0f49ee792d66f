"""Atomic file output: write to a temporary name in the same folder, then rename."""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_path(path):
    """Yield a temporary path beside ``path``; rename it onto ``path`` on success.

    On an exception the temporary file is removed and ``path`` is untouched.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=path.suffix or ".tmp",
                               dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text(path, text):
    """Write ``text`` to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text)


def write_csv(path, header, rows):
    """Write a CSV file (``header`` then ``rows``, sequences of cells) atomically."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    write_text(path, buf.getvalue())


def write_json(path, obj):
    """Write ``obj`` as indented JSON to ``path`` atomically."""
    write_text(path, json.dumps(obj, indent=2, sort_keys=False) + "\n")


def read_named(name_or_path, directory, names, what, error):
    """Text of a shipped data file by name, or of a file by path.

    Parameters
    ----------
    name_or_path : str or Path
        A name from ``names`` (the file ``directory / f"{name}.toml"``), or a
        path to a ``.toml`` file.
    directory : importlib.resources Traversable
        Folder of the shipped files.
    names : list of str
        The shipped names, for the error message.
    what : str
        What the file holds ("device preset", "technology"), for messages.
    error : type of Exception
        Raised with a message naming the file or name.

    Returns
    -------
    (str, str)
        The text and a description of where it came from, for later errors.
    """
    text_name = str(name_or_path)
    if text_name.endswith(".toml") or Path(text_name).exists():
        path = Path(text_name)
        try:
            return path.read_text(), str(path)
        except OSError as exc:
            raise error(f"{path}: cannot read {what} ({exc.strerror})") from exc
    if text_name not in names:
        raise error(f"unknown {what} {text_name!r}; available: {', '.join(names)}")
    return (directory / f"{text_name}.toml").read_text(), f"{what} {text_name!r}"

"""Files in and out: checked readers, atomic writers, shipped names.

Reading: every file a user hands memsim goes through one reader here that
names the file and says what is wrong with it (missing, empty, truncated, not
of its format, missing keys, too large for the memory available) as a
:class:`memsim.errors.DataError`, before any large allocation.

Writing: to a temporary name in the same folder, then renamed (atomic), with
the permissions an ordinary ``open`` would give (the user's umask, or those of
the file replaced). A write that fails raises :class:`memsim.errors.OutputError`
naming the file. JSON is always valid JSON: NaN and infinities become ``null``.

Names: ``read_named`` takes a shipped name (``pcm``, ``cim-22nm``) or a path.
A *path* is anything with a ``/``, or with a suffix (``mine.toml``); anything
else is a shipped name, whatever files the working directory holds.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import tempfile
import threading
import tomllib
import zipfile
import zlib
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from ._validation import check_memory
from .errors import DataError, OutputError

_UMASK_LOCK = threading.Lock()


def _umask():
    with _UMASK_LOCK:          # os.umask can only be read by setting it
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


def _describe(exc):
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__


@contextmanager
def atomic_path(path):
    """Yield a temporary path beside ``path``; rename it onto ``path`` on success.

    On an exception the temporary file is removed and ``path`` is untouched.
    The file gets the mode of the file it replaces, or ``0o666`` less the umask.

    Raises
    ------
    OutputError
        If the folder cannot be created or the file cannot be written.
    """
    path = Path(path)
    try:
        mode = path.stat().st_mode & 0o7777
    except FileNotFoundError:
        mode = 0o666 & ~_umask()
    except OSError as exc:
        raise OutputError(f"{path}: cannot write ({_describe(exc)})") from exc
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=path.suffix or ".tmp",
                                   dir=path.parent)
        os.fchmod(fd, mode)
        os.close(fd)
    except OSError as exc:
        raise OutputError(f"{path}: cannot write ({_describe(exc)})") from exc
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise OutputError(f"{path}: cannot write ({_describe(exc)})") from exc
        raise


def write_text(path, text):
    """Write ``text`` to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text)


def write_bytes(path, write):
    """Write a binary file atomically: ``write(fh)`` fills the open file."""
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        write(fh)


def write_csv(path, header, rows):
    """Write a CSV file (``header`` then ``rows``, sequences of cells) atomically."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    write_text(path, buf.getvalue())


def json_ready(obj):
    """``obj`` with NaN and infinities as None and NumPy scalars and arrays as Python."""
    if isinstance(obj, dict):
        return {str(k): json_ready(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_ready(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return json_ready(obj.tolist())
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def to_json(obj):
    """``obj`` as indented, strictly valid JSON text (see :func:`json_ready`)."""
    return json.dumps(json_ready(obj), indent=2, allow_nan=False)


def write_json(path, obj):
    """Write ``obj`` as indented JSON to ``path`` atomically (see :func:`to_json`)."""
    write_text(path, to_json(obj) + "\n")


# ------------------------------------------------------------------------- reading

def _open(path, what, mode="rb"):
    path = Path(path)
    try:
        fh = open(path, mode)
    except IsADirectoryError as exc:
        raise DataError(f"{path}: is a folder, not a {what} file") from exc
    except OSError as exc:
        raise DataError(f"{path}: cannot read the {what} ({_describe(exc)})") from exc
    return fh


def read_text(path, what):
    """Text of the file ``path``; ``what`` names its content in errors."""
    with _open(path, what) as fh:
        data = fh.read()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: the {what} is not UTF-8 text") from exc


def read_json(path, what):
    """The JSON document in ``path``, or a :class:`DataError` naming the file."""
    text = read_text(path, what)
    if not text.strip():
        raise DataError(f"{path}: the {what} is empty")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataError(f"{path}: the {what} is not valid JSON ({exc.msg} at line "
                        f"{exc.lineno}, column {exc.colno})") from exc


def parse_toml(text, where):
    """The TOML document ``text``; ``where`` names it in errors."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise DataError(f"{where}: not valid TOML ({exc})") from exc


def read_npy(path, what):
    """The array in the ``.npy`` file ``path``, checked before it is allocated.

    The header is read first: the array must be numeric (no pickled objects),
    the file must hold every byte the header promises, and the array must fit
    in the memory available.
    """
    path = Path(path)
    with _open(path, what) as fh:
        try:
            version = np.lib.format.read_magic(fh)
            shape, fortran, dtype = (np.lib.format.read_array_header_1_0(fh) if version == (1, 0)
                                     else np.lib.format.read_array_header_2_0(fh))
        except (ValueError, EOFError, OSError) as exc:
            size = path.stat().st_size
            raise DataError(f"{path}: the {what} is "
                            + ("an empty file" if size == 0 else f"not a .npy array ({exc})")
                            ) from exc
        if dtype.hasobject:
            raise DataError(f"{path}: the {what} holds Python objects ({dtype}); memsim reads "
                            f"numeric arrays only")
        n_bytes = int(np.prod(shape, dtype=np.float64)) * dtype.itemsize
        held = path.stat().st_size - fh.tell()
        if held < n_bytes:
            raise DataError(f"{path}: the {what} is truncated: its header says {dtype} "
                            f"{shape} ({n_bytes} bytes), the file holds {held} bytes of data")
        check_memory(f"{path} ({what}, {dtype} {shape})", n_bytes)
        fh.seek(0)
        return np.lib.format.read_array(fh, allow_pickle=False)


def read_npz(path, what, *, keys=()):
    """Every array of the ``.npz`` file ``path`` as a dict, checked as :func:`read_npy`.

    Parameters
    ----------
    keys : iterable of str
        Names the file must hold; a missing one is an error naming it.
    """
    path = Path(path)
    with _open(path, what) as fh:
        if not fh.read(1):
            raise DataError(f"{path}: the {what} is an empty file")
    try:
        with zipfile.ZipFile(path) as zf:
            sizes = sum(info.file_size for info in zf.infolist())
            check_memory(f"{path} ({what})", sizes)
            with np.load(path, allow_pickle=False) as arrays:
                data = {k: arrays[k] for k in arrays.files}
    except (zipfile.BadZipFile, zlib.error, EOFError, ValueError, OSError) as exc:
        raise DataError(f"{path}: the {what} is damaged or not an .npz archive "
                        f"({_describe(exc)})") from exc
    missing = [k for k in keys if k not in data]
    if missing:
        raise DataError(f"{path}: the {what} lacks {', '.join(map(repr, missing))}")
    return data


# --------------------------------------------------------------------------- names

def is_path(name):
    """Whether ``name`` is a path (has a ``/`` or a suffix) rather than a shipped name."""
    text = str(name)
    return "/" in text or os.sep in text or Path(text).suffix != ""


def name_rule(name, suffix=".toml"):
    """The naming rule, for error messages about ``name``."""
    return f"a path needs a '/' or a suffix, e.g. ./{name}{suffix}"


def read_named(name_or_path, directory, names, what, error):
    """Text of a shipped data file by name, or of a file by path.

    Parameters
    ----------
    name_or_path : str or Path
        A name from ``names`` (the file ``directory / f"{name}.toml"``), or a
        path (:func:`is_path`) to a TOML file.
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
    if is_path(text_name):
        try:
            return read_text(text_name, what), text_name
        except DataError as exc:
            raise error(str(exc)) from exc
    if text_name not in names:
        raise error(f"unknown {what} {text_name!r}; shipped: {', '.join(names)} "
                    f"({name_rule(text_name)})")
    return (directory / f"{text_name}.toml").read_text(), f"{what} {text_name!r}"


# -------------------------------------------------------------------------- output

def check_output(path, what, *, inputs=()):
    """Check before any work that ``path`` can be written and is not an input.

    Parameters
    ----------
    path : str or Path
        A file to be written.
    what : str
        The option or output it is, for messages (``"--out"``).
    inputs : iterable of str or Path
        Files the command reads; writing onto one of them is refused.

    Raises
    ------
    OutputError
    """
    path = Path(path)
    if path.is_dir():
        raise OutputError(f"{what} {path} is a folder; give a file name")
    for other in inputs:
        if other is not None and _same_file(path, Path(other)):
            raise OutputError(f"{what} {path} is also an input of this command; "
                              f"writing it would destroy the input")
    check_writable(path, what)


def check_writable(path, what):
    """Raise :class:`OutputError` unless ``path`` (a file or folder, existing or
    to be made) can be written: it, or the nearest folder above it that exists."""
    path = Path(path)
    if path.exists():
        if not os.access(path, os.W_OK | (os.X_OK if path.is_dir() else 0)):
            raise OutputError(f"{what} {path}: not writable")
        return
    folder = next((p for p in path.parents if p.exists()), Path("."))
    if not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(f"{what} {path}: cannot write in {folder}")


def _same_file(a, b):
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def csv_header(path):
    """The first row of the CSV file ``path``, or None if it is not readable as CSV."""
    try:
        with open(path, newline="") as fh:
            return next(csv.reader(fh), None)
    except (OSError, UnicodeDecodeError, csv.Error):
        return None


def check_data_file(path, header, what):
    """Refuse to replace ``path`` unless it is absent or a CSV of this exact header.

    Data files written beside a figure or a policy replace only their own
    earlier versions (same columns); any other file of that name stops the
    command before it writes.
    """
    path = Path(path)
    if path.exists() and csv_header(path) != list(header):
        raise OutputError(f"{path} exists and is not the {what} memsim writes there (other "
                          f"columns); move it or choose another name")

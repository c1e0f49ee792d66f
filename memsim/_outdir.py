"""Output folders with an owner: a command writes only into a folder it made.

A command that writes a folder (``memsim run``, ``memsim sweep``, ``memsim
device demo``) opens it with :meth:`OutputFolder.open` before anything else
is written. The folder is accepted if

- it does not exist, or is empty: the command will make it its own;
- it holds the stamp file :data:`STAMP` of the same command and the same
  identity (its config or spec), and nothing but what that stamp lists: the
  command resumes or refreshes its own output.

Anything else is refused with an :class:`~memsim.errors.OutputError` that
names what was found: a folder of another command, of another config, or
files memsim did not write there. Nothing is written by ``open``; the folder
and its stamp are made by the first :meth:`OutputFolder.claim`, and every
name is listed in the stamp (atomically) before its file is written, so the
stamp always covers what the folder holds.
"""

from __future__ import annotations

import json
from pathlib import Path

from . import __version__
from ._io import check_writable, read_json, write_json
from .errors import DataError, OutputError

#: Name of the stamp file in every folder memsim writes.
STAMP = "memsim-folder.json"


def _canonical(obj):
    return json.loads(json.dumps(obj, sort_keys=True, allow_nan=True))


class OutputFolder:
    """A folder owned by one memsim command and one identity (config, spec).

    Use :meth:`open`, not the constructor.

    Attributes
    ----------
    path : Path
    command : str
        The command that owns the folder (``"run"``).
    identity : object
        JSON-able description of what the folder holds results of.
    resumed : bool
        True when the folder already held this command's output.
    """

    def __init__(self, path, command, identity, names, resumed):
        self.path = Path(path)
        self.command = command
        self.identity = identity
        self._names = list(names)
        self.resumed = resumed

    @classmethod
    def open(cls, path, command, identity, *, what="--out", of="config"):
        """Check ``path`` for ``command`` and ``identity``; write nothing.

        Parameters
        ----------
        path : str or Path
        command : str
            E.g. ``"run"``, ``"sweep"``, ``"device demo"``.
        identity : object
            JSON-able: a folder stamped with another identity is refused.
        what : str, default="--out"
            The option that named the folder, for messages.
        of : str, default="config"
            What ``identity`` describes, for messages ("sweep spec").

        Raises
        ------
        OutputError
            If the folder is not this command's with this identity.
        """
        path = Path(path)
        if path.exists() and not path.is_dir():
            raise OutputError(f"{what} {path} is a file, not a folder")
        check_writable(path, what)
        stamp = cls._read_stamp(path)
        if stamp is None:
            found = sorted(p.name for p in path.iterdir()) if path.is_dir() else []
            if found:
                raise OutputError(f"{what} {path} holds files memsim did not write there "
                                  f"({_listing(found)}); use a new or empty folder")
            return cls(path, command, identity, [], resumed=False)
        if stamp.get("command") != command:
            raise OutputError(f"{what} {path} holds the output of `memsim "
                              f"{stamp.get('command')}`, not of `memsim {command}`; use "
                              f"another folder")
        if _canonical(stamp.get("identity")) != _canonical(identity):
            raise OutputError(f"{what} {path} holds `memsim {command}` output of a different "
                              f"{of}; use another folder (or remove it to start over)")
        folder = cls(path, command, identity, stamp.get("files", []), resumed=True)
        folder._check_contents()
        return folder

    @classmethod
    def existing(cls, path, command, *, what="folder"):
        """An existing folder of ``command`` whatever its identity (to add to it)."""
        path = Path(path)
        stamp = cls._read_stamp(path)
        if stamp is None or stamp.get("command") != command:
            raise OutputError(f"{path} is not a `memsim {command}` output folder (no "
                              f"{STAMP} of that command)")
        folder = cls(path, command, stamp.get("identity"), stamp.get("files", []),
                     resumed=True)
        folder._check_contents()
        return folder

    @staticmethod
    def _read_stamp(path):
        stamp_path = path / STAMP
        if not stamp_path.is_file():
            return None
        stamp = read_json(stamp_path, "folder stamp")
        if not isinstance(stamp, dict) or not isinstance(stamp.get("files"), list):
            raise DataError(f"{stamp_path}: not a memsim folder stamp (no 'files' list)")
        return stamp

    def _check_contents(self):
        own = set(self._names) | {STAMP}
        foreign = sorted(p.name for p in self.path.iterdir()
                         if p.name not in own and not _leftover(p.name, own))
        if foreign:
            raise OutputError(f"{self.path} holds files memsim did not write there "
                              f"({_listing(foreign)}); move them away or use another folder")

    def claim(self, *names):
        """List ``names`` (entries of the folder: files or subfolders) in the stamp.

        Called before those entries are written. Makes the folder and its
        stamp on the first call. Returns the paths, in order.
        """
        new = [n for n in names if n not in self._names]
        if new or not (self.path / STAMP).is_file():
            self._names += new
            write_json(self.path / STAMP, {"command": self.command,
                                           "memsim_version": __version__,
                                           "identity": self.identity, "files": self._names})
        paths = [self.path / n for n in names]
        return paths[0] if len(paths) == 1 else paths

    def __truediv__(self, name):
        return self.claim(name)


def _leftover(name, own):
    """A temporary file of an atomic write killed before its rename (``.NAME.xxxx``)."""
    return any(name.startswith(f".{n}.") for n in own)


def _listing(names, limit=5):
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")

"""Run a long compiled kernel so that Ctrl-C stops it and its progress can be shown.

A kernel that runs without the GIL never returns to the interpreter, so
Python cannot deliver SIGINT until it ends (minutes, for a large effective
matrix). Here the kernel runs in a worker thread while the calling thread
waits in short, interruptible joins: on ``KeyboardInterrupt`` the caller
raises at once and sets the kernel's cancel flag, and the kernel stops at its
next check (it looks at ``control[0]`` between blocks of work). The kernel
reports its progress in ``control[1]``, which the waiting thread hands to
``progress``.

Kernels taking part accept a trailing ``control`` argument: a C-contiguous
``int64`` array of two elements.
"""

from __future__ import annotations

import threading

import numpy as np

#: Seconds between looks at the worker (progress and signals).
POLL = 0.05


def new_control():
    """A fresh ``control`` array: ``[cancel, progress]``."""
    return np.zeros(2, dtype=np.int64)


def run_cancellable(kernel, *args, threaded=True, progress=None, total=None):
    """``kernel(*args, control)``, in a worker thread when ``threaded``.

    Parameters
    ----------
    kernel : callable
        Releases the GIL while it works and honours ``control``.
    *args
        Its arguments before ``control``.
    threaded : bool, default=True
        Run in a worker thread (for work long enough to be interrupted); else
        call it directly (short work: no thread start-up cost).
    progress : callable, optional
        ``progress(done, total)`` while the kernel runs and once at the end.
    total : int, optional
        Passed to ``progress``.

    Returns
    -------
    Whatever ``kernel`` returns.
    """
    control = new_control()
    if not threaded:
        out = kernel(*args, control)
        if progress is not None:
            progress(int(control[1]), total)
        return out
    outcome = {}

    def work():
        try:
            outcome["value"] = kernel(*args, control)
        except BaseException as exc:          # handed to the caller's thread
            outcome["error"] = exc

    worker = threading.Thread(target=work, name="memsim-kernel", daemon=True)
    worker.start()
    try:
        while worker.is_alive():
            worker.join(POLL)
            if progress is not None:
                progress(int(control[1]), total)
    except BaseException:
        control[0] = 1        # the kernel stops at its next check; nobody waits for it
        raise
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]

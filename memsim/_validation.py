"""Input validation at the public boundary.

Every public function converts and checks its inputs here once; kernels and
inner loops never validate. Messages name the parameter, quote the value and
say what is allowed.
"""

from __future__ import annotations

import math
import numbers
import os

import numpy as np

from .errors import InputError, InputTypeError


def check_scalar(name, value, *, low=None, high=None, low_inclusive=True,
                 high_inclusive=True, integer=False):
    """Return ``value`` as a finite float (or int) inside the given bounds.

    Parameters
    ----------
    name : str
        Parameter name used in the error message.
    value : object
        The value to check.
    low, high : float or None
        Bounds; ``None`` means unbounded on that side.
    low_inclusive, high_inclusive : bool, default=True
        Whether the bounds themselves are allowed.
    integer : bool, default=False
        Require a whole number and return an ``int``.

    Raises
    ------
    TypeError
        If ``value`` is not a real number (booleans are refused).
    ValueError
        If ``value`` is not finite or lies outside the bounds.
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise InputTypeError(f"{name} must be a real number, got {show(value)}")
    if integer:
        if not float(value).is_integer():
            raise InputError(f"{name} must be a whole number, got {show(value)}")
        value = int(value)
    else:
        value = float(value)
    if not math.isfinite(value):
        raise InputError(f"{name} must be finite, got {show(value)}")
    if low is not None and (value < low or (value == low and not low_inclusive)):
        op = ">=" if low_inclusive else ">"
        raise InputError(f"{name} must be {op} {show(low)}, got {show(value)}")
    if high is not None and (value > high or (value == high and not high_inclusive)):
        op = "<=" if high_inclusive else "<"
        raise InputError(f"{name} must be {op} {show(high)}, got {show(value)}")
    return value


def check_array(name, value, *, ndim=None, low=None, high=None, dtype=np.float64,
                allow_empty=False):
    """Return ``value`` as a C-contiguous finite array, checked against bounds.

    Parameters
    ----------
    name : str
        Parameter name used in the error message.
    value : array_like
        The values to check.
    ndim : int or None
        Required number of dimensions; ``None`` accepts any.
    low, high : float or None
        Inclusive bounds on every element.
    dtype : numpy dtype, default=float64
        Target dtype.
    allow_empty : bool, default=False
        Whether a zero-size array is accepted.

    Returns
    -------
    numpy.ndarray
        C-contiguous array of ``dtype``.
    """
    if np.iscomplexobj(value):
        raise InputTypeError(f"{name} must be real, got complex values (dtype "
                             f"{np.asarray(value).dtype}); pass the real part if that is "
                             f"what is meant")
    try:
        arr = np.ascontiguousarray(value, dtype=dtype)
    except (TypeError, ValueError) as exc:
        raise InputTypeError(f"{name} must be numeric array-like, got {_short(value)}") from exc
    if ndim is not None and arr.ndim != ndim:
        raise InputError(f"{name} must have {ndim} dimension(s), got shape {arr.shape}")
    if arr.size == 0 and not allow_empty:
        raise InputError(f"{name} must not be empty")
    if arr.dtype.kind == "f" and not np.all(np.isfinite(arr)):
        bad = np.flatnonzero(~np.isfinite(arr.ravel()))[0]
        raise InputError(f"{name} must be finite, got {show(arr.ravel()[bad])} "
                         f"at flat index {bad}")
    if low is not None and arr.size and arr.min() < low:
        bad = int(np.argmin(arr.ravel()))
        raise InputError(f"{name} must be >= {show(low)}, got {show(arr.ravel()[bad])} "
                         f"at flat index {bad}")
    if high is not None and arr.size and arr.max() > high:
        bad = int(np.argmax(arr.ravel()))
        raise InputError(f"{name} must be <= {show(high)}, got {show(arr.ravel()[bad])} "
                         f"at flat index {bad}")
    return arr


def check_choice(name, value, choices):
    """Return ``value`` if it is one of ``choices``, else raise ``ValueError``."""
    if value not in choices:
        allowed = ", ".join(show(c) for c in choices)
        raise InputError(f"{name} must be one of {allowed}; got {show(value)}")
    return value


def as_generator(seed):
    """Return a :class:`numpy.random.Generator` from a seed or a Generator.

    Parameters
    ----------
    seed : int, numpy.random.Generator
        A non-negative integer seed, or an existing Generator (used as is).
        ``None`` is refused: every random result in memsim is reproducible.
    """
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None:
        raise InputTypeError("seed must be an int or a numpy.random.Generator, got None; "
                             "memsim draws no randomness without an explicit seed")
    return np.random.default_rng(check_scalar("seed", seed, low=0, integer=True))


def show(value):
    """``repr`` of a value as a user wrote it: NumPy scalars print as Python numbers."""
    if isinstance(value, np.generic):
        value = value.item()
    return repr(value)


def _short(value):
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def available_memory():
    """Bytes of memory available to a new allocation (Linux MemAvailable), or None."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def check_memory(what, n_bytes):
    """Raise before allocating ``n_bytes`` if they exceed the memory available.

    Parameters
    ----------
    what : str
        What is being allocated, named in the message (a parameter, a file).
    n_bytes : int or float
        Estimated size of the allocation.
    """
    available = available_memory()
    if available is not None and n_bytes > available:
        raise InputError(f"{what} needs about {_bytes(n_bytes)} of memory, more than the "
                         f"{_bytes(available)} available")


def _bytes(n):
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if n < 1024 or unit == "PiB":
            return f"{n:.3g} {unit}" if unit != "bytes" else f"{int(n)} bytes"
        n /= 1024

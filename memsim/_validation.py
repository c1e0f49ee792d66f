"""Input validation at the public boundary.

Every public function converts and checks its inputs here once; kernels and
inner loops never validate. Messages name the parameter, quote the value and
say what is allowed.
"""

from __future__ import annotations

import math
import numbers

import numpy as np


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
        raise TypeError(f"{name} must be a real number, got {value!r}")
    if integer:
        if not float(value).is_integer():
            raise ValueError(f"{name} must be a whole number, got {value!r}")
        value = int(value)
    else:
        value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value!r}")
    if low is not None and (value < low or (value == low and not low_inclusive)):
        op = ">=" if low_inclusive else ">"
        raise ValueError(f"{name} must be {op} {low}, got {value!r}")
    if high is not None and (value > high or (value == high and not high_inclusive)):
        op = "<=" if high_inclusive else "<"
        raise ValueError(f"{name} must be {op} {high}, got {value!r}")
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
    try:
        arr = np.ascontiguousarray(value, dtype=dtype)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be numeric array-like, got {_short(value)}") from exc
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimension(s), got shape {arr.shape}")
    if arr.size == 0 and not allow_empty:
        raise ValueError(f"{name} must not be empty")
    if arr.dtype.kind == "f" and not np.all(np.isfinite(arr)):
        bad = np.flatnonzero(~np.isfinite(arr.ravel()))[0]
        raise ValueError(f"{name} must be finite, got {arr.ravel()[bad]!r} "
                         f"at flat index {bad}")
    if low is not None and arr.size and arr.min() < low:
        bad = int(np.argmin(arr.ravel()))
        raise ValueError(f"{name} must be >= {low}, got {arr.ravel()[bad]!r} "
                         f"at flat index {bad}")
    if high is not None and arr.size and arr.max() > high:
        bad = int(np.argmax(arr.ravel()))
        raise ValueError(f"{name} must be <= {high}, got {arr.ravel()[bad]!r} "
                         f"at flat index {bad}")
    return arr


def check_choice(name, value, choices):
    """Return ``value`` if it is one of ``choices``, else raise ``ValueError``."""
    if value not in choices:
        allowed = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{name} must be one of {allowed}; got {value!r}")
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
        raise TypeError("seed must be an int or a numpy.random.Generator, got None; "
                        "memsim draws no randomness without an explicit seed")
    return np.random.default_rng(check_scalar("seed", seed, low=0, integer=True))


def _short(value):
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."

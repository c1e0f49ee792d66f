"""1/f (flicker) read noise in time: how the noise of successive reads is correlated.

A device model with 1/f read noise (:class:`memsim.devices.PCM`) gives the
standard deviation of one read at time ``t`` after programming: the 1/f noise
accumulated over the time scales ``tau`` from ``tau_min`` (about twice the read
pulse) to ``tau_max`` (about the time since programming),

    sigma^2(t) = q^2 L,        L = ln(tau_max / tau_min)

(aihwkit: ``tau_min = 2 t_read``, ``tau_max = t + t0 + t_read``). A 1/f spectrum
puts equal variance in every octave of time scale, so two reads ``dt`` apart
share the variance of every time scale longer than ``dt``: the share that
decorrelates between them is about ``ln(dt / tau_min) / L``. This module builds
a process with exactly that structure, for ``n`` devices sampled at reads
``interval`` seconds apart, as a unit-variance noise ``z_n`` per device and
read ``n``:

    z_n = sqrt(f_0) e_n  +  sum_k sqrt(f_k) h_k,n  +  sqrt(f_inf) h_inf

* ``e_n``: time scales shorter than a read interval, a fresh N(0, 1) draw at
  every read, share ``f_0 = ln(interval / (2 tau_min)) / L``;
* ``h_k,n``, k = 1, 2, ...: octave band k, held for ``2^k`` reads and then
  redrawn N(0, 1), each device with its own random phase, share
  ``f_k = ln(2) / L``;
* ``h_inf``: the time scales beyond the last band, drawn once and held for the
  whole evaluation (share ``f_inf``, between ln 2 / L and 2 ln 2 / L, the
  rest of the budget).

Every read is N(0, 1) (the single-read statistics of the device model are
unchanged), and the correlation of two reads ``m`` intervals apart is exactly

    rho(m) = sum_k f_k max(0, 1 - m / 2^k) + f_inf                     (m >= 1)

which at ``m = 2^j`` equals ``1 - ln(m interval / tau_min) / L`` up to
``ln 2 * 2^(j - K) / L`` for K finite bands: the leading-log 1/f result.
(The half in ``f_0`` is what makes it so: a band held 2^k reads decorrelates,
averaged over its phase, as ``min(1, m / 2^k)``, which sums to one extra
``ln 2``.) A random-phase band held ``2^k`` reads is the discrete form of the
superposition of fluctuators with log-uniform time scales by which 1/f noise is
usually explained (McWhorter's model; Dutta and Horn, Rev. Mod. Phys. 53:497,
1981).

Modes (:data:`READ_NOISE_MODES`):

``"correlated"``
    The process above.
``"frozen"``
    ``f_inf = 1``: one draw per evaluation, held for every read, as aihwkit
    draws the accumulated read noise once per inference time.
``"independent"``
    ``f_0 = 1``: a fresh draw on every read, memsim's behaviour before the
    correlated process (and the right one for reads further apart than ``t``).
"""

from __future__ import annotations

import math

import numpy as np

from .._validation import check_choice, check_scalar
from ..errors import InputError

#: Read-noise models in time, see the module notes.
READ_NOISE_MODES = ("correlated", "frozen", "independent")


class FlickerNoise:
    """Unit-variance 1/f read noise of ``n`` devices at reads ``interval`` s apart.

    Parameters
    ----------
    n : int
        Number of devices.
    timescales : (float, float) or None
        Shortest and longest time scale (s) of the noise (module notes); needed by
        the ``"correlated"`` mode only.
    interval : float
        Time between successive reads (s).
    mode : {"correlated", "frozen", "independent"}
        How reads are correlated (module notes).
    rng : numpy.random.Generator
        Source of the held draws made now.

    Attributes
    ----------
    fresh : float
        Variance share drawn afresh on every read (``f_0``).
    shares : ndarray
        Variance shares of the octave bands (``f_k``).
    holds : ndarray of int64
        Reads each band is held (``2^k``).
    frozen : float
        Variance share held for the whole evaluation (``f_inf``).
    held : ndarray, shape (n,)
        The held part of the current read, ``sum_k sqrt(f_k) h_k + sqrt(f_inf) h_inf``
        (variance ``1 - fresh``).
    step : int
        Index of the current read (0 at the first).
    """

    def __init__(self, n, timescales, interval, mode, rng):
        self.n = int(check_scalar("n", n, low=0, integer=True))
        interval = check_scalar("read_interval", interval, low=0.0, low_inclusive=False)
        self.mode = check_choice("read_noise", mode, READ_NOISE_MODES)
        shares, holds = [], []
        if mode == "independent":
            fresh, frozen = 1.0, 0.0
        elif mode == "frozen":
            fresh, frozen = 0.0, 1.0
        else:
            if timescales is None:
                raise InputError("read_noise='correlated' needs the noise's time scales "
                                 "(tau_min, tau_max); got None")
            tau_min = check_scalar("tau_min", timescales[0], low=0.0, low_inclusive=False)
            tau_max = check_scalar("tau_max", timescales[1], low=tau_min,
                                   low_inclusive=False)
            log_width = math.log(tau_max / tau_min)
            fresh_width = min(max(math.log(interval / (2.0 * tau_min)), 0.0), log_width)
            budget = log_width - fresh_width
            while budget > 2.0 * math.log(2.0):
                shares.append(math.log(2.0))
                holds.append(2 ** (len(holds) + 1))
                budget -= math.log(2.0)
            fresh, frozen = fresh_width / log_width, budget / log_width
            shares = [s / log_width for s in shares]
        self.fresh, self.frozen = fresh, frozen
        self.shares = np.array(shares, dtype=np.float64)
        self.holds = np.array(holds, dtype=np.int64)
        self.step = 0
        k = len(holds)
        # Devices sit at random positions; band k redraws the positions p with
        # (p + offset_k + step) % 2^k == 0, a strided slice, so each device has its own
        # phase in every band and a redraw needs no fancy indexing.
        self._bands = rng.standard_normal((k, self.n)) if k else np.zeros((0, self.n))
        self._scale = np.sqrt(self.shares)
        self._held = self._scale @ self._bands if k else np.zeros(self.n)
        if frozen > 0.0:
            self._held += math.sqrt(frozen) * rng.standard_normal(self.n)
        self._position = rng.permutation(self.n) if k else None
        self._offsets = rng.integers(0, self.holds) if k else np.zeros(0, np.int64)

    @property
    def held(self):
        """The held part of the current read, per device (see class notes)."""
        return self._held if self._position is None else self._held[self._position]

    def correlation(self, m):
        """Correlation coefficient of the noise of two reads ``m >= 0`` intervals apart."""
        m = check_scalar("m", m, low=0, integer=True)
        if m == 0:
            return 1.0
        return float(np.sum(self.shares * np.maximum(0.0, 1.0 - m / self.holds))
                     + self.frozen)

    def advance(self, rng):
        """Move to the next read: redraw the bands whose hold ends now."""
        self.step += 1
        if not len(self.holds) or not self.n:
            return
        residue = (-self._offsets - self.step) % self.holds
        active = np.flatnonzero(residue < self.n)
        sizes = (self.n - residue[active] + self.holds[active] - 1) // self.holds[active]
        new = rng.standard_normal(int(sizes.sum()))
        start = 0
        for k, size in zip(active, sizes):
            part = slice(residue[k], None, self.holds[k])
            drawn = new[start:start + size]
            start += size
            self._held[part] += self._scale[k] * (drawn - self._bands[k, part])
            self._bands[k, part] = drawn

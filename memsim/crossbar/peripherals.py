"""Peripherals of a crossbar tile: the row driver (DAC) and the column ADC.

Both quantize with the same symmetric mid-tread quantizer and count their
events in a ``counts`` dict, for the energy ledger.

Mid-tread quantizer with ``b`` bits on full scale ``F`` (V or A)::

    signed:    q(u) = k D,  k = round(clip(u, -F, F) / D),  |k| <= 2^(b-1) - 1,
               D = F / (2^(b-1) - 1)                  (2^b - 1 levels, 0 is one)
    unsigned:  q(u) = k D,  k = round(clip(u, 0, F) / D),  0 <= k <= 2^b - 1,
               D = F / (2^b - 1)                      (2^b levels)

Inside the range ``|q(u) - u| <= D / 2``; ``q`` is monotone and ``q(q(u)) =
q(u)``. Rounding is numpy's half-to-even. The symmetric signed quantizer gives
up one code of the two's-complement range so that zero is exact and ``+F`` and
``-F`` are both levels (as in CrossSim's ``adc``/``dac`` models and aihwkit's
``inp_res``/``out_res``).
"""

from __future__ import annotations

import numpy as np

from .._validation import as_generator, check_array, check_scalar
from ..errors import InputError, InputTypeError


def _levels(bits, signed, full_scale):
    """Return ``(k_min, k_max, step)`` of the mid-tread quantizer."""
    k_max = 2 ** (bits - 1) - 1 if signed else 2 ** bits - 1
    return (-k_max if signed else 0), k_max, full_scale / k_max


def _quantize(u, k_min, k_max, full_scale):
    """Mid-tread quantization of ``u`` (already finite); no validation.

    Levels are ``(k / k_max) * full_scale`` so that the top level is exactly
    ``full_scale``; ``+ 0.0`` turns ``-0.0`` into ``0.0``.
    """
    k = np.clip(np.rint(u * (k_max / full_scale)), k_min, k_max)
    return (k / k_max) * full_scale + 0.0


def _check_bool(name, value):
    if not isinstance(value, (bool, np.bool_)):
        raise InputTypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


class DAC:
    """Row driver: converts input values to read voltages.

    Parameters
    ----------
    bits : int, default=8
        Resolution, 0..16. ``bits=1`` means spiking input: a 1-bit read pulse;
        ``bits=0`` an ideal driver (clipped to the range, not quantized).
    v_max : float, default=0.2
        Full-scale drive voltage (V), > 0; the read amplitude ``V_read`` for
        spikes.
    x_max : float, default=1.0
        Input value mapped onto ``v_max`` (input units), > 0.
    signed : bool, default=True
        Whether negative inputs drive negative voltages. Must be False for
        ``bits=1``.
    t_read : float, default=10e-9
        Read pulse width (s), > 0.

    Notes
    -----
    ``bits=1`` (spikes): ``V = v_max`` if ``x > 0`` else ``0``.

    Multi-bit: ``V = q(x * v_max / x_max)``, the mid-tread quantizer of the
    module docstring with full scale ``F = v_max``: the input is clipped to
    ``[-x_max, x_max]`` (signed) or ``[0, x_max]`` (unsigned) and the voltage
    is ``k D`` with ``D = v_max / (2^(b-1) - 1)``, ``|k| <= 2^(b-1) - 1``
    (signed) or ``D = v_max / (2^b - 1)``, ``0 <= k <= 2^b - 1`` (unsigned).

    Events counted in ``counts``: ``"conversions"`` (input values converted,
    ``x.size`` per call), ``"activations"`` (rows driven with a non-zero
    voltage, summed over the batch) and ``"pulses"`` (read pulses of width
    ``t_read``: one per activation).

    Examples
    --------
    >>> dac = DAC(bits=3, v_max=0.3)
    >>> dac.convert([[1.0, 0.4, -0.05, -2.0]]).round(12).tolist()
    [[0.3, 0.1, 0.0, -0.3]]
    >>> dac.n_levels, dac.counts["activations"]
    (7, 3)
    """

    def __init__(self, bits=8, v_max=0.2, x_max=1.0, signed=True, t_read=10e-9):
        self._bits = check_scalar("bits", bits, low=0, high=16, integer=True)
        self._v_max = check_scalar("v_max", v_max, low=0.0, low_inclusive=False)
        self._x_max = check_scalar("x_max", x_max, low=0.0, low_inclusive=False)
        self._signed = _check_bool("signed", signed)
        self._t_read = check_scalar("t_read", t_read, low=0.0, low_inclusive=False)
        if self._bits == 1 and self._signed:
            raise InputError("signed must be False for bits=1 (spike input: a read pulse "
                             "of v_max or nothing), got signed=True")
        if self._bits == 0:
            self._k_min = self._k_max = 0
            self._step = 0.0
        else:
            self._k_min, self._k_max, self._step = _levels(self._bits, self._signed,
                                                           self._v_max)
        self.reset_counts()

    bits = property(lambda self: self._bits, doc="Resolution (bits); 0 is ideal.")
    v_max = property(lambda self: self._v_max, doc="Full-scale drive voltage (V).")
    x_max = property(lambda self: self._x_max, doc="Input value mapped onto v_max.")
    signed = property(lambda self: self._signed, doc="Whether inputs may be negative.")
    t_read = property(lambda self: self._t_read, doc="Read pulse width (s).")
    step = property(lambda self: self._step, doc="Voltage step between levels (V).")

    @property
    def n_levels(self):
        """Number of output voltage levels (``2^b - 1`` signed, ``2^b`` unsigned;
        0 for the ideal driver)."""
        return 0 if self._bits == 0 else self._k_max - self._k_min + 1

    @property
    def volts_per_unit(self):
        """Drive voltage per input unit, ``v_max / x_max`` (V per unit)."""
        return self._v_max / self._x_max

    def reset_counts(self):
        """Set every event count to zero."""
        self.counts = {"conversions": 0, "activations": 0, "pulses": 0}

    def voltages(self, x):
        """Row voltages (V) for inputs ``x``, without counting events."""
        return self._voltages(check_array("x", x))

    def _voltages(self, x):
        if self._bits == 1:
            return np.where(x > 0, self._v_max, 0.0)
        if self._bits == 0:
            return np.clip(x * self.volts_per_unit, -self._v_max if self._signed else 0.0,
                           self._v_max)
        return _quantize(x * self.volts_per_unit, self._k_min, self._k_max, self._v_max)

    def convert(self, x):
        """Convert inputs (typically shape (batch, rows)) to row voltages (V).

        Returns an array of the same shape as ``x``; updates :attr:`counts`.
        """
        return self._convert(check_array("x", x))

    def _convert(self, x):
        """:meth:`convert` of a checked finite array (the tiles' hot path)."""
        v = self._voltages(x)
        n_active = int(np.count_nonzero(v))
        self.counts["conversions"] += v.size
        self.counts["activations"] += n_active
        self.counts["pulses"] += n_active
        return v

    def __repr__(self):
        return (f"DAC(bits={self._bits}, v_max={self._v_max!r}, x_max={self._x_max!r}, "
                f"signed={self._signed}, t_read={self._t_read!r})")


class ADC:
    """Column ADC: quantizes (differential) column currents.

    Parameters
    ----------
    bits : int, default=8
        Resolution, 0..16; a signed ADC needs ``bits >= 2``. ``bits=0`` is an
        ideal converter: no quantization and no clipping (noise still added,
        conversions still counted).
    i_max : float, default=1e-4
        Full-scale current (A), > 0. The range is ``[-i_max, i_max]`` (signed)
        or ``[0, i_max]`` (unsigned).
    signed : bool, default=True
        Whether the ADC converts negative currents.
    noise_std : float, default=0.0
        Standard deviation of the input-referred Gaussian noise (A), >= 0.

    Notes
    -----
    ``I_out = q(I + noise_std * N(0, 1))``, with ``q`` the mid-tread quantizer
    of the module docstring on full scale ``F = i_max``; noise is added before
    clipping and quantization.

    Events counted in ``counts``: ``"conversions"`` (``currents.size`` per
    call) and ``"clipped"`` (noisy values outside the range, before
    quantization; always 0 for ``bits=0``).
    """

    def __init__(self, bits=8, i_max=1e-4, signed=True, noise_std=0.0):
        self._bits = check_scalar("bits", bits, low=0, high=16, integer=True)
        self._i_max = check_scalar("i_max", i_max, low=0.0, low_inclusive=False)
        self._signed = _check_bool("signed", signed)
        self._noise_std = check_scalar("noise_std", noise_std, low=0.0)
        if self._signed and self._bits == 1:
            raise InputError("bits must be 0 (ideal) or >= 2 for a signed ADC, got bits=1")
        if self._bits:
            self._k_min, self._k_max, self._step = _levels(self._bits, self._signed,
                                                           self._i_max)
        else:
            self._k_min = self._k_max = 0
            self._step = 0.0
        self.reset_counts()

    bits = property(lambda self: self._bits, doc="Resolution (bits); 0 is ideal.")
    i_max = property(lambda self: self._i_max, doc="Full-scale current (A).")
    signed = property(lambda self: self._signed, doc="Whether currents may be negative.")
    noise_std = property(lambda self: self._noise_std, doc="Input-referred noise (A).")
    step = property(lambda self: self._step, doc="Current step (A); 0.0 when ideal.")

    @property
    def n_levels(self):
        """Number of output levels (``2^b - 1`` signed, ``2^b`` unsigned; 0 if ideal)."""
        return self._k_max - self._k_min + 1 if self._bits else 0

    def reset_counts(self):
        """Set every event count to zero."""
        self.counts = {"conversions": 0, "clipped": 0}

    def convert(self, currents, rng=None):
        """Quantize currents (A); returns an array of the same shape (A).

        Parameters
        ----------
        currents : array_like
            Finite input currents (A), typically shape (batch, n_out).
        rng : numpy.random.Generator or int, optional
            Source of the noise; required when ``noise_std > 0``, unused
            (and not advanced) otherwise.
        """
        i = check_array("currents", currents)
        gen = None
        if self._noise_std > 0.0:
            if rng is None:
                raise InputTypeError("rng must be a numpy.random.Generator (or a seed) when "
                                     f"noise_std > 0 (noise_std={self._noise_std!r}), got None")
            try:
                gen = as_generator(rng)
            except (TypeError, ValueError) as exc:
                raise InputTypeError(f"rng must be a numpy.random.Generator or a non-negative "
                                     f"int seed, got {rng!r}") from exc
        out = self._convert(i, gen)
        return out.copy() if out is currents else out

    def _convert(self, i, gen):
        """:meth:`convert` of a checked finite array with a Generator (or None
        without noise): the tiles' hot path. May return ``i`` itself."""
        if self._noise_std > 0.0:
            i = i + self._noise_std * gen.standard_normal(i.shape)
        self.counts["conversions"] += i.size
        if not self._bits:
            return i
        low = -self._i_max if self._signed else 0.0
        self.counts["clipped"] += int(np.count_nonzero((i < low) | (i > self._i_max)))
        return _quantize(i, self._k_min, self._k_max, self._i_max)

    def __repr__(self):
        return (f"ADC(bits={self._bits}, i_max={self._i_max!r}, signed={self._signed}, "
                f"noise_std={self._noise_std!r})")

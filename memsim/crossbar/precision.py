"""Precision schemes over tiled matrices: bit-sliced weights and bit-serial inputs.

A :class:`BitSlicedMatrix` computes ``y = x @ W`` like a
:class:`~memsim.crossbar.TiledMatrix`, with either or both of two schemes of
peer simulators layered on top of one inner tiled matrix.

Bit-sliced weights (``slices = k``, ``slice_bits = n``, ``B = k n`` bits)
-------------------------------------------------------------------------
``w_max`` per output column is chosen by :func:`~memsim.crossbar.weight_scale`
with the caller's clip rule, as a tiled matrix does. Every weight becomes a
``B``-bit magnitude split into ``k`` digits of ``n`` bits, each held by its
own cell (a differential pair, or a cell against the reference column)::

    q_ij    = round(min(|w_ij|, w_max_j) / w_max_j * (2^B - 1))
    d_s,ij  = (q_ij >> (n s)) & (2^n - 1),               s = 0..k-1 (s = 0 least significant)
    W_s     = sign(W) * d_s,                             entries in [-(2^n - 1), 2^n - 1]

The ``k`` slice matrices are the columns of ONE expanded integer matrix of
shape ``(n_in, k n_out)``, a weight's ``k`` cells in adjacent columns
(column ``k j + s`` holds slice ``s`` of output ``j``), programmed on one
inner tiled matrix with ``clip="fixed"`` and ``clip_value = 2^n - 1``: every
slice column shares one gain, and a small matrix's slices share tiles. The
slices' outputs ``y_s`` (inner outputs in the columns of slice ``s``) are
combined by a digital shift-and-add::

    y_j = (w_max_j / (2^B - 1)) * sum_s 2^(n s) y_s,j

``slice_bits = 0`` means unquantised analog weights (then ``slices = 1``):
the weights go onto the inner matrix as they are, with the caller's clip rule.

Bit-serial inputs (``input_bits = b``)
--------------------------------------
Instead of one multi-bit DAC shot, every input vector is read as ``b``
binary bit planes through a 1-bit driver ``DAC(bits=1, v_max, signed=False,
t_read)`` of the given (unsigned) DAC's amplitude and pulse width::

    q_i     = round(clip(x_i, 0, x_max) / x_max * (2^b - 1))
    x_p,i   = (q_i >> p) & 1,                             p = 0..b-1
    y       = (x_max / (2^b - 1)) * sum_p 2^p y_p

``y_p`` being the inner matrix's output for plane ``p``. ``b = 0`` sends the
inputs through the given DAC in one read, as a tiled matrix does.

Counting
--------
``k b - 1`` digital additions per output combine the ``k b`` partial outputs
(``b`` read as 1 when ``b = 0``); they are counted in
:attr:`TileCounts.shift_adds`, on top of the inner tiles' counts.

Sources
-------
CrossSim's ``BitSlicedCore`` (weights sliced over several cores whose
outputs are shifted and added digitally); NeuroSim, DNN_NeuroSim V1.3
``SubArray.cpp``: ``numCellPerSynapse`` cells of ``cellBit`` bits per weight in
adjacent columns combined by ``shiftAddWeight``, and ``numReadPulse`` bit-serial
input pulses combined by ``shiftAddInput``.

Assumptions
-----------
- The shift-and-add is exact digital arithmetic: its only error is the
  ADC's, per slice column and per read pulse, which it weights by ``2^(n s)``
  and ``2^p``.
- Weight magnitudes are quantised with numpy's round-half-to-even; the sign
  is carried by every slice of a weight (sign-magnitude, not two's complement).
- Bit-serial inputs are non-negative (an unsigned DAC); the given DAC's
  ``bits`` are unused then, only its range, amplitude and pulse width.
- Every plane is read as it is: a plane with no active row is gated (or not)
  by the inner tiles, as any idle read.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .._validation import as_generator, check_array, check_choice, check_scalar
from ..errors import InputError, InputTypeError
from .mapping import SCHEMES, weight_scale
from .peripherals import DAC
from .tile import TiledMatrix

MAX_SLICE_BITS = 8
MAX_WEIGHT_BITS = 16
MAX_INPUT_BITS = 16


class BitSlicedMatrix:
    """A tiled matrix with bit-sliced weights and/or bit-serial inputs.

    A drop-in for :class:`~memsim.crossbar.TiledMatrix`; equations, sources
    and assumptions in :mod:`memsim.crossbar.precision`.

    Parameters
    ----------
    weights : array_like, shape (n_in, n_out)
        Weights of ``y = x @ W``.
    device : memsim.devices.Device or str
        Device model or preset name.
    seed : int or numpy.random.Generator
        Programming randomness, used by the inner tiled matrix as it would be
        by a :class:`TiledMatrix`.
    slices : int, default=1
        Cells (pairs, for the differential scheme) per weight, ``k >= 1``.
        ``slices > 1`` needs ``slice_bits >= 1``.
    slice_bits : int, default=0
        Bits per slice, ``n`` in 0..8, with ``slices * slice_bits <= 16``;
        0 is unquantised analog weights on one cell.
    input_bits : int, default=0
        Read pulses of a bit-serial input, ``b`` in 0..16; 0 is one read
        through ``dac``.
    tile_shape : (int, int), default=(256, 256)
        Physical rows and columns of one tile; the sliced weights take ``k``
        times the columns of the weights.
    dac : DAC, optional
        Row driver; default ``DAC()`` or, for bit-serial inputs,
        ``DAC(signed=False)``. Bit-serial inputs need an unsigned DAC; its
        ``x_max``, ``v_max`` and ``t_read`` set the range, the amplitude and
        the width of the 1-bit read pulses.
    adc : ADC, optional
        Column converter of every tile; default ideal.
    scheme, clip, clip_value, per_column
        Weight mapping and the choice of ``w_max``, as for
        :class:`TiledMatrix` (see :func:`memsim.crossbar.map_weights`).
    **tile_options
        ``wires``, ``iv``, ``solver``, ``gate_idle``, ``rtol``, ``atol``,
        ``maxiter``, as for :class:`TiledMatrix`.

    Attributes
    ----------
    inner : TiledMatrix
        The tiled matrix that holds the (expanded) weights.
    shape : (int, int)
        Logical ``(n_in, n_out)``.
    slices, slice_bits, input_bits : int
        The precision schemes.
    pulses : int
        Read pulses per input vector: ``input_bits``, or 1 when it is 0.
    w_max : ndarray, shape (n_out,)
        Weight magnitude of the full integer range, per output column.
    n_clipped : int
        Weights with ``|w| > w_max``, clipped before slicing.

    Examples
    --------
    >>> from memsim.devices import PCM, PCMParams
    >>> ideal = PCM(PCMParams(prog_noise_scale=0.0, drift_scale=0.0, read_noise_scale=0.0))
    >>> m = BitSlicedMatrix([[0.25, -1.0]], ideal, seed=0, slices=2, slice_bits=2)
    >>> m.matmul([[1.0]], read_noise=False).round(6).tolist()  # 0.25 -> round(3.75) / 15
    [[0.266667, -1.0]]
    >>> m.counts.shift_adds  # batch * n_out * (slices * pulses - 1)
    2
    """

    def __init__(self, weights, device, *, seed, slices=1, slice_bits=0, input_bits=0,
                 tile_shape=(256, 256), dac=None, adc=None, scheme="differential", clip="max",
                 clip_value=None, per_column=False, **tile_options):
        w = check_array("weights", weights, ndim=2)
        self.slices = check_scalar("slices", slices, low=1, integer=True)
        self.slice_bits = check_scalar("slice_bits", slice_bits, low=0, high=MAX_SLICE_BITS,
                                       integer=True)
        self.input_bits = check_scalar("input_bits", input_bits, low=0, high=MAX_INPUT_BITS,
                                       integer=True)
        if self.slice_bits == 0 and self.slices > 1:
            raise InputError(f"slices={self.slices} needs slice_bits >= 1 (slice_bits=0 is "
                             f"unquantised analog weights, one cell per weight), got "
                             f"slice_bits=0")
        if self.slices * self.slice_bits > MAX_WEIGHT_BITS:
            raise InputError(f"slices * slice_bits (total weight bits) must be <= "
                             f"{MAX_WEIGHT_BITS}, got slices={self.slices} * slice_bits="
                             f"{self.slice_bits} = {self.slices * self.slice_bits}")
        check_choice("scheme", scheme, SCHEMES)
        if dac is None:
            dac = DAC(signed=False) if self.input_bits else DAC()
        if not isinstance(dac, DAC):
            raise InputTypeError(f"dac must be a memsim.crossbar.DAC, got {dac!r}")
        if self.input_bits and dac.signed:
            raise InputError(f"input_bits={self.input_bits} (bit-serial inputs) needs an "
                             f"unsigned dac, got {dac!r}; pass a DAC(signed=False, ...)")
        self.pulses = self.input_bits or 1
        self.shape = w.shape
        self.w_max, self.n_clipped = weight_scale(w, clip=clip, clip_value=clip_value,
                                                  per_column=per_column)
        self._x_max = dac.x_max
        if self.input_bits:
            # the planes are binary: a 1-bit driver of the caller's amplitude and
            # pulse width reads them, and x_max is restored in the shift-and-add
            dac = DAC(bits=1, v_max=dac.v_max, signed=False, t_read=dac.t_read)
        if self.slice_bits:
            inner_w = self._slice(w)
            clip, clip_value, per_column = "fixed", 2.0 ** self.slice_bits - 1.0, False
        else:
            inner_w = w
        self.inner = TiledMatrix(inner_w, device, seed=seed, tile_shape=tile_shape, dac=dac,
                                 adc=adc, scheme=scheme, clip=clip, clip_value=clip_value,
                                 per_column=per_column, **tile_options)
        self._shift_adds = 0

    def _slice(self, w):
        """The expanded integer matrix (n_in, k n_out), slice s of output j in column k j + s."""
        k, n = self.slices, self.slice_bits
        levels = 2 ** (k * n) - 1
        q = np.rint(np.minimum(np.abs(w), self.w_max) / self.w_max * levels).astype(np.int64)
        digits = (q[:, :, None] >> (n * np.arange(k))) & (2 ** n - 1)
        return (np.sign(w)[:, :, None] * digits).reshape(w.shape[0], -1)

    tiles = property(lambda self: self.inner.tiles, doc="The inner matrix's tiles.")
    row_blocks = property(lambda self: self.inner.row_blocks,
                          doc="Row blocks of the inner matrix (rows of the weights).")
    col_blocks = property(lambda self: self.inner.col_blocks,
                          doc="Column blocks of the inner matrix (columns of the expanded "
                              "weights, ``k`` per output).")
    n_tiles = property(lambda self: self.inner.n_tiles, doc="Number of tiles.")

    def restart_reads(self):
        """Start every tile's read-noise process afresh (:meth:`Tile.restart_reads`)."""
        self.inner.restart_reads()

    def reset_counts(self):
        """Zero the counts of every tile and of the shift-and-add."""
        self.inner.reset_counts()
        self._shift_adds = 0

    @property
    def counts(self):
        """:class:`TileCounts` of the inner tiles, with the shift-and-add's
        :attr:`~TileCounts.shift_adds`."""
        return dataclasses.replace(self.inner.counts, shift_adds=self._shift_adds)

    def _check_inputs(self, x):
        x = check_array("x", x, ndim=2)
        if x.shape[1] != self.shape[0]:
            raise InputError(f"x must have shape (batch, {self.shape[0]}), got {x.shape}")
        return x

    def _planes(self, x):
        """The bit planes of checked inputs, stacked along the batch axis
        (plane p of input i in row p batch + i), so that one inner call reads them all."""
        b = self.input_bits
        q = np.rint(np.clip(x, 0.0, self._x_max) / self._x_max * (2 ** b - 1)).astype(np.int64)
        planes = (q[None] >> np.arange(b)[:, None, None]) & 1
        return planes.reshape(b * len(x), x.shape[1]).astype(float)

    def matmul(self, x, t=0.0, seed=None, *, compensate=False, read_noise=True):
        """``y = x @ W`` through the precision schemes; arguments as :meth:`Tile.matmul`
        (inputs are clipped to ``[0, x_max]`` when bit-serial; one inner read takes every
        bit plane of the batch, and the pulses of one input, nanoseconds apart, share
        their read noise)."""
        x = self._check_inputs(x)
        t = check_scalar("t", t, low=0.0)
        batch, n_out = len(x), self.shape[1]
        if self.input_bits:
            x_in = self._planes(x)
        else:
            x_in = x
        rng = None if seed is None else as_generator(seed)
        y = self.inner._forward(x_in, t, rng, compensate, read_noise, self.pulses)
        if self.input_bits:
            y = y.reshape(self.pulses, batch, -1)
            y = np.tensordot(2.0 ** np.arange(self.pulses), y, axes=1)
            y *= self._x_max / (2.0 ** self.input_bits - 1.0)
        if self.slice_bits:
            k, n = self.slices, self.slice_bits
            y = y.reshape(batch, n_out, k) @ 2.0 ** (n * np.arange(k))
            y *= self.w_max / (2.0 ** (k * n) - 1.0)
        self._shift_adds += batch * n_out * (self.slices * self.pulses - 1)
        return y

    def calibrate_adc(self, x, t=0.0, percentile=100.0):
        """Calibrate every inner tile's ADC on inputs ``x`` as the tiles see them.

        Bit-serial inputs calibrate on their bit planes, read by the 1-bit
        driver; see :meth:`Tile.calibrate_adc` for ``t`` and ``percentile``.
        """
        x = self._check_inputs(x)
        self.inner.calibrate_adc(self._planes(x) if self.input_bits else x, t, percentile)

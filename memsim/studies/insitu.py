"""In-situ training on a solved array of compact-model cells, with its write disturb.

The task and the rule follow Prezioso et al., Nature 521:61, 2015 (a
single-layer perceptron trained on a passive metal-oxide crossbar): three
classes of 3 x 3 binary images, each letter with its nine one-pixel-flipped
versions (30 patterns), nine pixel inputs and a bias input (10 rows), three
outputs each a differential pair of cells (6 columns), and the batch Manhattan
rule. The letters' pixels are memsim's own drawing of z, v and n.

Read (every weight read is the solved circuit, wires and access devices
included). Pixel ``p`` drives its row at ``+v_read`` (1) or ``-v_read`` (0),
the bias row at ``+v_read``; output ``k`` is

    f_k = tanh((I_{2k} - I_{2k+1}) / I_unit)

with ``I_unit`` the current of one cell at the upper state bound at
``v_read``, its access device included and wires left out (so the argument
counts cells' worth of state). The class is the
largest ``f_k``; targets are ``t_k = +1`` for the class, -1 otherwise.

Update (one per epoch, over the whole batch): the Manhattan rule
``dW_kj = sign(sum_n (t_kn - f_kn) s_jn)`` with ``s_jn = +-1`` the input's
sign. ``dW_kj = +1`` sets cell ``(j, 2k)`` and resets cell ``(j, 2k + 1)``;
-1 the reverse. Each row then gets at most two pulses: one of ``+v_write``
on its cells to set and one of ``-v_write`` on its cells to reset, each of
``width`` seconds, through :func:`memsim.crossbar.writes.write_pulse` with
the array's biasing scheme. A pulse's half-selected cells are disturbed where
their share crosses the device's threshold: the history counts them (a cell
disturbed by two pulses counts twice), the state they lost or gained, and the
energy the pulses put into selected devices, into unselected (disturbed or
not) devices, into access devices and out of the drivers (J), all from the
solved circuit.

The initial states are uniform in the middle half of the state range, drawn
from ``numpy.random.default_rng(seed)``; nothing else is random.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validation import check_choice, check_scalar
from ..crossbar import AccessTransistor, Crossbar, Selector, Wires, write_pulse
from ..devices.compact import CompactModel, StateIV
from ..errors import InputError, InputTypeError

#: The three letters, 3 x 3 pixels (1 = on), memsim's drawing.
LETTERS = {
    "z": ((1, 1, 1), (0, 1, 0), (1, 1, 1)),
    "v": ((1, 0, 1), (1, 0, 1), (0, 1, 0)),
    "n": ((0, 1, 0), (1, 0, 1), (1, 0, 1)),
}
#: Columns of history, per epoch (epoch 0: before any update).
HISTORY = ("epoch", "accuracy", "pulses", "cells_written", "disturb_events",
           "disturbed_cells", "disturb_state_change", "energy_selected_J",
           "energy_unselected_J", "energy_access_J", "energy_sources_J")


def letter_patterns():
    """The 30 patterns: each letter and its nine one-pixel flips.

    Returns
    -------
    pixels : ndarray of int, shape (30, 9)
    labels : ndarray of int, shape (30,)
    """
    pixels, labels = [], []
    for k, letter in enumerate(LETTERS.values()):
        base = np.array(letter).ravel()
        pixels.append(base)
        for p in range(9):
            noisy = base.copy()
            noisy[p] ^= 1
            pixels.append(noisy)
        labels += [k] * 10
    return np.array(pixels), np.array(labels)


@dataclass(frozen=True)
class InSituResult:
    """What one in-situ training run did.

    Attributes
    ----------
    history : dict of str to ndarray
        One entry per :data:`HISTORY` column, one value per epoch (epoch 0
        is the untrained array).
    states : ndarray, shape (10, 6)
        Final cell states.
    outputs : ndarray, shape (30, 3)
        Final ``f_k`` of every pattern.
    disturbed : ndarray of bool, shape (10, 6)
        Cells disturbed at least once.
    i_unit : float
        ``I_unit`` (A), the read current of one cell at the upper bound.
    """

    history: dict
    states: np.ndarray
    outputs: np.ndarray
    disturbed: np.ndarray
    i_unit: float


def train_insitu(model, *, access=None, scheme="v/3", wires=None, epochs=20, v_write=0.4,
                 width=2e-5, v_read=0.1, steps=4, seed=0, progress=None):
    """Train the letter perceptron on a solved array (module notes).

    Parameters
    ----------
    model : CompactModel
        The cells' compact model (e.g. the ``yakopcic`` preset's device).
    access : AccessTransistor, Selector or None, default=None
        The cells' access device; a transistor's ``v_gate`` is its on voltage,
        for reads (every gate) and writes (selected word lines).
    scheme : {"v/2", "v/3", "gate"}, default="v/3"
        Write biasing: ``gate`` for 1T1R arrays, the others for passive and
        1S1R ones.
    wires : Wires or None, default=None
        Line resistances (ohm); None is the wire-free limit.
    epochs : int, default=20
    v_write : float, default=0.4
        Write amplitude (V), > 0; sets at ``+v_write``, resets at ``-v_write``.
    width : float, default=2e-5
        Write pulse width (s).
    v_read : float, default=0.1
        Read amplitude (V), > 0; keep it below the device's thresholds.
    steps : int, default=4
        Circuit solves per write pulse (operator splitting).
    seed : int, default=0
        Seed of the initial states.
    progress : callable or None
        Called as ``progress(epoch, epochs, postfix)`` after each epoch.

    Returns
    -------
    InSituResult
    """
    if not isinstance(model, CompactModel):
        raise InputTypeError(f"model must be a memsim CompactModel, got {model!r}")
    if wires is not None and not isinstance(wires, Wires):
        raise InputTypeError(f"wires must be a memsim.crossbar.Wires or None, got {wires!r}")
    check_choice("scheme", scheme, ("v/2", "v/3", "gate"))
    if (scheme == "gate") != isinstance(access, AccessTransistor):
        raise InputError(f"scheme {scheme!r} does not write "
                         f"{'1T1R' if isinstance(access, AccessTransistor) else 'these'} cells: "
                         f"1T1R arrays take 'gate', passive and 1S1R arrays 'v/2' or 'v/3'")
    if access is not None and not isinstance(access, (AccessTransistor, Selector)):
        raise InputTypeError(f"access must be an AccessTransistor, a Selector or None, "
                             f"got {access!r}")
    epochs = check_scalar("epochs", epochs, low=1, integer=True)
    v_write = check_scalar("v_write", v_write, low=0.0, low_inclusive=False)
    v_read = check_scalar("v_read", v_read, low=0.0, low_inclusive=False)
    pixels, labels = letter_patterns()
    signs = np.hstack([2 * pixels - 1, np.ones((len(pixels), 1), dtype=int)])   # (30, 10)
    targets = np.where(np.arange(3)[None, :] == labels[:, None], 1.0, -1.0)
    lo, hi = model.bounds
    x = np.random.default_rng(seed).uniform(lo + 0.25 * (hi - lo), lo + 0.75 * (hi - lo),
                                            (10, 6))
    iv = StateIV(model)
    # through the access device: a selector's drop leaves the device far less than v_read
    i_unit = float(Crossbar(np.array([[hi]]), None, iv, access=access).solve(
        [[v_read]]).currents[0, 0])

    def read(x):
        i = Crossbar(x, wires, iv, access=access).solve(v_read * signs).currents
        return np.tanh((i[:, 0::2] - i[:, 1::2]) / i_unit)

    rows = {name: [] for name in HISTORY}
    ever = np.zeros(x.shape, dtype=bool)

    def record(epoch, f, tally):
        rows["epoch"].append(epoch)
        rows["accuracy"].append(float(np.mean(np.argmax(f, axis=1) == labels)))
        for key, value in tally.items():
            rows[key].append(value)

    f = read(x)
    keys = HISTORY[2:]
    record(0, f, dict.fromkeys(keys, 0))
    for epoch in range(1, epochs + 1):
        tally = dict.fromkeys(keys, 0)
        dw = np.sign((targets - f).T @ signs)                 # (3, 10)
        up = np.zeros(x.shape, dtype=bool)                    # cells to set
        up[:, 0::2], up[:, 1::2] = (dw.T > 0), (dw.T < 0)
        down = np.zeros(x.shape, dtype=bool)
        down[:, 0::2], down[:, 1::2] = (dw.T < 0), (dw.T > 0)
        for j in range(x.shape[0]):
            for cells, v in ((up[j], v_write), (down[j], -v_write)):
                if not cells.any():
                    continue
                res = write_pulse(model, x, j, np.flatnonzero(cells), v, width, scheme=scheme,
                                  wires=wires, steps=steps, access=access)
                unselected = ~res.selected
                tally["pulses"] += 1
                tally["cells_written"] += int(cells.sum())
                tally["disturb_events"] += int(res.disturbed.sum())
                tally["disturb_state_change"] += float(np.abs(res.states - x)[unselected].sum())
                tally["energy_selected_J"] += res.energy_cells - res.energy_disturbed
                tally["energy_unselected_J"] += res.energy_disturbed
                tally["energy_access_J"] += res.energy_access
                tally["energy_sources_J"] += res.energy_sources
                ever |= res.disturbed
                x = res.states
        tally["disturbed_cells"] = int(ever.sum())
        f = read(x)
        record(epoch, f, tally)
        if progress is not None:
            progress(epoch, epochs, f"accuracy {rows['accuracy'][-1]:.0%}, "
                                    f"disturbed cells {int(ever.sum())}")
    history = {k: np.array(v) for k, v in rows.items()}
    return InSituResult(history, x, f, ever, i_unit)

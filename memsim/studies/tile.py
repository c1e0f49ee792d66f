"""The tile study: how far one crossbar's matrix product lands from the exact one.

One weight matrix of ``tile.rows`` inputs and ``tile.cols // 2`` outputs (a
tile's worth of differential pairs), with normal
weights of standard deviation ``1/sqrt(rows)``, is programmed onto the
hardware of the config (:class:`memsim.hardware.HardwareConfig`: the same
``technology``, ``pcm`` and ``tile`` keys as ``memsim run`` and ``memsim
energy``) and multiplies random inputs at ``read.t`` seconds after
programming. The measure is the relative output error
``||y - x @ w|| / ||x @ w||`` (Frobenius norms over the batch).

Inputs: ``inputs.n`` vectors, each entry active with probability
``inputs.activity`` and then uniform in [0, 1] (values through the DAC). The
ADCs are calibrated on the same inputs at ``read.t``, to the
``calibration.percentile`` of ``|I+ - I-|``. The weights, the inputs, the
programming and the reads draw from four streams spawned from
``SeedSequence(seed)``.
"""

from __future__ import annotations

import numpy as np

from .._validation import check_scalar
from ..hardware import PCM_SCALES, TILE_DEFAULTS, HardwareConfig

#: Every key of the tile study with its default (SI units).
TILE_STUDY_DEFAULTS = {
    "device": "pcm",                 # device preset or preset TOML path
    "technology": "cim-22nm",        # analog node: read pulse
    "pcm": dict(PCM_SCALES),         # multipliers on the PCM model (PCM presets only)
    "tile": dict(TILE_DEFAULTS),     # memsim.hardware.HardwareConfig
    "read": {
        "t": 1.0,                    # s after programming when the array is read
        "compensate": True,          # global drift compensation
    },
    "calibration": {"percentile": 99.9},   # ADC full scale: percentile of |I+ - I-|
    "inputs": {
        "n": 64,                     # input vectors
        "activity": 0.5,             # fraction of non-zero inputs (uniform in [0, 1])
    },
    "seed": 0,
}


def check_tile_config(config):
    """Validate a tile-study config; returns its :class:`HardwareConfig`."""
    check_scalar("read.t", config["read"]["t"], low=0.0)
    check_scalar("calibration.percentile", config["calibration"]["percentile"], low=0.0,
                 high=100.0, low_inclusive=False)
    check_scalar("inputs.n", config["inputs"]["n"], low=1, integer=True)
    check_scalar("inputs.activity", config["inputs"]["activity"], low=0.0, high=1.0,
                 low_inclusive=False)
    check_scalar("seed", config["seed"], low=0, integer=True)
    return HardwareConfig.from_config(config, config["device"])


def tile_error(config, hardware=None):
    """Relative output error of one tile of the config's hardware (module docstring).

    Parameters
    ----------
    config : dict
        As :data:`TILE_STUDY_DEFAULTS`.
    hardware : HardwareConfig, optional
        :func:`check_tile_config` of ``config`` (computed if not given).

    Returns
    -------
    dict
        ``{"output_error": float}``.
    """
    hardware = hardware or check_tile_config(config)
    read, inputs = config["read"], config["inputs"]
    w_seq, x_seq, prog_seq, read_seq = np.random.SeedSequence(config["seed"]).spawn(4)
    rows, n_out = hardware.rows, hardware.cols // 2
    w = np.random.default_rng(w_seq).normal(0.0, 1.0 / np.sqrt(rows), (rows, n_out))
    rng = np.random.default_rng(x_seq)
    x = (rng.random((inputs["n"], rows)) < inputs["activity"]) \
        * rng.uniform(0.0, 1.0, (inputs["n"], rows))
    tm = hardware.tiled_matrix(w, np.random.default_rng(prog_seq), spikes=False)
    if hardware.adc_bits:
        tm.calibrate_adc(x, read["t"], config["calibration"]["percentile"])
    y = tm.matmul(x, read["t"], seed=np.random.default_rng(read_seq),
                  compensate=read["compensate"])
    return {"output_error": relative_error(y, x @ w)}


def relative_error(y, exact):
    """``||y - exact|| / ||exact||`` (Frobenius norms; an all-zero ``exact`` divides by
    1e-300, not 0)."""
    return float(np.linalg.norm(y - exact) / max(np.linalg.norm(exact), 1e-300))

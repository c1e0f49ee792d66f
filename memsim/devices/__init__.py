"""Device physics: what a single memristive cell does.

Models
------
Device
    The interface every model implements (program, read, conductances at a
    time, read noise, drift compensation, pulses).
PCM, PCMParams
    Statistical phase-change memory for inference (programming noise, drift,
    1/f read noise), Nandakumar et al. ICECS 2019 as implemented in aihwkit.
PulseDevice, PulseParams
    Pulse-programmed devices (RRAM, ECRAM, FeFET) with NeuroSim's nonlinear,
    asymmetric update, cycle-to-cycle and device-to-device variation.
RRAM, RRAMParams
    Statistical RRAM for inference: programming error and relaxation as
    measured (Wan et al., Nature 2022; Milo et al., IRPS 2021).
CompactModel, VTEAMParams, YakopcicParams, StanfordPKUParams
    Compact models with state, switched by a voltage waveform (VTEAM, Yakopcic,
    Stanford-PKU; :mod:`memsim.devices.compact`): I-V loops and pulse ramps.
Ohmic, Sinh, StatePolynomial
    Current-voltage laws (:func:`iv_law`; ``milo2021`` is Milo et al.'s).
Faults
    Stuck-at devices and finite conductance levels.

Presets are loaded with :func:`load_preset` (:func:`as_device` takes a model or a
preset name); measured data are fitted with :func:`fit_pulse_ramps` and
:func:`fit_drift`.
"""

from .base import Device
from .compact import CompactModel, StanfordPKUParams, VTEAMParams, YakopcicParams
from .faults import Faults
from .iv import Ohmic, Sinh, StatePolynomial, iv_law
from .nonlinearity import a_norm_from_nl, nl_from_a_norm
from .pcm import PCM, PCMParams
from .presets import as_device, load_preset
from .pulse import PulseDevice, PulseParams
from .rram import RRAM, RRAMParams

__all__ = ["CompactModel", "StanfordPKUParams", "VTEAMParams", "YakopcicParams", "Device", "Faults", "Ohmic", "Sinh", "StatePolynomial", "iv_law", "a_norm_from_nl",
           "nl_from_a_norm", "PCM", "PCMParams", "PulseDevice", "PulseParams", "RRAM",
           "RRAMParams", "as_device", "load_preset"]

"""Spiking networks: LIF/ALIF neurons, input encoders, synapse backends, e-prop.

NeuronParams, NeuronState, neuron_step
    Discrete-time LIF and adaptive LIF neurons with exact decay.
GaussianFields
    Population coding of observations, as analog currents or spikes.
DigitalSynapses, digital, SynapseConfig
    The float-weight synapse backend (propagate, update), its factory, and the
    description of which backend a network trains on.
EpropActorCritic, EpropConfig
    Reward-based e-prop (Bellec et al. 2020): online actor-critic learning.
RstdpAgent, RstdpConfig
    Reward-modulated STDP with an eligibility trace (Florian 2007), the baseline.
graph.Network
    Any graph of the NIR primitives (neurons, affine maps, convolutions, pools,
    delays, recurrent loops) stepped in discrete time; memsim.nir reads NIR
    files into it.
"""

from .encoders import GaussianFields
from .eprop import EpropActorCritic, EpropConfig
from .neurons import NeuronParams, NeuronState, neuron_step
from .rstdp import RstdpAgent, RstdpConfig
from .synapses import DigitalSynapses, SynapseConfig, digital

__all__ = ["DigitalSynapses", "EpropActorCritic", "EpropConfig", "GaussianFields",
           "NeuronParams", "NeuronState", "RstdpAgent", "RstdpConfig", "SynapseConfig",
           "digital", "neuron_step"]

"""Hardware under a spiking network: every synapse backend that is hardware, deployment, cost.

Deployment maps every weight matrix of an e-prop network (``w_in``,
``w_rec``, ``w_out``, ``w_value``; :class:`memsim.snn.EpropActorCritic`) onto
its own :class:`memsim.crossbar.TiledMatrix` and hands the network an
:class:`AnalogSynapses` backend for each: the network code is the one that
trained, only its synapses change (docs/design.md). Per network step and matrix::

    x --DAC--> row read pulses --crossbar at G(t)--> column currents --ADC--> x @ W

* Row drivers: the recurrent and readout matrices are driven by spikes, a
  1-bit read pulse of ``v_read`` on the rows of the neurons that fired (rows
  of silent neurons are not driven and cost nothing); the input matrix gets
  a multi-bit DAC (``dac_bits``, unsigned, full scale at the encoder's
  ``gain``) for analog inputs, 1-bit pulses for spike inputs.
* ADCs: signed, ``adc_bits``, full scale calibrated once (the main job: at
  ``calibration.time`` after programming, to the ``calibration.percentile``
  of ``|I+ - I-|`` over the inputs the digital network sees in
  ``calibration.episodes`` episodes; calibration reads are not counted).
* The hardware (device, tiles, DAC/ADC, wires, read pulse, technology) is one
  :class:`HardwareConfig`, the same for every study.
* Drift: reads at time ``t`` after programming see ``G(t)``; with
  compensation every matrix output is multiplied by its tile's global
  drift-compensation factor, from one-hot calibration reads
  (:meth:`memsim.crossbar.Tile.compensation`).
* Energy per decision: the tiles' counted events priced by the technology
  (:func:`memsim.energy.network_ledger`), plus ``n_rec + n_actions + 1``
  digital neuron/readout updates per network step, one routed spike per
  recurrent spike (and per input spike on the spike path), and SRAM traffic
  of the neuron inputs (ADC outputs, 8 bits at least) and of the inputs.
  Baselines run the same network with the same measured activity: per
  network step the layers ``(n_in + n_rec) -> n_rec -> n_actions + 1`` with
  the active inputs counted during the evaluation.
"""


from .config import PCM_SCALES, TILE_DEFAULTS, HardwareConfig, resolve_device, tiles_needed
from .cost import decision_cost, graph_cost
from .deploy import MATRICES, deploy, deploy_graph, record_inputs
from .synapses import AnalogSynapses, NoisySynapses, PulseSynapses, backend_factory

__all__ = ["MATRICES", "PCM_SCALES", "TILE_DEFAULTS", "AnalogSynapses", "HardwareConfig",
           "NoisySynapses", "PulseSynapses", "backend_factory", "decision_cost", "deploy",
           "deploy_graph", "graph_cost",
           "record_inputs", "resolve_device", "tiles_needed"]

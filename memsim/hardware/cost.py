"""Energy, latency and area per decision of a network on tiles, against every baseline."""

from __future__ import annotations

from ..crossbar import TileCounts
from ..energy import Workload, against_baselines, network_latency, network_ledger


def decision_cost(agent, encoder, backends, decisions, spikes, hardware, digital, *,
                  pipelined=False):
    """Energy per decision on tiles and on every baseline, from counted events, and
    the latency of a decision on the tiles.

    A network step is two layers: the input and recurrent matrices, read at once,
    into the recurrent neurons; then the readout and value matrices into the
    output neurons (:func:`memsim.energy.network_latency`).

    Parameters
    ----------
    agent : EpropActorCritic
    encoder : GaussianFields
    backends : dict of AnalogSynapses
        Their counts cover the ``decisions`` evaluated.
    decisions : int
        Decisions made (summed over episodes).
    spikes : float
        Recurrent spikes over those decisions.
    hardware : HardwareConfig
        The tiles' hardware: its technology prices their events.
    digital : Technology
        The digital technology of the baselines.
    pipelined : bool, default=False
        Whether the two layers of a step work on successive steps at once.

    Returns
    -------
    dict
        ``analog`` (ledger dict per decision), ``baselines`` (each ledger dict
        with ``ratio_to_analog``), ``latency`` (per decision), ``area`` (of the
        chip holding the network: :meth:`HardwareConfig.chip_area`) and ``activity``
        (active inputs per step).
    """
    steps = decisions * agent.config.steps_per_decision
    n_in, n_rec, n_out = agent.n_in, agent.config.n_rec, agent.n_actions + 1
    counts = sum((backend.matrix.counts for backend in backends.values()), TileCounts())
    in_events = backends["w_in"].counts["synaptic_events"] / n_rec
    spike_input = encoder.mode == "spikes"
    in_bits = 1 if spike_input else max(hardware.dac_bits, 1)
    tech = hardware.technology
    ledger = network_ledger(counts, tech, steps=steps, inputs=n_in, in_bits=in_bits,
                            outputs=n_rec + n_out,
                            routed_spikes=spikes + (in_events if spike_input else 0.0),
                            **hardware.pricing)
    per_decision = ledger.per(decisions)
    active_in = in_events / steps
    active_rec = spikes / steps
    # the recurrent layer's input is the spikes of the step before, as the tiles saw them
    # (an episode's last spikes never reach w_rec): the baselines get the same events
    rec_in = backends["w_rec"].counts["synaptic_events"] / n_rec / steps
    workload = Workload((n_in + n_rec, n_rec, n_out), (active_in + rec_in, active_rec),
                        (0.0 if spike_input else active_in, 0.0))
    per_step = agent.config.steps_per_decision
    matrices = {name: backend.matrix for name, backend in backends.items()}
    shapes = [hardware.layer_shape(matrices["w_in"], matrices["w_rec"], outputs=n_rec,
                                   spikes=(active_in if spike_input else 0.0) + rec_in),
              hardware.layer_shape(matrices["w_out"], matrices["w_value"], outputs=n_out,
                                   spikes=active_rec)]
    area = hardware.chip_area([((matrices["w_in"], matrices["w_rec"]), n_rec),
                               ((matrices["w_out"], matrices["w_value"]), n_out)])
    latency = network_latency(tech, shapes, pipelined=pipelined, steps=per_step)
    return {"analog": per_decision.to_dict(), "latency": latency, "area": area,
            "baselines": against_baselines(workload, per_decision, digital, node_nm=tech.node_nm,
                                           vdd=tech["vdd"], scale=per_step, tech=tech,
                                           latency=latency, area=area),
            "activity": {"active_inputs_per_step": active_in,
                         "spikes_per_step": active_rec,
                         "spikes_per_decision": spikes / decisions}}

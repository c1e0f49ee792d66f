"""Energy per decision of a network on tiles, against the same network on every baseline."""

from __future__ import annotations

from ..energy import BASELINES, Workload, baseline, network_ledger


def decision_energy(agent, encoder, backends, decisions, spikes, tech, digital, *, adc_bits,
                    adc_model):
    """Energy per decision on tiles and on every baseline, from counted events.

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
    tech, digital : Technology
        Analog (``cim``) and digital technologies.
    adc_bits : int
    adc_model : {"walden", "neurosim-sar"}

    Returns
    -------
    dict
        ``analog`` (ledger dict per decision), ``baselines`` (each ledger dict
        with ``ratio_to_analog``) and ``activity`` (active inputs per step).
    """
    steps = decisions * agent.config.steps_per_decision
    n_in, n_rec, n_out = agent.n_in, agent.config.n_rec, agent.n_actions + 1
    counts = {}
    for backend in backends.values():
        for key, value in backend.matrix.counts.items():
            counts[key] = counts.get(key, 0) + value
    in_events = backends["w_in"].counts["synaptic_events"] / n_rec
    spike_input = encoder.mode == "spikes"
    in_bits = 1 if spike_input else max(backends["w_in"].matrix.tiles[0][0].dac.bits, 1)
    ledger = network_ledger(counts, tech, adc_bits=adc_bits, adc_model=adc_model,
                            neuron_updates=steps * (n_rec + n_out),
                            routed_spikes=spikes + (in_events if spike_input else 0.0),
                            sram_bits=steps * (n_in * in_bits
                                               + (n_rec + n_out) * max(adc_bits, 8)))
    per_decision = ledger.per(decisions)
    active_in = in_events / steps
    active_rec = spikes / steps
    workload = Workload((n_in + n_rec, n_rec, n_out), (active_in + active_rec, active_rec))
    per_step = agent.config.steps_per_decision
    total = per_decision.total
    result = {"analog": per_decision.to_dict(), "baselines": {},
              "activity": {"active_inputs_per_step": active_in,
                           "spikes_per_step": active_rec,
                           "spikes_per_decision": spikes / decisions}}
    for name in BASELINES:
        led = baseline(name, workload, digital, node_nm=tech.node_nm,
                       vdd=tech["vdd"]).scaled(per_step)
        result["baselines"][name] = {**led.to_dict(), "ratio_to_analog":
                                     led.total / total if total else None}
    return result

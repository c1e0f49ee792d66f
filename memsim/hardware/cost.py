"""Energy, latency and area per decision of a network on tiles, against every baseline."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

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


def graph_cost(network, backends, inferences, steps, hardware, digital, *, input_bits,
               pipelined=False, input_spikes=False):
    """Energy, latency and area per inference of a graph network on tiles, and of every
    baseline doing the same work from the same measured activity.

    Each weight node is one layer: its matrices (one per convolution group) read at
    once, a convolution's once per output position, one after another (its read
    pulses and conversions times the positions; its weights on tiles once). Per
    network step the digital periphery updates every neuron of the graph's neuron
    nodes, routes the spikes into spike-driven matrices (each spike once per matrix,
    however many positions read it: ``network.input_events``) and buffers the input
    (``input_bits`` per value) and every matrix output in SRAM
    (:func:`memsim.energy.network_ledger`). The baselines run the same matrices with
    the same reads and the same active inputs, counted by the tiles' backends, and
    the Loihi-like chip routes the same spikes.

    Parameters
    ----------
    network : memsim.snn.graph.Network
        After the run the backends counted (its ``input_events``).
    backends : dict
        ``{(node, group): backend}`` of :func:`memsim.hardware.deploy_graph`; their
        counts cover ``inferences`` inferences of ``steps`` steps each.
    inferences, steps : int
    hardware : HardwareConfig
    digital : Technology
        The digital technology of the baselines.
    input_bits : int
        Bits of one input value (1 for spikes).
    pipelined : bool, default=False
    input_spikes : bool, default=False
        Whether the graph's input is 0/1 events (1-bit pulses, accumulate-only
        events for the baselines).

    Returns
    -------
    dict
        ``analog`` (ledger dict per inference), ``baselines``, ``latency`` (per
        inference), ``area``, ``workload`` (matrices, reads, active inputs per step).
    """
    tech = hardware.technology
    total_steps = inferences * steps
    counts = sum((b.matrix.counts for b in backends.values()), TileCounts())
    neurons = sum(int(np.prod(node.out_shape)) for node in network.nodes.values()
                  if hasattr(node, "shape_param") or node.spiking)
    outputs = sum(int(np.prod(network.nodes[name].out_shape))
                  for name, node in network.nodes.items() if node.weighted)
    spike_driven = network.spike_driven(input_spikes)
    events = network.input_events
    routed = sum(v for k, v in events.items() if k[0] in spike_driven)
    ledger = network_ledger(counts, tech, steps=total_steps,
                            inputs=int(np.prod(network.in_shape)), in_bits=input_bits,
                            outputs=max(neurons, 1), routed_spikes=routed,
                            **hardware.pricing)
    per_inference = ledger.per(inferences)
    shapes, reads, active, multibit, spikes, layers, area_layers = [], [], [], [], [], [], []
    for name in network.order:
        node = network.nodes[name]
        if not node.weighted:
            continue
        keys = [k for k in backends if k[0] == name]
        positions = getattr(node, "positions", 1)
        spikes_in = 0.0
        for key in keys:
            b = backends[key]
            n_in, n_out = b.matrix.shape
            a = b.counts["synaptic_events"] / n_out / total_steps
            shapes.append((n_in, n_out))
            reads.append(positions)
            active.append(min(a, n_in * positions))
            multibit.append(0.0 if name in spike_driven else active[-1])
            spikes.append(min(events[key] / total_steps, n_in * positions))
            spikes_in += a if name in spike_driven else 0.0
        matrices = [backends[k].matrix for k in keys]
        out_n = int(np.prod(node.out_shape))
        shape = hardware.layer_shape(*matrices, outputs=out_n, spikes=spikes_in)
        layers.append(replace(shape, pulses=shape.pulses * positions))
        area_layers.append((matrices, out_n))
    workload = Workload(None, tuple(active), tuple(multibit), tuple(reads), tuple(shapes),
                        tuple(spikes))
    area = hardware.chip_area(area_layers)
    latency = network_latency(tech, layers, pipelined=pipelined, steps=steps)
    return {"analog": per_inference.to_dict(), "latency": latency, "area": area,
            "baselines": against_baselines(workload, per_inference, digital,
                                           node_nm=tech.node_nm, vdd=tech["vdd"], scale=steps,
                                           tech=tech, latency=latency, area=area),
            "workload": {"matrices": [list(s) for s in shapes], "reads": reads,
                         "active_inputs_per_step": active, "neurons": neurons,
                         "matrix_outputs": outputs}}

"""Pricing of counted events: what the events of tiles and digital neurons cost.

The tiles count (:class:`memsim.crossbar.TileCounts`); a ``cim`` technology
(:mod:`memsim.energy.technology`) prices each event. Nothing here builds or runs
hardware.
"""

from __future__ import annotations

from ..errors import InputError
from .ledger import EnergyLedger


def tile_ledger(counts, tech, *, adc_bits, adc_model="walden"):
    """Price the counts of a tile or tiled matrix with a ``cim`` technology.

    Parameters
    ----------
    counts : memsim.crossbar.TileCounts
        What the tiles counted.
    tech : Technology
    adc_bits : int
    adc_model : {"walden", "neurosim-sar"}

    Returns
    -------
    EnergyLedger
        ``array_read`` (solved dissipation), ``row_charging``
        (``c_row_per_cell * sum n_cols V^2``), ``driver`` (per activation),
        ``adc`` (per conversion) and ``accumulate`` (per partial sum).
    """
    if tech.kind != "cim":
        raise InputError(f"tile energy needs a 'cim' technology, got {tech.name!r} of kind "
                         f"{tech.kind!r}")
    ledger = EnergyLedger()
    ledger.charge("array_read", counts.reads, joules=counts.array_joules)
    ledger.charge("row_charging", counts.dac_activations,
                  joules=tech["c_row_per_cell"] * counts.row_charge_v2)
    ledger.charge("driver", counts.dac_activations, tech["e_driver"])
    ledger.charge("adc", counts.adc_conversions, tech.adc_energy(adc_bits, adc_model))
    ledger.charge("accumulate", counts.accumulations, tech["e_accumulate"])
    return ledger


def network_ledger(tile_counts, tech, *, adc_bits, adc_model, steps, inputs, in_bits, outputs,
                   routed_spikes):
    """Energy of a network whose synapses are tiles and whose neurons are digital.

    :func:`tile_ledger` of the summed tile counts, plus the digital periphery
    of ``steps`` network steps (inferences), each priced by the technology:

    - ``neuron_update``: ``steps * outputs`` neuron state updates;
    - ``spike_routing``: ``routed_spikes`` spikes delivered to the tiles' row
      drivers;
    - ``sram``: the buffered neuron inputs and outputs, ``steps * (inputs *
      in_bits + outputs * max(adc_bits, 8))`` bits: every input value at its
      resolution (1 bit for a spike), every neuron input an ADC word of at
      least a byte.

    Returns
    -------
    EnergyLedger
    """
    ledger = tile_ledger(tile_counts, tech, adc_bits=adc_bits, adc_model=adc_model)
    ledger.charge("neuron_update", steps * outputs, tech["e_neuron_update"])
    ledger.charge("spike_routing", routed_spikes, tech["e_spike_route"])
    ledger.charge("sram", steps * (inputs * in_bits + outputs * max(adc_bits, 8)),
                  tech["e_sram_per_bit"])
    return ledger

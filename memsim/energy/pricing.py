"""Pricing of counted events: what the events of tiles and digital neurons cost.

The tiles count (:class:`memsim.crossbar.TileCounts`); a ``cim`` technology
(:mod:`memsim.energy.technology`) prices each event. Nothing here builds or runs
hardware.
"""

from __future__ import annotations

from ..errors import InputError
from .ledger import EnergyLedger


def tile_ledger(counts, tech, *, adc_bits, adc_model="walden", cell="1T1R", g_on=None,
                v_read=None):
    """Price the counts of a tile or tiled matrix with a ``cim`` technology.

    Parameters
    ----------
    counts : memsim.crossbar.TileCounts
        What the tiles counted.
    tech : Technology
    adc_bits : int
    adc_model : {"walden", "neurosim-sar"}
    cell : {"1T1R", "passive"}, default="1T1R"
        Cells with an access transistor (whose gates load the word line) or
        without.
    g_on : float, optional
        The device's on-conductance (S), which sizes the access transistor;
        required for 1T1R cells.
    v_read : float, optional
        Full-scale read voltage (V) of the reads; default the technology's.

    Returns
    -------
    EnergyLedger
        ``array_read`` (solved dissipation), ``row_charging`` (read lines,
        ``c_line sum_k sum_i n_cols V_ki^2``), ``driver`` (1T1R word lines,
        ``c_word vdd^2`` per cell on a driven row), ``adc`` (per conversion plus
        the SAR model's column-load term), ``subtract`` (the two halves of a
        differential read, per conversion), ``accumulate`` (per partial sum) and
        ``shift_add`` (per addition of slices' or read pulses' outputs, when
        any; priced as an accumulate).
        Equations and sources: :mod:`memsim.energy.technology`.
    """
    if tech.kind != "cim":
        raise InputError(f"tile energy needs a 'cim' technology, got {tech.name!r} of kind "
                         f"{tech.kind!r}")
    if cell == "1T1R" and g_on is None:
        raise InputError("g_on (the device's on-conductance, S) is required to price 1T1R "
                         "cells, whose access transistors it sizes")
    c_line, c_word = tech.row_capacitances(cell, g_on)
    v_read = tech["v_read"] if v_read is None else v_read
    adc = (counts.adc_conversions * tech.adc_energy(adc_bits, adc_model)
           + tech.adc_load_energy(adc_bits, counts.adc_siemens, v_read, adc_model))
    ledger = EnergyLedger()
    ledger.charge("array_read", counts.reads, joules=counts.array_joules)
    ledger.charge("row_charging", counts.dac_activations, joules=c_line * counts.row_charge_v2)
    ledger.charge("driver", counts.dac_activations,
                  joules=c_word * counts.row_cells * tech["vdd"] ** 2)
    ledger.charge("adc", counts.adc_conversions, joules=adc)
    ledger.charge("subtract", counts.adc_conversions, tech.subtract_energy(adc_bits))
    ledger.charge("accumulate", counts.accumulations, tech["e_accumulate"])
    if counts.shift_adds:
        ledger.charge("shift_add", counts.shift_adds, tech["e_accumulate"])
    return ledger


def network_ledger(tile_counts, tech, *, adc_bits, steps, inputs, in_bits, outputs,
                   routed_spikes, **tile):
    """Energy of a network whose synapses are tiles and whose neurons are digital.

    :func:`tile_ledger` of the summed tile counts (``adc_bits`` and ``**tile``: its keywords),
    plus the digital periphery of ``steps`` network steps (inferences), each
    priced by the technology:

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
    ledger = tile_ledger(tile_counts, tech, adc_bits=adc_bits, **tile)
    ledger.charge("neuron_update", steps * outputs, tech["e_neuron_update"])
    ledger.charge("spike_routing", routed_spikes, tech["e_spike_route"])
    ledger.charge("sram", steps * (inputs * in_bits + outputs * max(adc_bits, 8)),
                  tech["e_sram_per_bit"])
    return ledger

"""What tiles count while they compute: the events the energy layer prices."""

from __future__ import annotations

from dataclasses import dataclass, fields


@dataclass
class TileCounts:
    """Events and physical quantities of the reads of one tile (or summed over tiles).

    Attributes
    ----------
    reads : int
        Array reads (one per input vector).
    idle_reads : int
        Reads with no row driven (their ADC conversions are skipped when the
        tile gates idle reads).
    array_joules : float
        Energy the drivers deliver into the array during the read pulses,
        ``t_read sum_k V_k^T I_drive,k`` (J), from the solved circuit (devices,
        wires, driver and sense resistances).
    row_charge_v2 : float
        ``sum_k sum_i n_cols V_ki^2`` (V^2): the energy of charging the row lines
        is ``c_per_cell * row_charge_v2`` (columns sit at virtual ground).
    row_cells : int
        ``sum_k n_cols * (rows driven in read k)``: the cells on the driven rows,
        whose access-transistor gates a 1T1R word line charges.
    adc_siemens : float
        ``sum_k sum_j sum_{i driven} G_ij`` (S) over the converted reads: the
        conductance of the cells on driven rows, summed over every physical
        column, without read noise. NeuroSim's SAR ADC charges a term in the
        inverse of each column's parallel resistance, i.e. in this sum.
    dac_conversions, dac_activations, dac_pulses : int
        Input values converted, rows driven (nonzero output), read pulses.
    adc_conversions, adc_clipped : int
        Column currents converted, and those beyond the ADC's full scale.
    accumulations : int
        Digital additions of tile partial sums into the outputs (one per output
        of every tile read that was converted).
    shift_adds : int
        Digital additions that combine the outputs of a weight's slices and of
        an input's read pulses into one output (bit-sliced weights and bit-serial
        inputs, :class:`memsim.crossbar.BitSlicedMatrix`): ``slices * pulses - 1``
        per output of every input vector; 0 without either scheme.
    """

    reads: int = 0
    idle_reads: int = 0
    array_joules: float = 0.0
    row_charge_v2: float = 0.0
    row_cells: int = 0
    adc_siemens: float = 0.0
    dac_conversions: int = 0
    dac_activations: int = 0
    dac_pulses: int = 0
    adc_conversions: int = 0
    adc_clipped: int = 0
    accumulations: int = 0
    shift_adds: int = 0

    def __add__(self, other):
        if not isinstance(other, TileCounts):
            return NotImplemented
        return TileCounts(*(getattr(self, f.name) + getattr(other, f.name)
                            for f in fields(self)))

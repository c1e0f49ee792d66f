"""Silicon area of tiles and of a chip of tiles, component by component, from the technology.

The layout model is NeuroSim's (DNN_NeuroSim V1.3, 22 nm: SubArray.cpp, SarADC.cpp,
Adder.cpp, DFF.cpp, NewSwitchMatrix.cpp, Buffer.cpp; MLP_NeuroSim V3.0 Subtractor.cpp),
with its gates' areas at the technology's node (each a value of the technology file with
its source). ``F`` is the node's feature size; a tile has ``R`` rows and ``C`` physical
columns, ``n`` logical outputs (``C / 2`` differential pairs or ``C - 1`` with a reference
column), an ADC of ``b`` bits shared by ``m`` columns::

    array      = R C A_cell          A_cell = h w F^2: 1T1R 4F x 12F at the CMOS node;
                                     passive cross-point 2F x 2F at the memory node
    adc        = ceil(C / m) A_gate (478 + 182 (b - 1))   SAR ADC (SarADC.cpp CalculateArea:
                                     269 + 109 (b-1) NMOS and 209 + 73 (b-1) PMOS unit gates)
    driver     = R d (A_dff + 4 A_gate)   a row switch: a DFF and two transmission gates per
                                     row (NewSwitchMatrix.cpp); d legs per row (below)
    subtract   = ceil(n / m) b A_sub     a b-bit subtractor per converted output (b >= 2)
    shift_add  = ceil(n / m) (a A_add + (a + p) A_dff)   an a-bit adder and its register per
                                     converted output, with p read pulses (ShiftAdd.cpp:
                                     numDff = numAdderBit + 1 + numReadPulse - 1)
    buffer     = (R i + n a) A_sram      the tile's input (i bits per row) and output words

``d`` is 1 for 1-bit read pulses (spikes, bit-serial inputs) and, memsim's assumption, the
DAC's ``i`` bits for a one-shot multi-bit DAC (one switch leg per binary-weighted level;
NeuroSim has no DAC: it feeds inputs bit-serially). A chip adds, per layer, one digital
neuron unit per column of tiles (:data:`NEURON_UNIT_ADDER_BITS` adder bits: an 8-bit array
multiplier and two 32-bit adders, in NeuroSim's adder cell) and each neuron's 32-bit state
in SRAM. Areas are summed component by component (NeuroSim's ``usedArea``: no empty space
from aspect ratios).

Not modelled: interconnect between tiles (NeuroSim's H-tree and buses), level shifters for
programming, the row decoders and column multiplexers' own area, and any empty area of a
floorplan.
"""

from __future__ import annotations

import math

from .._validation import check_choice, check_scalar
from ..errors import InputError
from .technology import CELLS

#: Components of a tile's area, in the order reports show them.
TILE_AREA_COMPONENTS = ("array", "adc", "driver", "subtract", "shift_add", "buffer")

#: Components a chip adds to its tiles.
CHIP_AREA_COMPONENTS = TILE_AREA_COMPONENTS + ("neuron_unit", "neuron_state")

#: Adder bits of one digital neuron unit: an 8 x 8 array multiplier (8 x 7 full adders)
#: and two 32-bit adders, the datapath ``e_neuron_update`` prices.
NEURON_UNIT_ADDER_BITS = 8 * 7 + 2 * 32

#: Bits of neuron state stored per neuron (the 32-bit word ``e_neuron_update`` reads and writes).
NEURON_STATE_BITS = 32


def cell_area(tech, cell, g_on=None):
    """Area (m^2) of one cell.

    Parameters
    ----------
    tech : Technology
        A ``cim`` technology.
    cell : {"1T1R", "passive"}
    g_on : float, optional
        The device's on-conductance (S), which sizes a 1T1R cell's access
        transistor (required for 1T1R).

    Raises
    ------
    InputError
        The access transistor is wider than the cell, which NeuroSim also
        refuses (SubArray.cpp: "Transistor width of 1T1R ... is larger than the
        assigned cell width").
    """
    check_choice("cell", cell, CELLS)
    if cell == "passive":
        f = tech["f_memory"]
        return tech["cell_passive_height_f"] * tech["cell_passive_width_f"] * f * f
    if g_on is None:
        raise InputError("g_on (the device's on-conductance, S) is required for the area of "
                         "1T1R cells, whose access transistors it sizes")
    f = tech.node_nm * 1e-9
    width_f = tech.access_width(g_on) / f
    if width_f > tech["cell_1t1r_width_f"]:
        raise InputError(f"a device of g_on={g_on!r} S needs an access transistor "
                         f"{width_f:.3g}F wide, wider than the 1T1R cell "
                         f"({tech['cell_1t1r_width_f']:.3g}F); use tile.cell='passive' or a "
                         f"device of lower on-conductance")
    return tech["cell_1t1r_height_f"] * tech["cell_1t1r_width_f"] * f * f


def adc_area(tech, bits):
    """Area (m^2) of one SAR ADC of ``bits`` bits (0: ideal, no ADC, 0 m^2)."""
    bits = check_scalar("adc_bits", bits, low=0, high=16, integer=True)
    if bits == 0:
        return 0.0
    return tech["a_min_gate"] * (269 + 209 + (109 + 73) * (bits - 1))


def tile_area(tech, *, rows, cols, outputs, cell, g_on=None, adc_bits, columns_per_adc=1,
              in_bits=1, drive_legs=1, acc_bits=8, pulses=1):
    """Area (m^2) of one tile, by component (module notes).

    Parameters
    ----------
    tech : Technology
        A ``cim`` technology.
    rows, cols : int
        Physical rows and columns.
    outputs : int
        Logical outputs (converted, subtracted and accumulated words).
    cell : {"1T1R", "passive"}
    g_on : float, optional
        Device on-conductance (S); required for 1T1R.
    adc_bits : int
        ADC resolution (0: ideal: no ADC and no subtractor).
    columns_per_adc : int, default=1
        Columns sharing one ADC (and one subtractor and accumulator per output).
    in_bits : int, default=1
        Bits buffered per input value.
    drive_legs : int, default=1
        Switch legs per row driver (1 for read pulses; the DAC bits for a
        one-shot multi-bit DAC).
    acc_bits : int, default=8
        Width of the shift-and-add accumulator and of an output word.
    pulses : int, default=1
        Read pulses per input (bit-serial inputs), held in the accumulator's register.

    Returns
    -------
    dict
        ``{component: m^2}`` over :data:`TILE_AREA_COMPONENTS`.
    """
    if tech.kind != "cim":
        raise InputError(f"tile area needs a 'cim' technology, got {tech.name!r} of kind "
                         f"{tech.kind!r}")
    for name, value in (("rows", rows), ("cols", cols), ("outputs", outputs),
                        ("columns_per_adc", columns_per_adc), ("in_bits", in_bits),
                        ("drive_legs", drive_legs), ("acc_bits", acc_bits), ("pulses", pulses)):
        check_scalar(name, value, low=1, integer=True)
    adc_bits = check_scalar("adc_bits", adc_bits, low=0, high=16, integer=True)
    units = math.ceil(outputs / columns_per_adc)
    return {
        "array": rows * cols * cell_area(tech, cell, g_on),
        "adc": math.ceil(cols / columns_per_adc) * adc_area(tech, adc_bits),
        "driver": rows * drive_legs * (tech["a_dff"] + 4 * tech["a_min_gate"]),
        "subtract": units * adc_bits * tech["a_subtract_bit"] if adc_bits >= 2 else 0.0,
        "shift_add": units * (acc_bits * tech["a_adder_bit"]
                              + (acc_bits + pulses) * tech["a_dff"]),
        "buffer": (rows * in_bits + outputs * acc_bits) * tech["a_sram_bit"],
    }


def chip_area(tech, layers):
    """Area (m^2) of a chip of tiles, by component, and per layer.

    Parameters
    ----------
    tech : Technology
        A ``cim`` technology.
    layers : sequence of (list of (int, dict), int, int)
        Per layer ``(groups, col_tiles, outputs)``: ``groups`` lists
        ``(tiles, tile)``, a number of tiles and one such tile's
        :func:`tile_area` (one group per weight matrix of the layer);
        ``col_tiles`` the columns of tiles (one neuron unit each) and
        ``outputs`` the neurons the layer updates.

    Returns
    -------
    dict
        ``total_m2``, ``components`` (``{component: m^2}`` over
        :data:`CHIP_AREA_COMPONENTS`), ``tiles`` (their number) and
        ``layers`` (each layer's ``{component: m^2}``).
    """
    neuron_unit = NEURON_UNIT_ADDER_BITS * tech["a_adder_bit"]
    per_layer, n_tiles = [], 0
    for groups, col_tiles, outputs in layers:
        area = dict.fromkeys(CHIP_AREA_COMPONENTS, 0.0)
        for tiles, tile in groups:
            n_tiles += check_scalar("tiles", tiles, low=1, integer=True)
            for c in TILE_AREA_COMPONENTS:
                area[c] += tiles * tile[c]
        area["neuron_unit"] = check_scalar("col_tiles", col_tiles, low=1, integer=True) \
            * neuron_unit
        area["neuron_state"] = (check_scalar("outputs", outputs, low=1, integer=True)
                                * NEURON_STATE_BITS * tech["a_sram_bit"])
        per_layer.append(area)
    if not per_layer:
        raise InputError("chip_area needs at least one layer")
    components = {c: math.fsum(layer[c] for layer in per_layer) for c in CHIP_AREA_COMPONENTS}
    return {"total_m2": math.fsum(components.values()), "components": components,
            "tiles": n_tiles, "layers": per_layer}

"""One crossbar tile: weight mapping and peripherals.

ConductanceMap, map_weights
    Weights <-> target conductances (differential pair or reference column),
    with the scaling and clipping of the weight range.
DAC, ADC
    Row driver and column converter: bits, range, clipping, noise, and the
    events each one counts for the energy ledger.
Crossbar, Wires, CircuitSolution, ConvergenceError
    The array's circuit: ideal, linear IR-drop (effective matrix K) and
    nonlinear (Newton) solvers.
AccessTransistor, Selector
    The NMOS of 1T1R cells (level-1 MOSFET) and the diode-law selector of
    1S1R cells, for ``Crossbar(..., access=...)``.
write_biases, write_pulse
    V/2 and V/3 writes on passive arrays of compact-model cells: what the
    half-selected cells see and how much they are disturbed.
Tile, TiledMatrix
    A programmed array read at any time after programming, with its
    peripherals and solver; a large matrix spread over tiles.
BitSlicedMatrix
    A tiled matrix with bit-sliced weights (several cells of a few bits per
    weight) and bit-serial inputs (one read pulse per input bit), combined by
    a digital shift-and-add.
"""

from .cells import AccessTransistor, Selector
from .circuit import CircuitSolution, ConvergenceError, Crossbar, Solver, Wires
from .counts import TileCounts
from .mapping import ConductanceMap, map_weights, weight_scale
from .peripherals import ADC, DAC
from .precision import BitSlicedMatrix
from .tile import Tile, TiledMatrix
from .writes import write_biases, write_pulse

__all__ = ["write_biases", "write_pulse", "AccessTransistor", "Selector", "TileCounts", "ConductanceMap", "map_weights", "weight_scale", "DAC", "ADC",
           "CircuitSolution",
           "ConvergenceError", "Crossbar", "Solver", "Tile", "TiledMatrix", "BitSlicedMatrix",
           "Wires"]

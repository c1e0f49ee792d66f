"""The hardware description of a study, read from the ``tile`` section of its config."""

from __future__ import annotations

from .._validation import check_choice, check_scalar
from ..crossbar import Wires
from ..crossbar.circuit import resolve_solver
from ..crossbar.mapping import SCHEMES


def hardware_from_config(tile, tech):
    """Keyword arguments of :func:`deploy` from the ``tile`` section of a config.

    Every value is checked here, the combination of wires and solver included,
    so that a config is refused before anything runs or is written.
    """
    r_row = check_scalar("tile.r_row", tile["r_row"], low=0.0)
    r_col = check_scalar("tile.r_col", tile["r_col"], low=0.0)
    wires = None if r_row == 0.0 and r_col == 0.0 else Wires(r_row, r_col)
    resolve_solver(tile["solver"], wires, None, name="tile.solver")
    return {
        "tile_shape": (check_scalar("tile.rows", tile["rows"], low=2, integer=True),
                       check_scalar("tile.cols", tile["cols"], low=2, integer=True)),
        "scheme": check_choice("tile.scheme", tile["scheme"], SCHEMES),
        "dac_bits": check_scalar("tile.dac_bits", tile["dac_bits"], low=0, high=16,
                                 integer=True),
        "adc_bits": check_scalar("tile.adc_bits", tile["adc_bits"], low=0, high=16,
                                 integer=True),
        "v_read": check_scalar("tile.v_read", tile["v_read"], low=0.0) or tech["v_read"],
        "t_read": tech["t_read"],
        "wires": wires,
        "solver": tile["solver"],
        "gate_idle": tile["gate_idle"],
    }

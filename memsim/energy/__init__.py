"""Energy: technology parameters, the ledger of events, digital baselines, reports.

Technology, load_technology, list_technologies, energy_scale
    Process-node values (each with its source) from data/technology/*.toml;
    ADC energy models (Walden FOM, NeuroSim SAR); node scaling.
EnergyLedger
    Events and joules per component; the total is the sum of the parts.
Workload, int8_accelerator, gpu, loihi, baseline
    The same network and activity priced on digital hardware.
tile_ledger, network_ledger, run_energy, ENERGY_DEFAULTS
    Tile counts priced by a technology (alone, or with digital neurons); the
    `memsim energy` experiment.
"""

from .baselines import BASELINES, Workload, baseline, gpu, int8_accelerator, loihi
from .ledger import COMPONENTS, EnergyLedger
from .report import ENERGY_DEFAULTS, network_ledger, run_energy, tile_ledger
from .technology import (Technology, TechnologyError, energy_scale, list_technologies,
                         load_technology)

__all__ = ["BASELINES", "COMPONENTS", "ENERGY_DEFAULTS", "EnergyLedger", "Technology",
           "TechnologyError", "Workload", "baseline", "energy_scale", "gpu",
           "int8_accelerator", "list_technologies", "load_technology", "loihi", "network_ledger",
           "run_energy", "tile_ledger"]

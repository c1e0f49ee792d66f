"""Energy: pricing only. Technology values, the ledger of events, digital baselines.

Technology, load_technology, list_technologies, energy_scale, ADC_MODELS
    Process-node values (each with its source) from data/technology/*.toml;
    ADC energy models (Walden FOM, NeuroSim SAR); node scaling.
EnergyLedger
    Events and joules per component; the total is the sum of the parts.
tile_ledger, network_ledger
    Counted tile events priced by a technology (alone, or with digital neurons).
Workload, int8_accelerator, gpu, loihi, baseline, against_baselines
    The same network and activity priced on digital hardware.

Nothing here builds or runs hardware: the studies that do are in
:mod:`memsim.studies` (``memsim energy`` is :mod:`memsim.studies.energy`).
"""

from .baselines import (BASELINES, Workload, against_baselines, baseline, gpu, int8_accelerator,
                        loihi)
from .ledger import COMPONENTS, EnergyLedger
from .pricing import network_ledger, tile_ledger
from .technology import (ADC_MODELS, Technology, TechnologyError, energy_scale,
                         list_technologies, load_technology)

__all__ = ["ADC_MODELS", "BASELINES", "COMPONENTS", "EnergyLedger", "Technology",
           "against_baselines",
           "TechnologyError", "Workload", "baseline", "energy_scale", "gpu",
           "int8_accelerator", "list_technologies", "load_technology", "loihi", "network_ledger",
           "tile_ledger"]

"""Energy and time: pricing only. Technology values, the ledger of events, digital baselines.

Technology, load_technology, list_technologies, energy_scale, ADC_MODELS, CELLS
    Process-node values (each with its source) from data/technology/*.toml;
    ADC energy models (Walden FOM, NeuroSim SAR); cell kinds; node scaling.
EnergyLedger
    Events and joules per component; the total is the sum of the parts.
tile_ledger, network_ledger
    Counted tile events priced by a technology (alone, or with digital neurons).
tile_area, chip_area, cell_area, adc_area
    Silicon area of tiles and of a chip, component by component (NeuroSim's
    layout model at the technology's node).
LayerShape, layer_latency, network_latency, PHASES
    Latency of a network step on tiles, phase by phase (read pulses, ADC
    conversions, partial-sum reduction, neuron updates, spike routing).
Workload, int8_dense, int8_event, gpu, loihi, baseline, against_baselines, BASELINES
    The same network, activity and periphery priced on digital hardware (fair
    baselines: both int8 designs carry the analog side's periphery).

Nothing here builds or runs hardware: the studies that do are in
:mod:`memsim.studies` (``memsim energy`` is :mod:`memsim.studies.energy`).
"""

from .area import (CHIP_AREA_COMPONENTS, TILE_AREA_COMPONENTS, adc_area, cell_area, chip_area,
                   tile_area)
from .baselines import (BASELINES, Workload, against_baselines, baseline, gpu, int8_dense,
                        int8_event, loihi)
from .latency import PHASES, LayerShape, layer_latency, network_latency
from .ledger import COMPONENTS, EnergyLedger
from .pricing import network_ledger, tile_ledger
from .technology import (ADC_MODELS, CELLS, Technology, TechnologyError, energy_scale,
                         list_technologies, load_technology)

__all__ = ["ADC_MODELS", "BASELINES", "CELLS", "CHIP_AREA_COMPONENTS", "COMPONENTS", "PHASES",
           "TILE_AREA_COMPONENTS", "EnergyLedger", "adc_area", "cell_area", "chip_area",
           "tile_area",
           "LayerShape", "Technology", "TechnologyError", "Workload", "against_baselines",
           "baseline", "energy_scale", "gpu", "int8_dense", "int8_event", "layer_latency",
           "list_technologies", "load_technology", "loihi", "network_latency", "network_ledger",
           "tile_ledger"]

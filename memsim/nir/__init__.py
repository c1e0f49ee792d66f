"""Bring your own spiking network: NIR graphs in and out of memsim.

from_nir, load_graph
    Read a NIR graph (file or ``nir.NIRGraph``) into a
    :class:`memsim.snn.graph.Network`, refusing nodes memsim cannot run.
run_nir, graph_info, NIR_DEFAULTS
    Run a graph digitally and on memristor tiles with energy, latency and area
    per inference against every baseline; describe a graph.
policy_graph, export_policy, NirPolicy
    A trained e-prop LIF policy as a NIR graph, and a NIR policy in closed loop.

Needs the nir package: ``pip install 'memsim[nir]'``.
"""

from .export import NirPolicy, export_policy, policy_graph
from .read import SUPPORTED, from_nir, load_graph
from .run import NIR_DEFAULTS, graph_info, run_nir

__all__ = ["NIR_DEFAULTS", "SUPPORTED", "NirPolicy", "export_policy", "from_nir",
           "graph_info", "load_graph", "policy_graph", "run_nir"]

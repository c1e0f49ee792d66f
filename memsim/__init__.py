"""memsim: a simulator of memristor crossbar hardware for neuromorphic computing.

Device physics (:mod:`memsim.devices`), crossbar tiles and circuits, energy,
spiking networks and reinforcement learning, each in its own subpackage.
"""

from ._version import __version__

__all__ = ["__version__"]

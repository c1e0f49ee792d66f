"""Training and evaluation of spiking agents on every synapse backend, hardware included.

The training loop, checkpoints and policy files are :mod:`memsim.rl.train`'s;
this study hands them the hardware backends (:func:`memsim.hardware.backend_factory`:
``synapses.backend`` = ``"noisy"`` or ``"pulse"``), as ``memsim train`` and
``memsim evaluate`` do.
"""

from __future__ import annotations

from ..hardware import backend_factory
from ..rl.train import evaluate as _evaluate
from ..rl.train import load_policy as _load_policy
from ..rl.train import train as _train


def train(env_name, out, seed, **options):
    """:func:`memsim.rl.train.train` with hardware synapse backends available."""
    return _train(env_name, out, seed, backends=backend_factory, **options)


def load_policy(name, *, what="policy"):
    """:func:`memsim.rl.train.load_policy` with hardware synapse backends available."""
    return _load_policy(name, what=what, backends=backend_factory)


def evaluate(path, episodes, seed, *, greedy=True):
    """:func:`memsim.rl.train.evaluate` with hardware synapse backends available."""
    return _evaluate(path, episodes, seed, greedy=greedy, backends=backend_factory)

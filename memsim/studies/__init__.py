"""What a user runs: the studies behind the ``memsim`` commands.

run
    The main job (``memsim run``): trained spiking agents on memristor tiles over
    drift time, priced against digital baselines.
energy
    ``memsim energy``: a layered network on tiles, energy per inference.
tile
    One crossbar array's output error (the ``tile`` sweep experiment).
demo
    ``memsim device demo``: the measured ramp fit, PCM drift, every preset.
train
    Training and evaluation of spiking agents with every synapse backend,
    hardware ones included (``memsim train``, ``memsim evaluate``).
sweep
    Parameter and Monte Carlo sweeps of any of them (``memsim sweep``).

Studies compute and write data (JSON, CSV); the figures are drawn by
:mod:`memsim.plots`, called from the command line.
"""

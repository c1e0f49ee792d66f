"""Sweeps: a spec of parameters x replicates, run point by point, locally or on Dask.

spec
    Parse and check a spec, list its points; read the results table.
points
    What one point computes: the experiments a sweep can run.
runner
    Run the points (local processes or Dask), resumable part-file results.
"""

from .points import Experiment, get_experiment
from .runner import run_sweep
from .spec import SweepError, load_results, load_spec, plan, shipped_specs

__all__ = ["Experiment", "SweepError", "get_experiment", "load_results", "load_spec", "plan",
           "run_sweep", "shipped_specs"]

"""Reinforcement learning with spiking agents on gymnasium control tasks.

Environment, TASKS, task
    cartpole, cartpole-positions (velocities hidden) and acrobot.
train, evaluate, load_policy, TRAIN_DEFAULTS
    Online e-prop training with episode log, checkpoints and resume; greedy
    evaluation with spike and synaptic-event counts.
"""

from .envs import TASKS, Environment, task
from .train import TRAIN_DEFAULTS, evaluate, load_policy, train

__all__ = ["TASKS", "TRAIN_DEFAULTS", "Environment", "evaluate", "load_policy", "task", "train"]

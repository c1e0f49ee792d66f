"""Control tasks from gymnasium, with the observation ranges the encoders cover.

``cartpole``            CartPole-v1; solved at a mean return of 475 over 100 episodes.
``cartpole-positions``  CartPole-v1 observing only cart position and pole angle:
                        velocities must be inferred, which needs memory.
``acrobot``             Acrobot-v1; target mean return -100.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validation import check_choice
from ..errors import InputError


@dataclass(frozen=True)
class TaskSpec:
    """A task: its name, gymnasium id, observed components, encoder ranges and target return."""

    name: str
    gym_id: str
    observe: tuple
    low: tuple
    high: tuple
    n_actions: int
    target: float


# Ranges cover the states a learning agent visits (CartPole terminates at
# |x| > 2.4 and |theta| > 0.2095 rad; Acrobot's angular speeds are clipped by
# the environment at 4 pi and 9 pi rad/s).
TASKS = {
    "cartpole": TaskSpec("cartpole", "CartPole-v1", (0, 1, 2, 3), (-2.4, -3.0, -0.21, -3.5),
                         (2.4, 3.0, 0.21, 3.5), 2, 475.0),
    "cartpole-positions": TaskSpec("cartpole-positions", "CartPole-v1", (0, 2), (-2.4, -0.21), (2.4, 0.21), 2, 475.0),
    "acrobot": TaskSpec("acrobot", "Acrobot-v1", (0, 1, 2, 3, 4, 5), (-1, -1, -1, -1, -4 * np.pi, -9 * np.pi),
                        (1, 1, 1, 1, 4 * np.pi, 9 * np.pi), 3, -100.0),
}


def task(name):
    """The :class:`TaskSpec` called ``name`` (a spec is returned as it is: resolved once)."""
    if isinstance(name, TaskSpec):
        return name
    check_choice("environment", name, tuple(TASKS))
    return TASKS[name]


class Environment:
    """A gymnasium environment that returns only the observed components.

    Parameters
    ----------
    name : str or TaskSpec
        One of :data:`TASKS`, or its spec.
    """

    def __init__(self, name):
        import gymnasium
        self.spec = task(name)
        self.name = self.spec.name
        self._env = gymnasium.make(self.spec.gym_id)
        self._keep = np.array(self.spec.observe)

    def _check(self, obs):
        obs = np.asarray(obs, dtype=float)
        if obs.ndim != 1 or not np.all(np.isfinite(obs)):
            raise InputError(f"{self.name}: observation must be a finite vector, got {obs!r}")
        return obs[self._keep]

    def reset(self, seed):
        """Start an episode seeded by ``seed`` (int); returns the observation."""
        obs, _ = self._env.reset(seed=int(seed))
        return self._check(obs)

    def step(self, action):
        """``(observation, reward, terminated, truncated)`` after ``action``."""
        obs, reward, terminated, truncated, _ = self._env.step(int(action))
        if not np.isfinite(reward):
            raise InputError(f"{self.name}: reward must be finite, got {reward!r}")
        return self._check(obs), float(reward), bool(terminated), bool(truncated)

    def close(self):
        self._env.close()

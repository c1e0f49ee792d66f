"""NumPy twins of the e-prop kernel (memsim._kernels._snn), for the tests.

:class:`ReferenceEprop` is :class:`memsim.snn.EpropActorCritic` with every step
that the fused Cython kernel does (neuron update, eligibility, learning
signals, lambda-traces, Adam) written out in plain NumPy, from the equations
of :mod:`memsim.snn.eprop`. The tests run both on the same inputs and compare
weights, traces and actions.
"""

from __future__ import annotations

import numpy as np

from .eprop import _ADAM, EpropActorCritic


def eligibility_step(psi, zbar, eps, beta, rho):
    """Eligibility ``e`` (n_pre, n_post) of one step; updates ``eps`` in place (ALIF).

    Parameters
    ----------
    psi : ndarray, shape (n_post,)
        Pseudo-derivatives of the postsynaptic neurons at this step.
    zbar : ndarray, shape (n_pre,)
        Presynaptic traces at this step.
    eps : ndarray, shape (n_pre, n_post) or None
        Adaptation eligibility vectors (``d a / d W``), None when ``beta = 0``.
    beta, rho : float
        Adaptation strength and decay per step.
    """
    if eps is None:
        return zbar[:, None] * psi[None, :]
    e = psi[None, :] * (zbar[:, None] - beta * eps)
    eps *= (rho - psi * beta)[None, :]
    eps += zbar[:, None] * psi[None, :]
    return e


class ReferenceEprop(EpropActorCritic):
    """The e-prop actor-critic of :class:`memsim.snn.EpropActorCritic`, in NumPy."""

    ORDER = "C"        # NumPy's broadcasts of presynaptic columns are fastest on C arrays

    def _build_fused(self):
        return None

    def _eligibility(self, psi):
        p = self.config.neuron
        for name, zbar in (("w_in", self.zbar_in), ("w_rec", self.zbar_rec)):
            e = eligibility_step(psi, zbar, self.eps[name], p.beta, p.rho)
            self.ebar[name] *= self.kappa
            self.ebar[name] += e
            self.e_sum[name] += e

    def _learn_decision(self, action, pi):
        c = self.config
        self._apply_td(self._td_error())
        b, b_v = self._feedback()
        decay = c.gamma * c.lam
        onehot = np.zeros(self.n_actions)
        onehot[action] = 1.0
        logp = np.log(pi + 1e-12)
        d_entropy = -pi * (logp + (-(pi * logp).sum()))
        signal = b @ (onehot - pi) + c.c_value * b_v
        signal_h = b @ d_entropy
        rate_error = self.rate - c.rate_target
        for name in ("w_in", "w_rec"):
            self.trace[name] *= decay
            self.trace[name] += signal[None, :] * self.ebar[name]
            self.grad[name] += (c.c_entropy * signal_h[None, :] * self.ebar[name]
                                - c.c_rate * rate_error[None, :] * self.e_sum[name])
            self.e_sum[name][:] = 0.0
        for name, g in (("w_out", self.zbar_out[:, None] * (onehot - pi)[None, :]),
                        ("w_value", c.c_value * self.zbar_out[:, None])):
            self.trace[name] *= decay
            self.trace[name] += g
        self.grad["w_out"] += c.c_entropy * self.zbar_out[:, None] * d_entropy[None, :]
        self._count_step()

    def _adam(self):
        b1, b2, eps = _ADAM
        self.adam_t += 1
        c1, c2 = 1 - b1 ** self.adam_t, 1 - b2 ** self.adam_t
        for name in self.PARAMS:
            g = self.grad[name]
            lr = self._lr(name)
            self.adam_m[name] = b1 * self.adam_m[name] + (1 - b1) * g
            self.adam_v[name] = b2 * self.adam_v[name] + (1 - b2) * g * g
            step = lr * (self.adam_m[name] / c1) / (np.sqrt(self.adam_v[name] / c2) + eps)
            if name == "w_rec":
                np.fill_diagonal(step, 0.0)
            g[:] = 0.0
            if lr > 0:
                self.syn[name].update(step)

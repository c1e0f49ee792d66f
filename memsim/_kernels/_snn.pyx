# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""Inner loop of e-prop training: neuron update, eligibility and trace updates, fused.

Python face: memsim.snn.eprop (EpropActorCritic: FusedNetwork for a single
episode, adam_step). Inputs are validated there; nothing is checked here.
NumPy twin: memsim.snn._reference.ReferenceEprop (with
memsim.snn.neurons.neuron_step); the tests check the two agree. Equations:
memsim.snn.eprop.
"""

from libc.math cimport exp, fabs, log, sqrt
from libc.stdint cimport int64_t

import numpy as np


cdef inline double _neurons(Py_ssize_t n, double *v, double *a, double *z, int64_t *ref,
                            const double *current, double *psi, double alpha, double rho,
                            double v_th, double beta, double gamma_pd,
                            int64_t n_ref) noexcept nogil:
    """One LIF/ALIF step of ``n`` neurons in place; writes psi, returns the spike count."""
    cdef Py_ssize_t j
    cdef double dist, p, spikes = 0.0
    for j in range(n):
        a[j] = rho * a[j] + z[j]
        v[j] = alpha * v[j] + current[j] - v_th * z[j]
        dist = v[j] - (v_th + beta * a[j])
        if ref[j] == 0:
            z[j] = 1.0 if dist > 0.0 else 0.0
            p = 1.0 - fabs(dist) / v_th
            psi[j] = (gamma_pd / v_th) * p if p > 0.0 else 0.0
        else:
            z[j] = 0.0
            psi[j] = 0.0
        if z[j] > 0.0:
            ref[j] = n_ref
        elif ref[j] > 0:
            ref[j] -= 1
        spikes += z[j]
    return spikes


cdef void _decision_update(double[::1, :] trace, double[::1, :] grad, double[::1, :] ebar,
                           double[::1, :] esum, const double[::1] signal,
                           const double[::1] signal_h, const double[::1] rate_error,
                           double decay, double c_entropy, double c_rate, double delta,
                           double scale, const char *touched) noexcept nogil:
    """grad += delta trace (the previous decision's TD error); trace = decay trace +
    signal ebar; grad += c_H signal_h ebar - c_f rate_error esum; esum = 0. ``ebar``
    is stored divided by ``scale`` (lazy decay, see FusedNetwork) and written back
    true. ``touched[j] == 0`` says column j of esum is all zero (skipped); NULL: none is."""
    cdef Py_ssize_t i, j, n_pre = ebar.shape[0], n_post = ebar.shape[1]
    cdef double eb, sj, hj, rj
    for j in range(n_post):
        sj = signal[j]
        hj = c_entropy * signal_h[j]
        rj = c_rate * rate_error[j]
        if touched == NULL or touched[j]:
            for i in range(n_pre):
                eb = scale * ebar[i, j]
                ebar[i, j] = eb
                grad[i, j] += delta * trace[i, j] + hj * eb - rj * esum[i, j]
                trace[i, j] = decay * trace[i, j] + sj * eb
                esum[i, j] = 0.0
        else:
            for i in range(n_pre):
                eb = scale * ebar[i, j]
                ebar[i, j] = eb
                grad[i, j] += delta * trace[i, j] + hj * eb
                trace[i, j] = decay * trace[i, j] + sj * eb


cdef void _learn(Py_ssize_t action, const double[::1] pi, const double[:, ::1] b,
                 const double[::1] b_v, const double[::1] zbar_out, const double[::1] rate,
                 double rate_target, double[::1, :] t_in, double[::1, :] g_in,
                 double[::1, :] t_rec, double[::1, :] g_rec, double[::1, :] t_out,
                 double[::1, :] g_out, double[::1, :] t_val, double[::1, :] g_val,
                 double[::1, :] e_in, double[::1, :] e_rec, double[::1, :] s_in,
                 double[::1, :] s_rec, double decay, double c_value, double c_entropy,
                 double c_rate, double delta, double scale, double[::1] signal,
                 double[::1] signal_h, double[::1] rate_error, double[::1] d_entropy,
                 double[::1] target, const char *touched) noexcept nogil:
    """The body of learn_decision; ``signal`` ... ``target`` are work space, ``touched``
    as in _decision_update."""
    cdef Py_ssize_t j, k, n = b.shape[0], n_act = b.shape[1]
    cdef double entropy = 0.0, lp, zj
    for j in range(n):
        for k in range(n_act):
            g_out[j, k] += delta * t_out[j, k]
        g_val[j, 0] += delta * t_val[j, 0]
    for k in range(n_act):
        entropy -= pi[k] * log(pi[k] + 1e-12)
    for k in range(n_act):
        lp = log(pi[k] + 1e-12)
        d_entropy[k] = -pi[k] * (lp + entropy)
        target[k] = (1.0 if k == action else 0.0) - pi[k]
    for j in range(n):
        signal[j] = 0.0
        signal_h[j] = 0.0
        for k in range(n_act):
            signal[j] += b[j, k] * target[k]
            signal_h[j] += b[j, k] * d_entropy[k]
        signal[j] += c_value * b_v[j]
        rate_error[j] = rate[j] - rate_target
    _decision_update(t_in, g_in, e_in, s_in, signal, signal_h, rate_error, decay,
                     c_entropy, c_rate, delta, scale, touched)
    _decision_update(t_rec, g_rec, e_rec, s_rec, signal, signal_h, rate_error, decay,
                     c_entropy, c_rate, delta, scale, touched)
    for j in range(n):
        zj = zbar_out[j]
        for k in range(n_act):
            t_out[j, k] = decay * t_out[j, k] + zj * target[k]
        t_val[j, 0] = decay * t_val[j, 0] + c_value * zj
        for k in range(n_act):
            g_out[j, k] += c_entropy * zj * d_entropy[k]


def adam_step(double[::1, :] m, double[::1, :] v, double[::1, :] g, double[:, ::1] step,
              double lr, double b1, double b2, double eps, double c1, double c2,
              bint zero_diagonal):
    """Adam: m, v updated in place from g; step = lr m_hat / (sqrt(v_hat) + eps) with
    m_hat = m / c1, v_hat = v / c2; g zeroed; the diagonal of step zeroed if asked.
    m, v, g are column-major; step is row-major, the order of the weights it is
    added to (a mixed-order NumPy add of 128x128 costs 6x a same-order one)."""
    cdef Py_ssize_t i, j
    with nogil:
        for j in range(m.shape[1]):
            for i in range(m.shape[0]):
                m[i, j] = b1 * m[i, j] + (1.0 - b1) * g[i, j]
                v[i, j] = b2 * v[i, j] + (1.0 - b2) * g[i, j] * g[i, j]
                step[i, j] = lr * (m[i, j] / c1) / (sqrt(v[i, j] / c2) + eps)
                g[i, j] = 0.0
            if zero_diagonal and j < m.shape[0]:
                step[j, j] = 0.0


cdef void _sparse_eligibility(const double[::1] psi, const double[::1] zbar,
                              double[::1, :] eps, double[::1] sigma, double[::1, :] ebar,
                              double[::1, :] esum, const int64_t[::1] cols, Py_ssize_t n_cols,
                              double beta, double rho, double scale, bint alif) noexcept nogil:
    """Eligibility of the columns ``cols`` (psi > 0) with lazily decayed ebar and eps:
    stored ebar = true / scale; true eps column j = sigma_j * stored (the caller
    resets sigma_j to 1 once every matrix of the column is updated). Column-major
    arrays: the loop over presynaptic rows of one column is contiguous."""
    cdef Py_ssize_t i, m, j, n_pre = ebar.shape[0]
    cdef double e, pj, sj, rj, eps_old, inv = 1.0 / scale
    for m in range(n_cols):
        j = cols[m]
        pj = psi[j]
        if alif:
            sj = sigma[j]
            rj = rho - pj * beta
            for i in range(n_pre):
                eps_old = sj * eps[i, j]
                e = pj * (zbar[i] - beta * eps_old)
                eps[i, j] = pj * zbar[i] + rj * eps_old
                ebar[i, j] += e * inv
                esum[i, j] += e
        else:
            for i in range(n_pre):
                e = pj * zbar[i]
                ebar[i, j] += e * inv
                esum[i, j] += e


cdef void _rescale_columns(double[::1, :] a, double[::1] sigma) noexcept nogil:
    cdef Py_ssize_t i, j
    for j in range(a.shape[1]):
        for i in range(a.shape[0]):
            a[i, j] *= sigma[j]


cdef class FusedNetwork:
    """All network steps of one decision for float synapses, in one call.

    Holds views of the agent's own arrays (state, traces, weights), so the
    agent sees every update. Per step it does what EpropActorCritic's NumPy
    path does: currents through W_in and W_rec (recurrent input summed over
    spiking neurons only), presynaptic traces, neuron update, eligibility
    (when learning), running rate, leaky readouts. :meth:`act` is the policy
    and its draw, :meth:`learn` the decision's learning (as learn_decision):
    one call each, because at this size Python-level NumPy calls on
    two-element arrays cost as much as the network step.
    """

    cdef double[::1] v, a, z, psi, zbar_in, zbar_rec, zbar_out, y, value, rate, current
    cdef int64_t[::1] ref
    cdef double[:, ::1] w_in, w_rec, w_out, w_value
    cdef double[::1, :] eps_in, eps_rec, ebar_in, ebar_rec, esum_in, esum_rec
    cdef double alpha, rho, v_th, beta, gamma_pd, kappa, rate_step
    cdef int64_t n_ref
    cdef int64_t[::1] active, active_psi, nz
    cdef double[::1] sigma      # lazy decay of the eps columns (both matrices)
    cdef double[::1, :] t_in, g_in, t_rec, g_rec, t_out, g_out, t_val, g_val
    cdef double[::1] signal, signal_h, rate_error, d_entropy, target
    cdef double scale
    cdef char[::1] touched     # columns with nonzero esum since the last learn()

    def __init__(self, state, traces, weights, params, trace, grad):
        self.v, self.a, self.z, self.ref = state["v"], state["a"], state["z"], state["ref"]
        self.psi, self.y, self.value, self.rate = (state["psi"], state["y"], state["value"],
                                                   state["rate"])
        self.zbar_in, self.zbar_rec, self.zbar_out = (traces["zbar_in"], traces["zbar_rec"],
                                                      traces["zbar_out"])
        self.eps_in, self.eps_rec = traces["eps_in"], traces["eps_rec"]
        self.ebar_in, self.ebar_rec = traces["ebar_in"], traces["ebar_rec"]
        self.esum_in, self.esum_rec = traces["esum_in"], traces["esum_rec"]
        self.w_in, self.w_rec = weights["w_in"], weights["w_rec"]
        self.w_out, self.w_value = weights["w_out"], weights["w_value"]
        (self.alpha, self.rho, self.v_th, self.beta, self.gamma_pd, self.n_ref, self.kappa,
         self.rate_step) = params
        n = self.v.shape[0]
        import numpy as np
        self.current = np.zeros(n)
        self.active = np.zeros(n, dtype=np.int64)
        self.active_psi = np.zeros(n, dtype=np.int64)
        self.nz = np.zeros(self.w_in.shape[0], dtype=np.int64)
        self.sigma = np.ones(n)
        self.t_in, self.g_in = trace["w_in"], grad["w_in"]
        self.t_rec, self.g_rec = trace["w_rec"], grad["w_rec"]
        self.t_out, self.g_out = trace["w_out"], grad["w_out"]
        self.t_val, self.g_val = trace["w_value"], grad["w_value"]
        n_act = self.w_out.shape[1]
        self.signal, self.signal_h, self.rate_error = np.zeros(n), np.zeros(n), np.zeros(n)
        self.d_entropy, self.target = np.zeros(n_act), np.zeros(n_act)
        self.scale = 1.0
        self.touched = np.zeros(n, dtype=np.int8)

    def run(self, const double[:, ::1] xs, int steps, bint learn):
        """``steps`` network steps with inputs ``xs`` (one row per step, or one row for
        all); returns ``(spikes, events_in, events_rec, events_out, events_value)``:
        synaptic events (nonzero presynaptic values times fan-out) of each matrix."""
        cdef Py_ssize_t k, k2, i, j, m, n = self.v.shape[0], n_in = self.w_in.shape[0]
        cdef Py_ssize_t n_out = self.w_out.shape[1], n_active, n_psi
        cdef Py_ssize_t s_in = self.w_in.strides[0] // sizeof(double)
        cdef Py_ssize_t s_rec = self.w_rec.strides[0] // sizeof(double)
        cdef Py_ssize_t s_out = self.w_out.strides[0] // sizeof(double)
        cdef Py_ssize_t s_val = self.w_value.strides[0] // sizeof(double)
        cdef double xi, spikes = 0.0, ev_in = 0.0, ev_rec = 0.0, ev_out = 0.0, ev_value = 0.0
        cdef bint alif = self.eps_in.shape[0] > 0
        # Raw pointers: through the memoryviews held by self, every store to an
        # array makes the compiler reload the views (Python builds with
        # -fno-strict-aliasing), which kept these loops scalar.
        cdef double *v = &self.v[0]
        cdef double *a = &self.a[0]
        cdef double *z = &self.z[0]
        cdef double *psi = &self.psi[0]
        cdef double *cur = &self.current[0]
        cdef double *zbar_in = &self.zbar_in[0]
        cdef double *zbar_rec = &self.zbar_rec[0]
        cdef double *zbar_out = &self.zbar_out[0]
        cdef double *rate = &self.rate[0]
        cdef double *y = &self.y[0]
        cdef double *value = &self.value[0]
        cdef double *sigma = &self.sigma[0]
        cdef int64_t *ref = &self.ref[0]
        cdef int64_t *active = &self.active[0]
        cdef int64_t *active_psi = &self.active_psi[0]
        cdef char *touched = &self.touched[0]
        cdef const double *w_in = &self.w_in[0, 0]
        cdef const double *w_rec = &self.w_rec[0, 0]
        cdef const double *w_out = &self.w_out[0, 0]
        cdef const double *w_value = &self.w_value[0, 0]
        cdef const double *x
        cdef const double *row
        cdef const double *r0
        cdef const double *r1
        cdef const double *r2
        cdef const double *r3
        cdef double x0, x1, x2, x3
        cdef Py_ssize_t n_nz
        cdef int64_t *nz = &self.nz[0]
        cdef double alpha = self.alpha, rho = self.rho, v_th = self.v_th, beta = self.beta
        cdef double gamma_pd = self.gamma_pd, kappa = self.kappa, rate_step = self.rate_step
        cdef int64_t n_ref = self.n_ref
        # Lazy decay: ebar = scale * stored until learn() writes it back and, for
        # ALIF, each eps column = sigma_j * stored until sync(), so a step
        # touches only the columns whose neuron has psi > 0 (a twentieth of
        # them in CartPole runs).
        cdef double scale = self.scale
        with nogil:
            for k in range(steps):
                x = &xs[k if xs.shape[0] > 1 else 0, 0]
                # currents: dense input, recurrent input from the neurons that spiked
                for j in range(n):
                    cur[j] = 0.0
                # four inputs per pass over the currents (a quarter of the loads
                # and stores of cur); zero inputs (spike inputs) are skipped
                n_nz = 0
                for i in range(n_in):
                    if x[i] != 0.0:
                        nz[n_nz] = i
                        n_nz += 1
                ev_in += n_nz * n
                m = 0
                while m + 4 <= n_nz:
                    r0, r1 = w_in + nz[m] * s_in, w_in + nz[m + 1] * s_in
                    r2, r3 = w_in + nz[m + 2] * s_in, w_in + nz[m + 3] * s_in
                    x0, x1, x2, x3 = x[nz[m]], x[nz[m + 1]], x[nz[m + 2]], x[nz[m + 3]]
                    for j in range(n):
                        cur[j] += x0 * r0[j] + x1 * r1[j] + x2 * r2[j] + x3 * r3[j]
                    m += 4
                while m < n_nz:
                    row = w_in + nz[m] * s_in
                    xi = x[nz[m]]
                    for j in range(n):
                        cur[j] += xi * row[j]
                    m += 1
                n_active = 0
                for i in range(n):
                    if z[i] > 0.0:
                        active[n_active] = i
                        n_active += 1
                ev_rec += n_active * n
                for m in range(n_active):
                    row = w_rec + active[m] * s_rec
                    for j in range(n):
                        cur[j] += row[j]
                # presynaptic traces (recurrent: last step's spikes)
                for i in range(n_in):
                    zbar_in[i] = alpha * zbar_in[i] + x[i]
                for i in range(n):
                    zbar_rec[i] = alpha * zbar_rec[i] + z[i]
                spikes += _neurons(n, v, a, z, ref, cur, psi, alpha, rho, v_th, beta,
                                   gamma_pd, n_ref)
                if learn:
                    n_psi = 0
                    for j in range(n):
                        if psi[j] > 0.0:
                            active_psi[n_psi] = j
                            n_psi += 1
                            touched[j] = 1
                        elif alif:
                            sigma[j] *= rho
                            if sigma[j] < 1e-200:       # true eps ~ 0; no denormals
                                sigma[j] = 0.0
                    scale *= kappa
                    _sparse_eligibility(self.psi, self.zbar_in, self.eps_in, self.sigma,
                                        self.ebar_in, self.esum_in, self.active_psi, n_psi,
                                        beta, rho, scale, alif)
                    _sparse_eligibility(self.psi, self.zbar_rec, self.eps_rec, self.sigma,
                                        self.ebar_rec, self.esum_rec, self.active_psi, n_psi,
                                        beta, rho, scale, alif)
                    for m in range(n_psi):
                        sigma[active_psi[m]] = 1.0
                if learn:
                    for j in range(n):
                        rate[j] += rate_step * (z[j] - rate[j])
                for k2 in range(n_out):
                    y[k2] *= kappa
                value[0] *= kappa
                for j in range(n):
                    zbar_out[j] *= kappa
                    if z[j] > 0.0:
                        zbar_out[j] += 1.0
                        ev_out += n_out
                        ev_value += 1.0
                        row = w_out + j * s_out
                        for k2 in range(n_out):
                            y[k2] += row[k2]
                        value[0] += w_value[j * s_val]
        self.scale = scale
        return spikes, ev_in, ev_rec, ev_out, ev_value

    def sync(self):
        """Write the lazily decayed traces (ebar, eps) back as their true values."""
        cdef Py_ssize_t i, j
        with nogil:
            for j in range(self.ebar_in.shape[1]):
                for i in range(self.ebar_in.shape[0]):
                    self.ebar_in[i, j] *= self.scale
                for i in range(self.ebar_rec.shape[0]):
                    self.ebar_rec[i, j] *= self.scale
            if self.eps_in.shape[0] > 0:
                _rescale_columns(self.eps_in, self.sigma)
                _rescale_columns(self.eps_rec, self.sigma)
                self.sigma[:] = 1.0
        self.scale = 1.0

    def act(self, double[::1] pi, double u, bint greedy):
        """Softmax of the policy readout into ``pi`` and the action: the most probable
        (the first of equals) if ``greedy``, else the inverse-CDF draw of uniform
        ``u`` (first ``k`` with ``cumsum(pi)[k] >= u``), as EpropActorCritic.decide."""
        cdef Py_ssize_t k, n_act = self.y.shape[0], action = 0
        cdef double y_max = self.y[0], total = 0.0, cdf = 0.0
        for k in range(1, n_act):
            if self.y[k] > y_max:
                y_max = self.y[k]
        for k in range(n_act):
            pi[k] = exp(self.y[k] - y_max)
            total += pi[k]
        for k in range(n_act):
            pi[k] /= total
        if greedy:
            for k in range(1, n_act):
                if pi[k] > pi[action]:
                    action = k
            return action
        for k in range(n_act):
            cdf += pi[k]
            if cdf >= u:
                return k
        return n_act - 1

    def learn(self, Py_ssize_t action, const double[::1] pi, const double[:, ::1] b,
              const double[::1] b_v, double rate_target, double decay, double c_value,
              double c_entropy, double c_rate, double delta):
        """learn_decision on this network's arrays; writes the lazily decayed ebar back."""
        with nogil:
            _learn(action, pi, b, b_v, self.zbar_out, self.rate, rate_target, self.t_in,
                   self.g_in, self.t_rec, self.g_rec, self.t_out, self.g_out, self.t_val,
                   self.g_val, self.ebar_in, self.ebar_rec, self.esum_in, self.esum_rec,
                   decay, c_value, c_entropy, c_rate, delta, self.scale, self.signal,
                   self.signal_h, self.rate_error, self.d_entropy, self.target,
                   &self.touched[0])
            self.touched[:] = 0
        self.scale = 1.0

# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""State integration of compact memristor models under a voltage waveform.

Python face: memsim.devices.compact. Inputs are validated there; nothing is
checked here. NumPy twin: memsim.devices._reference.integrate_compact.

Every device integrates its own scalar state equation dx/dt = F(x, v(t)) with
the Dormand-Prince 5(4) pair (the coefficients of scipy's RK45) and its own
step size: a step is accepted when the local error estimate is within
``atol + rtol * max(|x|, |x_new|)``, and the next step is
``h * min(5, max(0.2, 0.9 err^-1/5))``. The right-hand side is evaluated at
the state clipped to its bounds [lo, hi], and an accepted state is clipped to
them, so the state never leaves them. The drive is piecewise: the caller gives
``stops`` (output times and every breakpoint of the waveform, sorted) and the
integrator never steps over one, so a voltage edge or a pulse is never missed.

Models (``model``) and their parameter vectors ``p`` (SI units; the formulas
and their sources are in memsim.devices.compact):
  0 VTEAM     k_on, k_off, alpha_on, alpha_off, v_on, v_off, w_on, w_off,
              r_on, r_off, iv (0 linear, 1 exponential)
  1 Yakopcic  a1, a2, b, v_p, v_n, a_p, a_n, x_p, x_n, alpha_p, alpha_n, eta
  2 Stanford-PKU  i0, g0, v0, vel0, e_a, a0, t_ox, gamma0, beta, g1, f_min,
              t0, r_th, gap_min, gap_max
Windows (``window``, VTEAM only) on the normalised state s = (w - w_on)/(w_off - w_on):
  0 none, 1 Joglekar (p), 2 Biolek (p), 3 Prodromakis (p, j),
  4 Kvatinsky (a_on, a_off, w_c; on w itself)

Devices run in parallel (OpenMP, ``prange``): each has its own steps, so the
results do not depend on the number of threads. Status: 0 done; 1 the step size
fell below ``h_min`` (not converged).
"""

from cython.parallel cimport prange
from libc.math cimport exp, fabs, log, pow, sinh, fmin, fmax
from libc.stdint cimport int64_t, int8_t

import numpy as np

cdef double Q = 1.602176634e-19          # C
cdef double K_B = 1.380649e-23           # J/K

# Dormand-Prince 5(4)
cdef double C2 = 1.0 / 5, C3 = 3.0 / 10, C4 = 4.0 / 5, C5 = 8.0 / 9
cdef double A21 = 1.0 / 5
cdef double A31 = 3.0 / 40, A32 = 9.0 / 40
cdef double A41 = 44.0 / 45, A42 = -56.0 / 15, A43 = 32.0 / 9
cdef double A51 = 19372.0 / 6561, A52 = -25360.0 / 2187, A53 = 64448.0 / 6561, A54 = -212.0 / 729
cdef double A61 = 9017.0 / 3168, A62 = -355.0 / 33, A63 = 46732.0 / 5247, A64 = 49.0 / 176
cdef double A65 = -5103.0 / 18656
cdef double B1 = 35.0 / 384, B3 = 500.0 / 1113, B4 = 125.0 / 192, B5 = -2187.0 / 6784
cdef double B6 = 11.0 / 84
cdef double E1 = 71.0 / 57600, E3 = -71.0 / 16695, E4 = 71.0 / 1920, E5 = -17253.0 / 339200
cdef double E6 = 22.0 / 525, E7 = -1.0 / 40


cdef inline double _window(int window, const double* wp, double w, double w_on, double w_off,
                           double v) noexcept nogil:
    cdef double s = (w - w_on) / (w_off - w_on), p
    if window == 0:
        return 1.0
    if window == 1:
        return 1.0 - pow(2.0 * s - 1.0, 2.0 * wp[0])
    if window == 2:                       # stp(-i): 1 unless the current (sign of v) is > 0
        return 1.0 - pow(s - (0.0 if v > 0.0 else 1.0), 2.0 * wp[0])
    if window == 3:
        return wp[1] * (1.0 - pow((s - 0.5) * (s - 0.5) + 0.75, wp[0]))
    if v > 0.0:                           # Kvatinsky: f_off towards w_off, f_on towards w_on
        return exp(-exp((w - wp[1]) / wp[2]))
    return exp(-exp((wp[0] - w) / wp[2]))


cdef inline double _current(int model, const double* p, double x, double v) noexcept nogil:
    if model == 0:
        if p[10] == 0.0:
            return v / (p[8] + (p[9] - p[8]) * (x - p[6]) / (p[7] - p[6]))
        return v / p[8] * exp(-log(p[9] / p[8]) * (x - p[6]) / (p[7] - p[6]))
    if model == 1:
        return (p[0] if v >= 0.0 else p[1]) * x * sinh(p[2] * v)
    return p[0] * exp(-x / p[1]) * sinh(v / p[2])


cdef inline double _rate(int model, const double* p, int window, const double* wp, double x,
                         double v) noexcept nogil:
    cdef double g, f, temp, gamma
    if model == 0:
        if v > p[5]:
            return p[1] * pow(v / p[5] - 1.0, p[3]) * _window(window, wp, x, p[6], p[7], v)
        if v < p[4]:
            return p[0] * pow(v / p[4] - 1.0, p[2]) * _window(window, wp, x, p[6], p[7], v)
        return 0.0
    if model == 1:
        if v > p[3]:
            g = p[5] * (exp(v) - exp(p[3]))
        elif v < -p[4]:
            g = -p[6] * (exp(-v) - exp(p[4]))
        else:
            return 0.0
        if p[11] * v > 0.0:
            f = exp(-p[9] * (x - p[7])) * ((p[7] - x) / (1.0 - p[7]) + 1.0) if x >= p[7] else 1.0
        else:
            f = exp(p[10] * (x + p[8] - 1.0)) * (x / (1.0 - p[8])) if x <= 1.0 - p[8] else 1.0
        return p[11] * g * f
    temp = p[11] + fabs(v * _current(2, p, x, v)) * p[12]
    gamma = p[7] - p[8] * pow(x / p[9], 3.0)
    if gamma * fabs(v) / p[6] < p[10]:
        gamma = 0.0
    return -p[3] * exp(-Q * p[4] / (K_B * temp)) * sinh(gamma * p[5] / p[6] * Q * v / (K_B * temp))


cdef inline double _volt(int wave, const double* wv, double freq, double t, double ta, double tb,
                         double va, double vb) noexcept nogil:
    if wave == 0:
        return wv[0] * _sin2pi(freq * t)
    if tb > ta:
        return va + (vb - va) * (t - ta) / (tb - ta)
    return va


cdef extern from "math.h" nogil:
    double sin(double)

cdef inline double _sin2pi(double u) noexcept nogil:
    return sin(6.283185307179586 * u)


cdef inline double _f(int model, const double* p, int window, const double* wp, double x,
                      double lo, double hi, double v) noexcept nogil:
    return _rate(model, p, window, wp, fmin(fmax(x, lo), hi), v)


cdef int _device(int model, const double* p, int window, const double* wp, double x,
                 double lo, double hi, int wave, double freq, const double* wave_t,
                 const double* wv, const double* stops, Py_ssize_t n_stop,
                 const int64_t* out_index, const int64_t* seg, double rtol, double atol,
                 double h_max, double h_min, double* x_row, int64_t* counts) noexcept nogil:
    """One device through every stop (module notes); fills its output row and
    ``counts`` (accepted, rejected, evaluations). Returns 0, or 1 if a step fell
    below ``h_min``."""
    cdef Py_ssize_t k
    cdef double t = stops[0], tb, h = h_max, h_free, xn, err, sc, ta_w = 0.0, tb_w = 0.0
    cdef double va = 0.0, vb = 0.0, k1, k2, k3, k4, k5, k6, k7
    cdef bint cut
    x = fmin(fmax(x, lo), hi)
    if wave == 1:
        ta_w = wave_t[seg[0]]
        tb_w = wave_t[seg[0] + 1]
        va = wv[seg[0]]
        vb = wv[seg[0] + 1]
    if out_index[0] >= 0:
        x_row[out_index[0]] = x
    for k in range(1, n_stop):
        tb = stops[k]
        if wave == 1:
            ta_w = wave_t[seg[k]]
            tb_w = wave_t[seg[k] + 1]
            va = wv[seg[k]]
            vb = wv[seg[k] + 1]
        h = fmin(h, h_max)
        k1 = _f(model, p, window, wp, x, lo, hi, _volt(wave, wv, freq, t, ta_w, tb_w, va, vb))
        counts[2] += 1
        while t < tb:
            if h < h_min and tb - t > h_min:
                return 1
            # a step cut short to land on the stop does not shrink the next interval's
            h_free = h
            cut = t + h > tb or tb - (t + h) < 1e-12 * h
            if cut:
                h = tb - t
            k2 = _f(model, p, window, wp, x + h * A21 * k1, lo, hi,
                    _volt(wave, wv, freq, t + C2 * h, ta_w, tb_w, va, vb))
            k3 = _f(model, p, window, wp, x + h * (A31 * k1 + A32 * k2), lo, hi,
                    _volt(wave, wv, freq, t + C3 * h, ta_w, tb_w, va, vb))
            k4 = _f(model, p, window, wp, x + h * (A41 * k1 + A42 * k2 + A43 * k3), lo, hi,
                    _volt(wave, wv, freq, t + C4 * h, ta_w, tb_w, va, vb))
            k5 = _f(model, p, window, wp, x + h * (A51 * k1 + A52 * k2 + A53 * k3 + A54 * k4),
                    lo, hi, _volt(wave, wv, freq, t + C5 * h, ta_w, tb_w, va, vb))
            k6 = _f(model, p, window, wp,
                    x + h * (A61 * k1 + A62 * k2 + A63 * k3 + A64 * k4 + A65 * k5), lo, hi,
                    _volt(wave, wv, freq, t + h, ta_w, tb_w, va, vb))
            xn = x + h * (B1 * k1 + B3 * k3 + B4 * k4 + B5 * k5 + B6 * k6)
            k7 = _f(model, p, window, wp, xn, lo, hi,
                    _volt(wave, wv, freq, t + h, ta_w, tb_w, va, vb))
            counts[2] += 6
            err = fabs(h * (E1 * k1 + E3 * k3 + E4 * k4 + E5 * k5 + E6 * k6 + E7 * k7))
            sc = atol + rtol * fmax(fabs(x), fabs(xn))
            err = err / sc
            if err <= 1.0:
                counts[0] += 1
                t = tb if tb - (t + h) < 1e-12 * h else t + h
                if xn < lo or xn > hi:
                    xn = fmin(fmax(xn, lo), hi)
                    k7 = _f(model, p, window, wp, xn, lo, hi,
                            _volt(wave, wv, freq, t, ta_w, tb_w, va, vb))
                    counts[2] += 1
                x = xn
                k1 = k7
                h = fmax(fmin(h * (5.0 if err == 0.0 else fmin(5.0, 0.9 * pow(err, -0.2))),
                              h_max), fmin(h_free, h_max) if cut else 0.0)
            else:
                counts[1] += 1
                h = h * fmax(0.2, 0.9 * pow(err, -0.2))
        if out_index[k] >= 0:
            x_row[out_index[k]] = x
    return 0


def integrate(int model, const double[::1] params, int window, const double[::1] wpar,
              const double[::1] x0, double lo, double hi, int wave, double freq,
              const double[::1] wave_t, const double[:, ::1] wave_v,
              const double[::1] stops, const int64_t[::1] out_index, const int64_t[::1] seg,
              double rtol, double atol, double h_max, double h_min,
              double[:, ::1] x_out, int64_t[::1] stats):
    """Integrate every device's state through ``stops`` (devices in parallel, OpenMP);
    fill ``x_out`` (n_dev, n_out) at the stops whose ``out_index`` is >= 0.
    ``seg[k]`` is the waveform segment (pwl) holding the interval that ends at stop k
    (``seg[0]``: the one holding the first stop). ``params`` is shared by every
    device; ``wave_v`` holds one row per device or one shared row. ``stats``
    receives accepted steps, rejected steps and right-hand-side evaluations summed
    over the devices. Returns 0, or 1 with the first failing device's index in
    ``stats[3]`` if a step fell below ``h_min``."""
    cdef Py_ssize_t n_dev = x0.shape[0], d
    cdef Py_ssize_t sw = 1 if wave_v.shape[0] > 1 else 0
    cdef const double* wp = &wpar[0] if wpar.shape[0] > 0 else NULL
    cdef int64_t[:, ::1] counts = np.zeros((n_dev, 3), dtype=np.int64)
    cdef int8_t[::1] status = np.zeros(n_dev, dtype=np.int8)
    if n_dev == 0:
        return 0
    for d in prange(n_dev, nogil=True, schedule="dynamic", chunksize=16):
        status[d] = _device(model, &params[0], window, wp, x0[d], lo, hi, wave, freq,
                            &wave_t[0], &wave_v[d * sw, 0], &stops[0], stops.shape[0],
                            &out_index[0], &seg[0], rtol, atol, h_max, h_min,
                            &x_out[d, 0], &counts[d, 0])
    totals = np.asarray(counts).sum(axis=0)
    stats[0], stats[1], stats[2] = totals[0], totals[1], totals[2]
    failed = np.flatnonzero(np.asarray(status))
    if failed.size:
        stats[3] = failed[0]
        return 1
    return 0

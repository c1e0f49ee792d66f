# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""Per-pulse conductance update of pulse-programmed devices (NeuroSim model).

Python face: memsim.devices.pulse. Inputs are validated there; nothing is
checked here. NumPy twin: memsim.devices._reference.apply_pulses.

For a device at conductance g receiving n pulses (n > 0: LTP curve, n < 0:
LTD curve, parameters a, p_max), the NeuroSim update
``G(InvG(g) + n)`` simplifies to ``g_min + B + (g - g_min - B) exp(-n / a)``,
``B = (g_max - g_min) / (1 - exp(-p_max / a))``; then cycle-to-cycle noise
``sigma * sqrt(|n|) * N(0, 1)`` is added and g is clipped to [g_min, g_max].
Normal draws come from the caller's numpy Generator, one per active device in
index order, so the kernel and its NumPy reference see the same numbers.
"""

from cpython.pycapsule cimport PyCapsule_GetPointer
from libc.math cimport exp, sqrt
from libc.stdint cimport int64_t, int8_t
from numpy.random cimport bitgen_t
from numpy.random.c_distributions cimport random_standard_normal


def apply_pulses(double[::1] g, const int64_t[::1] pulses,
                 const double[::1] a_ltp, const double[::1] a_ltd,
                 const double[::1] g_min, const double[::1] g_max,
                 double p_max_ltp, double p_max_ltd, double sigma,
                 const int8_t[::1] stuck, object bit_generator):
    """Apply signed pulse counts to every device of ``g`` in place.

    ``a_ltp``, ``a_ltd``, ``g_min``, ``g_max`` hold one value per device or a
    single shared value; ``stuck`` is empty or one fault code per device
    (nonzero: skipped); ``sigma`` is the absolute C2C sigma (S) of one pulse.
    Returns the number of pulses applied (sum of |n| over active devices).
    """
    cdef Py_ssize_t n_dev = g.shape[0], i
    cdef Py_ssize_t s_ap = 1 if a_ltp.shape[0] > 1 else 0
    cdef Py_ssize_t s_ad = 1 if a_ltd.shape[0] > 1 else 0
    cdef Py_ssize_t s_lo = 1 if g_min.shape[0] > 1 else 0
    cdef Py_ssize_t s_hi = 1 if g_max.shape[0] > 1 else 0
    cdef bint has_stuck = stuck.shape[0] > 0
    cdef bint noisy = sigma > 0.0
    cdef int64_t n, total = 0
    cdef double a, p_max, lo, hi, gn
    # shared parameters repeat from device to device: reuse the last exp()s
    cdef double last_a = 0.0, last_p = -1.0, last_span = -1.0, last_b = 0.0
    cdef double last_decay = 1.0
    cdef int64_t last_n = 0
    cdef bitgen_t *rng = <bitgen_t *> PyCapsule_GetPointer(bit_generator.capsule, "BitGenerator")
    with bit_generator.lock, nogil:
        for i in range(n_dev):
            n = pulses[i]
            if n == 0 or (has_stuck and stuck[i] != 0):
                continue
            if n > 0:
                a = a_ltp[i * s_ap]
                p_max = p_max_ltp
                total += n
            else:
                a = a_ltd[i * s_ad]
                p_max = p_max_ltd
                total -= n
            lo = g_min[i * s_lo]
            hi = g_max[i * s_hi]
            if a != last_a or p_max != last_p or hi - lo != last_span:
                last_b = (hi - lo) / (1.0 - exp(-p_max / a))
                last_span = hi - lo
                last_p = p_max
                last_n = 0
            if a != last_a or n != last_n:
                last_decay = exp(-n / a)
                last_n = n
            last_a = a
            gn = lo + last_b + (g[i] - lo - last_b) * last_decay
            if noisy:
                gn += sigma * sqrt(<double> (n if n > 0 else -n)) * random_standard_normal(rng)
            if gn > hi:
                gn = hi
            elif gn < lo:
                gn = lo
            g[i] = gn
    return total

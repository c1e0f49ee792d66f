# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""Nodal solves of a resistive crossbar with wire resistance.

Python face: memsim.crossbar.circuit. Inputs are validated there; nothing is
checked here. Independent reference: memsim.crossbar._reference (a direct
scipy.sparse solve of the same nodal system, assembled separately).

Network (memsim's circuit convention, docs/design.md). M rows, N columns. Row node
(i, j) and column node (i, j) sit at cell (i, j); device (i, j) of conductance
G[i, j] joins them. Row i is fed at its left end by its source V[i] through
``g0`` (driver output resistance plus one row segment); neighbouring row nodes
are joined by ``gr``, the right end is open. Column j is joined top to bottom by
``gc``; its bottom node reaches the virtual ground of the sense amplifier
through ``gend`` (one column segment plus the sense input resistance); the top
end is open. The column current is ``gend * vc[M-1, j]``.

Unknowns are stored as one vector of length 2 M N: row-node voltages (i, j)
first, then column-node voltages, both row-major.
"""

import numpy as np
from libc.math cimport sqrt
from scipy.linalg.cython_blas cimport dsymm
from scipy.linalg.cython_lapack cimport dpotrf, dpotri


cdef void _row_inverse(const double *g, Py_ssize_t n, double g0, double gr,
                       double *w, double *right, double *ratio) noexcept nogil:
    """Lower triangle (column-major) of the inverse of one row chain.

    The chain matrix A has diagonal g0 + gr + g[0], 2 gr + g[j], gr + g[n-1]
    and off-diagonal -gr. Its inverse is written through conductances seen from
    each node, which are sums of positive terms (no cancellation):
    R[j] = g[j] + gr R[j+1] / (gr + R[j+1]) looking right into the open end,
    left[j] = gr L[j-1] / (gr + L[j-1]) with L = g + left, left[0] = g0.
    Then A^-1[j, j] = 1 / (g[j] + left[j] + right[j]) and, below the diagonal,
    A^-1[k, j] = A^-1[k-1, j] * gr / (gr + R[k]).
    """
    cdef Py_ssize_t j, k
    cdef double rk, lft, l_prev
    # right[j]: series conductance seen through the segment to the right of j
    right[n - 1] = 0.0
    rk = g[n - 1]
    ratio[n - 1] = gr / (gr + rk)
    for j in range(n - 2, -1, -1):
        right[j] = gr * rk / (gr + rk)
        rk = g[j] + right[j]
        ratio[j] = gr / (gr + rk)
    lft = g0
    for j in range(n):
        w[j * n + j] = 1.0 / (g[j] + lft + right[j])
        for k in range(j + 1, n):
            w[j * n + k] = w[j * n + k - 1] * ratio[k]
        l_prev = g[j] + lft
        lft = gr * l_prev / (gr + l_prev)


def effective_matrix(const double[:, ::1] g, double g0, double gr, double gc,
                     double gend, bint sources, long long[::1] control):
    """Effective conductance matrix of the whole array, as ``KT`` (M, N).

    Column currents are ``I = V @ KT`` for any source voltages ``V``. Row
    chains are eliminated exactly (tridiagonal inverse), leaving a
    block-tridiagonal system over column nodes (blocks of N, off-diagonal
    ``-gc I``) solved by block Cholesky from the top row down:
    ``T_0 = D_0``, ``T_i = D_i - gc^2 T_{i-1}^-1``, with the sources carried
    along, ``R_i = [gc T_{i-1}^-1 R_{i-1}, r_i]``; finally
    ``K = gend T_{M-1}^-1 R_{M-1}``. Cost ~ M N^3 + M^2 N^2 flops (LAPACK
    dpotrf/dpotri, BLAS dsymm); memory 2 N^2 + 2 M N doubles, K included.

    Returns ``(KT, info)``; ``info`` > 0 is the row at which a block was not
    positive definite (cannot happen for positive conductances), ``info`` = -1
    that the build was cancelled.

    ``control`` lets another thread watch and stop the build: the kernel
    writes the rows done into ``control[1]`` and stops before the next row
    once ``control[0]`` is nonzero.

    With ``sources=False`` the sources are not carried and the result is
    instead ``T_{M-1}^-1`` (N, N), the inverse of the nodal matrix reduced onto
    the bottom row of column nodes, at about half the cost.
    """
    cdef int m = g.shape[0], n = g.shape[1]
    cdef int i, j, k, cols, info = 0
    cdef double gi_j, diag
    cdef double gc2 = gc * gc, zero = 0.0, alpha
    cdef char uplo = b'L'
    cdef char side = b'L'
    w_arr = np.empty(n * n)
    t_arr = np.zeros(n * n)
    ra_arr = np.zeros(n * m if sources else 1)
    rb_arr = np.zeros(n * m if sources else 1)
    right_arr = np.empty(n)
    ratio_arr = np.empty(n)
    cdef double[::1] w = w_arr, t = t_arr, right = right_arr, ratio = ratio_arr
    cdef double[::1] ra = ra_arr, rb = rb_arr
    cdef double *src = &ra[0]
    cdef double *dst = &rb[0]
    cdef double *swap
    with nogil:
        for i in range(m):
            if control[0]:
                info = -1
                break
            control[1] = i
            _row_inverse(&g[i, 0], n, g0, gr, &w[0], &right[0], &ratio[0])
            # D_i - gc^2 X_{i-1}, lower triangle; X_{i-1} is still in t
            for j in range(n):
                gi_j = g[i, j]
                diag = gi_j + (gc if i > 0 else 0.0) + (gc if i < m - 1 else gend)
                for k in range(j, n):
                    if i > 0:
                        t[j * n + k] = -gc2 * t[j * n + k] - gi_j * g[i, k] * w[j * n + k]
                    else:
                        t[j * n + k] = -gi_j * g[i, k] * w[j * n + k]
                t[j * n + j] += diag
                # source of row i seen at column node (i, j): g0 G_ij A^-1[j, 0]
                if sources:
                    src[i * n + j] = g0 * gi_j * w[j]
            dpotrf(&uplo, &n, &t[0], &n, &info)
            if info != 0:
                info = i + 1
                break
            dpotri(&uplo, &n, &t[0], &n, &info)
            if info != 0:
                info = i + 1
                break
            if sources:
                cols = i + 1
                alpha = gc if i < m - 1 else gend
                dsymm(&side, &uplo, &n, &cols, &alpha, &t[0], &n, src, &n, &zero, dst, &n)
                swap = src
                src = dst
                dst = swap
        if info == 0:
            control[1] = m
        if not sources:
            for j in range(n):
                for k in range(j + 1, n):
                    t[k * n + j] = t[j * n + k]
    if not sources:
        return t_arr.reshape(n, n), info
    kt = ra_arr if src == &ra[0] else rb_arr
    return kt.reshape(m, n), info


cdef void _apply(const double[:, ::1] g, double g0, double gr, double gc, double gend,
                 const double *x, double *y) noexcept nogil:
    """y = A x, the nodal matrix (wires and devices) times the node voltages."""
    cdef Py_ssize_t m = g.shape[0], n = g.shape[1], i, j, p
    cdef Py_ssize_t mn = m * n
    cdef double gij, s
    for i in range(m):
        for j in range(n):
            p = i * n + j
            gij = g[i, j]
            s = gij * (x[p] - x[mn + p])
            if j == 0:
                s += g0 * x[p]
            else:
                s += gr * (x[p] - x[p - 1])
            if j < n - 1:
                s += gr * (x[p] - x[p + 1])
            y[p] = s
            s = gij * (x[mn + p] - x[p])
            if i > 0:
                s += gc * (x[mn + p] - x[mn + p - n])
            if i < m - 1:
                s += gc * (x[mn + p] - x[mn + p + n])
            else:
                s += gend * x[mn + p]
            y[mn + p] = s


def apply(const double[:, ::1] g, double g0, double gr, double gc, double gend,
          const double[::1] x, double[::1] y):
    """``y = A x`` for the network with device conductances ``g``."""
    with nogil:
        _apply(g, g0, gr, gc, gend, &x[0], &y[0])


cdef void _factor_chains(const double[:, ::1] g, double g0, double gr, double gc,
                         double gend, double *inv_r, double *inv_c) noexcept nogil:
    """Reciprocal Thomas pivots of every row chain and every column chain."""
    cdef Py_ssize_t m = g.shape[0], n = g.shape[1], i, j, p
    cdef double a
    for i in range(m):
        for j in range(n):
            p = i * n + j
            a = g[i, j] + (g0 if j == 0 else gr) + (gr if j < n - 1 else 0.0)
            if j > 0:
                a -= gr * gr * inv_r[p - 1]
            inv_r[p] = 1.0 / a
    for i in range(m):
        for j in range(n):
            p = i * n + j
            a = g[i, j] + (gc if i > 0 else 0.0) + (gc if i < m - 1 else gend)
            if i > 0:
                a -= gc * gc * inv_c[p - n]
            inv_c[p] = 1.0 / a


cdef void _solve_rows(Py_ssize_t m, Py_ssize_t n, double gr, const double *inv_r,
                      double *x) noexcept nogil:
    """Solve every row chain in place (LDL^T with the stored pivots)."""
    cdef Py_ssize_t i, j, p
    for i in range(m):
        p = i * n
        for j in range(1, n):
            x[p + j] += gr * inv_r[p + j - 1] * x[p + j - 1]
        x[p + n - 1] *= inv_r[p + n - 1]
        for j in range(n - 2, -1, -1):
            x[p + j] = (x[p + j] + gr * x[p + j + 1]) * inv_r[p + j]


cdef void _solve_cols(Py_ssize_t m, Py_ssize_t n, double gc, const double *inv_c,
                      double *x) noexcept nogil:
    """Solve every column chain in place, all columns together row by row."""
    cdef Py_ssize_t i, j, p
    for i in range(1, m):
        for j in range(n):
            p = i * n + j
            x[p] += gc * inv_c[p - n] * x[p - n]
    for j in range(n):
        p = (m - 1) * n + j
        x[p] *= inv_c[p]
    for i in range(m - 2, -1, -1):
        for j in range(n):
            p = i * n + j
            x[p] = (x[p] + gc * x[p + n]) * inv_c[p]


cdef void _precondition(const double[:, ::1] g, double gr, double gc,
                        const double *inv_r, const double *inv_c,
                        const double *r, double *z) noexcept nogil:
    """Symmetric block Gauss-Seidel: row chains, column chains, row chains."""
    cdef Py_ssize_t m = g.shape[0], n = g.shape[1], p, mn = m * n
    cdef const double *gf = &g[0, 0]
    for p in range(mn):
        z[p] = r[p]
    _solve_rows(m, n, gr, inv_r, z)
    for p in range(mn):
        z[mn + p] = r[mn + p] + gf[p] * z[p]
    _solve_cols(m, n, gc, inv_c, z + mn)
    for p in range(mn):
        z[p] = r[p] + gf[p] * z[mn + p]
    _solve_rows(m, n, gr, inv_r, z)


cdef double _dot(const double *a, const double *b, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t k
    cdef double s = 0.0
    for k in range(n):
        s += a[k] * b[k]
    return s


def pcg(const double[:, ::1] g, double g0, double gr, double gc, double gend,
        const double[::1] b, double[::1] x, double tol, int maxiter,
        long long[::1] control):
    """Solve ``A x = b`` in place by preconditioned conjugate gradients.

    A is symmetric positive definite (a grounded resistor network). The
    preconditioner is one symmetric block Gauss-Seidel sweep over the row
    chains and the column chains, each solved exactly. Stops when the true
    residual ``||b - A x||_2 <= tol`` (recomputed from ``x``, not taken from
    the recursion) or after ``maxiter`` iterations, or when another thread
    sets ``control[0]`` (the iterations so far go into ``control[1]``).
    Returns ``(n_iter, residual)``.
    """
    cdef Py_ssize_t m = g.shape[0], n = g.shape[1], nn = 2 * g.shape[0] * g.shape[1], k
    work_arr = np.empty(5 * nn)
    cdef double[::1] work = work_arr
    cdef double *r = &work[0]
    cdef double *z = r + nn
    cdef double *p = z + nn
    cdef double *q = p + nn
    cdef double *inv = q + nn      # row pivots, then column pivots
    cdef double rz, rz_new, alpha, beta, res
    cdef int it = 0
    with nogil:
        _factor_chains(g, g0, gr, gc, gend, inv, inv + nn // 2)
        _apply(g, g0, gr, gc, gend, &x[0], q)
        for k in range(nn):
            r[k] = b[k] - q[k]
        res = sqrt(_dot(r, r, nn))
        # The recursive residual drifts from the true one in floating point:
        # when it meets tol, check the true residual and restart from it if
        # it has not.
        while res > tol and it < maxiter and not control[0]:
            _precondition(g, gr, gc, inv, inv + nn // 2, r, z)
            for k in range(nn):
                p[k] = z[k]
            rz = _dot(r, z, nn)
            while it < maxiter and not control[0]:
                it += 1
                control[1] = it
                _apply(g, g0, gr, gc, gend, p, q)
                alpha = rz / _dot(p, q, nn)
                for k in range(nn):
                    x[k] += alpha * p[k]
                    r[k] -= alpha * q[k]
                if sqrt(_dot(r, r, nn)) <= tol:
                    break
                _precondition(g, gr, gc, inv, inv + nn // 2, r, z)
                rz_new = _dot(r, z, nn)
                beta = rz_new / rz
                rz = rz_new
                for k in range(nn):
                    p[k] = z[k] + beta * p[k]
            _apply(g, g0, gr, gc, gend, &x[0], q)
            for k in range(nn):
                r[k] = b[k] - q[k]
            res = sqrt(_dot(r, r, nn))
    return it, res

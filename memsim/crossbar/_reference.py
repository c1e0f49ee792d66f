"""Direct sparse reference for the crossbar circuit, independent of the fast path.

Written separately from memsim._kernels._circuit for the tests and the
benchmarks: the nodal system is assembled from a branch list through
incidence matrices (``A = B^T diag(g) B``) with scipy.sparse and solved by
SuperLU. Same circuit convention as :mod:`memsim.crossbar.circuit`; node
``i * N + j`` is row node (i, j) and node ``M N + i * N + j`` column node (i, j).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla


def _incidence(a, b, n_nodes):
    """Branch-node incidence: +1 at node ``a``, -1 at node ``b`` (``b < 0``: ground)."""
    n_br = len(a)
    rows = np.concatenate([np.arange(n_br), np.arange(n_br)[b >= 0]])
    cols = np.concatenate([a, b[b >= 0]])
    vals = np.concatenate([np.ones(n_br), -np.ones(int(np.sum(b >= 0)))])
    return sp.csr_matrix((vals, (rows, cols)), shape=(n_br, n_nodes))


def assemble(shape, wires):
    """Wire Laplacian, device incidence and the driver node of each row.

    Returns
    -------
    a_wire : scipy.sparse.csc_matrix, (2MN, 2MN)
        Conductance matrix of the wires, drivers and sense paths (S).
    b_dev : scipy.sparse.csr_matrix, (MN, 2MN)
        Incidence of the devices: ``b_dev @ v`` is the voltage across each (V).
    drive : ndarray of int, (M,)
        Node fed by each row's driver.
    sense : ndarray of int, (N,)
        Node read by each column's sense amplifier.
    """
    m, n = shape
    mn = m * n
    g0, gr, gc, gend = wires.conductances
    row = np.arange(mn).reshape(m, n)
    col = mn + np.arange(mn).reshape(m, n)
    a = np.concatenate([row[:, :-1].ravel(), col[:-1, :].ravel(), row[:, 0], col[-1, :]])
    b = np.concatenate([row[:, 1:].ravel(), col[1:, :].ravel(), -np.ones(m + n, dtype=int)])
    g = np.concatenate([np.full(m * (n - 1), gr), np.full((m - 1) * n, gc),
                        np.full(m, g0), np.full(n, gend)])
    inc = _incidence(a, b, 2 * mn)
    a_wire = (inc.T @ sp.diags(g) @ inc).tocsc()
    b_dev = _incidence(row.ravel(), col.ravel(), 2 * mn)
    return a_wire, b_dev, row[:, 0].copy(), col[-1, :].copy()


def linear_solve(g, voltages, wires, column_voltages=None):
    """Ohmic array: SuperLU factorisation once, one solve per input; columns held at
    ``column_voltages`` (batch, N) through ``r_col + r_sense`` (default 0 V).

    Returns ``(currents (batch, N) in A, node voltages (batch, 2MN) in V)``.
    """
    g = np.asarray(g, float)
    a_wire, b_dev, drive, sense = assemble(g.shape, wires)
    g0, _, _, gend = wires.conductances
    lu = spla.splu((a_wire + b_dev.T @ sp.diags(g.ravel()) @ b_dev).tocsc())
    voltages = np.atleast_2d(voltages)
    cols = (np.zeros((len(voltages), len(sense))) if column_voltages is None
            else np.broadcast_to(np.atleast_2d(column_voltages), (len(voltages), len(sense))))
    nodes = np.empty((len(voltages), a_wire.shape[0]))
    for k, (v, c) in enumerate(zip(voltages, cols)):
        s = np.zeros(a_wire.shape[0])
        s[drive] = g0 * v
        s[sense] += gend * c
        nodes[k] = lu.solve(s)
    return gend * (nodes[:, sense] - cols), nodes


def nonlinear_solve(g, voltages, wires, iv, *, rtol=1e-11, maxiter=100):
    """Any I-V law: Newton's method with a direct sparse solve per step.

    Stops when ``||F(v)||_2 <= rtol ||F(v_0)||_2`` (F: net current leaving
    each node; v_0: rows at their source voltage, columns at ground, so that
    F(v_0) holds the ideal device currents), the convergence test of
    :class:`memsim.crossbar.Crossbar`; raises RuntimeError otherwise. Each
    input starts from ``v_0``. Returns ``(currents, nodes, newton_steps)``.
    Node voltages are absolute here, so with wires far more conductive than
    devices the residual cannot go much below ``eps g_wire / g_device`` of the
    device currents; Newton also stops when its step falls to rounding level.
    """
    g = np.asarray(g, float)
    a_wire, b_dev, drive, sense = assemble(g.shape, wires)
    g0, _, _, gend = wires.conductances
    g = g.ravel()
    voltages = np.atleast_2d(voltages)
    nodes = np.zeros((len(voltages), a_wire.shape[0]))
    steps = np.zeros(len(voltages), dtype=int)
    for k, v in enumerate(voltages):
        s = np.zeros(a_wire.shape[0])
        s[drive] = g0 * v
        x = nodes[k]
        v0 = np.zeros_like(x)
        v0[:g.size] = np.repeat(v, len(g) // len(v))
        scale = np.linalg.norm(a_wire @ v0 + b_dev.T @ iv.current(g, b_dev @ v0) - s)
        x[:] = v0
        for it in range(maxiter + 1):
            dv = b_dev @ x
            f = a_wire @ x + b_dev.T @ iv.current(g, dv) - s
            if np.linalg.norm(f) <= rtol * scale:
                break
            if it == maxiter:
                raise RuntimeError(f"reference Newton did not converge for input {k}: "
                                   f"relative residual {np.linalg.norm(f) / scale:.3e}")
            jac = a_wire + b_dev.T @ sp.diags(iv.conductance(g, dv)) @ b_dev
            step = spla.spsolve(jac.tocsc(), f)
            x -= step
            if np.linalg.norm(step) <= 4 * np.finfo(float).eps * np.linalg.norm(x):
                break  # at rounding level: the absolute voltages cannot improve
        steps[k] = it
    return gend * nodes[:, sense], nodes, steps


def one_t_one_r_solve(g, voltages, wires, iv, v_gate, vth, kp, w_over_l, *, rtol=1e-12,
                      maxiter=100):
    """1T1R array: :func:`series_cell_solve` with a level-1 NMOS (Shichman-Hodges,
    lambda = 0) from the internal node to the column node, gate at ``v_gate`` (one
    value or one per cell), the lower of its two channel terminals acting as source."""
    beta = kp * w_over_l
    gate = np.broadcast_to(np.asarray(v_gate, float), np.shape(g)).ravel()

    def channel(v1, v2):
        """Current from node voltage v1 to v2 through the channel, d/dv1, d/dv2."""
        hi_, lo_ = np.maximum(v1, v2), np.minimum(v1, v2)
        over = gate - lo_ - vth
        vds = hi_ - lo_
        i = np.zeros_like(v1)
        d_hi = np.zeros_like(v1)
        d_lo = np.zeros_like(v1)
        lin = (over > 0) & (vds < over)
        sat = (over > 0) & (vds >= over)
        i[lin] = beta * (over[lin] * vds[lin] - vds[lin] ** 2 / 2)
        d_hi[lin] = beta * (over[lin] - vds[lin])
        d_lo[lin] = -beta * over[lin]
        i[sat] = beta * over[sat] ** 2 / 2
        d_lo[sat] = -beta * over[sat]
        forward = v1 >= v2
        return (np.where(forward, i, -i), np.where(forward, d_hi, -d_lo),
                np.where(forward, d_lo, -d_hi))

    return series_cell_solve(g, voltages, wires, iv, channel, rtol=rtol, maxiter=maxiter)


def one_s_one_r_solve(g, voltages, wires, iv, i_s, ideality, temperature, bidirectional=True,
                      *, rtol=1e-12, maxiter=100):
    """1S1R array: :func:`series_cell_solve` with a diode-law selector (Shockley) from
    the internal node to the column node, two antiparallel when ``bidirectional``."""
    vt = ideality * 1.380649e-23 * temperature / 1.602176634e-19

    def diode(v1, v2):
        forward = i_s * np.expm1((v1 - v2) / vt)
        backward = i_s * np.expm1((v2 - v1) / vt) if bidirectional else 0.0
        slope = (i_s * np.exp((v1 - v2) / vt)
                 + (i_s * np.exp((v2 - v1) / vt) if bidirectional else 0.0)) / vt
        return forward - backward, slope, -slope

    def start(v_row):
        # the diode's voltage if it carried the device's current at the full row voltage:
        # past it, the first Newton steps would evaluate exp() of hundreds
        i = iv.current(g.ravel(), v_row)
        if bidirectional:
            return vt * np.arcsinh(i / (2.0 * i_s))
        return np.where(i > 0.0, vt * np.log1p(np.maximum(i, 0.0) / i_s), v_row)

    return series_cell_solve(g, voltages, wires, iv, diode, rtol=rtol, maxiter=maxiter,
                             start=start)


def series_cell_solve(g, voltages, wires, iv, access, *, rtol=1e-12, maxiter=100, start=None):
    """Array of cells with an access device in series, every internal node an unknown
    (3 M N of them): Newton's method with a direct sparse solve per step, written apart
    from memsim.crossbar.cells.

    Cell (i, j): the device joins row node (i, j) to internal node
    ``2 M N + i N + j``; ``access(v_mid, v_col)`` gives the access device's current
    from the internal node to column node (i, j) and its two derivatives. Each input
    starts from rows at their source voltage, internal nodes at the row voltage (or
    ``start(row voltage of each cell)``), columns at ground; it stops when
    ``||F|| <= rtol ||F_0||``, ``F_0`` the residual with internal nodes at ground (the
    ideal device currents), or when a step falls to rounding level. Returns ``(currents (batch, N), nodes (batch, 3MN),
    newton_steps)``.
    """
    g = np.asarray(g, float)
    m, n = g.shape
    mn = m * n
    a_wire, b_dev, drive, sense = assemble(g.shape, wires)
    g0, _, _, gend = wires.conductances
    a_full = sp.block_diag([a_wire, sp.csr_matrix((mn, mn))]).tocsr()
    rows, cols, mids = np.arange(mn), mn + np.arange(mn), 2 * mn + np.arange(mn)
    channel = access

    voltages = np.atleast_2d(voltages)
    nodes = np.zeros((len(voltages), 3 * mn))
    steps = np.zeros(len(voltages), dtype=int)
    gg = g.ravel()
    for k, v in enumerate(voltages):
        s = np.zeros(3 * mn)
        s[drive] = g0 * v
        x = nodes[k]
        x[:mn] = np.repeat(v, n)

        def residual(x):
            i_mem = iv.current(gg, x[rows] - x[mids])
            i_ch, d1, d2 = channel(x[mids], x[cols])
            f = a_full @ x - s
            f[rows] += i_mem
            f[mids] += i_ch - i_mem
            f[cols] -= i_ch
            return f, i_mem, i_ch, d1, d2

        # the scale is physical: the residual with internal nodes at the column voltage
        # holds the ideal device currents (as in nonlinear_solve); from the Newton start
        # below (internal nodes at the row voltage) a diode's residual can be 1e4 A
        scale = np.linalg.norm(residual(x)[0])
        x[2 * mn:] = np.repeat(v, n) if start is None else start(np.repeat(v, n))
        for it in range(maxiter + 1):
            f, _, _, d1, d2 = residual(x)
            if np.linalg.norm(f) <= rtol * scale:
                break
            if it == maxiter:
                raise RuntimeError(f"reference series-cell Newton did not converge for input {k}: "
                                   f"relative residual {np.linalg.norm(f) / scale:.3e}")
            a = iv.conductance(gg, x[rows] - x[mids])
            r = np.concatenate([rows, rows, mids, mids, mids, mids, cols, cols])
            c = np.concatenate([rows, mids, rows, mids, mids, cols, mids, cols])
            val = np.concatenate([a, -a, -a, a, d1, d2, -d1, -d2])
            jac = a_full + sp.csr_matrix((val, (r, c)), shape=(3 * mn, 3 * mn))
            step = spla.spsolve(jac.tocsc(), f)
            x -= step
            if np.linalg.norm(step) <= 4 * np.finfo(float).eps * np.linalg.norm(x):
                break
        steps[k] = it
    return gend * nodes[:, sense], nodes, steps

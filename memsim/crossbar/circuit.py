"""Circuit solvers of one crossbar array: ideal, linear IR drop, nonlinear.

Network (memsim's circuit convention, docs/design.md). An array of M rows and N
columns has one row-wire node and one column-wire node per cell; device
(i, j) joins row node (i, j) to column node (i, j). Row i is driven at its
left end by a source ``V_i`` through the driver output resistance
``r_driver`` plus one row segment ``r_row``; row nodes are joined by
segments ``r_row`` and the right end is open. Column j is sensed at its
bottom end by an amplifier held at virtual ground, through one column
segment ``r_col`` plus the sense input resistance ``r_sense``; column nodes
are joined by ``r_col`` and the top end is open. The output of column j is
the current into its sense amplifier, in amperes.

Kirchhoff's current law at every node gives 2 M N equations. For ohmic
devices they are linear, ``A v = b`` with ``b`` the driver currents
``V_i / (r_driver + r_row)`` at the first node of each row, so the column
currents are linear in the inputs, ``I = K V``: K (N x M) is the effective
conductance matrix of the whole array, wires included. With no wires
``K = G^T``.

Solvers
-------
ideal
    ``I = G^T V`` (one BLAS matrix product); wires are ignored.
linear
    Exact nodal solution with wire resistance, ohmic devices. For a batch it
    builds K once per conductance state (block Cholesky over rows, LAPACK),
    after which every input costs one matrix product. Small batches, and
    requests for node voltages, go through the per-input path: preconditioned
    conjugate gradients on the full nodal system, preconditioned by exact
    solves of the row and column chains (tridiagonal).
nonlinear
    Any I-V law of :mod:`memsim.devices.iv` (e.g. sinh) with wire
    resistance: Newton's method on the KCL residual, each step solved by the
    same preconditioned conjugate gradients, with a backtracking line search;
    successive inputs of a batch start from the previous solution.

Convergence contract (iterative paths; every layer that solves circuits,
:class:`memsim.crossbar.Tile`, :class:`memsim.crossbar.TiledMatrix` and
:class:`memsim.hardware.AnalogSynapses`, passes its keyword-only ``rtol``,
``atol`` and ``maxiter`` down to it). An input is converged when its KCL
residual satisfies::

    ||F(v)||_2 <= max(rtol * ||F(v_0)||_2, atol)

where ``F`` is the net current leaving every node (A), ``v_0`` the ideal state
(every row node at its source voltage, every column node at ground), so that
``F(v_0)`` holds the device currents of the ideal circuit and the residual is
measured against the currents the array actually carries, and ``atol`` is in
amperes. Each Newton step's inner conjugate-gradient solve must meet its own
(Eisenstat-Walker) tolerance too. A solve that does not converge raises
:class:`ConvergenceError` with the residual reached (or, with ``check=False``,
returns it with ``converged=False``); a direct elimination that meets a block
that is not positive definite raises :class:`FactorizationError`.
"""

from __future__ import annotations

import contextlib
import enum
from dataclasses import dataclass, replace

import numpy as np

from .._cancellable import run_cancellable
from .._kernels import _circuit
from .._validation import check_array, check_choice, check_memory, check_scalar
from ..devices.compact import StateIV
from ..devices.iv import Ohmic, Sinh, StatePolynomial
from .cells import AccessTransistor, Selector, cell_currents
from ..errors import ConvergenceError, FactorizationError, InputError, InputTypeError

#: Arrays with fewer columns than this build K with single-threaded BLAS: the
#: LAPACK calls on N x N blocks are too small to share, and a multi-threaded
#: OpenBLAS that competes with other busy processes loses 5-15x on them
#: (measured at N = 512 on 2 cores under load). Larger arrays use the BLAS
#: default (set it with OPENBLAS_NUM_THREADS or threadpoolctl).
SINGLE_THREAD_BELOW = 512

#: Batches at least this large build the effective matrix; smaller ones
#: solve input by input. Measured break-even on a 2-core machine: ~5 inputs
#: at 128 x 128, ~20 at 256 x 256, ~35 at 1024 x 1024.
MATRIX_BATCH = 16

#: Default relative KCL residual of the iterative paths. Preconditioned CG on a
#: 256 x 256 array with 1 ohm wires and PCM devices stalls at about 1.2e-12 of
#: the initial residual in double precision (measured), so 1e-12 is not always
#: reachable; 1e-10 is, with a margin of about 100.
RTOL = 1e-10


_CONTROLLER = []


def _blas_threads(limit):
    """Context limiting BLAS threads to ``limit`` (None: unchanged)."""
    if limit is None:
        return contextlib.nullcontext()
    if not _CONTROLLER:  # inspecting the loaded libraries costs ~ms: do it once
        from threadpoolctl import ThreadpoolController
        _CONTROLLER.append(ThreadpoolController())
    return _CONTROLLER[0].limit(limits=limit, user_api="blas")


#: Eliminations of at least this many flops (M N^3), and conjugate-gradient
#: solves of at least this many nodes (2 M N), run in a worker thread so that
#: Ctrl-C stops them at once (see memsim._cancellable); smaller ones (well
#: under 0.1 s) run directly.
THREAD_FLOPS = 1e8
THREAD_NODES = 2e5


def _eliminate(g, g0, gr, gc, gend, sources=True, progress=None):
    """The block elimination of the kernel, with the BLAS threading rule; raises
    :class:`FactorizationError` if a block is not positive definite.

    ``progress(rows_done, rows)`` is called while it runs. Ctrl-C stops it.
    """
    m, n = g.shape
    with _blas_threads(1 if n < SINGLE_THREAD_BELOW else None):
        out, info = run_cancellable(_circuit.effective_matrix, g, g0, gr, gc, gend, sources,
                                    threaded=float(m) * n ** 3 >= THREAD_FLOPS,
                                    progress=progress, total=m)
    if info:
        raise FactorizationError(f"the effective-matrix elimination failed at row {info - 1}: "
                                 f"its block of the nodal system is not positive definite",
                                 block=info - 1)
    return out


def _pcg(g, conductances, b, x, tol, maxiter):
    """The preconditioned CG kernel on ``A x = b`` (in place); Ctrl-C stops it."""
    return run_cancellable(_circuit.pcg, g, *conductances, b, x, tol, maxiter,
                           threaded=2.0 * g.size >= THREAD_NODES)


def _line_search(residual, u, step, res):
    """Backtracking along a Newton ``step`` from ``u``: the first of alpha = 1, 1/2, ...
    whose residual norm falls below ``(1 - 1e-4 alpha) res`` (Armijo). ``residual``
    returns a tuple whose first item is the residual. Returns ``(u + alpha step,
    residual's tuple, its norm)``, or None when no step decreases it."""
    alpha = 1.0
    while True:
        trial = u + alpha * step
        out = residual(trial)
        res_trial = np.linalg.norm(out[0])
        if res_trial <= (1.0 - 1e-4 * alpha) * res or alpha < 1e-10:
            break
        alpha *= 0.5
    if not np.isfinite(res_trial) or res_trial >= res:
        return None
    return trial, out, res_trial


def _out_of_steps(res, b_norm, it, tol, rtol, atol):
    return (f"residual {res:.3e} A (relative {res / b_norm:.3e}) after {it} Newton steps; "
            f"asked {tol:.3e} A (rtol={rtol:g}, atol={atol:g})")


def _stalled(res, b_norm, it):
    return (f"stalled at residual {res:.3e} A (relative {res / b_norm:.3e}) after {it} "
            f"Newton steps: the line search found no decrease")


class Solver(str, enum.Enum):
    """Circuit solver: ``ideal``, ``linear`` (IR drop, ohmic) or ``nonlinear``."""

    IDEAL = "ideal"
    LINEAR = "linear"
    NONLINEAR = "nonlinear"


def check_tolerances(rtol, atol, maxiter):
    """The convergence test's ``rtol`` in (0, 1), ``atol`` (A) >= 0 and ``maxiter``
    (None or an int >= 1), checked (module notes)."""
    rtol = check_scalar("rtol", rtol, low=0.0, high=1.0, low_inclusive=False,
                        high_inclusive=False)
    atol = check_scalar("atol", atol, low=0.0)
    if maxiter is not None:
        maxiter = check_scalar("maxiter", maxiter, low=1, integer=True)
    return rtol, atol, maxiter


#: Values a ``solver`` argument or config key takes.
SOLVERS = ("auto",) + tuple(s.value for s in Solver)


def resolve_solver(solver, wires, iv, *, name="solver"):
    """The :class:`Solver` that ``solver`` names for this wiring and I-V law (None: ohmic).

    ``"auto"`` picks ``nonlinear`` for non-ohmic devices, ``ideal`` without
    wires and ``linear`` with them. Raises ``InputError`` for a solver that
    cannot solve this circuit (``linear`` without wires or with nonlinear
    devices, ``ideal`` with nonlinear devices); ``name`` is the parameter or
    config key named in messages.
    """
    solver = check_choice(name, solver, SOLVERS)
    iv = Ohmic() if iv is None else iv
    if solver == "auto":
        solver = ("nonlinear" if not isinstance(iv, Ohmic) else
                  "ideal" if wires is None else "linear")
    solver = Solver(solver)
    if solver is Solver.LINEAR and not isinstance(iv, Ohmic):
        raise InputError(f"{name} 'linear' needs ohmic devices, got iv={iv!r}; "
                         f"use solver 'nonlinear'")
    if solver is Solver.LINEAR and wires is None:
        raise InputError(f"{name} 'linear' needs wires (wire resistance > 0); without "
                         f"wires use solver 'ideal'")
    if solver is Solver.IDEAL and not isinstance(iv, Ohmic):
        raise InputError(f"{name} 'ideal' needs ohmic devices, got iv={iv!r}")
    return solver


@dataclass(frozen=True)
class Wires:
    """Resistances of the array's wiring, in ohms.

    Parameters
    ----------
    r_row : float
        Resistance of one row-wire segment between neighbouring cells (ohm), > 0.
    r_col : float
        Resistance of one column-wire segment (ohm), > 0.
    r_driver : float, default=0.0
        Output resistance of each row driver (ohm), >= 0.
    r_sense : float, default=0.0
        Input resistance of each column sense amplifier (ohm), >= 0.
    """

    r_row: float
    r_col: float
    r_driver: float = 0.0
    r_sense: float = 0.0

    def __post_init__(self):
        for name in ("r_row", "r_col"):
            object.__setattr__(self, name, check_scalar(name, getattr(self, name), low=0.0,
                                                        low_inclusive=False))
        for name in ("r_driver", "r_sense"):
            object.__setattr__(self, name, check_scalar(name, getattr(self, name), low=0.0))

    @property
    def conductances(self):
        """``(g0, gr, gc, gend)`` in siemens: driver path, row segment,
        column segment, sense path."""
        return (1.0 / (self.r_driver + self.r_row), 1.0 / self.r_row, 1.0 / self.r_col,
                1.0 / (self.r_col + self.r_sense))


@dataclass(frozen=True)
class CircuitSolution:
    """Result of :meth:`Crossbar.solve`.

    Attributes
    ----------
    currents : ndarray, shape (batch, N)
        Current into each column's sense amplifier (A).
    converged : bool
        Whether every input met the convergence test (module notes); the
        ideal and matrix paths are direct and always converge.
    n_iter : ndarray of int, shape (batch,)
        Iterations per input: Newton steps (nonlinear) or conjugate-gradient
        steps (linear, per-input path); 0 for the ideal and matrix paths.
    residual : float
        Largest relative KCL residual ``||F(v)|| / ||F(v_0)||`` over the
        batch; 0.0 for the ideal solver and NaN for the matrix path, whose
        accuracy is that of a direct solve (about 1e-12 relative, see the tests).
    v_row, v_col : ndarray, shape (batch, M, N), or None
        Row-wire and column-wire node voltages (V), when asked for.
    driver_currents : ndarray, shape (batch, M), or None
        Current each row driver delivers (A), when asked for; the power
        drawn from the drivers is ``sum_i V_i * driver_currents_i`` (W).
    """

    currents: np.ndarray
    converged: bool
    n_iter: np.ndarray
    residual: float
    v_row: np.ndarray | None = None
    v_col: np.ndarray | None = None
    driver_currents: np.ndarray | None = None


class Crossbar:
    """A crossbar array of devices with its wires, ready to be solved.

    Parameters
    ----------
    conductances : array_like, shape (M, N)
        Small-signal conductance of every device (S), finite and >= 0
        (0 is an open cell, e.g. a device stuck off); with a compact model's
        :class:`~memsim.devices.compact.StateIV` as ``iv``, every cell's state.
    wires : Wires or None, default=None
        Wire, driver and sense resistances. None: ideal wiring.
    iv : Ohmic, Sinh, StatePolynomial, StateIV or None, default=None
        I-V law of the devices; None means ohmic.
    solver : {"auto", "ideal", "linear", "nonlinear"}, default="auto"
        "auto" picks nonlinear for non-ohmic devices, and for ohmic ones
        ideal without wires, linear with them.
    access : AccessTransistor, Selector or None, default=None
        None: passive cells (the device alone joins row and column node).
        An :class:`~memsim.crossbar.cells.AccessTransistor`: 1T1R cells; a
        :class:`~memsim.crossbar.cells.Selector`: 1S1R cells
        (:mod:`memsim.crossbar.cells`); both solved by the nonlinear solver.

    Examples
    --------
    >>> import numpy as np
    >>> from memsim.crossbar import Crossbar, Wires
    >>> g = np.full((2, 3), 1e-4)
    >>> xb = Crossbar(g, Wires(r_row=1.0, r_col=1.0))
    >>> i = xb.solve([[0.1, 0.1]]).currents
    >>> bool(np.all(i < 2e-5)) and bool(np.all(i > 1.99e-5))
    True
    """

    def __init__(self, conductances, wires=None, iv=None, solver="auto", access=None):
        # a compact model's cells hold states, within its bounds; other cells conductances
        low = iv.model.bounds[0] if isinstance(iv, StateIV) else 0.0
        self.g = check_array("states" if isinstance(iv, StateIV) else "conductances",
                             conductances, ndim=2, low=low)
        self.g.setflags(write=False)
        if wires is not None and not isinstance(wires, Wires):
            raise InputTypeError(f"wires must be a memsim.crossbar.Wires or None, got {wires!r}")
        self.wires = wires
        iv = Ohmic() if iv is None else iv
        if not isinstance(iv, (Ohmic, Sinh, StatePolynomial, StateIV)):
            raise InputTypeError(f"iv must be an I-V law of memsim.devices.iv (Ohmic, Sinh, "
                                 f"StatePolynomial) or a compact model's StateIV, got {iv!r}")
        self.iv = iv
        if access is not None and not isinstance(access, (AccessTransistor, Selector)):
            raise InputTypeError(f"access must be a memsim.crossbar.AccessTransistor (1T1R), "
                                 f"Selector (1S1R) or None (passive cells), got {access!r}")
        if access is not None:
            access.check_shape(self.g.shape)
        self.access = access
        if access is not None and check_choice("solver", solver, SOLVERS) not in (
                "auto", "nonlinear"):
            raise InputError(f"solver {solver!r} cannot solve 1T1R or 1S1R cells (the access "
                             f"device is nonlinear); use 'auto' or 'nonlinear'")
        self.solver = Solver.NONLINEAR if access is not None else resolve_solver(solver, wires,
                                                                                    iv)
        self._k = None
        self._y = None

    @property
    def shape(self):
        """``(M, N)``: rows (inputs) and columns (outputs)."""
        return self.g.shape

    def effective_matrix(self, *, progress=None):
        """Effective conductance matrix ``K`` (N, M) in siemens: ``I = K V``.

        Exact for ohmic devices with the array's wires; ``G^T`` without
        wires. Built once and cached (cost ~ M N^3 + M^2 N^2 flops, peak
        memory 2 N^2 + 2 M N doubles, K included: 34 MB at 1024 x 1024).
        Ctrl-C stops the build within a fraction of a second.

        Parameters
        ----------
        progress : callable, optional
            ``progress(rows_done, rows)``, called about every 50 ms while K
            is built (large arrays take minutes: O(M N^3)).
        """
        if self.solver is Solver.NONLINEAR:
            raise InputError("the effective matrix exists only for ohmic devices "
                             f"(solver 'ideal' or 'linear'), not solver {self.solver.value!r}")
        if self._k is None:
            if self.wires is None or self.solver is Solver.IDEAL:
                kt = self.g
            else:
                m, n = self.shape
                check_memory(f"the effective matrix of a {m} x {n} array", 8.0 * (2 * n * n
                                                                                  + 2 * m * n))
                kt = _eliminate(self.g, *self.wires.conductances, progress=progress)
                kt.setflags(write=False)
            self._k = kt
        return self._k.T

    def driving_point_matrix(self):
        """Driving-point admittance ``Y`` (M, M) in siemens: driver currents ``Y V``.

        Exact for ohmic devices with the array's wires; ``diag(sum_j G_ij)``
        without wires. ``V^T Y V`` is the power the drivers deliver (W), all of
        it dissipated in the devices, wires, driver and sense resistances.
        Built once and cached. The column-node elimination of
        :meth:`effective_matrix` run on the array turned by a quarter (columns
        as rows, the driver end last) reduces the network onto the first node
        of every row, ``X`` (M, M); then ``Y = g0 (I - g0 X)`` with ``g0`` the
        driver-path conductance. Cost about half that of ``K``.
        """
        if self.solver is Solver.NONLINEAR:
            raise InputError("the driving-point matrix exists only for ohmic devices "
                             f"(solver 'ideal' or 'linear'), not solver {self.solver.value!r}")
        if self._y is None:
            if self.wires is None or self.solver is Solver.IDEAL:
                y = np.diag(self.g.sum(axis=1))
            else:
                g0, gr, gc, gend = self.wires.conductances
                turned = np.ascontiguousarray(self.g[::-1, ::-1].T)
                x = _eliminate(turned, gend, gc, gr, g0, sources=False)
                y = g0 * (np.eye(self.shape[0]) - g0 * x[::-1, ::-1])
            y.setflags(write=False)
            self._y = y
        return self._y

    def prepare(self):
        """Build now what repeated reads of ohmic devices use (:meth:`effective_matrix`
        and :meth:`driving_point_matrix`), so that every later :meth:`solve`, even
        of one input, is a matrix product. Nothing to build for ideal wiring or
        nonlinear devices. Returns ``self``."""
        if self.solver is Solver.LINEAR:
            self.effective_matrix()
            self.driving_point_matrix()
        return self

    def solve(self, voltages, *, column_voltages=None, return_voltages=False,
              return_driver_currents=False, rtol=RTOL, atol=0.0, maxiter=None, check=True):
        """Column currents (A) for a batch of row voltages.

        Parameters
        ----------
        voltages : array_like, shape (batch, M) or (M,)
            Source voltage of every row driver (V), one input per row.
        column_voltages : array_like, shape (batch, N) or (N,), optional
            Voltage at which each column's end is held (V): a write driver's
            bias (:mod:`memsim.crossbar.writes`) instead of the sense amplifier's
            virtual ground (0 V, the default). ``currents`` is then the current
            into each column's driver.
        return_voltages : bool, default=False
            Also return the row- and column-wire node voltages.
        return_driver_currents : bool, default=False
            Also return the current each row driver delivers (on the matrix
            path this builds :meth:`driving_point_matrix`).
        rtol : float, default=1e-10
            Relative KCL residual to reach (iterative paths), in (0, 1)
            (:data:`RTOL`).
        atol : float, default=0.0
            Absolute KCL residual (A) that is enough (iterative paths), >= 0;
            the test is ``||F|| <= max(rtol ||F(v_0)||, atol)`` (module notes).
        maxiter : int or None
            Newton steps (nonlinear, default 50) or conjugate-gradient steps
            (linear per-input path, default 10 * (M + N) + 100).
        check : bool, default=True
            Raise :class:`ConvergenceError` when an input does not converge;
            with False, return the solution with ``converged=False``.

        Returns
        -------
        CircuitSolution

        Raises
        ------
        ConvergenceError
            If an input does not meet the convergence test (and ``check``).
        FactorizationError
            If the effective matrix cannot be built (a block not positive definite).
        """
        m, n = self.shape
        v = check_array("voltages", voltages)
        if v.ndim == 1:
            v = v[None, :]
        if v.ndim != 2 or v.shape[1] != m:
            raise InputError(f"voltages must have shape (batch, {m}) or ({m},) for an "
                             f"array of {m} rows, got shape {np.shape(voltages)}")
        c = None
        if column_voltages is not None:
            c = check_array("column_voltages", column_voltages)
            if c.ndim == 1:
                c = c[None, :]
            if c.ndim != 2 or c.shape[1] != n or len(c) not in (1, len(v)):
                raise InputError(f"column_voltages must have shape (batch, {n}) or ({n},) for "
                                 f"an array of {n} columns, got shape {np.shape(column_voltages)}")
            c = np.broadcast_to(c, (len(v), n))
        rtol, atol, maxiter = check_tolerances(rtol, atol, maxiter)
        if isinstance(self.iv, StatePolynomial):
            self.iv.check_voltages(v if c is None else v[:, :, None] - c[:, None, :])
        return self._solve(v, return_voltages, return_driver_currents, rtol, atol, maxiter,
                           check, c)

    def _solve(self, v, return_voltages, return_driver_currents, rtol, atol, maxiter,
               check=True, c=None):
        """:meth:`solve` of checked voltages (batch, M) and column voltages (batch, N)
        or None (virtual ground): the tiles' hot path."""
        if self.wires is None or self.solver is Solver.IDEAL:
            sol = self._solve_ideal_wiring(v, return_voltages, return_driver_currents, c)
        elif (self.solver is Solver.LINEAR and not return_voltages and c is None
                and (self._k is not None or len(v) >= MATRIX_BATCH)):
            drive = v @ self.driving_point_matrix().T if return_driver_currents else None
            sol = CircuitSolution(v @ self.effective_matrix().T, True,
                                  np.zeros(len(v), dtype=np.int64), float("nan"),
                                  driver_currents=drive)
        else:
            sol = self._solve_nodal(v, return_voltages, rtol, atol, maxiter, check, c)
            if not return_driver_currents:
                sol = replace(sol, driver_currents=None)
        return sol

    def _solve_ideal_wiring(self, v, return_voltages, return_driver_currents, c=None):
        """No wire resistance: every device sees its row's source voltage (less its
        column's, when the columns are biased)."""
        m, n = self.shape
        drive = None
        if self.access is not None or (c is not None and np.any(c)):
            cols = np.zeros((len(v), n)) if c is None else c
            currents, drive = np.empty((len(v), n)), np.empty((len(v), m))
            for k, (vk, ck) in enumerate(zip(v, cols)):
                i_dev = (self.iv.current(self.g, vk[:, None] - ck[None, :]) if self.access is None
                         else cell_currents(self.g, self.iv, self.access, vk[:, None],
                                            ck[None, :])[0])
                currents[k] = i_dev.sum(axis=0)
                drive[k] = i_dev.sum(axis=1)
            drive = drive if return_driver_currents else None
        elif isinstance(self.iv, Ohmic):
            currents = v @ self.g
            if return_driver_currents:
                drive = v * self.g.sum(axis=1)
        else:
            currents = np.empty((len(v), n))
            drive = np.empty((len(v), m))
            for k, vk in enumerate(v):
                i_dev = self.iv.current(self.g, vk[:, None])
                currents[k] = i_dev.sum(axis=0)
                drive[k] = i_dev.sum(axis=1)
            drive = drive if return_driver_currents else None
        zeros = np.zeros(len(v), dtype=np.int64)
        if not return_voltages:
            return CircuitSolution(currents, True, zeros, 0.0, driver_currents=drive)
        v_col = np.zeros((len(v), m, n)) if c is None else np.repeat(c[:, None, :], m, axis=1)
        return CircuitSolution(currents, True, zeros, 0.0, np.repeat(v[:, :, None], n, axis=2),
                               v_col, drive)

    def _solve_nodal(self, v, return_voltages, rtol, atol, maxiter, check, c=None):
        m, n = self.shape
        gend = self.wires.conductances[3]
        linear = isinstance(self.iv, Ohmic) and self.access is None
        if maxiter is None:
            maxiter = 10 * (m + n) + 100 if linear else 50
        # the unknowns, the CG work vectors and a Jacobian: about 12 M N doubles
        check_memory(f"the nodal solve of a {m} x {n} array", 8.0 * 12 * m * n)
        u = np.zeros(2 * m * n)
        currents = np.empty((len(v), n))
        drive = np.empty((len(v), m))
        n_iter = np.empty(len(v), dtype=np.int64)
        worst, converged = 0.0, True
        nodes = np.empty((len(v), 2, m, n)) if return_voltages else None
        cols = np.zeros((len(v), n)) if c is None else c
        for k, (vk, ck) in enumerate(zip(v, cols)):
            solve = (self._cg if linear else self._newton if self.access is None
                     else self._newton_1t1r)
            it, res, failure = solve(vk, ck, u, rtol, atol, maxiter)
            if failure is not None:
                converged = False
                if check:
                    raise ConvergenceError(
                        f"{'linear' if linear else 'nonlinear'} crossbar solve did not "
                        f"converge for input {k}: {failure}", residual=res, rtol=rtol,
                        n_iter=it, index=k)
            currents[k] = gend * u[m * n + (m - 1) * n:]
            drive[k] = -self.wires.conductances[0] * u[:m * n:n]  # g0 (V - v_row[:, 0])
            n_iter[k] = it
            worst = max(worst, res)
            if nodes is not None:
                nodes[k] = u.reshape(2, m, n)
                nodes[k, 0] += vk[:, None]
                nodes[k, 1] += ck[None, :]
        if nodes is None:
            return CircuitSolution(currents, converged, n_iter, worst, driver_currents=drive)
        return CircuitSolution(currents, converged, n_iter, worst, nodes[:, 0], nodes[:, 1],
                               drive)

    # The nodal unknowns are deviations u from the ideal state (row nodes at
    # their source voltage, column nodes at ground). With wires much more
    # conductive than devices the deviations are small and keep their
    # precision, and the residual at u = 0 is the ideal device currents: the
    # physical scale of the convergence test.

    def _cg(self, v, c, u, rtol, atol, maxiter):
        """Ohmic: solve ``A u = [-G V, G V]`` in place.

        Returns ``(iterations, relative residual, failure)``, ``failure`` None
        or what went wrong."""
        i0 = (self.g * (v[:, None] - c[None, :])).ravel()
        b = np.concatenate([-i0, i0])
        b_norm = np.linalg.norm(b)
        if b_norm == 0.0:
            u[:] = 0.0
            return 0, 0.0, None
        tol = max(rtol * b_norm, atol)
        it, res = _pcg(self.g, self.wires.conductances, b, u, tol, maxiter)
        failure = None if res <= tol else (
            f"residual {res:.3e} A (relative {res / b_norm:.3e}) after {it} "
            f"conjugate-gradient iterations; asked {tol:.3e} A (rtol={rtol:g}, atol={atol:g})")
        return it, res / b_norm, failure

    def _residual(self, v, c, u, zero_g):
        """KCL residual F(u) (A): wire currents plus device currents."""
        mn = u.size // 2
        f = np.empty_like(u)
        _circuit.apply(zero_g, *self.wires.conductances, u, f)
        m, n = self.shape
        i_dev = self.iv.current(self.g, v[:, None] - c[None, :]
                                + (u[:mn] - u[mn:]).reshape(m, n)).ravel()
        f[:mn] += i_dev
        f[mn:] -= i_dev
        return f

    def _newton(self, v, c, u, rtol, atol, maxiter):
        """Damped inexact Newton on the KCL residual, in place on ``u``.

        Returns ``(Newton steps, relative residual, failure)``, ``failure``
        None or what went wrong: the step budget, a step whose inner solve
        missed its tolerance, or a line search that found no decrease."""
        m, n = self.shape
        mn = m * n
        zero_g = np.zeros_like(self.g)
        b_norm = np.linalg.norm(self._residual(v, c, np.zeros_like(u), zero_g))
        if b_norm == 0.0:
            u[:] = 0.0
            return 0, 0.0, None
        tol = max(rtol * b_norm, atol)
        f = self._residual(v, c, u, zero_g)
        res = np.linalg.norm(f)
        it = 0
        inner_maxiter = 10 * (m + n) + 100
        while res > tol:
            if it == maxiter:
                return it, res / b_norm, _out_of_steps(res, b_norm, it, tol, rtol, atol)
            it += 1
            jac = self.iv.conductance(self.g, v[:, None] - c[None, :]
                                      + (u[:mn] - u[mn:]).reshape(m, n))
            # Eisenstat-Walker forcing: loose inner solves far away, tight near the root
            inner = max(min(0.1, np.sqrt(res / b_norm)) * res, 0.1 * tol)
            step = np.zeros_like(u)
            it_in, res_in = _pcg(jac, self.wires.conductances, -f, step, inner, inner_maxiter)
            if not res_in <= inner:
                return it, res / b_norm, (f"the inner conjugate-gradient solve of Newton step "
                                          f"{it} stopped at {res_in:.3e} A after {it_in} "
                                          f"iterations, above its tolerance {inner:.3e} A")
            found = _line_search(lambda x: (self._residual(v, c, x, zero_g),), u, step, res)
            if found is None:
                return it, res / b_norm, _stalled(res, b_norm, it)
            u[:], (f,), res = found
        return it, res / b_norm, None

    def _residual_1t1r(self, v, c, u, zero_g):
        """KCL residual F(u) (A) of a 1T1R or 1S1R array, and the cells' derivatives."""
        mn = u.size // 2
        m, n = self.shape
        f = np.empty_like(u)
        _circuit.apply(zero_g, *self.wires.conductances, u, f)
        i_dev, d_row, d_col, _ = cell_currents(self.g, self.iv, self.access,
                                               v[:, None] + u[:mn].reshape(m, n),
                                               c[None, :] + u[mn:].reshape(m, n))
        f[:mn] += i_dev.ravel()
        f[mn:] -= i_dev.ravel()
        return f, d_row.ravel(), d_col.ravel()

    def _newton_1t1r(self, v, c, u, rtol, atol, maxiter):
        """Damped Newton on the KCL residual of a 1T1R or 1S1R array, in place on ``u``; each
        step a sparse LU solve of the (unsymmetric) Jacobian (cells module notes).
        Returns as :meth:`_newton`."""
        import scipy.sparse as sp
        import scipy.sparse.linalg as spla
        mn = u.size // 2
        zero_g = np.zeros_like(self.g)
        wires = self._wire_matrix()
        try:
            b_norm = np.linalg.norm(self._residual_1t1r(v, c, np.zeros_like(u), zero_g)[0])
        except ConvergenceError as exc:               # a cell's internal node
            return 0, float("nan"), str(exc)
        if b_norm == 0.0:
            u[:] = 0.0
            return 0, 0.0, None
        tol = max(rtol * b_norm, atol)
        try:
            f, d_row, d_col = self._residual_1t1r(v, c, u, zero_g)
        except ConvergenceError as exc:
            return 0, float("nan"), str(exc)
        res = np.linalg.norm(f)
        it = 0
        while res > tol:
            if it == maxiter:
                return it, res / b_norm, _out_of_steps(res, b_norm, it, tol, rtol, atol)
            it += 1
            cells = sp.bmat([[sp.diags(d_row), sp.diags(d_col)],
                             [sp.diags(-d_row), sp.diags(-d_col)]])
            try:
                step = spla.splu((wires + cells).tocsc()).solve(-f)
            except RuntimeError as exc:          # SuperLU: exactly singular
                return it, res / b_norm, f"the Newton step's LU factorisation failed: {exc}"
            try:
                found = _line_search(lambda x: self._residual_1t1r(v, c, x, zero_g), u, step,
                                     res)
            except ConvergenceError as exc:
                return it, res / b_norm, str(exc)
            if found is None:
                return it, res / b_norm, _stalled(res, b_norm, it)
            u[:], (f, d_row, d_col), res = found
        return it, res / b_norm, None

    def _wire_matrix(self):
        """The wires' nodal conductance matrix (S), sparse, built once: ``A u`` as
        :func:`memsim._kernels._circuit.apply` computes it with no devices."""
        if getattr(self, "_wires_sparse", None) is None:
            import scipy.sparse as sp
            m, n = self.shape
            mn = m * n
            g0, gr, gc, gend = self.wires.conductances
            row = np.arange(mn).reshape(m, n)
            col = mn + row
            # (node a, node b or -1 for ground, conductance) of every wire branch
            a = np.concatenate([row[:, :-1].ravel(), col[:-1, :].ravel(), row[:, 0], col[-1]])
            b = np.concatenate([row[:, 1:].ravel(), col[1:, :].ravel(),
                                np.full(m + n, -1)])
            g = np.concatenate([np.full(m * (n - 1), gr), np.full((m - 1) * n, gc),
                                np.full(m, g0), np.full(n, gend)])
            inner = b >= 0
            rows = np.concatenate([a, b[inner], a[inner], b[inner]])
            cols = np.concatenate([a, b[inner], b[inner], a[inner]])
            vals = np.concatenate([g, g[inner], -g[inner], -g[inner]])
            self._wires_sparse = sp.csc_matrix((vals, (rows, cols)), shape=(2 * mn, 2 * mn))
        return self._wires_sparse

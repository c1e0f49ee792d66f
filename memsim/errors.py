"""The errors memsim raises on purpose, all under one base, :class:`MemsimError`.

Input errors (a bad value, config, file or output place) derive from
:class:`InputError`, which is also a ``ValueError`` (and
:class:`InputTypeError` also a ``TypeError``), so code written against the
built-in exceptions keeps working. A computation that ran but did not succeed
is a :class:`ComputationError`: a solver that did not converge
(:class:`ConvergenceError`) or a factorisation that failed
(:class:`FactorizationError`).

The command line prints a ``MemsimError`` as one line (exit 2 for input errors,
1 for failed computations); any other exception is a bug in memsim and keeps
its traceback.
"""

from __future__ import annotations


class MemsimError(Exception):
    """Base of every error memsim raises on purpose."""


class InputError(MemsimError, ValueError):
    """A value, config, file or output place that memsim cannot use as given.

    The message names the parameter, key or file, quotes what was given and
    says what is allowed.
    """


class InputTypeError(InputError, TypeError):
    """An input of the wrong type (a string where a number is needed, ...)."""


class ConfigError(InputError):
    """A config file or override that names an unknown key or a wrong type."""


class DataError(InputError):
    """An input file that cannot be read or does not hold what it should.

    Empty, truncated, not of its format, missing keys, or larger than the
    memory available; the message names the file.
    """


class OutputError(InputError):
    """An output place memsim refuses: a folder or file that is not its own,
    a path it cannot write, an output that is also an input."""


class ComputationError(MemsimError, RuntimeError):
    """A computation that ran on valid input and did not succeed."""


class ConvergenceError(ComputationError):
    """An iterative solve that did not reach its tolerance.

    Attributes
    ----------
    residual : float
        Relative residual reached.
    rtol : float
        The tolerance asked for.
    n_iter : int
        Iterations spent.
    index : int
        Index of the input in the batch that failed.
    """

    def __init__(self, message, *, residual, rtol, n_iter, index):
        super().__init__(message)
        self.residual = residual
        self.rtol = rtol
        self.n_iter = n_iter
        self.index = index


class FactorizationError(ComputationError):
    """A direct factorisation that failed: a block of a system that should be
    symmetric positive definite was not (rounding on an extreme conductance
    range, or a model that does not hold).

    Attributes
    ----------
    block : int
        The block (row of the array) at which the factorisation failed.
    """

    def __init__(self, message, *, block):
        super().__init__(message)
        self.block = block

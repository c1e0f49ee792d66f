"""Build the Cython kernels of memsim; metadata lives in pyproject.toml."""

import os

import numpy as np
from Cython.Build import cythonize
from setuptools import Extension, setup

COMPILER_DIRECTIVES = {
    "language_level": 3,
    "boundscheck": False,
    "wraparound": False,
    "cdivision": True,
    "initializedcheck": False,
}

# numpy's C random API (bitgen_t, random_standard_normal) lives in libnpyrandom,
# so kernels draw from the caller's numpy Generator without a Python round trip.
NPYRANDOM = dict(
    include_dirs=[np.get_include()],
    library_dirs=[os.path.join(os.path.dirname(np.__file__), "random", "lib")],
    libraries=["npyrandom", "m"],
    define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
    extra_compile_args=["-O3"],
)

# The circuit kernel calls LAPACK/BLAS through scipy's Cython wrappers
# (scipy.linalg.cython_lapack), so it needs no BLAS of its own at build time.
PLAIN = dict(
    include_dirs=[np.get_include()],
    define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
    extra_compile_args=["-O3"],
)

# The e-prop kernel never needs errno from sqrt/exp/log; without it GCC vectorises
# the Adam step's square roots (the results do not change).
SNN = dict(PLAIN, extra_compile_args=["-O3", "-fno-math-errno"])

# The compact-model integrator runs its devices in parallel (OpenMP prange); each
# device's steps are its own, so the results do not depend on the thread count.
COMPACT = dict(PLAIN, extra_compile_args=["-O3", "-fopenmp"], extra_link_args=["-fopenmp"])

extensions = [
    Extension("memsim._kernels._pulse", ["memsim/_kernels/_pulse.pyx"], **NPYRANDOM),
    Extension("memsim._kernels._circuit", ["memsim/_kernels/_circuit.pyx"], **PLAIN),
    Extension("memsim._kernels._snn", ["memsim/_kernels/_snn.pyx"], **SNN),
    Extension("memsim._kernels._compact", ["memsim/_kernels/_compact.pyx"], **COMPACT),
]

setup(
    ext_modules=cythonize(extensions, compiler_directives=COMPILER_DIRECTIVES),
    packages=["memsim", "memsim.devices", "memsim.crossbar", "memsim.energy", "memsim.snn",
              "memsim.rl", "memsim._kernels", "memsim.data"],
    package_dir={"memsim.data": "data"},
    package_data={"memsim.data": ["devices/*.toml", "technology/*.toml", "policies/*.npz",
                                  "policies/*.json", "sweeps/*.toml", "measured/*/*.csv",
                                  "measured/*/*.md"], "memsim._kernels": ["*.pyx"]},
)

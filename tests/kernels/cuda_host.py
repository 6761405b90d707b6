"""Generated CUDA run on the CPU: a stand-in for the part of CuPy the CUDA backend uses.

The CUDA backend's programs (codegen/backends/cuda.py) call a small part of CuPy:
``RawModule`` to compile and launch their kernels, ``cublas.gemm`` and ``matmul`` for
GEMMs, and array creation. :func:`host_cupy` gives a module with those names that
compiles the generated source with the host C++ compiler (behind ``cuda_host.h``, which
runs a launch's threads as fibers with CUDA's barrier and shuffle semantics) and keeps
arrays in host memory (NumPy arrays of the subclass :class:`HostArray`).

So the CUDA a program generates is executed, and its results compared, on machines
without a GPU. It checks the kernels' logic, indexing and launch configurations; it says
nothing of speed, and a GPU's floating-point contractions (FMA) can differ in the last
bits, which the tests' tolerances allow. tests/gpu/ runs the same programs on a GPU.
"""
from __future__ import annotations

import collections
import ctypes
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
import threading
import types

import numpy

HEADER = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'cuda_host.h')
CXX = os.environ.get('CXX') or shutil.which('g++') or shutil.which('c++')
_KERNEL = re.compile(r'extern\s+"C"\s+__global__\s+void\s+(\w+)\s*\(')
_LAUNCH_ERRORS = {
    1: 'a launch configuration a GPU refuses (block of more than 1024 threads, block.z > 64, '
       'a zero or too large grid)',
    2: 'threads wait at barriers that cannot open (__syncthreads or a shuffle in divergent '
       'code)',
    3: 'no memory for the fiber stacks',
}


class LaunchError(RuntimeError):
    """A kernel launch that a GPU would refuse, or that would hang there."""


class HostArray(numpy.ndarray):
    """A NumPy array standing for a CuPy array: ``get()`` copies it to a plain NumPy one."""

    def get(self):
        return numpy.array(self)


def _host(a) -> HostArray:
    return a.view(HostArray)


class _Function:
    """A kernel of a loaded module: ``f(grid, block, args)`` as ``cupy.RawKernel`` takes."""

    def __init__(self, host: HostCupy, lib, name: str):
        self._host = host
        self.name = name
        self._launch = getattr(lib, f'tg_launch_{name}')
        self._launch.restype = ctypes.c_int
        self._launch.argtypes = [ctypes.POINTER(ctypes.c_uint), ctypes.POINTER(ctypes.c_void_p)]

    def __call__(self, grid, block, args):
        grid, block = tuple(grid), tuple(block)
        if not 1 <= len(grid) <= 3 or not 1 <= len(block) <= 3:
            raise LaunchError(f'{self.name}: grid {grid} and block {block} need 1 to 3 sizes')
        dims = (ctypes.c_uint * 6)(*(grid + (1,) * (3 - len(grid))),
                                   *(block + (1,) * (3 - len(block))))
        keep = []  # the argument values must outlive the launch
        pointers = (ctypes.c_void_p * max(1, len(args)))()
        for k, a in enumerate(args):
            if isinstance(a, numpy.ndarray):
                value = ctypes.c_void_p(a.ctypes.data)  # the data pointer, whatever the strides
            elif isinstance(a, numpy.generic):
                value = numpy.array(a)  # a scalar of its own type (int32, float32...)
            else:
                raise TypeError(f'{self.name}: argument {k} is a {type(a).__name__}; CUDA '
                                f'kernels take arrays and NumPy scalars of a fixed type')
            keep.append(value)
            pointers[k] = (ctypes.addressof(value) if isinstance(value, ctypes.c_void_p)
                           else value.ctypes.data)
        status = self._launch(dims, pointers)
        self._host.launches[self.name] += 1
        if status:
            raise LaunchError(f'{self.name} with grid {grid}, block {block}: '
                              f'{_LAUNCH_ERRORS.get(status, status)}')


class _Module:
    """``cupy.RawModule(code=...)``: the source built into a shared library on first use."""

    def __init__(self, host: HostCupy, code: str, options=()):
        self._host = host
        self.code = code
        self.options = tuple(options)
        self._lib = None
        self._functions: dict = {}

    def compile(self):
        if self._lib is None:
            self._lib = self._host.build(self.code)
        return self

    def get_function(self, name: str) -> _Function:
        self.compile()
        f = self._functions.get(name)
        if f is None:
            f = self._functions[name] = _Function(self._host, self._lib, name)
        return f


class HostCupy(types.ModuleType):
    """The names of ``cupy`` that the CUDA backend uses, on the CPU."""

    def __init__(self, workdir: str | None = None):
        super().__init__('cupy')
        self.__version__ = 'host'
        self.workdir = workdir or tempfile.mkdtemp(prefix='tg_cuda_host_')
        self.builds = 0
        self.launches: collections.Counter = collections.Counter()  # kernel name -> count
        self._libs: dict = {}
        self._lock = threading.Lock()
        self.ndarray = HostArray
        for name in ('uint8', 'int8', 'int32', 'int64', 'float32', 'float64', 'bool_'):
            setattr(self, name, getattr(numpy, name))
        self.cuda = types.SimpleNamespace(Device=lambda device=None: types.SimpleNamespace(id=0))
        self.cublas = types.SimpleNamespace(gemm=self._gemm)
        self.RawModule = lambda code, options=(), **_: _Module(self, code, options)

    # ---- arrays
    def empty(self, shape, dtype=float):
        return _host(numpy.empty(shape, dtype))

    def zeros(self, shape, dtype=float):
        return _host(numpy.zeros(shape, dtype))

    def empty_like(self, a):
        return _host(numpy.empty_like(a))

    def asarray(self, a, dtype=None):
        return _host(numpy.asarray(a, dtype))

    def ascontiguousarray(self, a, dtype=None):
        return _host(numpy.ascontiguousarray(a, dtype))

    def asnumpy(self, a):
        return numpy.array(a)

    def matmul(self, a, b, out=None):
        r = numpy.matmul(a, b)
        if out is None:
            return _host(r)
        out[...] = r
        return out

    def multiply(self, a, b, out=None):
        return numpy.multiply(a, b, out=out)

    @staticmethod
    def _gemm(transa, transb, a, b, out=None, alpha=1.0, beta=0.0):
        """``out = alpha * op(a) @ op(b) + beta * out``, with cuBLAS's checks of the operands."""
        if a.ndim != 2 or b.ndim != 2 or a.dtype != b.dtype:
            raise ValueError(f'gemm: needs two 2-D operands of one dtype, got '
                             f'{a.dtype}{a.shape} and {b.dtype}{b.shape}')
        opa = a.T if transa == 'T' else a
        opb = b.T if transb == 'T' else b
        if opa.shape[1] != opb.shape[0]:
            raise ValueError(f'gemm: op(a) {opa.shape} and op(b) {opb.shape} do not chain')
        r = alpha * (opa @ opb)
        if out is None:
            return _host(r.astype(a.dtype))
        if out.shape != (opa.shape[0], opb.shape[1]) or out.dtype != a.dtype:
            raise ValueError(f'gemm: out is {out.dtype}{out.shape}, expected '
                             f'{a.dtype}{(opa.shape[0], opb.shape[1])}')
        out[...] = r + beta * out if beta else r
        return out

    # ---- building
    def build(self, code: str):
        """Compile ``code`` (once per source) and load it; its kernels get launchers."""
        if CXX is None:
            raise RuntimeError('cuda_host: no C++ compiler (g++ or c++) is installed')
        key = hashlib.sha256(code.encode()).hexdigest()[:20]
        with self._lock:
            lib = self._libs.get(key)
            if lib is not None:
                return lib
            names = _KERNEL.findall(code)
            launchers = '\n'.join(
                f'extern "C" int tg_launch_{n}(const unsigned* dims, void** args) {{\n'
                f'    return tg_host::launch([](void** a) {{ tg_host::call({n}, a); }}, '
                f'dims, args);\n}}' for n in names)
            src = os.path.join(self.workdir, f'k{key}.cpp')
            so = os.path.join(self.workdir, f'k{key}.so')
            with open(src, 'w') as f:
                f.write(f'#include "{HEADER}"\n#line 1 "generated.cu"\n{code}\n'
                        f'#line 1 "launchers"\n{launchers}\n')
            proc = subprocess.run([CXX, '-std=c++17', '-O1', '-shared', '-fPIC', '-w',
                                   '-o', so, src], capture_output=True, text=True,
                                  check=False, timeout=300)
            if proc.returncode:
                raise RuntimeError(f'cuda_host: the generated CUDA does not build as host '
                                   f'C++:\n{proc.stderr[-4000:]}')
            lib = self._libs[key] = ctypes.CDLL(so)
            self.builds += 1
            return lib

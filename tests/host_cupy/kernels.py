"""``RawModule`` on the CPU: generated CUDA built with the host C++ compiler.

The source is compiled behind ``runtime.h``, which runs a launch's blocks one after
another and each block's threads as fibers, keeping CUDA's meaning of ``__syncthreads``
and the warp shuffles, and refusing launch configurations a GPU refuses. This checks the
kernels' logic, indexing and launch configurations; it says nothing of speed, and a GPU's
floating-point contractions (FMA) can differ in the last bits.
"""
from __future__ import annotations

import ctypes
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
import threading

import numpy

HEADER = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'runtime.h')
CXX = os.environ.get('CXX') or shutil.which('g++') or shutil.which('c++')
_KERNEL = re.compile(r'extern\s+"C"\s+__global__\s+void\s+(\w+)\s*\(')
_LAUNCH_ERRORS = {
    1: 'a launch configuration a GPU refuses (block of more than 1024 threads, block.z > 64, '
       'a zero or too large grid)',
    2: 'threads wait at barriers that cannot open (__syncthreads or a shuffle in divergent '
       'code)',
    3: 'no memory for the fiber stacks',
}


# CUDA's device library has special functions that the host's C library lacks; here they
# are codegen's own double-precision ones (whose guard then keeps the generated code from
# defining them again).
_CUDA_ONLY_MATH = {'erfcx': 'erfcx', 'erfinv': 'erfinv', 'erfcinv': 'erfcinv',
                   'normcdf': 'ndtr', 'normcdfinv': 'ndtri'}


def device_math() -> str:
    """Host definitions of the CUDA-only math functions (double and float forms)."""
    from codegen.render import render

    lines = [render('common/special_functions.j2', qualifier='static inline', inf='INFINITY',
                    nan='NAN')]
    for cuda, ours in sorted(_CUDA_ONLY_MATH.items()):
        lines.append(f'static inline double {cuda}(double x) {{ return tg_sf_{ours}(x); }}')
        lines.append(f'static inline float {cuda}f(float x) {{ return (float)tg_sf_{ours}(x); }}')
    return '\n'.join(lines)


class LaunchError(RuntimeError):
    """A kernel launch that a GPU would refuse, or that would hang there."""


class _Function:
    """A kernel of a loaded module: ``f(grid, block, args)`` as ``cupy.RawKernel`` takes."""

    def __init__(self, lib, name: str):
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
                raise TypeError(f'{self.name}: argument {k} is a NumPy array (host memory); '
                                f'kernels take device arrays')
            a = getattr(a, '_host_array', a)  # a host_cupy.ndarray: its memory
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
        if status:
            raise LaunchError(f'{self.name} with grid {grid}, block {block}: '
                              f'{_LAUNCH_ERRORS.get(status, status)}')


class _Module:
    """``cupy.RawModule(code=...)``: the source built into a shared library on first use."""

    def __init__(self, host: Builder, code: str, options=()):
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
            f = self._functions[name] = _Function(self._lib, name)
        return f


class Builder:
    """Builds generated sources into shared libraries (once per source) in ``workdir``."""

    def __init__(self, workdir: str | None = None):
        self.workdir = workdir or tempfile.mkdtemp(prefix='tg_host_cupy_')
        self._libs: dict = {}
        self._lock = threading.Lock()

    def module(self, code: str, options=()) -> _Module:
        return _Module(self, code, options)

    def build(self, code: str):
        """Compile ``code`` (once per source) and load it; its kernels get launchers."""
        if CXX is None:
            raise RuntimeError('host_cupy: no C++ compiler (g++ or c++) is installed')
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
                f.write(f'#include "{HEADER}"\n{device_math()}\n#line 1 "generated.cu"\n{code}\n'
                        f'#line 1 "launchers"\n{launchers}\n')
            proc = subprocess.run([CXX, '-std=c++17', '-O1', '-shared', '-fPIC', '-w',
                                   '-o', so + '.tmp', src], capture_output=True, text=True,
                                  check=False, timeout=300)
            if proc.returncode:
                raise RuntimeError(f'host_cupy: the generated CUDA does not build as host '
                                   f'C++:\n{proc.stderr[-4000:]}')
            os.replace(so + '.tmp', so)
            lib = self._libs[key] = ctypes.CDLL(so)
            return lib

"""A stand-in for CuPy that runs on the CPU, for the tests of tracegrad's GPU code paths.

``module()`` returns a module object to install as ``sys.modules['cupy']`` (before
tracegrad is imported: ``TRACEGRAD_HOST_CUPY=1 python -m pytest -m gpu`` does that through
conftest.py). Its arrays, :class:`ndarray`, keep their data in host memory but behave as
CuPy's do where NumPy code usually goes wrong on a GPU:

* they are not ``numpy.ndarray``: ``numpy.asarray(a)``, ``float(numpy.float32(a))``-style
  implicit conversions raise TypeError, as CuPy's do (use ``a.get()`` or ``cupy.asnumpy``);
* operators and ``cupy`` functions refuse NumPy arrays among their operands (TypeError);
  NumPy and Python scalars are accepted, as by CuPy;
* NumPy functions called on them dispatch to the stand-in (``__array_function__``,
  ``__array_ufunc__``), as they do to CuPy, and refuse mixed operands;
* reductions and indexing return 0-d arrays, not NumPy scalars;
* ``cupy.random`` has its own generator (not NumPy's global one) and takes ``dtype``;
* ``cupyx.scipy.special`` (``cupyx_modules()``) is SciPy's, on device arrays;
* ``RawModule`` builds generated CUDA with the host C++ compiler and runs it with CUDA's
  barrier and warp-shuffle semantics (``kernels.py``); ``cublas.gemm`` computes with NumPy;
* ``TRANSFERS`` counts copies between host and device ('to_host': ``get``, ``item``,
  ``int(a)`` and the like, each of which waits for the GPU on a real one; 'to_device':
  arrays made from host data), so tests can say how often a step crosses over.

It is a check of the code paths, not of CuPy itself: everything NumPy has is accepted, so
a function CuPy lacks is not caught here, and numbers can differ from a GPU's in the last
bits. tests/gpu/ on a real GPU (benchmarks/gpu_check.sh) remains the final word.
"""
from __future__ import annotations

import collections
import json
import operator
import os
import types

import numpy

from . import kernels

__all__ = ['cupyx_modules', 'module', 'ndarray']

_DEVICE_COUNT = 1
TRANSFERS: collections.Counter = collections.Counter()  # 'to_host', 'to_device'
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), 'cupy_api.json')) as _f:
    API = json.load(_f)  # CuPy's public names (api_names.py writes this file)
_MODULE_NAMES = frozenset(API['module'])
_NDARRAY_NAMES = frozenset(API['ndarray'])


def _mixing(what: str, x) -> TypeError:
    return TypeError(f'host_cupy: {what} got a NumPy array ({x.dtype}{list(x.shape)}); device '
                     f'and host arrays do not mix (move it with cupy.asarray first)')


def _unwrap(x, what: str):
    """The NumPy array behind ``x`` (recursing into lists and tuples); refuses host arrays."""
    if type(x) is ndarray:
        return x._host_array
    if isinstance(x, numpy.ndarray):
        raise _mixing(what, x)
    if isinstance(x, (list, tuple)):
        return type(x)(_unwrap(v, what) for v in x)
    return x


def _wrap(x):
    """Results as CuPy gives them: arrays (0-d for scalars) on the device."""
    if isinstance(x, numpy.ndarray):
        return ndarray(x)
    if isinstance(x, numpy.generic):
        return ndarray(numpy.asarray(x))
    if isinstance(x, tuple):
        return tuple(_wrap(v) for v in x)
    if isinstance(x, list):
        return [_wrap(v) for v in x]
    return x


def _call(fn, what: str, args, kwargs):
    args = _unwrap(args, what)
    kwargs = {k: _unwrap(v, what) for k, v in kwargs.items()}
    return _wrap(fn(*args, **kwargs))


def _caller(fn, what: str):
    """``fn`` taking and giving device arrays."""
    def call(*args, **kwargs):
        return _call(fn, what, args, kwargs)
    call.__name__ = getattr(fn, '__name__', what)
    call.__doc__ = getattr(fn, '__doc__', None)
    return call


def _index(key):
    """Index keys: device arrays unwrap; NumPy index arrays are accepted (CuPy copies them)."""
    if type(key) is ndarray:
        return key._host_array
    if isinstance(key, tuple):
        return tuple(_index(k) for k in key)
    return key


class _Device:
    """``cupy.cuda.Device``: the one device of the stand-in, usable as a context manager."""

    def __init__(self, device=None):
        device = 0 if device is None else int(getattr(device, 'id', device))
        if not 0 <= device < _DEVICE_COUNT:
            raise ValueError(f'host_cupy: no device {device} (there is {_DEVICE_COUNT})')
        self.id = device

    def use(self):
        return None

    def synchronize(self):
        return None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def __eq__(self, other):
        return isinstance(other, _Device) and other.id == self.id

    def __hash__(self):
        return hash(('host_cupy.Device', self.id))

    def __repr__(self):
        return f'<CUDA Device {self.id}>'


class ndarray:  # named as CuPy's
    """A device array of the stand-in (its memory is a NumPy array, ``_host_array``)."""

    __slots__ = ('_host_array',)
    __hash__ = None

    def __init__(self, array):
        if not isinstance(array, numpy.ndarray):
            raise TypeError('host_cupy.ndarray wraps a numpy.ndarray; use cupy.asarray')
        self._host_array = array

    # -- metadata
    shape = property(lambda self: self._host_array.shape)
    dtype = property(lambda self: self._host_array.dtype)
    ndim = property(lambda self: self._host_array.ndim)
    size = property(lambda self: self._host_array.size)
    itemsize = property(lambda self: self._host_array.itemsize)
    nbytes = property(lambda self: self._host_array.nbytes)
    strides = property(lambda self: self._host_array.strides)
    flags = property(lambda self: self._host_array.flags)
    T = property(lambda self: ndarray(self._host_array.T))
    device = property(lambda self: _Device(0))
    data = property(lambda self: types.SimpleNamespace(ptr=self._host_array.ctypes.data))

    def __getattr__(self, name):
        if name.startswith('__'):  # no __array_interface__ and the like: no implicit copies
            raise AttributeError(name)
        if name not in _NDARRAY_NAMES:
            raise AttributeError(f"'cupy.ndarray' object has no attribute '{name}'")
        attr = getattr(self._host_array, name)
        if callable(attr):
            return _caller(attr, f'ndarray.{name}')
        return _wrap(attr)

    # -- leaving the device: explicit only
    def get(self, stream=None):
        TRANSFERS['to_host'] += 1
        return numpy.array(self._host_array)

    def __array__(self, dtype=None, copy=None):
        raise TypeError('Implicit conversion to a NumPy array is not allowed. Please use '
                        '`.get()` to construct a NumPy array explicitly.')

    def tolist(self):
        TRANSFERS['to_host'] += 1
        return self._host_array.tolist()

    def item(self):
        TRANSFERS['to_host'] += 1
        return self._host_array.item()

    def __float__(self):
        TRANSFERS['to_host'] += 1
        return float(self._host_array)

    def __int__(self):
        TRANSFERS['to_host'] += 1
        return int(self._host_array)

    def __index__(self):
        TRANSFERS['to_host'] += 1
        return operator.index(self._host_array)

    def __bool__(self):
        TRANSFERS['to_host'] += 1
        return bool(self._host_array)

    def __complex__(self):
        TRANSFERS['to_host'] += 1
        return complex(self._host_array)

    # -- copies and pickling
    def __copy__(self):
        return ndarray(self._host_array.copy())

    def __deepcopy__(self, memo):
        return ndarray(self._host_array.copy())

    def __reduce__(self):
        return ndarray, (self._host_array.copy(),)

    def __repr__(self):
        return repr(self._host_array)

    def __str__(self):
        return str(self._host_array)

    def __format__(self, spec):
        return format(self._host_array, spec)

    # -- containers
    def __len__(self):
        return len(self._host_array)

    def __iter__(self):
        return (_wrap(v) for v in self._host_array)

    def __getitem__(self, key):
        return _wrap(self._host_array[_index(key)])

    def __setitem__(self, key, value):
        # device arrays, scalars, and host arrays too (CuPy copies those in)
        self._host_array[_index(key)] = value._host_array if type(value) is ndarray else value

    # -- NumPy's protocols: NumPy functions on device arrays run on the device
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        what = f'numpy.{ufunc.__name__}' + ('' if method == '__call__' else f'.{method}')
        out = kwargs.get('out')
        if out is not None:
            kwargs['out'] = tuple(_unwrap(o, what) for o in out)
        result = getattr(ufunc, method)(*_unwrap(inputs, what), **kwargs)
        if out is not None and method != 'at':
            return out[0] if len(out) == 1 else out
        return _wrap(result)

    def __array_function__(self, func, types_, args, kwargs):
        where = func.__module__.split('.')[-1]  # numpy, linalg, fft, _core.fromnumeric...
        if func.__name__ not in API.get(where, API['module']):
            return NotImplemented  # CuPy has no such function: NumPy raises TypeError
        return _call(func, f'numpy.{func.__name__}', args, kwargs)


def _operand(x) -> bool:
    """Whether an operator takes ``x`` as an operand (else it defers to ``x``'s own, as
    CuPy's do for Variables); NumPy arrays are taken, and refused."""
    return isinstance(x, (ndarray, numpy.ndarray, numpy.generic, int, float, complex, bool))


def _operator(name: str, inplace: bool = False):
    fn = getattr(operator, name)

    def method(self, *others):
        if not all(_operand(o) for o in others):
            return NotImplemented
        result = fn(self._host_array, *(_unwrap(o, f'ndarray.__{name}__') for o in others))
        return self if inplace else _wrap(result)

    return method


def _reflected(name: str):
    fn = getattr(operator, name)

    def method(self, other):
        if not _operand(other):
            return NotImplemented
        return _wrap(fn(_unwrap(other, f'ndarray.__r{name}__'), self._host_array))

    return method


for _name in ('add', 'sub', 'mul', 'truediv', 'floordiv', 'mod', 'pow', 'matmul', 'and',
              'or', 'xor', 'lshift', 'rshift'):
    _fn = _name + '_' if _name in ('and', 'or') else _name
    setattr(ndarray, f'__{_name}__', _operator(_fn))
    setattr(ndarray, f'__r{_name}__', _reflected(_fn))
    setattr(ndarray, f'__i{_name}__', _operator(f'i{_name}', inplace=True))
for _name in ('lt', 'le', 'eq', 'ne', 'gt', 'ge', 'neg', 'pos', 'abs', 'invert'):
    setattr(ndarray, f'__{_name}__', _operator(_name))


class _Ufunc:
    """A NumPy ufunc on device arrays (``cupy.add(a, b)``, ``cupy.add.at(...)``...)."""

    def __init__(self, ufunc):
        self._ufunc = ufunc
        self.__name__ = ufunc.__name__
        self.nin, self.nout = ufunc.nin, ufunc.nout

    def __call__(self, *args, **kwargs):
        what = f'cupy.{self.__name__}'
        out = kwargs.get('out')
        if out is None:
            return _call(self._ufunc, what, args, kwargs)
        self._ufunc(*_unwrap(args, what), **dict(kwargs, out=_unwrap(out, what)))
        return out  # the device array(s) given, as CuPy returns them

    def at(self, a, indices, b=None):
        what = f'cupy.{self.__name__}.at'
        args = (_unwrap(a, what), _index(indices)) + (() if b is None else (_unwrap(b, what),))
        self._ufunc.at(*args)

    def __getattr__(self, name):  # reduce, accumulate, outer
        return _caller(getattr(self._ufunc, name), f'cupy.{self.__name__}.{name}')


class _Random:
    """``cupy.random``: a generator of its own (CuPy's draws do not move NumPy's), with dtypes."""

    def __init__(self):
        self._rs = numpy.random.RandomState(0)

    def seed(self, seed=None):
        self._rs = numpy.random.RandomState(seed)

    def _out(self, values, dtype):
        return ndarray(numpy.asarray(values, dtype=dtype or numpy.float64))

    def rand(self, *size, dtype=float):
        return self._out(self._rs.random_sample(size), dtype)

    def random_sample(self, size=None, dtype=float):
        return self._out(self._rs.random_sample(size), dtype)

    random = random_sample

    def randn(self, *size, dtype=float):
        return self._out(self._rs.standard_normal(size), dtype)

    def standard_normal(self, size=None, dtype=float):
        return self._out(self._rs.standard_normal(size), dtype)

    def normal(self, loc=0.0, scale=1.0, size=None, dtype=float):
        return self._out(self._rs.normal(loc, scale, size), dtype)

    def uniform(self, low=0.0, high=1.0, size=None, dtype=float):
        return self._out(self._rs.uniform(low, high, size), dtype)

    def gamma(self, shape, scale=1.0, size=None, dtype=float):
        shape, scale = _unwrap((shape, scale), 'cupy.random.gamma')
        return self._out(self._rs.gamma(shape, scale, size), dtype)

    def beta(self, a, b, size=None, dtype=float):
        a, b = _unwrap((a, b), 'cupy.random.beta')
        return self._out(self._rs.beta(a, b, size), dtype)

    def chisquare(self, df, size=None, dtype=float):
        return self._out(self._rs.chisquare(_unwrap(df, 'cupy.random.chisquare'), size), dtype)

    def randint(self, low, high=None, size=None, dtype=int):
        return self._out(self._rs.randint(low, high, size), dtype)

    def permutation(self, n):
        return ndarray(self._rs.permutation(n))

    def shuffle(self, a):
        self._rs.shuffle(_unwrap(a, 'cupy.random.shuffle'))


class _Cublas:
    @staticmethod
    def gemm(transa, transb, a, b, out=None, alpha=1.0, beta=0.0):
        """``out = alpha * op(a) @ op(b) + beta * out``, with cuBLAS's checks of the operands."""
        a, b = _unwrap(a, 'cublas.gemm'), _unwrap(b, 'cublas.gemm')
        if a.ndim != 2 or b.ndim != 2 or a.dtype != b.dtype:
            raise ValueError(f'gemm: needs two 2-D operands of one dtype, got '
                             f'{a.dtype}{a.shape} and {b.dtype}{b.shape}')
        opa = a.T if transa == 'T' else a
        opb = b.T if transb == 'T' else b
        if opa.shape[1] != opb.shape[0]:
            raise ValueError(f'gemm: op(a) {opa.shape} and op(b) {opb.shape} do not chain')
        r = alpha * (opa @ opb)
        if out is None:
            return ndarray(r.astype(a.dtype))
        o = _unwrap(out, 'cublas.gemm')
        if o.shape != (opa.shape[0], opb.shape[1]) or o.dtype != a.dtype:
            raise ValueError(f'gemm: out is {o.dtype}{o.shape}, expected '
                             f'{a.dtype}{(opa.shape[0], opb.shape[1])}')
        o[...] = r + beta * o if beta else r
        return out


class _Module(types.ModuleType):
    """The ``cupy`` stand-in: NumPy's namespace on device arrays, plus CuPy's own names."""

    def __init__(self, workdir=None):
        super().__init__('cupy')
        self.__version__ = 'host'
        self.ndarray = ndarray
        self.random = _Random()
        self.cublas = _Cublas()
        self.kernels = kernels.Builder(workdir)
        self.cuda = types.SimpleNamespace(
            Device=_Device,
            runtime=types.SimpleNamespace(getDeviceCount=lambda: _DEVICE_COUNT),
            get_device_id=lambda: 0)
        self._cache: dict = {}

    def RawModule(self, code, options=(), **_):  # CuPy's name
        return self.kernels.module(code, options)

    # -- moving data
    def asarray(self, a, dtype=None, order=None):
        if type(a) is ndarray:
            return a if dtype is None or a.dtype == dtype else a.astype(dtype)
        TRANSFERS['to_device'] += 1
        return ndarray(numpy.array(a, dtype=dtype, order=order or 'K'))  # host -> device: a copy

    def array(self, a, dtype=None, copy=True, order='K', ndmin=0):
        if type(a) is not ndarray:
            TRANSFERS['to_device'] += 1
        src = a._host_array if type(a) is ndarray else a
        return ndarray(numpy.array(src, dtype=dtype, copy=True, order=order, ndmin=ndmin))

    def ascontiguousarray(self, a, dtype=None):
        src = self.asarray(a)._host_array
        return ndarray(numpy.ascontiguousarray(src, dtype))

    def asnumpy(self, a, stream=None):
        return a.get() if type(a) is ndarray else numpy.asarray(a)

    def get_array_module(self, *args):
        return self if any(type(a) is ndarray for a in args) else numpy

    def copyto(self, dst, src, casting='same_kind', where=None):
        numpy.copyto(_unwrap(dst, 'cupy.copyto'), _unwrap(src, 'cupy.copyto'), casting=casting,
                     where=True if where is None else _unwrap(where, 'cupy.copyto'))

    # -- everything else: NumPy's functions, on device arrays
    def __getattr__(self, name):
        if name.startswith('__'):
            raise AttributeError(name)
        if name not in _MODULE_NAMES:
            raise AttributeError(f"module 'cupy' has no attribute '{name}'")
        cached = self._cache.get(name)
        if cached is not None:
            return cached
        attr = getattr(numpy, name)
        if isinstance(attr, numpy.ufunc):
            value = _Ufunc(attr)
        elif isinstance(attr, types.ModuleType):
            value = _Namespace(attr, f'cupy.{name}', API.get(name))
        elif callable(attr) and not isinstance(attr, type):
            value = _caller(attr, f'cupy.{name}')
        else:  # dtypes, scalar types, constants
            value = attr
        self._cache[name] = value
        return value


class _Namespace:
    """A NumPy submodule (``linalg``, ``fft``, ``lib``...) on device arrays."""

    def __init__(self, mod, name, names=None):
        self._mod = mod
        self._names = None if names is None else frozenset(names)  # CuPy's, where known
        self.__name__ = name

    def __getattr__(self, name):
        if self._names is not None and name not in self._names:
            raise AttributeError(f"module '{self.__name__}' has no attribute '{name}'")
        attr = getattr(self._mod, name)
        if isinstance(attr, types.ModuleType):
            return _Namespace(attr, f'{self.__name__}.{name}')
        if callable(attr) and not isinstance(attr, type):
            return _caller(attr, f'{self.__name__}.{name}')
        return attr


def cupyx_modules() -> dict:
    """``cupyx``, ``cupyx.scipy`` and ``cupyx.scipy.special`` for ``sys.modules``: SciPy's
    special functions on device arrays, under the names CuPy's ``cupyx.scipy.special``
    has (SciPy is imported on first use)."""
    special = types.ModuleType('cupyx.scipy.special')
    names = frozenset(API['special'])

    def special_function(name):
        if name not in names:
            raise AttributeError(f"module 'cupyx.scipy.special' has no attribute '{name}'")
        import scipy.special

        fn = _caller(getattr(scipy.special, name), f'cupyx.scipy.special.{name}')
        setattr(special, name, fn)
        return fn

    special.__getattr__ = special_function  # a module's own __getattr__ (PEP 562)
    scipy_ = types.ModuleType('cupyx.scipy')
    scipy_.special = special
    cupyx = types.ModuleType('cupyx')
    cupyx.scipy = scipy_
    return {'cupyx': cupyx, 'cupyx.scipy': scipy_, 'cupyx.scipy.special': special}


def module(workdir: str | None = None) -> _Module:
    """A fresh ``cupy`` stand-in (its kernels build under ``workdir``, a temporary folder
    by default)."""
    return _Module(workdir)

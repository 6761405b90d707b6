"""The optional C implementation of the eager hot path (``tracegrad/_speedups.c``).

Two loops run for every op of every eager step: :meth:`FunctionNode.apply` and the
backprop loop. ``_speedups`` implements both in C, with the storing of leaf
gradients and ``get_retained_inputs`` (which most backward methods call), for the
common case -- every input a Variable, every output a NumPy array, every gradient
a Variable of the right shape -- and calls back into the Python implementations,
which stay the reference (``FunctionNode._apply_py``, ``backprop._backprop_loop``,
``backprop._store_leaf_grads``), for everything else, so results never depend on
which one runs.

The module is built by ``pip install`` when a C compiler and Python's headers
are at hand; without them tracegrad runs the Python implementations alone, as it
does with ``TRACEGRAD_PURE_PYTHON=1`` in the environment. ``ENABLED`` tells which.
"""
from __future__ import annotations

import contextlib
import os
import warnings

import numpy

from tracegrad import backprop, function_node
from tracegrad.configuration import config
from tracegrad.function_node import FunctionNode
from tracegrad.variable import Variable, VariableNode

API_VERSION = 4  # bump with every change to _speedups.c's interface

FunctionNode._apply_py = FunctionNode.apply
# Where each piece of the hot path is looked up: (owner, attribute).
_PLACES = {'apply': (FunctionNode, 'apply'),
           'get_retained_inputs': (FunctionNode, 'get_retained_inputs'),
           'loop': (backprop, '_loop'),
           'store': (backprop, '_store')}


def _installed() -> dict:
    return {key: vars(owner)[attr] for key, (owner, attr) in _PLACES.items()}


_PYTHON = _installed()  # read before _speedups replaces any of them
_C: dict = {}  # the same pieces from _speedups, once it is loaded
active = _PYTHON  # the implementation in use (the C or the Python one)
# While function hooks are registered (tracegrad.function_hook), wrappers that call
# them sit in front of ``active``; otherwise nothing does, so the hot path never
# looks for hooks.
_hook_wrappers: dict = {}


def _install(impl: dict) -> None:
    global active
    active = impl
    for key, (owner, attr) in _PLACES.items():
        setattr(owner, attr, _hook_wrappers.get(key, impl[key]))


def set_hook_wrappers(wrappers: dict) -> None:
    """Put ``wrappers`` (by key of ``_PLACES``) in front of the implementation in use,
    or take them away again with ``{}``."""
    global _hook_wrappers
    _hook_wrappers = wrappers
    _install(active)


def _pure_python() -> bool:
    return os.environ.get('TRACEGRAD_PURE_PYTHON', '') not in ('', '0')


def _enable() -> bool:
    if _pure_python():
        return False
    try:
        from tracegrad import _speedups
    except ImportError:  # not built: no compiler or Python headers at install time
        return False
    if getattr(_speedups, 'API_VERSION', None) != API_VERSION:
        warnings.warn('tracegrad._speedups was built from another version of tracegrad and '
                      'is not used; reinstall tracegrad (pip install -e .) to rebuild it',
                      RuntimeWarning, stacklevel=2)
        return False
    _speedups.init(
        Variable, VariableNode, numpy.ndarray, config, function_node._checked_signatures,
        FunctionNode._apply_py, function_node._coerce_outputs,
        FunctionNode.check_type_forward, FunctionNode._check_inputs, object.__init__,
        backprop._record, backprop._normalize_grads, backprop._sum_grads,
        backprop._grad_shape_error)
    _C.update(apply=_speedups.apply_method, loop=_speedups.backprop_loop,
              store=_speedups.store_leaf_grads,
              get_retained_inputs=_speedups.get_retained_inputs_method)
    _install(_C)
    return True


ENABLED = _enable()
IMPLEMENTATIONS = ('c', 'python') if ENABLED else ('python',)


@contextlib.contextmanager
def implementation(name: str):
    """Run a block on the ``'c'`` or the ``'python'`` hot path (for tests and benchmarks).

    >>> with tracegrad._native.implementation('python'):
    ...     y = F.relu(np.array([-1., 2.], np.float32))
    >>> y.array
    array([0., 2.], dtype=float32)
    """
    if name not in ('c', 'python'):
        raise ValueError(f"implementation: name must be 'c' or 'python', got {name!r}")
    if name == 'c' and not ENABLED:
        raise RuntimeError('implementation: the C hot path (tracegrad._speedups) is not '
                           'loaded' + (' (TRACEGRAD_PURE_PYTHON is set)' if _pure_python()
                                       else '; reinstall tracegrad with a C compiler'))
    before = active
    _install(_C if name == 'c' else _PYTHON)
    try:
        yield
    finally:
        _install(before)

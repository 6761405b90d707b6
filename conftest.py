"""Shared pytest setup: the namespace of doctests (as in Chainer's documentation), and
``TRACEGRAD_HOST_CUPY=1``, which runs the GPU code paths on the CPU stand-in for CuPy
(tests/host_cupy) so ``pytest -m gpu`` runs without a GPU."""
import importlib
import os
import sys

import numpy
import pytest

_TESTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'tests')
if _TESTS not in sys.path:  # tests/host_cupy is importable from every test folder
    sys.path.append(_TESTS)
# tracegrad/cuda.py replaces itself in sys.modules by tracegrad/backends/cuda.py (Chainer's
# old module name as an alias), so the doctest collector must not import it as a file.
collect_ignore = ['tracegrad/cuda.py']

if os.environ.get('TRACEGRAD_HOST_CUPY') == '1':  # before anything imports tracegrad
    import host_cupy

    sys.modules['cupy'] = host_cupy.module()
    sys.modules.update(host_cupy.cupyx_modules())


@pytest.fixture(autouse=True)
def _doctest_namespace(request, doctest_namespace):
    """Doctests see what Chainer's documentation examples assume, with NumPy seeded to 0,
    and run in an empty folder of their own (examples write files such as ``my.model``)."""
    import tracegrad

    if isinstance(request.node, pytest.DoctestItem):
        request.getfixturevalue('monkeypatch').chdir(request.getfixturevalue('tmp_path'))

    ns = {'np': numpy, 'numpy': numpy, 'tracegrad': tracegrad, 'chainer': tracegrad,
          'Variable': tracegrad.Variable, 'F': tracegrad.functions,
          'backend': tracegrad.backend, 'initializers': tracegrad.initializers}
    for name in ('links', 'optimizers', 'serializers', 'training', 'datasets', 'iterators',
                 'testing', 'gradient_check', 'utils', 'reporter'):
        try:
            ns[name] = importlib.import_module(f'tracegrad.{name}')
        except ImportError:
            pass
    if 'links' in ns:
        ns['L'] = ns['links']
        for name in ('Link', 'Chain', 'ChainList', 'Sequential'):
            if hasattr(tracegrad, name):
                ns[name] = getattr(tracegrad, name)
    if 'training' in ns:
        try:
            ns['extensions'] = importlib.import_module('tracegrad.training.extensions')
        except ImportError:
            pass
    doctest_namespace.update(ns)
    numpy.random.seed(0)
    # Chainer's documented outputs predate NumPy 2's scalar repr (np.True_, np.float32(1.0)).
    printoptions = numpy.get_printoptions()
    numpy.set_printoptions(legacy='1.25')
    yield
    numpy.set_printoptions(**printoptions)


@pytest.fixture
def hot_path(request):
    """Run a test once on each eager hot path: C (``tracegrad._speedups``) and Python."""
    from tracegrad import _native

    with _native.implementation(request.param):
        yield request.param


def pytest_generate_tests(metafunc):
    if 'hot_path' in metafunc.fixturenames:
        from tracegrad import _native

        metafunc.parametrize('hot_path', _native.IMPLEMENTATIONS, indirect=True)

"""The eager hot path has two implementations: C (tracegrad/_speedups.c) and Python.

These tests check that the C one is built where it can be, that both give the
same results bit for bit, that the C one hands every unusual case to Python,
and that neither leaks. (test_variable, test_function_node, test_backprop and
test_gradient_check run whole on both paths through the ``hot_path`` fixture.)
"""
import gc
import importlib.util
import os
import pathlib
import subprocess
import sys
import sysconfig
import weakref

import numpy as np
import pytest

import tracegrad
import tracegrad.functions as F
from tracegrad import FunctionNode, Variable, _native, testing
from tracegrad.utils import type_check

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_c_hot_path_is_built_where_it_can_be():
    if os.environ.get('TRACEGRAD_PURE_PYTHON', '') not in ('', '0'):
        pytest.skip('TRACEGRAD_PURE_PYTHON is set')
    if not pathlib.Path(sysconfig.get_paths()['include'], 'Python.h').exists():
        pytest.skip("this Python has no headers (Python.h), so pip could not build "
                    "tracegrad._speedups")
    assert _native.ENABLED, 'pip install -e . should have built tracegrad._speedups'
    assert _native.IMPLEMENTATIONS == ('c', 'python')
    assert type(FunctionNode.__dict__['apply']).__name__ == 'instancemethod'


def test_pure_python_switch_in_the_environment():
    code = ('import tracegrad, tracegrad.backprop as b; from tracegrad import _native; '
            'print(_native.ENABLED, _native.IMPLEMENTATIONS, b._loop is b._backprop_loop)')
    env = dict(os.environ, TRACEGRAD_PURE_PYTHON='1')
    out = subprocess.run([sys.executable, '-c', code], env=env, cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout
    assert out.split() == ['False', "('python',)", 'True']


def test_a_build_from_another_version_is_not_used(monkeypatch):
    class Stale:
        API_VERSION = _native.API_VERSION - 1

        @staticmethod
        def init(*args):
            raise AssertionError('a stale module must not be initialised')

    monkeypatch.setitem(sys.modules, 'tracegrad._speedups', Stale)
    monkeypatch.setattr(tracegrad, '_speedups', Stale, raising=False)
    monkeypatch.delenv('TRACEGRAD_PURE_PYTHON', raising=False)
    with pytest.warns(RuntimeWarning, match='reinstall tracegrad'):
        assert _native._enable() is False


def test_implementation_names():
    with pytest.raises(ValueError, match="'c' or 'python', got 'cython'"):
        with _native.implementation('cython'):
            pass
    before = FunctionNode.__dict__['apply']
    with pytest.raises(KeyError):
        with _native.implementation('python'):
            assert FunctionNode.__dict__['apply'] is FunctionNode._apply_py
            raise KeyError('restored even on errors')
    assert FunctionNode.__dict__['apply'] is before


# -- the same results on both paths ------------------------------------------------

def _mlp_program(dtype):
    rng = np.random.RandomState(0)
    x = Variable(rng.randn(5, 7).astype(dtype), requires_grad=False)
    t = rng.randint(0, 3, 5).astype(np.int32)
    params = [tracegrad.Parameter(rng.randn(*s).astype(dtype))
              for s in [(6, 7), (6,), (3, 6), (3,)]]
    W1, b1, W2, b2 = params
    h = F.relu(F.linear(x, W1, b1))
    h.name = 'h'
    y = F.linear(h, W2, b2)
    loss = F.softmax_cross_entropy(y, t) + F.sum(h * h) * 0.01
    loss.backward(retain_grad=True)
    return [p.grad for p in params] + [h.grad, y.grad, loss.array]


def _double_backprop_program(dtype):
    x = Variable(np.linspace(-2, 2, 9).reshape(3, 3).astype(dtype))
    y = F.sum(F.tanh(x) * F.sigmoid(x) ** 2)
    gx, = tracegrad.grad([y], [x], enable_double_backprop=True)
    z = F.sum(gx * gx)
    z.backward()
    return [gx.array, x.grad, z.array]


def _multi_output_program(dtype):
    x = Variable(np.arange(12, dtype=dtype).reshape(3, 4) / 7)
    a, b, c = F.split_axis(x, [1, 3], axis=1)
    mean, var = F.mean(x, axis=0), F.mean((x - F.mean(x, axis=0)) ** 2, axis=0)
    out = F.sum(a * c) + F.sum(F.exp(b)) + F.sum(mean * var)
    # b is used twice and c not at all by the second term: grads accumulate
    out = out + F.sum(b)
    out.backward()
    return [x.grad, out.array]


@pytest.mark.parametrize('program', [_mlp_program, _double_backprop_program,
                                     _multi_output_program])
@pytest.mark.parametrize('dtype', [np.float32, np.float64])
def test_both_paths_give_identical_results(program, dtype):
    results = {}
    for impl in _native.IMPLEMENTATIONS:
        with _native.implementation(impl):
            results[impl] = program(dtype)
    for got in results.values():
        for a, b in zip(got, results['python']):
            assert a.dtype == b.dtype
            np.testing.assert_array_equal(a, b)


# Function suites of the testing harness (forward, backward, double backward over
# their shape and dtype grids) run on the C path in their own files; here they run
# again on the Python path.
SUITES = ['test_connection_linear.py', 'test_activation_relu.py',
          'test_array_split_axis.py', 'test_basic_math.py',
          'test_loss_softmax_cross_entropy.py', 'test_normalization_batch.py']


@pytest.mark.parametrize('suite', SUITES)
def test_function_suites_on_the_python_path(suite):
    path = ROOT / 'tests' / 'functions' / suite
    spec = importlib.util.spec_from_file_location(f'_python_path_{path.stem}', path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # testing.parameterize adds its classes there
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    cases = [c for c in vars(module).values()
             if isinstance(c, type) and issubclass(c, testing.FunctionTestCase)
             and '_param_' in c.__name__]
    assert cases, f'{suite} has no FunctionTestCase classes'
    ran = 0
    with _native.implementation('python'):
        for cls in cases:
            for name in ('test_forward', 'test_backward', 'test_double_backward'):
                try:
                    cls(name).debug()
                except pytest.skip.Exception:
                    continue
                ran += 1
    assert ran >= len(cases)


# -- what the C path hands to Python, checked on both ------------------------------

pytestmark_both = pytest.mark.usefixtures('hot_path')


class _Scalar(FunctionNode):
    def forward(self, inputs):
        return inputs[0].sum(),  # a NumPy scalar, not an array

    def backward(self, indexes, grad_outputs):
        x, = self.inputs
        return F.broadcast_to(grad_outputs[0], x.shape),


@pytestmark_both
def test_scalar_outputs_become_arrays():
    x = Variable(np.arange(4, dtype=np.float32))
    y, = _Scalar().apply((x,))
    assert type(y.array) is np.ndarray and y.shape == ()
    y.backward()
    np.testing.assert_array_equal(x.grad, np.ones(4, np.float32))


class _Pick(FunctionNode):
    """Outputs (x0 * 2, x1 * 3, x0 + x1); keeps input -1 and outputs (-1, 0)."""

    def forward(self, inputs):
        self.retain_inputs((-1,))
        self.retain_outputs((-1, 0))
        x0, x1 = inputs
        return x0 * 2, x1 * 3, x0 + x1

    def backward(self, indexes, grad_outputs):
        x1, = self.get_retained_inputs()
        s, d = self.get_retained_outputs()
        assert np.array_equal(x1.array, self.expected[1])
        assert np.array_equal(s.array, self.expected[0] + self.expected[1])
        assert np.array_equal(d.array, self.expected[0] * 2)
        g0, g1, g2 = (g if g is not None else 0 for g in grad_outputs)
        return tuple([g0 * 2 + g2, g1 * 3 + g2][i] for i in indexes)


@pytestmark_both
def test_negative_retain_indexes_and_several_outputs():
    a, b = np.array([1., 2.]), np.array([3., 5.])
    x0, x1 = Variable(a), Variable(b)
    f = _Pick()
    f.expected = (a, b)
    y0, y1, y2 = f.apply((x0, x1))
    F.sum(y0 + y2).backward()
    np.testing.assert_array_equal(x0.grad, [3., 3.])
    np.testing.assert_array_equal(x1.grad, [1., 1.])


class _Scaled(FunctionNode):
    """Accepts inputs with at most ``limit`` elements: the check depends on __init__."""

    def __init__(self, limit, tags=()):
        self.limit = limit
        self.tags = tags

    def check_type_forward(self, in_types):
        type_check.expect(in_types[0].shape[0] <= self.limit)

    def forward(self, inputs):
        return inputs[0] * 1,


@pytestmark_both
def test_type_check_cache_keys_on_constructor_arguments():
    x = Variable(np.zeros(3, np.float32))
    _Scaled(5).apply((x,))
    _Scaled(5).apply((x,))  # now a cache hit
    with pytest.raises(type_check.InvalidType, match='_Scaled'):
        _Scaled(2).apply((x,))
    # an unhashable argument: checked every time
    _Scaled(5, tags=['a']).apply((x,))
    _Scaled(5, tags=['a']).apply((x,))
    with pytest.raises(type_check.InvalidType):
        _Scaled(2, tags=['a']).apply((x,))


class _Checked(FunctionNode):
    calls = 0

    def _check_inputs(self, in_data):
        type(self).calls += 1
        super()._check_inputs(in_data)

    def forward(self, inputs):
        return inputs[0] + 1,


@pytestmark_both
def test_an_overridden_check_inputs_is_called():
    x = Variable(np.zeros(2, np.float32))
    _Checked.calls = 0
    for _ in range(3):
        _Checked().apply((x,))
    assert _Checked.calls == 3


class _ListGrads(FunctionNode):
    def forward(self, inputs):
        return inputs[0] * inputs[1],

    def backward(self, indexes, grad_outputs):
        gy, = grad_outputs
        x0, x1 = self.inputs
        # a list with one entry per input, arrays rather than Variables
        return [gy.array * x1.get_variable().array, gy.array * x0.get_variable().array]


@pytestmark_both
def test_backward_may_return_a_list_of_arrays_per_input():
    x0 = Variable(np.array([2., 3.]))
    x1 = Variable(np.array([5., 7.]), requires_grad=False)
    y, = _ListGrads().apply((x0, x1))
    y.grad = np.ones(2)
    y.backward()
    np.testing.assert_array_equal(x0.grad, [5., 7.])
    assert x1.grad is None


class _BadCount(FunctionNode):
    def forward(self, inputs):
        return inputs[0] + 0,

    def backward(self, indexes, grad_outputs):
        return grad_outputs[0], grad_outputs[0]


@pytestmark_both
def test_backward_with_a_wrong_number_of_grads_is_reported():
    x = Variable(np.ones(2))
    y, = _BadCount().apply((x,))
    with pytest.raises(ValueError, match='_BadCount.backward returned 2 gradients'):
        F.sum(y).backward()
    assert x.grad is None


@pytestmark_both
def test_subclass_inputs_and_outputs_keep_their_graph():
    class MyVariable(Variable):
        pass

    x = MyVariable(np.array([1., -2.]))
    p = tracegrad.Parameter(np.array([3., 4.]))
    y = F.relu(x * p)
    assert y.creator.inputs[0].get_variable() is not None
    F.sum(y).backward()
    np.testing.assert_array_equal(x.grad, [3., 0.])
    np.testing.assert_array_equal(p.grad, [1., 0.])


# -- nothing kept alive by either path ---------------------------------------------

def _live(cls):
    return sum(1 for o in gc.get_objects() if issubclass(type(o), cls))


@pytestmark_both
def test_a_dropped_graph_is_freed():
    x = Variable(np.random.rand(4, 3).astype(np.float32))
    W = tracegrad.Parameter(np.random.rand(2, 3).astype(np.float32))

    def run():
        h = F.linear(x, W)
        y = F.relu(h)
        F.sum(y).backward()
        return [weakref.ref(v) for v in (h.node, y.node, y.creator, h.array, y.array)]

    run()  # linear keeps its inputs' arrays in their nodes, as Chainer does
    refs_before = sys.getrefcount(x.array), sys.getrefcount(W.array)
    gone = run()
    gc.collect()
    assert all(r() is None for r in gone)
    assert (sys.getrefcount(x.array), sys.getrefcount(W.array)) == refs_before


@pytestmark_both
def test_repeated_steps_do_not_accumulate_objects():
    from tracegrad.variable import VariableNode

    rng = np.random.RandomState(1)
    x = Variable(rng.rand(8, 5).astype(np.float32), requires_grad=False)
    t = rng.randint(0, 4, 8).astype(np.int32)
    W = tracegrad.Parameter(rng.rand(4, 5).astype(np.float32))

    def step():
        W.cleargrad()
        loss = F.softmax_cross_entropy(F.relu(F.linear(x, W)), t)
        loss.backward()

    step()
    gc.collect()
    counts = [_live(c) for c in (Variable, VariableNode, FunctionNode)]
    for _ in range(50):
        step()
    gc.collect()
    assert [_live(c) for c in (Variable, VariableNode, FunctionNode)] == counts

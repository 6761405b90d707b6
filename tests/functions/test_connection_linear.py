import numpy as np
import pytest

import tracegrad
import tracegrad.functions as F
from tracegrad import Variable, testing
from tracegrad.utils.type_check import InvalidType


def _tolerances(case):
    if case.dtype == np.float32:
        case.check_forward_options = {'atol': 1e-5, 'rtol': 1e-4}
        case.check_backward_options = {'atol': 1e-3, 'rtol': 1e-2}
        case.check_double_backward_options = {'atol': 1e-2, 'rtol': 1e-2}
    else:
        case.check_backward_options = {'atol': 1e-7, 'rtol': 1e-6}
        case.check_double_backward_options = {'atol': 1e-7, 'rtol': 1e-6}


@testing.parameterize(*testing.product({
    'case': [((3, 4), 1), ((1, 5), 1), ((2, 3, 2), 1), ((2, 3, 4), 2), ((2, 1, 3, 3), 2)],
    'out_size': [1, 3],
    'nobias': [False, True],
    'dtype': [np.float32, np.float64],
}))
class TestLinear(testing.FunctionTestCase):
    def setUp(self):
        _tolerances(self)
        self.x_shape, self.n_batch_axes = self.case

    def generate_inputs(self):
        n_in = int(np.prod(self.x_shape[self.n_batch_axes:]))
        x = np.random.uniform(-1, 1, self.x_shape).astype(self.dtype)
        W = np.random.uniform(-1, 1, (self.out_size, n_in)).astype(self.dtype)
        if self.nobias:
            return x, W
        return x, W, np.random.uniform(-1, 1, (self.out_size,)).astype(self.dtype)

    def forward(self, inputs, device):
        return F.linear(*inputs, n_batch_axes=self.n_batch_axes),

    def forward_expected(self, inputs):
        x, W = inputs[:2]
        batch = self.x_shape[:self.n_batch_axes]
        x2 = x.reshape(int(np.prod(batch)), -1)
        y = np.zeros((x2.shape[0], W.shape[0]), self.dtype)
        for i in range(x2.shape[0]):  # one sample at a time
            for o in range(W.shape[0]):
                y[i, o] = np.dot(x2[i], W[o]) + (inputs[2][o] if len(inputs) == 3 else 0)
        return y.reshape(batch + (W.shape[0],)),


def test_linear_grads_match_formulas():
    rng = np.random.RandomState(0)
    x = Variable(rng.randn(4, 3))
    W = Variable(rng.randn(2, 3))
    b = Variable(rng.randn(2))
    gy = rng.randn(4, 2)
    y = F.linear(x, W, b)
    y.grad = gy
    y.backward()
    np.testing.assert_allclose(x.grad, gy @ W.array)
    np.testing.assert_allclose(W.grad, gy.T @ x.array)
    np.testing.assert_allclose(b.grad, gy.sum(0))


def test_linear_double_backward_is_a_graph():
    x = Variable(np.array([[1., 2.]]))
    W = Variable(np.array([[3., 4.], [5., 6.]]))
    y = F.linear(x, W)
    y2 = y * y
    y2.grad = np.ones_like(y2.array)
    y2.backward(enable_double_backprop=True)
    gx = x.grad_var
    assert gx.creator_node is not None
    # d/dx sum(y^2) = 2 y W with y = x W^T = [11, 17]
    np.testing.assert_allclose(gx.array, [[2 * (11 * 3 + 17 * 5), 2 * (11 * 4 + 17 * 6)]])


def test_linear_weight_transpose_is_not_copied():
    x = np.ones((2, 3), np.float32)
    W = np.arange(6, dtype=np.float32).reshape(2, 3)
    y = F.linear(x, W)
    np.testing.assert_array_equal(y.array, [[3., 12.], [3., 12.]])
    assert y.dtype == np.float32


def test_linear_bad_n_batch_axes():
    with pytest.raises(ValueError, match='linear: n_batch_axes'):
        F.linear(np.ones((2, 3), np.float32), np.ones((4, 3), np.float32), n_batch_axes=0)


@pytest.mark.parametrize('x_shape, w_shape, b_shape, dtypes, match', [
    ((2, 3), (4, 5), None, 'fff', r'x.shape\[1\] == W.shape\[1\]'),
    ((2, 3, 2), (4, 5), None, 'fff', r'x.shape\[1\] \* x.shape\[2\] == W.shape\[1\]'),
    ((2, 3), (4, 3, 1), None, 'fff', 'W.ndim == 2'),
    ((2, 3), (4, 3), (5,), 'fff', r'b.shape\[0\] == W.shape\[0\]'),
    ((2, 3), (4, 3), (4, 1), 'fff', 'b.ndim == 1'),
    ((2, 3), (4, 3), None, 'fdf', 'W.dtype == x.dtype'),
    ((2, 3), (4, 3), (4,), 'ffd', 'b.dtype == x.dtype'),
    ((2, 3), (4, 3), None, 'iif', "x.dtype.kind == 'f'"),
])
def test_linear_type_errors(x_shape, w_shape, b_shape, dtypes, match):
    kinds = {'f': np.float32, 'd': np.float64, 'i': np.int32}
    x = np.ones(x_shape, kinds[dtypes[0]])
    W = np.ones(w_shape, kinds[dtypes[1]])
    args = (x, W) if b_shape is None else (x, W, np.ones(b_shape, kinds[dtypes[2]]))
    with pytest.raises(InvalidType, match='LinearFunction') as e:
        F.linear(*args)
    assert e.match(match)


def test_linear_x_needs_a_feature_axis():
    with pytest.raises(InvalidType, match='x.ndim > 2'):
        F.linear(np.ones((2, 3), np.float32), np.ones((4, 3), np.float32), n_batch_axes=2)


@pytest.mark.parametrize('wanted', [(0,), (1,), (2,), (0, 2), (1, 2), (0, 1, 2)])
@pytest.mark.parametrize('x_shape, n_batch_axes', [((3, 4), 1), ((2, 3, 4), 2), ((1, 2, 2), 1)])
def test_linear_gradient_node_is_differentiable(wanted, x_shape, n_batch_axes):
    """Linear's one gradient node, for any subset of (gx, gW, gb) flowing on: its own
    backward (which linear's third derivative also runs) against finite differences."""
    from tracegrad import gradient_check

    rng = np.random.RandomState(1)
    n_in = int(np.prod(x_shape[n_batch_axes:]))
    x = rng.uniform(-1, 1, x_shape)
    W = rng.uniform(-1, 1, (3, n_in))
    b = rng.uniform(-1, 1, 3)
    gy = rng.uniform(-1, 1, x_shape[:n_batch_axes] + (3,))

    def grads_of_linear(x, W, b, gy):
        y = F.linear(x, W, b, n_batch_axes=n_batch_axes)
        gs = tracegrad.grad([y], [x, W, b], [gy], enable_double_backprop=True)
        return sum(F.sum(gs[i] ** 3) for i in wanted)

    gradient_check.check_backward(grads_of_linear, (x, W, b, gy), eps=1e-4,
                                  atol=1e-6, rtol=1e-5)
    gradient_check.check_double_backward(
        grads_of_linear, (x, W, b, gy), np.ones(()),
        tuple(rng.uniform(-1, 1, a.shape) for a in (x, W, b, gy)), eps=1e-4, atol=1e-5, rtol=1e-4)

import numpy as np
import pytest

import tracegrad
import tracegrad.functions as F
import tracegrad.links as L
from tracegrad import Variable, testing


def _f(a, b):
    return F.tanh(a + b) * a


@testing.parameterize(*testing.product({
    'shape': [(3,), (1, 4), (2, 3, 5)],
    'dtype': [np.float32, np.float64],
}))
class TestForget(testing.FunctionTestCase):
    skip_double_backward_test = True  # as in Chainer

    def setUp(self):
        if self.dtype == np.float32:
            self.check_backward_options = {'atol': 1e-3, 'rtol': 1e-2}

    def generate_inputs(self):
        a = np.random.uniform(-1, 1, self.shape).astype(self.dtype)
        b = np.random.uniform(-1, 1, self.shape).astype(self.dtype)
        return a, b

    def forward(self, inputs, device):
        y, z = F.forget(lambda a, b: (_f(a, b), a * b), *inputs)
        return y, z

    def forward_expected(self, inputs):
        a, b = inputs
        return np.tanh(a + b) * a, a * b


def test_no_graph_is_kept_and_gradients_match():
    rng = np.random.RandomState(0)
    x = Variable(rng.randn(4, 3).astype(np.float32))
    layer = L.Linear(3, 2)

    def f(h):
        return F.tanh(layer(h)) * h[:, :2]
    y = F.forget(f, x)
    assert y.creator.label == 'Forget(f)'
    assert y.creator.inputs[0] is x.node  # nothing of f's graph between x and y
    F.sum(y * y).backward()
    gx, gW, gb = x.grad.copy(), layer.W.grad.copy(), layer.b.grad.copy()
    x.cleargrad()
    layer.cleargrads()
    y2 = f(x)
    F.sum(y2 * y2).backward()
    np.testing.assert_allclose(gx, x.grad, rtol=1e-6)
    np.testing.assert_allclose(gW, layer.W.grad, rtol=1e-6)
    np.testing.assert_allclose(gb, layer.b.grad, rtol=1e-6)


def test_arrays_become_variables_and_flags_are_set():
    seen = []

    def f(a):
        seen.append((tracegrad.config.enable_backprop, tracegrad.config.in_recomputing,
                     tracegrad.config._will_recompute))
        return a * 2
    y = F.forget(f, np.ones(3, np.float32))
    y.grad = np.ones(3, np.float32)
    y.backward()
    assert seen == [(False, False, True), (True, True, False)]


@pytest.mark.parametrize('make_link', [
    lambda: L.BatchNormalization(3, dtype=np.float64),
    lambda: L.BatchRenormalization(3, rmax=2., dmax=0.5, dtype=np.float64)])
def test_normalization_links_update_statistics_once(make_link):
    rng = np.random.RandomState(1)
    link, twin = make_link(), make_link()
    link.avg_var[...] = twin.avg_var[...] = [0.5, 2., 1.]
    x = rng.randn(5, 3)
    xv, xv2 = Variable(x), Variable(x.copy())
    y = F.forget(link, xv)
    F.sum(y * y * np.arange(3.)).backward()
    y2 = twin(xv2)
    F.sum(y2 * y2 * np.arange(3.)).backward()
    np.testing.assert_allclose(y.array, y2.array, rtol=1e-12)
    np.testing.assert_allclose(link.avg_mean, twin.avg_mean, rtol=1e-12)
    np.testing.assert_allclose(link.avg_var, twin.avg_var, rtol=1e-12)
    np.testing.assert_allclose(xv.grad, xv2.grad, rtol=1e-10)
    np.testing.assert_allclose(link.gamma.grad, twin.gamma.grad, rtol=1e-10)


def test_errors():
    x = Variable(np.ones(2, np.float32))
    with pytest.raises(TypeError, match='forget: func must be callable'):
        F.forget(3, x)
    with pytest.raises(RuntimeError, match='forget: the function must return a Variable'):
        F.forget(lambda a: a.array, x)
    with pytest.raises(RuntimeError, match='forget: element 1'):
        F.forget(lambda a: (a * 1, 2), x)
    y = F.forget(lambda a: a * a, x)
    gx, = tracegrad.grad([F.sum(y)], [x], enable_double_backprop=False)
    np.testing.assert_array_equal(gx.array, [2., 2.])
    with pytest.raises(RuntimeError, match='forget: double backpropagation'):
        tracegrad.grad([F.sum(y)], [x], enable_double_backprop=True)

"""Special functions: the error function family, the normal CDF family, lgamma, digamma,
polygamma and zeta, against SciPy."""
import numpy as np
import pytest
import scipy.special as sp

from tracegrad import Variable, backend, testing
from tracegrad import functions as F
from tracegrad.utils.type_check import InvalidType

# name: (function, SciPy reference, input range)
_UNARY = {
    'erf': (F.erf, sp.erf, (-2, 2)),
    'erfc': (F.erfc, sp.erfc, (-2, 2)),
    'erfcx': (F.erfcx, sp.erfcx, (-2, 3)),
    'erfinv': (F.erfinv, sp.erfinv, (-0.8, 0.8)),
    'erfcinv': (F.erfcinv, sp.erfcinv, (0.2, 1.8)),
    'ndtr': (F.ndtr, sp.ndtr, (-3, 3)),
    'log_ndtr': (F.log_ndtr, sp.log_ndtr, (-4, 3)),
    'ndtri': (F.ndtri, sp.ndtri, (0.1, 0.9)),
    'lgamma': (F.lgamma, sp.gammaln, (0.3, 4)),
    'digamma': (F.digamma, sp.digamma, (0.5, 4)),
}
_LABELS = {'erf': 'Erf', 'erfc': 'Erfc', 'erfcx': 'Erfcx', 'erfinv': 'ErfInv',
           'erfcinv': 'ErfcInv', 'ndtr': 'Ndtr', 'log_ndtr': 'LogNdtr', 'ndtri': 'Ndtri',
           'lgamma': 'LGamma', 'digamma': 'DiGamma'}


def _tolerances(case):
    if case.dtype == np.float16:
        case.check_forward_options = {'atol': 1e-3, 'rtol': 1e-3}
        case.check_backward_options = {'eps': 2 ** -3, 'atol': 5e-2, 'rtol': 5e-2,
                                       'dtype': np.float64}
        case.check_double_backward_options = {'eps': 2 ** -3, 'atol': 5e-2, 'rtol': 5e-2,
                                              'dtype': np.float64}
    elif case.dtype == np.float32:
        case.check_forward_options = {'atol': 1e-6, 'rtol': 1e-5}
        case.check_backward_options = {'atol': 1e-3, 'rtol': 1e-2}
        case.check_double_backward_options = {'atol': 1e-2, 'rtol': 1e-2}
    else:
        case.check_backward_options = {'atol': 1e-6, 'rtol': 1e-5}
        case.check_double_backward_options = {'atol': 1e-6, 'rtol': 1e-5}


@testing.parameterize(*testing.product({
    'name': sorted(_UNARY),
    'shape': [(3, 2), (1,), (7,), ()],
    'dtype': [np.float16, np.float32, np.float64],
}))
class TestUnary(testing.FunctionTestCase):
    def setUp(self):
        _tolerances(self)
        self.func, self.reference, self.range = _UNARY[self.name]

    def generate_inputs(self):
        return np.random.uniform(*self.range, self.shape).astype(self.dtype),

    def forward(self, inputs, device):
        return self.func(inputs[0]),

    def forward_expected(self, inputs):
        return np.asarray(self.reference(inputs[0]), dtype=self.dtype),


@testing.parameterize(*testing.product({
    'shapes': [((3, 2), (3, 2)), ((), (5,)), ((2, 1), (3,)), ((), ())],
    'n_dtype': [np.int32, np.int64],
    'dtype': [np.float32, np.float64],
}))
class TestPolygamma(testing.FunctionTestCase):
    def setUp(self):
        _tolerances(self)

    def generate_inputs(self):
        n = np.random.randint(0, 3, self.shapes[0]).astype(self.n_dtype)
        return n, np.random.uniform(0.5, 3, self.shapes[1]).astype(self.dtype)

    def forward(self, inputs, device):
        return F.polygamma(*inputs),

    def forward_expected(self, inputs):
        n, x = inputs
        return np.asarray(sp.polygamma(n, x), dtype=self.dtype),


@testing.parameterize(*testing.product({
    'x': [2.0, 3.5, 'array'],
    'shape': [(3, 2), (1,), ()],
    'dtype': [np.float32, np.float64],
}))
class TestZeta(testing.FunctionTestCase):
    def setUp(self):
        _tolerances(self)
        self.exponent = np.random.uniform(1.5, 4, self.shape) if self.x == 'array' else self.x

    def generate_inputs(self):
        return np.random.uniform(0.5, 3, self.shape).astype(self.dtype),

    def forward(self, inputs, device):
        x = self.exponent
        if isinstance(x, np.ndarray):
            x = device.send(x)
        return F.zeta(x, inputs[0]),

    def forward_expected(self, inputs):
        return np.asarray(sp.zeta(self.exponent, inputs[0]), dtype=self.dtype),


def test_gradients_are_the_next_functions():
    """lgamma' = digamma, digamma' = polygamma(1), polygamma(n)' = polygamma(n + 1),
    d/dq zeta(x, q) = -x zeta(x + 1, q), erfinv' = sqrt(pi)/2 exp(erfinv^2)."""
    x = Variable(np.array([0.7, 1.5, 3.]))
    for f, d in ((F.lgamma, sp.digamma), (F.digamma, lambda v: sp.polygamma(1, v)),
                 (lambda v: F.polygamma(np.array(2), v), lambda v: sp.polygamma(3, v)),
                 (lambda v: F.zeta(2.5, v), lambda v: -2.5 * sp.zeta(3.5, v))):
        x.cleargrad()
        F.sum(f(x)).backward()
        np.testing.assert_allclose(x.grad, d(x.array), rtol=1e-12)
    p = Variable(np.array([-0.5, 0.2, 0.9]))
    F.sum(F.erfinv(p)).backward()
    np.testing.assert_allclose(p.grad, np.sqrt(np.pi) / 2 * np.exp(sp.erfinv(p.array) ** 2),
                               rtol=1e-12)


def test_tails_stay_finite():
    """log_ndtr and its gradient far in the left tail, erfcx far right: no -inf/0/NaN."""
    x = Variable(np.array([-40., -10., 10.]))
    y = F.log_ndtr(x)
    np.testing.assert_allclose(y.array, sp.log_ndtr(x.array), rtol=1e-13)
    F.sum(y).backward()
    # d/dx log ndtr(x) ~ -x in the left tail
    assert np.all(np.isfinite(x.grad)) and abs(x.grad[0] - 40.) < 0.1
    np.testing.assert_allclose(F.erfcx(np.array([30., 1e3])).array, sp.erfcx([30., 1e3]))


@pytest.mark.parametrize('name', sorted(_UNARY))
def test_unary_rejects_integers(name):
    with pytest.raises(InvalidType, match=rf'(?s){_LABELS[name]}.*x.dtype.kind == .f.'):
        _UNARY[name][0](np.arange(1, 4, dtype=np.int32))


def test_polygamma_and_zeta_type_errors():
    x = np.ones(3, np.float32)
    with pytest.raises(InvalidType, match=r'(?s)PolyGamma.*n.dtype.kind == .i.'):
        F.polygamma(np.ones(3, np.float32), x)
    with pytest.raises(InvalidType, match=r'(?s)PolyGamma.*x.dtype.kind == .f.'):
        F.polygamma(np.ones(3, np.int32), np.ones(3, np.int32))
    with pytest.raises(InvalidType, match=r'(?s)PolyGamma.*broadcast'):
        F.polygamma(np.ones(2, np.int32), x)
    with pytest.raises(InvalidType, match=r'(?s)Zeta.*q.dtype.kind == .f.'):
        F.zeta(2.0, np.ones(3, np.int32))


def test_missing_scipy_names_the_function(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_scipy(name, *args, **kwargs):
        if name.startswith('scipy'):
            raise ImportError(f'No module named {name!r}')
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, '__import__', no_scipy)
    with pytest.raises(ImportError, match=r'lgamma needs SciPy .*tracegrad\[special\]'):
        F.lgamma(np.ones(2, np.float32))
    with pytest.raises(ImportError, match=r'zeta needs SciPy'):
        backend.get_special_module(np, 'zeta')

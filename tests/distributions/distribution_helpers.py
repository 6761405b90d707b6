"""What the distribution tests share: a FunctionTestCase over a distribution's
parameters, and sample-statistics checks.

(A module of its own, not conftest.py: see tests/compile/compile_helpers.py.)
"""
import numpy as np

from tracegrad import testing


class DistributionTestCase(testing.FunctionTestCase):
    """Forward, backward and double backward of ``log_prob(x)`` and the moments, as
    functions of the parameters (the generated ``*_gpu`` variants run them on CuPy).

    Subclasses define ``make_params()`` (a tuple of NumPy arrays), ``make_x()``,
    ``build(params)`` (the distribution) and ``expected(params, x)`` (the
    reference, a dict of the checked names from ``outputs``, from scipy.stats).
    ``cdf``, ``log_cdf``, ``survival_function`` and ``log_survival_function`` are
    evaluated at ``x``.
    ``icdf`` is evaluated at ``self.u``, which ``make_x`` sets where it is checked.
    """

    __test__ = False
    outputs = ('log_prob', 'entropy', 'mean', 'variance', 'stddev')
    dtype = np.float64

    def setUp(self):
        rng = np.random.RandomState(7)
        self.params = tuple(p.astype(self.dtype) for p in self.make_params(rng))
        self.x = self.make_x(rng)
        if self.dtype == np.float32:
            self.check_forward_options = {'atol': 1e-5, 'rtol': 1e-4}
            self.check_backward_options = {'atol': 1e-3, 'rtol': 1e-2, 'dtype': np.float64}
            self.check_double_backward_options = {'atol': 1e-2, 'rtol': 1e-2,
                                                  'dtype': np.float64}
        else:
            self.check_forward_options = {'atol': 1e-10, 'rtol': 1e-8}
            self.check_backward_options = {'atol': 1e-6, 'rtol': 1e-5, 'eps': 1e-5}
            self.check_double_backward_options = {'atol': 1e-5, 'rtol': 1e-4, 'eps': 1e-5}

    def generate_inputs(self):
        return tuple(p.copy() for p in self.params)

    def forward(self, inputs, device):
        d = self.build(inputs)
        dtype = inputs[0].dtype  # float64 while gradient_check computes in float64

        def data(a):
            return device.send(a.astype(dtype) if a.dtype.kind == 'f' else a)
        x = data(self.x)
        values = {'log_prob': lambda: d.log_prob(x), 'cdf': lambda: d.cdf(x),
                  'log_cdf': lambda: d.log_cdf(x),
                  'survival_function': lambda: d.survival_function(x),
                  'log_survival_function': lambda: d.log_survival_function(x),
                  'icdf': lambda: d.icdf(data(self.u))}
        return tuple(values[name]() if name in values else getattr(d, name)
                     for name in self.outputs)

    def forward_expected(self, inputs):
        params = tuple(p.astype(np.float64) for p in inputs)
        expected = self.expected(params, self.x.astype(np.float64)
                                 if self.x.dtype.kind == 'f' else self.x)
        return tuple(np.asarray(expected[name]).astype(self.dtype) for name in self.outputs)


def check_sample_moments(d, n, mean, variance, rtol=0.1, atol=0.05):
    """Draw ``n`` samples of ``d`` and compare their mean and variance with ``mean``
    and ``variance`` (loosely: the draws are random, though seeded by the caller)."""
    s = d.sample(n)
    assert s.shape == (n,) + d.batch_shape + d.event_shape
    a = np.asarray(s.array, np.float64)
    np.testing.assert_allclose(a.mean(axis=0), mean, rtol=rtol, atol=atol)
    np.testing.assert_allclose(a.var(axis=0), variance, rtol=rtol, atol=atol)
    return s


def check_kl(p, q, expected, n=200000):
    """``kl_divergence(p, q)`` equals the closed form ``expected`` and, within 5 %, the
    Monte Carlo mean of ``log p(z) - log q(z)`` over ``n`` draws of ``p`` (seeded here)."""
    import tracegrad

    np.testing.assert_allclose(tracegrad.kl_divergence(p, q).array, expected, rtol=1e-12)
    np.random.seed(0)
    z = p.sample(n)
    mc = (p.log_prob(z) - q.log_prob(z)).array.mean(axis=0)
    np.testing.assert_allclose(mc, expected, rtol=0.05)


def check_kl_gradients(kl, args, rng):
    """First and second gradients of ``kl(*args)`` (a KL divergence of distributions built
    from the arrays ``args``, of one float dtype) by finite differences; it keeps the dtype."""
    from tracegrad import gradient_check

    dtype = args[0].dtype
    y = kl(*args)
    assert y.dtype == dtype
    tol = {'atol': 1e-3, 'rtol': 1e-2} if dtype == np.float32 else {'atol': 1e-6, 'rtol': 1e-5}
    gy = rng.normal(size=y.shape).astype(dtype)
    gradient_check.check_backward(kl, args, gy, dtype=np.float64, **tol)
    ggx = tuple(rng.normal(size=a.shape).astype(dtype) for a in args)
    gradient_check.check_double_backward(kl, args, gy, ggx, dtype=np.float64, **tol)

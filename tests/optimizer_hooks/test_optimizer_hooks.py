"""Each optimizer hook against its formula."""
import numpy as np
import pytest

import tracegrad
from tracegrad import optimizer_hooks, optimizers

SHAPES = [(3, 5), (7,)]


class TwoParams(tracegrad.Link):
    def __init__(self, dtype):
        super().__init__()
        rng = np.random.RandomState(0)
        with self.init_scope():
            self.a = tracegrad.Parameter(rng.uniform(-1, 1, SHAPES[0]).astype(dtype))
            self.b = tracegrad.Parameter(rng.uniform(-1, 1, SHAPES[1]).astype(dtype))


def _setup(hook, dtype, lr=0.5, grad_scale=1.0, timing='auto'):
    link = TwoParams(dtype)
    opt = optimizers.SGD(lr=lr).setup(link)
    opt.add_hook(hook, timing=timing)
    rng = np.random.RandomState(1)
    for p in link.params():
        p.grad = (rng.uniform(-1, 1, p.shape) * grad_scale).astype(dtype)
    before = {name: (p.array.astype(np.float64), p.grad.astype(np.float64))
              for name, p in link.namedparams()}
    return link, opt, before


def _check(link, expected_grads, before, dtype, lr=0.5):
    tol = {'rtol': 1e-5, 'atol': 1e-6} if dtype == np.float32 else {'rtol': 1e-12}
    for name, p in link.namedparams():
        assert p.grad.dtype == dtype and p.array.dtype == dtype
        np.testing.assert_allclose(p.grad, expected_grads[name], **tol)
        np.testing.assert_allclose(p.array, before[name][0] - lr * expected_grads[name], **tol)


DTYPES = [np.float32, np.float64]


@pytest.mark.parametrize('dtype', DTYPES)
def test_weight_decay(dtype):
    link, opt, before = _setup(optimizer_hooks.WeightDecay(0.1), dtype)
    opt.update()
    _check(link, {k: g + 0.1 * p for k, (p, g) in before.items()}, before, dtype)


@pytest.mark.parametrize('dtype', DTYPES)
def test_lasso(dtype):
    link, opt, before = _setup(optimizer_hooks.Lasso(0.1), dtype)
    opt.update()
    _check(link, {k: g + 0.1 * np.sign(p) for k, (p, g) in before.items()}, before, dtype)


@pytest.mark.parametrize('dtype', DTYPES)
@pytest.mark.parametrize('grad_scale', [0.1, 10.0])
def test_gradient_clipping(dtype, grad_scale):
    threshold = 2.0
    link, opt, before = _setup(optimizer_hooks.GradientClipping(threshold), dtype,
                               grad_scale=grad_scale)
    norm = np.sqrt(sum((g ** 2).sum() for _, g in before.values()))
    assert (norm < threshold) == (grad_scale == 0.1)  # both sides of the threshold
    opt.update()
    rate = min(1.0, threshold / norm)
    _check(link, {k: g * rate for k, (_, g) in before.items()}, before, dtype)
    if grad_scale == 10.0:
        clipped = np.sqrt(sum((p.grad.astype(np.float64) ** 2).sum() for p in link.params()))
        assert clipped == pytest.approx(threshold, rel=1e-5)


@pytest.mark.parametrize('dtype', DTYPES)
@pytest.mark.parametrize('bounds', [(-0.3, 0.4), (None, 0.2), (-0.2, None)])
def test_gradient_hard_clipping(dtype, bounds):
    link, opt, before = _setup(optimizer_hooks.GradientHardClipping(*bounds), dtype)
    opt.update()
    _check(link, {k: np.clip(g, *bounds) for k, (_, g) in before.items()}, before, dtype)


@pytest.mark.parametrize('dtype', DTYPES)
def test_gradient_noise(dtype):
    eta = 0.3
    link, opt, before = _setup(optimizer_hooks.GradientNoise(eta), dtype)
    np.random.seed(7)
    opt.update()
    np.random.seed(7)
    std = np.sqrt(eta / (1 + 0) ** 0.55)  # the rules have made no step yet (t = 0)
    expected = {}
    for name, p in link.namedparams():  # the hook visits parameters in this order
        expected[name] = before[name][1] + np.random.normal(0, std, p.shape).astype(dtype)
    _check(link, expected, before, dtype)


def test_gradient_noise_anneals_with_step_count():
    from tracegrad.optimizer_hooks.gradient_noise import exponential_decay_noise

    class Hook:
        eta = 1.0

    class Rule:
        t = 99

    np.random.seed(3)
    noise = exponential_decay_noise(np, (20000,), np.float64, Hook(), Rule())
    assert noise.std() == pytest.approx(np.sqrt(1.0 / 100 ** 0.55), rel=0.03)


def test_gradient_noise_custom_function():
    def constant_noise(xp, shape, dtype, hook, rule):
        return xp.full(shape, hook.eta, dtype)

    link, opt, before = _setup(optimizer_hooks.GradientNoise(0.25, constant_noise), np.float32)
    opt.update()
    _check(link, {k: g + 0.25 for k, (_, g) in before.items()}, before, np.float32)


@pytest.mark.parametrize('dtype', DTYPES)
@pytest.mark.parametrize('threshold', [1e-2, 3.0])  # |w| is about 2.3 and 1.6
def test_gradient_lars(dtype, threshold):
    wd, eps = 0.01, 1e-9
    link, opt, before = _setup(optimizer_hooks.GradientLARS(threshold, wd, eps), dtype)
    opt.update()
    expected = {}
    for name, (p, g) in before.items():
        p_norm, g_norm = np.linalg.norm(p), np.linalg.norm(g)
        rate = p_norm / (eps + g_norm + wd * p_norm) if p_norm > threshold else 1.0
        expected[name] = (g + wd * p) * rate
    _check(link, expected, before, dtype)


def test_post_timing_leaves_the_update_alone():
    link, opt, before = _setup(optimizer_hooks.WeightDecay(0.1), np.float64, timing='post')
    opt.update()
    for name, p in link.namedparams():
        p0, g = before[name]
        np.testing.assert_allclose(p.array, p0 - 0.5 * g)  # plain SGD step
        np.testing.assert_allclose(p.grad, g + 0.1 * p.array)  # decay applied afterwards


def test_hook_on_one_update_rule_only():
    link, opt, before = _setup(optimizer_hooks.GradientHardClipping(-0.1, 0.1), np.float64)
    opt.remove_hook('GradientHardClipping')
    link.a.update_rule.add_hook(optimizer_hooks.GradientHardClipping(-0.1, 0.1))
    opt.update()
    np.testing.assert_allclose(link.a.grad, np.clip(before['/a'][1], -0.1, 0.1))
    np.testing.assert_allclose(link.b.grad, before['/b'][1])


def test_hooks_accept_read_only_gradients():
    """A gradient from backprop may be a read-only broadcast view (e.g. from F.sum)."""
    link = TwoParams(np.float32)
    opt = optimizers.SGD(lr=1.0).setup(link)
    for hook in (optimizer_hooks.WeightDecay(0.1), optimizer_hooks.Lasso(0.1),
                 optimizer_hooks.GradientClipping(1.0), optimizer_hooks.GradientNoise(0.1),
                 optimizer_hooks.GradientHardClipping(-1, 1), optimizer_hooks.GradientLARS()):
        opt.add_hook(hook)
    for p in link.params():
        g = np.broadcast_to(np.float32(0.5), p.shape)
        assert not g.flags.writeable
        p.grad = g
    opt.update()
    assert all(np.isfinite(p.array).all() for p in link.params())


def test_hooks_skip_parameters_without_grad_or_data():
    link = tracegrad.Link()
    with link.init_scope():
        link.p = tracegrad.Parameter()
    for hook in (optimizer_hooks.WeightDecay(0.1), optimizer_hooks.Lasso(0.1),
                 optimizer_hooks.GradientNoise(0.1), optimizer_hooks.GradientHardClipping(-1, 1),
                 optimizer_hooks.GradientLARS()):
        hook(None, link.p)
    opt = optimizers.SGD().setup(link)
    optimizer_hooks.GradientClipping(1.0)(opt)
    assert link.p.array is None and link.p.grad is None


def test_hook_names_and_timings():
    for cls, args in ((optimizer_hooks.WeightDecay, (0.1,)), (optimizer_hooks.Lasso, (0.1,)),
                      (optimizer_hooks.GradientClipping, (1.0,)),
                      (optimizer_hooks.GradientHardClipping, (-1, 1)),
                      (optimizer_hooks.GradientNoise, (0.1,)), (optimizer_hooks.GradientLARS, ())):
        hook = cls(*args)
        assert hook.name == cls.__name__ and hook.timing == 'pre'
        assert getattr(hook, 'call_for_each_param', False) == (cls is not
                                                               optimizer_hooks.GradientClipping)

"""MSVAG against its update rule written by hand in float64 NumPy, its defaults, its
training, and a compiled step equal to the eager one."""
import numpy as np
import pytest

import tracegrad
import tracegrad.functions as F
import tracegrad.links as L
from tracegrad import optimizers


class OneParam(tracegrad.Link):
    def __init__(self, array):
        super().__init__()
        with self.init_scope():
            self.p = tracegrad.Parameter(array)


def msvag(p, g, s, hp, t):
    """One M-SVAG step (Balles and Hennig 2017) with decoupled weight decay."""
    beta = hp['beta']
    s['m'] = beta * s.get('m', 0) + (1 - beta) * g
    s['v'] = beta * s.get('v', 0) + (1 - beta) * g * g
    mt = s['m'] / (1 - beta ** t)
    vt = s['v'] / (1 - beta ** t)
    rho = ((1 - beta) ** 2 * (1 - beta ** (2 * t))) / ((1 - beta ** t) ** 2 * (1 - beta ** 2))
    rho = min(rho, 0.9999)
    variance = (vt - mt ** 2) / (1 - rho)
    with np.errstate(invalid='ignore', divide='ignore'):
        factor = np.clip(mt ** 2 / (mt ** 2 + rho * variance), 0, 1)
    factor[np.isnan(factor)] = 0
    return p - hp['eta'] * (hp['lr'] * mt * factor + hp['weight_decay_rate'] * p)


TOLERANCE = {np.float32: {'rtol': 1e-4, 'atol': 1e-6}, np.float64: {'rtol': 1e-9, 'atol': 1e-12}}


@pytest.mark.parametrize('dtype', [np.float32, np.float64])
@pytest.mark.parametrize('kwargs', [
    {},
    {'lr': 0.05, 'beta': 0.7, 'eta': 0.5, 'weight_decay_rate': 0.01},
])
def test_msvag_matches_the_update_rule(kwargs, dtype):
    hp = dict({'lr': 0.1, 'beta': 0.9, 'eta': 1.0, 'weight_decay_rate': 0}, **kwargs)
    shape = (3, 5)
    rng = np.random.RandomState(0)
    p0 = rng.uniform(-1, 1, shape)
    link = OneParam(p0.astype(dtype))
    opt = optimizers.MSVAG(**kwargs).setup(link)
    expected, state = p0.copy(), {}
    for t in range(1, 8):
        g = rng.uniform(-1, 1, shape) * rng.choice([0.1, 1.0, 3.0], shape)
        g[0, 0] = 0.0  # a gradient that stays zero: the 0 / 0 factor is 0
        if t == 5:  # a hyperparameter changed at run time reaches the rule
            opt.lr *= 0.5
            hp['lr'] *= 0.5
        link.p.grad = g.astype(dtype)
        opt.update()
        expected = msvag(expected, g.astype(dtype).astype(np.float64), state, hp, t)
        assert link.p.array.dtype == dtype
        np.testing.assert_allclose(link.p.array, expected, **TOLERANCE[dtype],
                                   err_msg=f'step {t}')
    rule = link.p.update_rule
    assert set(rule.state) == {'m', 'v'} and rule.t == 7
    assert rule.beta_power == pytest.approx(hp['beta'] ** 8)
    assert np.isfinite(link.p.array).all()


def test_msvag_defaults_are_chainers():
    opt = optimizers.MSVAG()
    assert (opt.lr, opt.beta, opt.eta, opt.weight_decay_rate) == (0.1, 0.9, 1.0, 0)


def _train(compiled_backend=None, steps=4):
    np.random.seed(0)
    model = L.Linear(3, 2)
    opt = optimizers.MSVAG(lr=0.05, weight_decay_rate=0.01).setup(model)

    def step(x, t):
        loss = F.mean_squared_error(model(x), t)
        model.cleargrads()
        loss.backward()
        opt.update()
        return loss

    fn = step if compiled_backend is None else tracegrad.compile(step, backend=compiled_backend)
    rng = np.random.RandomState(1)
    x = rng.randn(8, 3).astype(np.float32)
    t = rng.randn(8, 2).astype(np.float32)
    losses = [float(fn(x, t).array) for _ in range(steps)]
    return model, opt, losses, fn


def test_msvag_reduces_a_loss():
    _, _, losses, _ = _train(steps=30)
    assert losses[-1] < 0.8 * losses[0]


@pytest.mark.parametrize('backend', ['reference', 'c'])
def test_msvag_compiled_step_equals_eager(backend):
    eager, eager_opt, eager_losses, _ = _train()
    model, opt, losses, fn = _train(backend)
    assert fn.stats['eager_calls'] == 0 and fn.stats['traces'] >= 1
    np.testing.assert_allclose(losses, eager_losses, rtol=1e-5)
    for (name, p), (_, q) in zip(sorted(model.namedparams()), sorted(eager.namedparams())):
        np.testing.assert_allclose(p.array, q.array, rtol=1e-5, atol=1e-7, err_msg=name)
        np.testing.assert_allclose(p.update_rule.state['m'], q.update_rule.state['m'],
                                   rtol=1e-5, atol=1e-7, err_msg=name)
    assert opt.t == eager_opt.t == 4

"""Each optimizer against its textbook update, written by hand in float64 NumPy."""
import numpy as np
import pytest

import tracegrad
from tracegrad import optimizers


class OneParam(tracegrad.Link):
    def __init__(self, array):
        super().__init__()
        with self.init_scope():
            self.p = tracegrad.Parameter(array)


# -- textbook updates: (param, grad, state, hyperparameters, t) -> param; state is updated --

def sgd(p, g, s, hp, t):
    return p - hp['lr'] * g


def momentum_sgd(p, g, s, hp, t):
    s['v'] = hp['momentum'] * s.get('v', 0) - hp['lr'] * g
    return p + s['v']


def nesterov_ag(p, g, s, hp, t):
    # Bengio et al. (arXiv:1212.0901), eq. (7): v' = mu v - lr g; p += mu v' - lr g ... in the
    # form used by Chainer: p += mu^2 v' - (1 + mu) lr g.
    mu, lr = hp['momentum'], hp['lr']
    s['v'] = mu * s.get('v', 0) - lr * g
    return p + mu * mu * s['v'] - (1 + mu) * lr * g


def corrected_momentum_sgd(p, g, s, hp, t):
    s['u'] = hp['momentum'] * s.get('u', 0) + g
    return p - hp['lr'] * s['u']


def ada_grad(p, g, s, hp, t):
    s['h'] = s.get('h', 0) + g ** 2
    return p - hp['lr'] * g / (np.sqrt(s['h']) + hp['eps'])


def ada_delta(p, g, s, hp, t):
    rho, eps = hp['rho'], hp['eps']
    s['eg2'] = rho * s.get('eg2', 0) + (1 - rho) * g ** 2
    dx = np.sqrt(s.get('edx2', 0) + eps) / np.sqrt(s['eg2'] + eps) * g
    s['edx2'] = rho * s.get('edx2', 0) + (1 - rho) * dx ** 2
    return p - dx


def rmsprop(p, g, s, hp, t):
    s['ms'] = hp['alpha'] * s.get('ms', 0) + (1 - hp['alpha']) * g ** 2
    if hp.get('eps_inside_sqrt'):
        return p - hp['lr'] * g / np.sqrt(s['ms'] + hp['eps'])
    return p - hp['lr'] * g / (np.sqrt(s['ms']) + hp['eps'])


def rmsprop_graves(p, g, s, hp, t):
    a = hp['alpha']
    s['n'] = a * s.get('n', 0) + (1 - a) * g ** 2
    s['g'] = a * s.get('g', 0) + (1 - a) * g
    s['d'] = hp['momentum'] * s.get('d', 0) - hp['lr'] * g / np.sqrt(s['n'] - s['g'] ** 2
                                                                      + hp['eps'])
    return p + s['d']


def adam(p, g, s, hp, t):
    # Kingma & Ba, with the bias corrections folded into the step size (section 2), plus
    # AMSGrad's running maximum, AdaBound's clipping and AdamW's decoupled weight decay.
    b1, b2 = hp['beta1'], hp['beta2']
    s['m'] = b1 * s.get('m', 0) + (1 - b1) * g
    s['v'] = b2 * s.get('v', 0) + (1 - b2) * g ** 2
    v = s['v']
    if hp.get('amsgrad'):
        s['vmax'] = np.maximum(s.get('vmax', 0), s['v'])
        v = s['vmax']
    step = hp['alpha'] * np.sqrt(1 - b2 ** t) / (1 - b1 ** t) / (np.sqrt(v) + hp['eps'])
    if hp.get('adabound'):
        final_lr = hp['final_lr']  # alpha is never changed in the AdaBound cases
        step = np.clip(step, final_lr * (1 - 1 / (hp['gamma'] * t + 1)),
                       final_lr * (1 + 1 / (hp['gamma'] * t)))
    return p - hp.get('eta', 1.0) * (step * s['m'] + hp.get('weight_decay_rate', 0) * p)


def smorms3(p, g, s, hp, t):
    mem = s.get('mem', 1.0)
    r = 1 / (mem + 1)
    s['g'] = (1 - r) * s.get('g', 0) + r * g
    s['g2'] = (1 - r) * s.get('g2', 0) + r * g ** 2
    x = s['g'] ** 2 / (s['g2'] + hp['eps'])
    p = p - g * np.minimum(x, hp['lr']) / (np.sqrt(s['g2']) + hp['eps'])
    s['mem'] = 1 + mem * (1 - x)
    return p


ADAM_DEFAULTS = {'alpha': 0.001, 'beta1': 0.9, 'beta2': 0.999, 'eps': 1e-8}

# (optimizer class, constructor kwargs, reference, its hyperparameters, the state keys,
#  the hyperparameter changed halfway)
CASES = [
    (optimizers.SGD, {}, sgd, {'lr': 0.01}, set(), 'lr'),
    (optimizers.SGD, {'lr': 0.3}, sgd, {'lr': 0.3}, set(), 'lr'),
    (optimizers.MomentumSGD, {}, momentum_sgd, {'lr': 0.01, 'momentum': 0.9}, {'v'}, 'lr'),
    (optimizers.MomentumSGD, {'lr': 0.1, 'momentum': 0.5}, momentum_sgd,
     {'lr': 0.1, 'momentum': 0.5}, {'v'}, 'momentum'),
    (optimizers.NesterovAG, {'lr': 0.05}, nesterov_ag, {'lr': 0.05, 'momentum': 0.9}, {'v'},
     'lr'),
    (optimizers.CorrectedMomentumSGD, {'lr': 0.05}, corrected_momentum_sgd,
     {'lr': 0.05, 'momentum': 0.9}, {'v'}, 'lr'),
    (optimizers.AdaGrad, {}, ada_grad, {'lr': 0.001, 'eps': 1e-8}, {'h'}, 'lr'),
    (optimizers.AdaGrad, {'lr': 0.1, 'eps': 1e-3}, ada_grad, {'lr': 0.1, 'eps': 1e-3}, {'h'},
     'eps'),
    (optimizers.AdaDelta, {}, ada_delta, {'rho': 0.95, 'eps': 1e-6}, {'msg', 'msdx'}, 'rho'),
    (optimizers.RMSprop, {}, rmsprop, {'lr': 0.01, 'alpha': 0.99, 'eps': 1e-8}, {'ms'}, 'lr'),
    (optimizers.RMSprop, {'eps_inside_sqrt': True, 'eps': 1e-2}, rmsprop,
     {'lr': 0.01, 'alpha': 0.99, 'eps': 1e-2, 'eps_inside_sqrt': True}, {'ms'}, 'alpha'),
    (optimizers.RMSpropGraves, {}, rmsprop_graves,
     {'lr': 1e-4, 'alpha': 0.95, 'momentum': 0.9, 'eps': 1e-4}, {'n', 'g', 'delta'}, 'lr'),
    (optimizers.Adam, {}, adam, ADAM_DEFAULTS, {'m', 'v'}, 'alpha'),
    (optimizers.Adam, {'alpha': 0.01, 'beta1': 0.8, 'beta2': 0.9, 'eta': 0.5,
                       'weight_decay_rate': 0.1}, adam,
     {'alpha': 0.01, 'beta1': 0.8, 'beta2': 0.9, 'eps': 1e-8, 'eta': 0.5,
      'weight_decay_rate': 0.1}, {'m', 'v'}, 'eta'),
    (optimizers.AdamW, {'weight_decay_rate': 0.01}, adam,
     dict(ADAM_DEFAULTS, weight_decay_rate=0.01), {'m', 'v'}, 'weight_decay_rate'),
    (optimizers.AMSGrad, {}, adam, dict(ADAM_DEFAULTS, amsgrad=True), {'m', 'v', 'vhat'},
     'beta1'),
    (optimizers.AdaBound, {'final_lr': 0.01}, adam,
     dict(ADAM_DEFAULTS, adabound=True, final_lr=0.01, gamma=1e-3), {'m', 'v'}, 'gamma'),
    (optimizers.AMSBound, {'alpha': 0.1, 'gamma': 0.5}, adam,
     dict(ADAM_DEFAULTS, alpha=0.1, amsgrad=True, adabound=True, final_lr=0.1, gamma=0.5),
     {'m', 'v', 'vhat'}, 'final_lr'),
    (optimizers.SMORMS3, {}, smorms3, {'lr': 0.001, 'eps': 1e-16}, {'mem', 'g', 'g2'}, 'lr'),
    (optimizers.SMORMS3, {'lr': 0.05}, smorms3, {'lr': 0.05, 'eps': 1e-16},
     {'mem', 'g', 'g2'}, 'lr'),
]
IDS = [f'{c[0].__name__}-{i}' for i, c in enumerate(CASES)]
TOLERANCE = {np.float32: {'rtol': 1e-4, 'atol': 1e-6}, np.float64: {'rtol': 1e-9, 'atol': 1e-12}}


def _grads(shape, steps, seed=1):
    rng = np.random.RandomState(seed)
    # Away from zero so that AdaBound/SMORMS3 branches are exercised on both sides.
    return [rng.uniform(-1, 1, shape) * rng.choice([0.1, 1.0, 3.0], shape) for _ in range(steps)]


@pytest.mark.parametrize('dtype', [np.float32, np.float64])
@pytest.mark.parametrize('case', CASES, ids=IDS)
def test_matches_textbook_update(case, dtype):
    cls, kwargs, reference, hp, state_keys, changed = case
    shape = (3, 5)
    p0 = np.random.RandomState(0).uniform(-1, 1, shape)
    link = OneParam(p0.astype(dtype))
    opt = cls(**kwargs).setup(link)
    expected, ref_state, hp = p0.copy(), {}, dict(hp)
    for t, g in enumerate(_grads(shape, 6), start=1):
        if t == 4:  # a hyperparameter changed at run time reaches the update rule
            setattr(opt, changed, getattr(opt, changed) * 0.5)
            hp[changed] *= 0.5
        link.p.grad = g.astype(dtype)
        opt.update()
        expected = reference(expected, g.astype(dtype).astype(np.float64), ref_state, hp, t)
        assert link.p.array.dtype == dtype
        np.testing.assert_allclose(link.p.array, expected, **TOLERANCE[dtype],
                                   err_msg=f'step {t}')
    rule = link.p.update_rule
    assert rule.t == opt.t == 6
    assert set(rule.state) == state_keys
    for key, value in rule.state.items():
        assert value.shape == shape and value.dtype == dtype, key


def test_defaults_are_chainers():
    assert optimizers.SGD().lr == 0.01
    assert (optimizers.MomentumSGD().lr, optimizers.MomentumSGD().momentum) == (0.01, 0.9)
    assert (optimizers.NesterovAG().lr, optimizers.NesterovAG().momentum) == (0.01, 0.9)
    assert optimizers.CorrectedMomentumSGD().momentum == 0.9
    assert (optimizers.AdaGrad().lr, optimizers.AdaGrad().eps) == (0.001, 1e-8)
    assert (optimizers.AdaDelta().rho, optimizers.AdaDelta().eps) == (0.95, 1e-6)
    r = optimizers.RMSprop()
    assert (r.lr, r.alpha, r.eps, r.eps_inside_sqrt) == (0.01, 0.99, 1e-8, False)
    g = optimizers.RMSpropGraves()
    assert (g.lr, g.alpha, g.momentum, g.eps) == (1e-4, 0.95, 0.9, 1e-4)
    a = optimizers.Adam()
    assert (a.alpha, a.beta1, a.beta2, a.eps, a.eta, a.weight_decay_rate, a.amsgrad,
            a.adabound, a.final_lr, a.gamma) == (0.001, 0.9, 0.999, 1e-8, 1.0, 0, False, False,
                                                 0.1, 1e-3)
    assert optimizers.AMSGrad().amsgrad and not optimizers.AMSGrad().adabound
    assert optimizers.AdaBound().adabound and not optimizers.AdaBound().amsgrad
    assert optimizers.AMSBound().adabound and optimizers.AMSBound().amsgrad
    assert (optimizers.SMORMS3().lr, optimizers.SMORMS3().eps) == (0.001, 1e-16)


def test_rule_hyperparameter_overrides_optimizer():
    link = OneParam(np.zeros(3, np.float32))
    opt = optimizers.SGD(lr=0.1).setup(link)
    link.p.update_rule.hyperparam.lr = 1.0
    opt.lr = 0.01  # no effect on the overridden rule
    link.p.grad = np.ones(3, np.float32)
    opt.update()
    np.testing.assert_array_equal(link.p.array, -np.ones(3, np.float32))


def test_adam_alpha_t_and_lr():
    link = OneParam(np.zeros(3, np.float32))
    opt = optimizers.Adam(alpha=0.1).setup(link)
    with pytest.raises(RuntimeError, match='not been started'):
        _ = opt.alpha_t
    with pytest.raises(RuntimeError, match='not been started'):
        _ = link.p.update_rule.alpha_t
    link.p.grad = np.ones(3, np.float32)
    opt.update()
    opt.update()
    expected = 0.1 * np.sqrt(1 - 0.999 ** 2) / (1 - 0.9 ** 2)
    assert opt.alpha_t == pytest.approx(expected)
    assert link.p.update_rule.alpha_t == pytest.approx(expected)
    with pytest.warns(DeprecationWarning, match='alpha_t'):
        assert opt.lr == pytest.approx(expected)
    opt.alpha *= 0.5
    assert opt.alpha_t == pytest.approx(expected / 2)


def test_adabound_bounds_follow_alpha():
    link = OneParam(np.zeros(3, np.float32))
    opt = optimizers.AdaBound(alpha=0.01, final_lr=0.1, gamma=0.1).setup(link)
    rule = link.p.update_rule
    with pytest.raises(RuntimeError, match='not been started'):
        _ = rule.bounds
    link.p.grad = np.ones(3, np.float32)
    opt.update()
    assert rule.bounds == pytest.approx((0.1 * (1 - 1 / 1.1), 0.1 * (1 + 1 / 0.1)))
    opt.alpha = 0.005  # a schedule halving alpha halves the final learning rate too
    assert rule.bounds == pytest.approx((0.05 * (1 - 1 / 1.1), 0.05 * (1 + 1 / 0.1)))


@pytest.mark.parametrize('cls', [optimizers.Adam, optimizers.RMSprop])
def test_eps_too_small_for_dtype(cls):
    link = OneParam(np.zeros(3, np.float16 if cls is optimizers.RMSprop else np.float32))
    opt = cls(eps=1e-50).setup(link)
    link.p.grad = np.ones(3, link.p.dtype)
    with pytest.raises(ValueError, match='eps of .* too small'):
        opt.update()


def test_adam_float16_uses_float32_arithmetic():
    link = OneParam(np.ones(4, np.float16))
    opt = optimizers.Adam(alpha=0.01).setup(link)  # eps=1e-8 underflows in float16
    link.p.grad = np.full(4, 0.5, np.float16)
    opt.update()
    assert link.p.array.dtype == np.float16
    np.testing.assert_allclose(link.p.array, 0.99, rtol=1e-3)


def test_parameter_without_grad_is_updated_with_zero_grad():
    """As in Chainer, cleared grads are reallocated as zeros before the update."""
    link = OneParam(np.ones(3, np.float32))
    opt = optimizers.MomentumSGD(lr=0.1, momentum=0.5).setup(link)
    link.p.grad = np.ones(3, np.float32)
    opt.update()
    link.p.cleargrad()
    opt.update()  # the velocity still moves the parameter
    np.testing.assert_allclose(link.p.array, 1 - 0.1 - 0.05)
    np.testing.assert_array_equal(link.p.grad, np.zeros(3, np.float32))


def test_update_with_lossfun():
    link = OneParam(np.array([1.0, -2.0], np.float32))
    opt = optimizers.SGD(lr=0.25).setup(link)
    link.p.grad = np.full(2, 100, np.float32)  # stale: cleared by update(lossfun)

    def lossfun(scale):
        return tracegrad.functions.sum(link.p * link.p) * scale

    opt.update(lossfun, 0.5)  # grad = p
    np.testing.assert_allclose(link.p.array, [0.75, -1.5])
    opt.update(lossfun, scale=1.0)  # grad = 2p
    np.testing.assert_allclose(link.p.array, [0.375, -0.75])


@pytest.mark.parametrize('cls', [optimizers.SGD, optimizers.Adam, optimizers.MomentumSGD])
def test_uninitialized_parameter_is_skipped(cls):
    link = tracegrad.Link()
    with link.init_scope():
        link.p = tracegrad.Parameter()
    opt = cls().setup(link)
    opt.update()
    assert link.p.array is None and link.p.update_rule.state is None
    assert link.p.update_rule.t == 1

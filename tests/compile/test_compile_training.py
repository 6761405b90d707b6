"""Compiled training steps equal eager ones after every step.

Each case builds a model and an optimizer, deep-copies both, trains one copy
with a ``tracegrad.compile``-d step and the other eagerly on the same data and
the same random draws, and after every step compares everything a user can
see: the returned loss, parameters, grads, optimizer state and counters,
persistent values and reporter values.
"""
import numpy as np
import pytest
from compile_helpers import tolerances, twin

import tracegrad
import tracegrad.functions as F
import tracegrad.links as L
from tracegrad import optimizer_hooks, optimizers
from tracegrad.testing import training_step

STEPS = 20


class MLP(tracegrad.Chain):
    def __init__(self, n_in=6, n_hidden=9, n_out=4):
        super().__init__()
        with self.init_scope():
            self.l1 = L.Linear(n_in, n_hidden)
            self.l2 = L.Linear(n_hidden, n_out)

    def forward(self, x):
        return self.l2(F.relu(self.l1(x)))


class CNN(tracegrad.Chain):
    def __init__(self, n_out=3):
        super().__init__()
        with self.init_scope():
            self.conv = L.Convolution2D(2, 4, ksize=3, pad=1, nobias=True)  # BN follows
            self.bn = L.BatchNormalization(4)
            self.fc = L.Linear(4 * 3 * 3, n_out)

    def forward(self, x):
        h = F.relu(self.bn(self.conv(x)))
        h = F.max_pooling_2d(h, 2, stride=2)
        h = F.dropout(h, 0.3)
        return self.fc(h)


def _close(a, b, tol, what):
    if a is None or b is None:
        assert a is None and b is None, f'{what}: {a!r} vs {b!r}'
        return
    a, b = np.asarray(a), np.asarray(b)
    assert a.dtype == b.dtype, f'{what}: dtype {a.dtype} vs {b.dtype}'
    assert a.shape == b.shape, f'{what}: shape {a.shape} vs {b.shape}'
    np.testing.assert_allclose(a, b, err_msg=what, **tol)


def assert_same_state(model_c, opt_c, model_e, opt_e, tol):
    params_c = dict(model_c.namedparams())
    params_e = dict(model_e.namedparams())
    assert params_c.keys() == params_e.keys()
    for name, pe in params_e.items():
        pc = params_c[name]
        assert isinstance(pc.array, np.ndarray)
        _close(pc.array, pe.array, tol, f'{name}')
        _close(pc.grad, pe.grad, tol, f'{name}.grad')
        rc, re_ = pc.update_rule, pe.update_rule
        assert rc.t == re_.t and type(rc.t) is int, f'{name}: rule t {rc.t!r} vs {re_.t!r}'
        assert (rc.state is None) == (re_.state is None)
        assert sorted(rc.state or {}) == sorted(re_.state or {})
        for key in re_.state or {}:
            _close(rc.state[key], re_.state[key], tol, f'{name} state {key}')
    assert opt_c.t == opt_e.t and type(opt_c.t) is int
    for (path, lc), (_, le) in zip(model_c.namedlinks(), model_e.namedlinks()):
        for name in sorted(le._persistent):
            vc, ve = getattr(lc, name), getattr(le, name)
            if isinstance(ve, np.ndarray):
                _close(vc, ve, tol, f'{path}/{name}')
            else:
                assert vc == ve and type(vc) is type(ve), f'{path}/{name}: {vc!r} vs {ve!r}'


def run_training(model, opt, batches, backend_name, hooks=(), seed_each_step=False):
    """Train a compiled copy and an eager copy side by side, comparing after each step."""
    for hook in hooks:
        opt.add_hook(hook)
    model_e, opt_e = twin(model, opt)
    step_c = tracegrad.compile(training_step(model, opt), backend=backend_name)
    step_e = training_step(model_e, opt_e)
    rep_c, rep_e = tracegrad.Reporter(), tracegrad.Reporter()
    rep_c.add_observer('main', model)
    rep_e.add_observer('main', model_e)
    dtype = model.predictor.l1.W.dtype if hasattr(model.predictor, 'l1') else \
        model.predictor.fc.W.dtype
    tol = tolerances(dtype)
    for i, (x, t) in enumerate(batches):
        obs_c, obs_e = {}, {}
        if seed_each_step:
            np.random.seed(100 + i)
        with rep_c.scope(obs_c):
            loss_c = step_c(x, t)
        if seed_each_step:
            np.random.seed(100 + i)
        with rep_e.scope(obs_e):
            loss_e = step_e(x, t)
        assert isinstance(loss_c, tracegrad.Variable)
        assert loss_c.dtype == loss_e.dtype and loss_c.shape == ()
        _close(loss_c.array, loss_e.array, tol, f'loss at step {i}')
        assert sorted(obs_c) == sorted(obs_e) == ['main/accuracy', 'main/loss']
        for key, value in obs_e.items():
            assert isinstance(obs_c[key], tracegrad.Variable)
            _close(obs_c[key].array, value.array, tol, f'{key} at step {i}')
        _close(model.loss.array, model_e.loss.array, tol, f'Classifier.loss at step {i}')
        assert_same_state(model, opt, model_e, opt_e, tol)
    return step_c


def mlp_batches(dtype, n=STEPS, batch=5):
    rng = np.random.RandomState(1)
    return [(rng.randn(batch, 6).astype(dtype), rng.randint(0, 4, batch).astype(np.int32))
            for _ in range(n)]


def cnn_batches(dtype, n=STEPS, batch=3):
    rng = np.random.RandomState(2)
    return [(rng.randn(batch, 2, 6, 6).astype(dtype),
             rng.randint(0, 3, batch).astype(np.int32)) for _ in range(n)]


def build(chain_cls, dtype):
    np.random.seed(0)
    with tracegrad.using_config('dtype', np.dtype(dtype)):
        return L.Classifier(chain_cls())


MLP_OPTIMIZERS = [
    ('SGD', lambda: optimizers.SGD(lr=0.1), ()),
    ('MomentumSGD', lambda: optimizers.MomentumSGD(lr=0.05), ()),
    ('Adam+hooks', lambda: optimizers.Adam(alpha=0.01),
     lambda: (optimizer_hooks.WeightDecay(1e-3), optimizer_hooks.GradientClipping(0.5))),
    ('AdaGrad', lambda: optimizers.AdaGrad(lr=0.05), ()),
    ('RMSprop', lambda: optimizers.RMSprop(lr=0.01), ()),
]


@pytest.mark.parametrize('dtype', [np.float32, np.float64])
@pytest.mark.parametrize('name,make_opt,make_hooks', MLP_OPTIMIZERS,
                         ids=[c[0] for c in MLP_OPTIMIZERS])
def test_mlp_training_matches_eager(name, make_opt, make_hooks, dtype, backend_name):
    model = build(MLP, dtype)
    opt = make_opt().setup(model)
    hooks = make_hooks() if callable(make_hooks) else make_hooks
    step = run_training(model, opt, mlp_batches(dtype), backend_name, hooks)
    stats = step.statistics()
    # the first call has no grads yet, the second has: two specialisations, then hits
    assert stats['traces'] <= 2
    assert stats['cache_hits'] >= STEPS - 2
    assert stats['eager_calls'] == 0


CNN_OPTIMIZERS = [
    ('SGD', lambda: optimizers.SGD(lr=0.1), ()),
    ('MomentumSGD', lambda: optimizers.MomentumSGD(lr=0.05), ()),
    ('Adam+hooks', lambda: optimizers.Adam(alpha=0.01),
     lambda: (optimizer_hooks.WeightDecay(1e-3), optimizer_hooks.GradientClipping(1.0))),
]


@pytest.mark.parametrize('dtype', [np.float32, np.float64])
@pytest.mark.parametrize('name,make_opt,make_hooks', CNN_OPTIMIZERS,
                         ids=[c[0] for c in CNN_OPTIMIZERS])
def test_cnn_training_matches_eager(name, make_opt, make_hooks, dtype, backend_name):
    model = build(CNN, dtype)
    opt = make_opt().setup(model)
    hooks = make_hooks() if callable(make_hooks) else make_hooks
    step = run_training(model, opt, cnn_batches(dtype), backend_name, hooks,
                        seed_each_step=True)
    assert step.statistics()['eager_calls'] == 0
    assert model.predictor.bn.N == 0  # N counts only fine-tuning batches


def test_dropout_draws_follow_the_global_random_state(backend_name):
    """Unseeded consecutive steps: compiled and eager consume the same stream."""
    model = build(CNN, np.float64)
    opt = optimizers.SGD(lr=0.1).setup(model)
    model_e, opt_e = twin(model, opt)
    step_c = tracegrad.compile(training_step(model, opt), backend=backend_name)
    step_e = training_step(model_e, opt_e)
    batches = cnn_batches(np.float64, n=4)
    np.random.seed(7)
    losses_c = [float(step_c(x, t).array) for x, t in batches]
    after_c = np.random.rand()
    np.random.seed(7)
    losses_e = [float(step_e(x, t).array) for x, t in batches]
    after_e = np.random.rand()
    np.testing.assert_allclose(losses_c, losses_e, rtol=1e-10)
    assert after_c == after_e


@pytest.mark.parametrize('dtype', [np.float32, np.float64])
def test_compiled_link_for_inference(dtype, backend_name):
    np.random.seed(0)
    with tracegrad.using_config('dtype', np.dtype(dtype)):
        net = CNN()
    x = cnn_batches(dtype, n=1)[0][0]
    with tracegrad.using_config('train', True):  # move the running statistics off 0/1
        net(x)
    forward = tracegrad.compile(net, backend=backend_name)
    before = {name: p.array.copy() for name, p in net.namedparams()}
    mean, var = net.bn.avg_mean.copy(), net.bn.avg_var.copy()
    with tracegrad.using_config('train', False), tracegrad.no_backprop_mode():
        for _ in range(3):
            y_c = forward(x)
            y_e = net(x)
            assert isinstance(y_c, tracegrad.Variable)
            assert y_c.dtype == np.dtype(dtype) and y_c.shape == (x.shape[0], 3)
            np.testing.assert_allclose(y_c.array, y_e.array, **tolerances(dtype))
    for name, p in net.namedparams():
        np.testing.assert_array_equal(p.array, before[name])
    np.testing.assert_array_equal(net.bn.avg_mean, mean)
    np.testing.assert_array_equal(net.bn.avg_var, var)
    assert forward.statistics()['traces'] == 1
    assert forward.statistics()['cache_hits'] == 2


def test_compiled_link_in_train_mode_updates_statistics(backend_name):
    np.random.seed(0)
    net = L.BatchNormalization(3, dtype=np.float64)
    net_e, = twin(net)
    forward = tracegrad.compile(net, backend=backend_name)
    rng = np.random.RandomState(0)
    for _ in range(3):
        x = rng.randn(4, 3)
        y_c, y_e = forward(x), net_e(x)
        np.testing.assert_allclose(y_c.array, y_e.array, rtol=1e-10)
        np.testing.assert_allclose(net.avg_mean, net_e.avg_mean, rtol=1e-10)
        np.testing.assert_allclose(net.avg_var, net_e.avg_var, rtol=1e-10)

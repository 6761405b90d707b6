"""What cannot be compiled: clear errors, the eager fallback, and no side effects."""
import copy
import warnings

import numpy as np
import pytest
from test_compile_training import MLP

import tracegrad
import tracegrad.functions as F
import tracegrad.links as L
from tracegrad import optimizer_hooks, optimizers
from tracegrad.testing import training_step

THIS_FILE = __file__.rsplit('/', 1)[-1]


def data(batch=5, seed=0):
    rng = np.random.RandomState(seed)
    return rng.randn(batch, 6).astype(np.float32), rng.randint(0, 4, batch).astype(np.int32)


def build(opt=None):
    np.random.seed(0)
    model = L.Classifier(MLP())
    opt = (opt or optimizers.Adam(alpha=0.01)).setup(model)
    opt.add_hook(optimizer_hooks.WeightDecay(1e-3))
    return model, opt


def branching_step(model, opt):
    def step(x, t):
        loss = model(x, t)
        model.cleargrads()
        loss.backward()
        if loss.array > 0:  # data-dependent control flow
            opt.update()
        return loss
    return step


def _full_state(model, opt):
    """Everything the step could touch, deep-copied for comparison."""
    params = {}
    for name, p in model.namedparams():
        rule = p.update_rule
        params[name] = (p, p.array, copy.deepcopy(p.array), None if p.grad is None
                        else p.grad.copy(), rule.t, None if rule.state is None
                        else {k: v.copy() for k, v in rule.state.items()},
                        dict(vars(rule.hyperparam)), p._loss_scale)
    links = {path: dict(vars(link)) for path, link in model.namedlinks()}
    return {'params': params, 'links': links, 't': opt.t, 'epoch': opt.epoch,
            'hp': dict(vars(opt.hyperparam)), 'opt': dict(vars(opt)),
            'hooks': {n: dict(vars(h)) for n, h in opt._hookable.pre_hooks.items()}}


def _assert_unchanged(before, model, opt):
    after = _full_state(model, opt)
    assert after['t'] == before['t'] and after['epoch'] == before['epoch']
    assert after['hp'] == before['hp']
    assert after['hooks'] == before['hooks']
    assert after['opt'].keys() == before['opt'].keys()
    for k, v in before['opt'].items():
        assert after['opt'][k] is v, k
    for path, attrs in before['links'].items():
        now = after['links'][path]
        assert now.keys() == attrs.keys(), path
        for k, v in attrs.items():
            assert now[k] is v, f'{path}.{k}'
    for name, (p, arr, arr_copy, grad, t, state, hp, ls) in before['params'].items():
        p2, arr2, _, grad2, t2, state2, hp2, ls2 = after['params'][name]
        assert p2 is p and arr2 is arr, name
        np.testing.assert_array_equal(arr2, arr_copy)
        assert (grad is None) == (grad2 is None), name
        if grad is not None:
            np.testing.assert_array_equal(grad2, grad)
        assert t2 == t and hp2 == hp and ls2 == ls, name
        assert (state is None) == (state2 is None), name
        if state is not None:
            assert state.keys() == state2.keys()
            for k in state:
                np.testing.assert_array_equal(state2[k], state[k])


def test_data_dependent_branch_names_the_op_and_the_line(backend_name):
    model, opt = build()
    step = tracegrad.compile(branching_step(model, opt), backend=backend_name)
    with pytest.raises(tracegrad.CompileError) as info:
        step(*data())
    msg = str(info.value)
    assert 'data-dependent control flow' in msg and 'truth value' in msg
    assert THIS_FILE in msg and 'if loss.array > 0:' in msg


@pytest.mark.parametrize('warm', [False, True])
def test_failed_trace_leaves_everything_as_before(backend_name, warm):
    model, opt = build()
    x, t = data()
    if warm:  # with grads, optimizer state and counters already there
        training_step(model, opt)(x, t)
        training_step(model, opt)(x, t)
    before = _full_state(model, opt)
    step = tracegrad.compile(branching_step(model, opt), backend=backend_name)
    with pytest.raises(tracegrad.CompileError):
        step(x, t)
    _assert_unchanged(before, model, opt)
    # and eager training still works afterwards, from the same state
    loss = training_step(model, opt)(x, t)
    assert isinstance(loss.array, np.ndarray)


def test_fallback_eager_warns_once_and_gives_eager_results(backend_name):
    model, opt = build()
    model_e, opt_e = copy.deepcopy((model, opt))
    step = tracegrad.compile(branching_step(model, opt), backend=backend_name,
                             fallback='eager')
    step_e = branching_step(model_e, opt_e)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        for i in range(3):
            x, t = data(seed=i)
            loss = step(x, t)
            loss_e = step_e(x, t)
            assert isinstance(loss.array, np.ndarray)
            np.testing.assert_array_equal(loss.array, loss_e.array)
    ours = [w for w in caught if 'tracegrad.compile' in str(w.message)]
    assert len(ours) == 1, [str(w.message) for w in caught]
    assert issubclass(ours[0].category, RuntimeWarning)
    assert 'eagerly' in str(ours[0].message) and 'data-dependent' in str(ours[0].message)
    for (name, p), (_, pe) in zip(model.namedparams(), model_e.namedparams()):
        np.testing.assert_array_equal(p.array, pe.array, err_msg=name)
        np.testing.assert_array_equal(p.update_rule.state['m'], pe.update_rule.state['m'])
    assert opt.t == opt_e.t == 3
    assert step.stats['eager_calls'] == 3 and step.stats['traces'] == 0


def test_op_without_primitive_numpy_fft(backend_name):
    def step(x):
        return tracegrad.Variable(np.fft.fft(x).real)

    compiled = tracegrad.compile(step, backend=backend_name)
    with pytest.raises(tracegrad.CompileError, match=r'fft') as info:
        compiled(np.ones((2, 4)))
    assert THIS_FILE in str(info.value)


def test_op_without_primitive_boolean_mask():
    def step(x):
        return F.sum(x[x.array > 0])

    compiled = tracegrad.compile(step, backend='reference')
    with pytest.raises(tracegrad.CompileError, match='boolean') as info:
        compiled(tracegrad.Variable(np.ones((2, 4), np.float32)))
    assert THIS_FILE in str(info.value)


def test_op_without_primitive_falls_back_with_eager_result():
    def step(x):
        return np.fft.fft(x).real.sum(axis=1)

    compiled = tracegrad.compile(step, backend='reference', fallback='eager')
    x = np.arange(8.).reshape(2, 4)
    with pytest.warns(RuntimeWarning, match='fft'):
        y = compiled(x)
    np.testing.assert_array_equal(y, np.fft.fft(x).real.sum(axis=1))


def test_item_in_the_step_is_an_error():
    model, _opt = build()

    def step(x, t):
        loss = model(x, t)
        print(float(loss.array))
        return loss

    with pytest.raises(tracegrad.CompileError, match=r'float\(\).*\n.*print'):
        tracegrad.compile(step, backend='reference')(*data())


@pytest.mark.parametrize('kwargs,exc,match', [
    ({'fallback': 'x'}, ValueError, "fallback must be 'error' or 'eager', got 'x'"),
    ({'backend': 'fortran'}, ValueError, "unknown backend 'fortran'"),
])
def test_bad_compile_arguments(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        tracegrad.compile(lambda x: x, **kwargs)
    with pytest.raises(exc, match=match):
        tracegrad.compile(**kwargs)(lambda x: x)


def test_compile_of_a_non_callable():
    with pytest.raises(TypeError, match='expected a function or a Link, got int'):
        tracegrad.compile(3)


def test_keyword_arguments_and_bad_argument_types():
    compiled = tracegrad.compile(lambda x: x * 2, backend='reference')
    with pytest.raises(TypeError, match='keyword arguments'):
        compiled(x=np.ones(2))
    with pytest.raises(TypeError, match='unsupported argument type object'):
        compiled(object())


def test_returning_something_untraceable():
    compiled = tracegrad.compile(lambda x: (x * 2, object()), backend='reference')
    with pytest.raises(tracegrad.CompileError, match='cannot return a object'):
        compiled(np.ones(2))


def test_dynamic_loss_scaling_is_reported():
    model, opt = build(optimizers.SGD(lr=0.1))
    opt.loss_scaling()
    step = tracegrad.compile(lambda x, t: opt.update(model, x, t), backend='reference')
    with pytest.raises(tracegrad.CompileError):
        step(*data())
    assert opt.t == 0


def test_cuda_backend_names_arrays_on_the_wrong_device():
    """A compiled CUDA step runs on CuPy arrays: NumPy arguments or parameters get a
    TypeError naming which array, its device and the way out, before any tracing."""
    model = L.Linear(3, 2)
    W_before = model.W.array.copy()

    @tracegrad.compile(backend='cuda')
    def loss_of(x):
        return F.sum(model(x))

    with pytest.raises(TypeError, match=r"argument array 0 is on @numpy, but the 'cuda' "
                                        r"backend runs on cupy arrays.*backend='c'"):
        loss_of(np.ones((1, 3), np.float32))

    @tracegrad.compile(backend='cuda')
    def weight_norm():
        return F.sum(model.W * model.W)

    with pytest.raises(TypeError, match=r'parameter /W is on @numpy'):
        weight_norm()
    np.testing.assert_array_equal(model.W.array, W_before)
    assert loss_of.stats['traces'] == weight_norm.stats['traces'] == 0

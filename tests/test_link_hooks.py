"""Link hooks: callback order and arguments, thread-local ``with`` hooks and per-link
hooks, removal, the link TimerHook, SpectralNormalization against a NumPy power
iteration (values, gradient, train/test, options), and compiled steps."""
import copy
import gc
import io
import threading

import numpy as np
import pytest

import tracegrad
import tracegrad.functions as F
import tracegrad.links as L
from tracegrad import link_hook, link_hooks
from tracegrad.backends import cuda
from tracegrad.link_hooks import SpectralNormalization


class Recorder(tracegrad.LinkHook):
    def __init__(self, name='Recorder', log=None):
        self.name = name
        self.log = [] if log is None else log

    def added(self, link):
        self.log.append((self.name, 'added', link))

    def deleted(self, link):
        self.log.append((self.name, 'deleted', link))

    def forward_preprocess(self, args):
        self.log.append((self.name, 'pre', args.link, args.forward_name, args.args, args.kwargs))

    def forward_postprocess(self, args):
        self.log.append((self.name, 'post', args.link, args.forward_name, args.args,
                         args.kwargs, args.out))


def _plain_call():
    gc.collect()  # links of earlier tests that had hooks
    return tracegrad.Link.__call__ is not link_hook._call_with_hooks


def test_with_hook_sees_nested_links_in_order():
    predictor = L.Linear(3, 2)
    model = L.Classifier(predictor)
    x = np.ones((1, 3), np.float32)
    t = np.zeros(1, np.int32)
    with Recorder() as hook:
        loss = model(x, t)
    events = [(e[1], type(e[2]).__name__) for e in hook.log]
    assert events == [('added', 'NoneType'), ('pre', 'Classifier'), ('pre', 'Linear'),
                      ('post', 'Linear'), ('post', 'Classifier'), ('deleted', 'NoneType')]
    pre_model = hook.log[1]
    assert pre_model[3] == 'forward' and pre_model[4] == (x, t) and pre_model[5] == {}
    post_model = hook.log[4]
    assert post_model[6] is loss
    assert _plain_call()


def test_keyword_arguments_reach_the_hook():
    link = L.Linear(3, 2)
    x = np.ones((2, 3), np.float32)
    with Recorder() as hook:
        link(x, n_batch_axes=1)
    assert hook.log[1][5] == {'n_batch_axes': 1}


def test_local_hook_and_removal():
    a, b = L.Linear(2, 2), L.Linear(2, 2)
    hook = Recorder()
    assert a.add_hook(hook) is a
    assert hook.log == [('Recorder', 'added', a)]
    assert list(a.local_link_hooks) == ['Recorder']
    x = np.ones((1, 2), np.float32)
    b(a(x))
    assert [(e[1], e[2]) for e in hook.log[1:]] == [('pre', a), ('post', a)]
    a.delete_hook('Recorder')
    assert hook.log[-1] == ('Recorder', 'deleted', a)
    assert _plain_call()
    a(x)
    assert len(hook.log) == 4


def test_local_hook_replaces_a_global_one_of_the_same_name():
    log = []
    link = L.Linear(2, 2)
    link.add_hook(Recorder('mine', log), name='shared')
    with Recorder('shared', log), Recorder('other', log):
        link(np.ones((1, 2), np.float32))
    assert [e[0] for e in log if e[1] == 'pre'] == ['mine', 'other']
    link.delete_hook('shared')


def test_hook_errors():
    link = L.Linear(2, 2)
    with pytest.raises(TypeError, match='Linear.add_hook: hook must be a LinkHook'):
        link.add_hook(object())
    link.add_hook(Recorder())
    with pytest.raises(KeyError, match='Recorder already exists'):
        link.add_hook(Recorder())
    with pytest.raises(KeyError, match='Linear.delete_hook: hook x does not exist'):
        link.delete_hook('x')
    link.delete_hook('Recorder')
    with Recorder('g'), pytest.raises(KeyError, match='hook g already exists'), Recorder('g'):
        pass
    assert not link_hook.get_link_hooks()
    assert _plain_call()


def test_a_link_that_dies_with_hooks_does_not_keep_the_wrapper():
    link = L.Linear(2, 2).add_hook(Recorder())
    assert not _plain_call()
    del link
    gc.collect()
    assert _plain_call()


def test_copied_link_keeps_its_hooks():
    link = L.Linear(2, 2)
    hook = Recorder()
    link.add_hook(hook)
    twin = link.copy()
    del link
    hook.log.clear()  # it held the original
    gc.collect()
    twin(np.ones((1, 2), np.float32))
    assert [(e[1], e[2]) for e in hook.log] == [('pre', twin), ('post', twin)]
    twin.delete_hook('Recorder')
    assert _plain_call()


def test_link_hooks_are_per_thread():
    link = L.Linear(2, 2)
    x = np.ones((1, 2), np.float32)
    with Recorder() as hook:
        t = threading.Thread(target=link, args=(x,))
        t.start()
        t.join()
    assert [e[1] for e in hook.log] == ['added', 'deleted']


def test_timer_hook_times_each_link():
    model = L.Classifier(L.Linear(3, 2))
    x = np.ones((4, 3), np.float32)
    t = np.zeros(4, np.int32)
    with link_hooks.TimerHook() as timer:
        model(x, t)
        model(x, t)
    summary = timer.summary()
    assert summary['Classifier']['occurrence'] == 2 and summary['Linear']['occurrence'] == 2
    assert all(seconds > 0 for _, seconds in timer.call_history)
    classifier_total = summary['Classifier']['elapsed_time']
    assert timer.total_time() == pytest.approx(classifier_total)
    assert summary['Linear']['elapsed_time'] < classifier_total  # nested inside it
    out = io.StringIO()
    timer.print_report(file=out)
    lines = out.getvalue().splitlines()
    assert lines[0].split() == ['LinkName', 'ElapsedTime', 'Occurrence']
    assert [line.split()[0] for line in lines[1:]] == ['Linear', 'Classifier']


# -- SpectralNormalization ---------------------------------------------------------

def _power_iteration(w, u, n, eps):
    """NumPy reference: u, v after n steps and sigma = u^T W v (float64)."""
    w = w.astype(np.float64)
    u = u.astype(np.float64)
    for _ in range(n):
        v = u @ w
        v = v / (np.linalg.norm(v) + eps)
        u = w @ v
        u = u / (np.linalg.norm(u) + eps)
    return u, v, u @ w @ v


@pytest.mark.parametrize('n_power_iteration', [1, 3])
@pytest.mark.parametrize('dtype', [np.float32, np.float64])
def test_spectral_normalization_linear_against_numpy(n_power_iteration, dtype):
    link = L.Linear(5, 3)
    link.W.array = np.random.randn(3, 5).astype(dtype)
    link.b.array = np.random.randn(3).astype(dtype)
    link.add_hook(SpectralNormalization(n_power_iteration=n_power_iteration))
    assert link.W_u.shape == (3,) and link.W_u.dtype == dtype
    assert 'W_u' in link._persistent
    w, b, u0 = link.W.array.copy(), link.b.array.copy(), link.W_u.copy()
    x = tracegrad.Variable(np.random.randn(4, 5).astype(dtype))
    y = link(x)
    u, v, sigma = _power_iteration(w, u0, n_power_iteration, 1e-6)
    tol = {'rtol': 1e-4, 'atol': 1e-5} if dtype == np.float32 else {'rtol': 1e-10}
    np.testing.assert_allclose(y.array, x.array @ (w / sigma).T + b, **tol)
    np.testing.assert_allclose(link.W_u, u, **tol)  # training mode stores u
    assert isinstance(link.W, tracegrad.Parameter)  # the weight is restored after the call
    np.testing.assert_array_equal(link.W.array, w)
    # The gradient of W goes through sigma (u and v held constant).
    gy = np.random.randn(*y.shape).astype(dtype)
    y.grad = gy
    y.backward()
    g_wn = gy.T.astype(np.float64) @ x.array.astype(np.float64)
    expected = g_wn / sigma - np.sum(g_wn * w) / sigma ** 2 * np.outer(u, v)
    np.testing.assert_allclose(link.W.grad, expected, **tol)
    np.testing.assert_allclose(x.grad, gy @ (w / sigma), **tol)


def test_spectral_normalization_test_mode_keeps_u():
    link = L.Linear(4, 3).add_hook(SpectralNormalization())
    w, u0 = link.W.array.copy(), link.W_u.copy()
    x = np.random.randn(2, 4).astype(np.float32)
    with tracegrad.using_config('train', False):
        y = link(x)
    np.testing.assert_array_equal(link.W_u, u0)
    _, _, sigma = _power_iteration(w, u0, 1, 1e-6)
    np.testing.assert_allclose(y.array, x @ (w / sigma).T + link.b.array, rtol=1e-4, atol=1e-5)


def test_spectral_normalization_converges_to_the_largest_singular_value():
    w = np.random.randn(6, 4).astype(np.float32)
    link = L.Linear(4, 6, initialW=w, nobias=True).add_hook(SpectralNormalization())
    x = np.eye(4, dtype=np.float32)
    for _ in range(30):
        y = link(x)  # y = x W_n^T = W_n^T
    np.testing.assert_allclose(np.linalg.svd(y.array, compute_uv=False)[0], 1., rtol=1e-5)


def test_spectral_normalization_convolution_and_deconvolution():
    conv = L.Convolution2D(3, 5, 3).add_hook(SpectralNormalization())
    assert conv.W_u.shape == (5,)
    deconv = L.Deconvolution2D(3, 4, 3).add_hook(SpectralNormalization())
    hook = deconv.local_link_hooks['SpectralNormalization']
    assert hook.axis == 1 and deconv.W_u.shape == (4,)  # W is (in, out, kh, kw)
    w, u0 = conv.W.array.copy(), conv.W_u.copy()
    x = np.random.randn(1, 3, 5, 5).astype(np.float32)
    y = conv(x)
    _, _, sigma = _power_iteration(w.reshape(5, -1), u0, 1, 1e-6)
    expected = F.convolution_2d(x, (w / sigma).astype(np.float32), conv.b.array).array
    np.testing.assert_allclose(y.array, expected, rtol=1e-4, atol=1e-5)
    w, u0 = deconv.W.array.copy(), deconv.W_u.copy()
    y = deconv(x)
    _, _, sigma = _power_iteration(w.transpose(1, 0, 2, 3).reshape(4, -1), u0, 1, 1e-6)
    expected = F.deconvolution_2d(x, (w / sigma).astype(np.float32), deconv.b.array).array
    np.testing.assert_allclose(y.array, expected, rtol=1e-4, atol=1e-5)


def test_spectral_normalization_gamma_and_factor():
    w = np.random.randn(3, 4).astype(np.float32)
    link = L.Linear(4, 3, initialW=w, nobias=True)
    link.add_hook(SpectralNormalization(use_gamma=True, factor=2.0))
    s0 = np.linalg.svd(w, compute_uv=False)[0]
    assert isinstance(link.gamma, tracegrad.Parameter) and link.gamma.shape == ()
    np.testing.assert_allclose(link.gamma.array, s0, rtol=1e-5)
    assert '/gamma' in dict(link.namedparams())
    u0 = link.W_u.copy()
    x = np.random.randn(2, 4).astype(np.float32)
    y = link(x)
    _, _, sigma = _power_iteration(w, u0, 1, 1e-6)
    np.testing.assert_allclose(y.array, x @ (s0 * w / (sigma / 2.0)).T, rtol=1e-4, atol=1e-5)
    F.sum(y).backward()
    assert link.gamma.grad is not None
    link.delete_hook('SpectralNormalization')
    assert not hasattr(link, 'gamma') and not hasattr(link, 'W_u')
    assert '/gamma' not in dict(link.namedparams()) and 'W_u' not in link._persistent


def test_spectral_normalization_lazy_weight_and_serialization(tmp_path):
    link = L.Linear(None, 3).add_hook(SpectralNormalization())
    assert not hasattr(link, 'W_u')
    y = link(np.ones((2, 7), np.float32))
    assert link.W.shape == (3, 7) and link.W_u.shape == (3,) and y.shape == (2, 3)
    path = str(tmp_path / 'sn.npz')
    tracegrad.serializers.save_npz(path, link)
    assert 'W_u' in np.load(path).files
    other = L.Linear(7, 3).add_hook(SpectralNormalization())
    tracegrad.serializers.load_npz(path, other)
    np.testing.assert_array_equal(other.W_u, link.W_u)


def test_spectral_normalization_errors():
    with pytest.raises(ValueError, match='n_power_iteration must be at least 1'):
        SpectralNormalization(n_power_iteration=0)
    with pytest.raises(ValueError, match="Linear has no weight 'V'"):
        L.Linear(2, 2).add_hook(SpectralNormalization(weight_name='V'))
    with pytest.raises(NotImplementedError, match='link.add_hook'), SpectralNormalization():
        pass
    assert _plain_call()


def test_spectral_normalization_with_an_optimizer():
    np.random.seed(1)
    link = L.Linear(4, 3).add_hook(SpectralNormalization())
    opt = tracegrad.optimizers.Adam().setup(link)
    x = np.random.randn(8, 4).astype(np.float32)
    for _ in range(3):
        loss = F.sum(link(x) ** 2)
        link.cleargrads()
        loss.backward()
        opt.update()
    assert isinstance(link.W, tracegrad.Parameter) and np.isfinite(link.W.array).all()


# -- compiled steps ----------------------------------------------------------------

def _sn_training(compiled_backend, steps=3):
    np.random.seed(0)
    model = L.Linear(4, 3).add_hook(SpectralNormalization(n_power_iteration=2))
    opt = tracegrad.optimizers.MomentumSGD(lr=0.1).setup(model)

    def step(x):
        loss = F.sum(F.tanh(model(x)) ** 2)
        model.cleargrads()
        loss.backward()
        opt.update()
        return loss

    fn = step if compiled_backend is None else tracegrad.compile(step, backend=compiled_backend)
    x = np.random.RandomState(1).rand(5, 4).astype(np.float32)
    losses = [float(fn(x).array) for _ in range(steps)]
    return model, losses, fn


@pytest.mark.parametrize('backend', ['reference', 'c'])
def test_spectral_normalization_compiles_like_eager(backend):
    eager, eager_losses, _ = _sn_training(None)
    model, losses, fn = _sn_training(backend)
    assert fn.stats['traces'] >= 1 and fn.stats['eager_calls'] == 0
    np.testing.assert_allclose(losses, eager_losses, rtol=1e-5)
    np.testing.assert_allclose(model.W.array, eager.W.array, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(model.W_u, eager.W_u, rtol=1e-5, atol=1e-6)
    assert isinstance(model.W, tracegrad.Parameter)


def test_timer_link_hook_and_compiled_steps():
    model = L.Linear(3, 2)

    def forward(x):
        return F.sum(model(x))

    strict = tracegrad.compile(forward, backend='reference')
    lenient = tracegrad.compile(forward, backend='reference', fallback='eager')
    x = np.ones((2, 3), np.float32)
    strict(x)
    lenient(x)
    with link_hooks.TimerHook() as timer:
        # The hook is new since the step was traced: the step is traced again, and the
        # timer refuses to be traced.
        with pytest.raises(tracegrad.CompileError, match='TimerHook times eager calls'):
            strict(x)
        with pytest.warns(RuntimeWarning, match='TimerHook'):
            lenient(x)
    assert [name for name, _ in timer.call_history] == ['Linear']
    strict(x)  # without the hook: the specialisation traced before applies again


def test_deep_copied_link_keeps_its_hooks():
    link = L.Linear(3, 2).add_hook(SpectralNormalization())
    twin = copy.deepcopy(link)
    del link
    gc.collect()
    u0 = twin.W_u.copy()
    twin(np.ones((1, 3), np.float32))
    assert not np.array_equal(twin.W_u, u0)  # the copy's own hook refined its own u


@pytest.mark.gpu
def test_spectral_normalization_on_gpu_equals_cpu():
    if not cuda.available:
        pytest.skip('needs CuPy and a CUDA GPU (or TRACEGRAD_HOST_CUPY=1)')
    cpu = L.Linear(4, 3).add_hook(SpectralNormalization())
    gpu = copy.deepcopy(cpu)
    gpu.to_device('@cupy:0')
    assert isinstance(gpu.W_u, cuda.ndarray)
    x = np.random.randn(2, 4).astype(np.float32)
    y_cpu = cpu(x)
    y_gpu = gpu(cuda.to_gpu(x))
    np.testing.assert_allclose(cuda.to_cpu(y_gpu.array), y_cpu.array, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(cuda.to_cpu(gpu.W_u), cpu.W_u, rtol=1e-5, atol=1e-6)
    F.sum(y_gpu).backward()
    F.sum(y_cpu).backward()
    np.testing.assert_allclose(cuda.to_cpu(gpu.W.grad), cpu.W.grad, rtol=1e-4, atol=1e-6)


def test_hook_added_after_compiling_the_link_itself():
    np.random.seed(0)
    link = L.Linear(4, 3)
    eager = copy.deepcopy(link)
    compiled = tracegrad.compile(link, backend='reference')
    x = np.random.randn(2, 4).astype(np.float32)
    np.testing.assert_allclose(compiled(x).array, eager(x).array, rtol=1e-6)
    np.random.seed(1)
    link.add_hook(SpectralNormalization())
    np.random.seed(1)
    eager.add_hook(SpectralNormalization())
    with tracegrad.using_config('train', False):
        # The hook changes what the link computes: the next call traces it.
        np.testing.assert_allclose(compiled(x).array, eager(x).array, rtol=1e-5, atol=1e-6)
    assert compiled.stats['traces'] == 2


def test_a_second_hook_on_a_hooked_link_makes_the_compiled_link_trace_again():
    np.random.seed(0)
    link = L.Linear(4, 3).add_hook(link_hooks.TimerHook())
    compiled = tracegrad.compile(link, backend='reference', fallback='eager')
    x = np.random.randn(2, 4).astype(np.float32)
    link.delete_hook('TimerHook')
    compiled(x)
    assert compiled.stats['traces'] == 1
    link.add_hook(SpectralNormalization())  # the link already had a (now empty) hook dict
    with tracegrad.using_config('train', False):
        y = compiled(x)
        w = link.W.array
        u = link.W_u
        v = u @ w / (np.linalg.norm(u @ w) + 1e-6)  # one power iteration, u not kept
        u = w @ v / (np.linalg.norm(w @ v) + 1e-6)
        expected = x @ (w / (u @ w @ v)).T + link.b.array
    assert compiled.stats['traces'] == 2
    np.testing.assert_allclose(y.array, expected, rtol=1e-5, atol=1e-6)
    link.delete_hook('SpectralNormalization')
    compiled(x)
    assert compiled.stats['traces'] == 2  # the first specialisation applies again

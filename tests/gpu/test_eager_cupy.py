"""Eager tracegrad on CuPy: links, optimizers, hooks, serializers, the training loop and the
MNIST example run on a GPU through the same code as on NumPy, and give the same numbers.

Every test is ``@pytest.mark.gpu``: it runs on a GPU with CuPy, and without one under
``TRACEGRAD_HOST_CUPY=1`` (tests/host_cupy: a CPU stand-in whose arrays refuse to mix with
NumPy arrays, as CuPy's do). The functions themselves are covered by the ``*_gpu``
variants of every FunctionTestCase.
"""
import copy
import importlib.util
import os

import numpy as np
import pytest

import tracegrad
import tracegrad.functions as F
import tracegrad.links as L
from tracegrad import backend, optimizer_hooks, optimizers, serializers
from tracegrad.backends import cuda

pytestmark = pytest.mark.gpu
GPU = '@cupy:0'


@pytest.fixture(autouse=True)
def _needs_gpu():
    if not cuda.available:
        pytest.skip('needs CuPy and a CUDA GPU (or TRACEGRAD_HOST_CUPY=1)')


def on_gpu(a) -> bool:
    return isinstance(a, cuda.ndarray)


def assert_close(gpu_array, cpu_array, name='', rtol=1e-4, atol=1e-5):
    assert on_gpu(gpu_array), f'{name}: not on the GPU ({type(gpu_array).__name__})'
    np.testing.assert_allclose(cuda.to_cpu(gpu_array), cpu_array, rtol=rtol, atol=atol,
                               err_msg=name)


def twins(make):
    """The same freshly initialised link twice: one on the CPU, one moved to the GPU."""
    np.random.seed(0)
    cpu = make()
    gpu = copy.deepcopy(cpu)
    gpu.to_device(GPU)
    return cpu, gpu


def _rand(*shape, dtype=np.float32):
    return np.random.RandomState(sum(shape) + 1).randn(*shape).astype(dtype)


def _ids(*shape, high=5):
    return np.random.RandomState(3).randint(0, high, shape).astype(np.int32)


# link factory, inputs (NumPy), whether forward takes several inputs
LINKS = {
    'Linear': (lambda: L.Linear(5, 4), lambda: [_rand(3, 5)]),
    'Convolution2D': (lambda: L.Convolution2D(2, 3, ksize=3, stride=2, pad=1),
                      lambda: [_rand(2, 2, 7, 6)]),
    'Deconvolution2D': (lambda: L.Deconvolution2D(2, 3, ksize=3, stride=2, pad=1),
                        lambda: [_rand(2, 2, 4, 3)]),
    'BatchNormalization': (lambda: L.BatchNormalization(4), lambda: [_rand(6, 4)]),
    'GroupNormalization': (lambda: L.GroupNormalization(2, 4), lambda: [_rand(3, 4, 5)]),
    'LayerNormalization': (lambda: L.LayerNormalization(6), lambda: [_rand(3, 6)]),
    'EmbedID': (lambda: L.EmbedID(5, 3, ignore_label=-1),
                lambda: [np.array([0, 4, -1, 2], np.int32)]),
    'Bias': (lambda: L.Bias(shape=(4,)), lambda: [_rand(3, 4)]),
    'Scale': (lambda: L.Scale(W_shape=(4,), bias_term=True), lambda: [_rand(3, 4)]),
    'PReLU': (lambda: L.PReLU(shape=(4,)), lambda: [_rand(3, 4)]),
    'Highway': (lambda: L.Highway(4), lambda: [_rand(3, 4)]),
    'Maxout': (lambda: L.Maxout(4, 3, 2), lambda: [_rand(3, 4)]),
    'LSTM': (lambda: L.LSTM(4, 3), lambda: [_rand(2, 4), _rand(2, 4)]),
    'StatefulGRU': (lambda: L.StatefulGRU(4, 3), lambda: [_rand(2, 4), _rand(2, 4)]),
    'StatelessLSTM': (lambda: L.StatelessLSTM(4, 3), lambda: [None, _rand(2, 3), _rand(2, 4)]),
    'StatelessGRU': (lambda: L.StatelessGRU(4, 3), lambda: [_rand(2, 3), _rand(2, 4)]),
    'Classifier': (lambda: L.Classifier(L.Linear(5, 3)), lambda: [_rand(4, 5), _ids(4, high=3)]),
}


def _run_link(link, name, inputs, device):
    """Forward (sequence links get their inputs one step at a time), a scalar loss, backward."""
    arrays = [None if a is None else device.send(a) for a in inputs]
    if name in ('LSTM', 'StatefulGRU'):
        ys = [link(x) for x in arrays]
    elif name == 'StatelessLSTM':
        c, h, x = arrays
        ys = list(link(c, h, x))
    elif name in ('StatelessGRU', 'Classifier'):
        ys = [link(*arrays)]
    else:
        ys = [link(arrays[0])]
    loss = sum(F.sum(y * y) for y in ys)
    link.cleargrads()
    loss.backward()
    return [y.array for y in ys]


@pytest.mark.parametrize('name', list(LINKS))
def test_link_forward_backward_on_gpu_equals_cpu(name):
    make, inputs = LINKS[name]
    with tracegrad.using_config('train', True):
        cpu, gpu = twins(make)
        xs = inputs()
        ys_cpu = _run_link(cpu, name, xs, backend.CpuDevice())
        ys_gpu = _run_link(gpu, name, xs, backend.get_device(GPU))
    for k, (yg, yc) in enumerate(zip(ys_gpu, ys_cpu)):
        assert_close(yg, yc, f'{name} output {k}')
    params_cpu = dict(cpu.namedparams())
    for pname, p in gpu.namedparams():
        assert on_gpu(p.array), pname
        assert_close(p.grad, params_cpu[pname].grad, f'{name} grad {pname}')
    # persistent arrays (running statistics...) moved and updated alike
    for sub_cpu, sub_gpu in zip(cpu.links(), gpu.links()):
        for pname in sorted(sub_cpu._persistent):
            pc, pg = getattr(sub_cpu, pname), getattr(sub_gpu, pname)
            if isinstance(pc, np.ndarray):
                assert_close(pg, pc, f'{name} persistent {pname}')


def test_lazy_link_initialises_its_weight_on_the_gpu():
    link = L.Linear(None, 40)
    link.to_device(GPU)
    y = link(cuda.to_gpu(_rand(3, 2, 50)))
    assert on_gpu(link.W.array) and link.W.shape == (40, 100) and on_gpu(y.array)
    w = cuda.to_cpu(link.W.array)
    assert w.dtype == np.float32 and abs(w.std() - 0.1) < 0.02  # LeCunNormal: 1/sqrt(100)


def test_chainer_v5_style_device_methods():
    """``to_gpu``/``to_cpu`` on links and Variables, ``cuda.to_gpu``/``to_cpu`` and the
    device lookups, as Chainer scripts written before ``to_device`` use them."""
    link = L.Linear(3, 2)
    w = link.W.array.copy()
    assert link.to_gpu() is link and on_gpu(link.W.array) and on_gpu(link.b.array)
    assert link.device == backend.get_device(GPU) == backend.get_device(0)
    assert link.to_cpu() is link and isinstance(link.W.array, np.ndarray)
    np.testing.assert_array_equal(link.W.array, w)
    v = tracegrad.Variable(np.arange(3, dtype=np.float32))
    v.grad = np.ones(3, np.float32)
    v.to_gpu()
    assert on_gpu(v.array) and on_gpu(v.grad) and v.xp is cuda.cupy
    v.to_cpu()
    assert isinstance(v.array, np.ndarray) and isinstance(v.grad, np.ndarray)
    a = cuda.to_gpu(np.arange(4.0))
    assert on_gpu(a) and cuda.get_array_module(a) is cuda.cupy
    assert cuda.get_device_from_array(a).id == cuda.get_device_from_id(0).id == 0
    np.testing.assert_array_equal(cuda.to_cpu(a), np.arange(4.0))
    assert cuda.to_cpu(None) is None


def test_link_moves_back_to_cpu_unchanged():
    cpu, gpu = twins(lambda: L.BatchNormalization(3))
    gpu.to_device('@numpy')
    for (name, a), (_, b) in zip(sorted(cpu.namedparams()), sorted(gpu.namedparams())):
        assert isinstance(b.array, np.ndarray)
        np.testing.assert_array_equal(a.array, b.array, err_msg=name)
    assert isinstance(gpu.avg_mean, np.ndarray)


# ---------------------------------------------------------------- optimizers and hooks
class _Net(tracegrad.Chain):
    def __init__(self):
        super().__init__()
        with self.init_scope():
            self.l1 = L.Linear(6, 5)
            self.l2 = L.Linear(5, 3)

    def forward(self, x):
        return self.l2(F.tanh(self.l1(x)))


def _train(model, opt, device, steps=3):
    xs = [_rand(4, 6) + k for k in range(steps)]
    for x in xs:
        loss = F.sum(model(device.send(x)) ** 2)
        model.cleargrads()
        loss.backward()
        opt.update()


def _optimizer_names():
    return sorted(n for n in dir(optimizers) if n[0].isupper()
                  and isinstance(getattr(optimizers, n), type)
                  and issubclass(getattr(optimizers, n), tracegrad.Optimizer)
                  and getattr(optimizers, n) is not tracegrad.Optimizer)


def _state_arrays(opt):
    for name, param in opt.target.namedparams():
        for key, value in param.update_rule.state.items():
            yield f'{name}/{key}', value


@pytest.mark.parametrize('name', _optimizer_names())
def test_optimizer_on_gpu_equals_cpu(name):
    cpu, gpu = twins(_Net)
    opt_cpu = getattr(optimizers, name)().setup(cpu)
    opt_gpu = getattr(optimizers, name)().setup(gpu)
    _train(cpu, opt_cpu, backend.CpuDevice())
    _train(gpu, opt_gpu, backend.get_device(GPU))
    params_cpu = dict(cpu.namedparams())
    for pname, p in gpu.namedparams():
        assert_close(p.array, params_cpu[pname].array, f'{name} {pname}')
    states_cpu = dict(_state_arrays(opt_cpu))
    for key, value in _state_arrays(opt_gpu):
        if isinstance(states_cpu[key], np.ndarray):
            assert_close(value, states_cpu[key], f'{name} state {key}', rtol=1e-3, atol=1e-5)


HOOKS = {
    'WeightDecay': lambda: optimizer_hooks.WeightDecay(0.1),
    'Lasso': lambda: optimizer_hooks.Lasso(0.1),
    'GradientClipping': lambda: optimizer_hooks.GradientClipping(0.5),
    'GradientHardClipping': lambda: optimizer_hooks.GradientHardClipping(-0.1, 0.1),
    'GradientLARS': lambda: optimizer_hooks.GradientLARS(),
}


@pytest.mark.parametrize('name', list(HOOKS))
def test_optimizer_hook_on_gpu_equals_cpu(name):
    cpu, gpu = twins(_Net)
    opt_cpu = optimizers.MomentumSGD(0.1).setup(cpu)
    opt_gpu = optimizers.MomentumSGD(0.1).setup(gpu)
    opt_cpu.add_hook(HOOKS[name]())
    opt_gpu.add_hook(HOOKS[name]())
    _train(cpu, opt_cpu, backend.CpuDevice())
    _train(gpu, opt_gpu, backend.get_device(GPU))
    params_cpu = dict(cpu.namedparams())
    for pname, p in gpu.namedparams():
        assert_close(p.array, params_cpu[pname].array, f'{name} {pname}')


def test_gradient_noise_draws_on_the_gpu():
    """The noise comes from cupy.random (not NumPy's global state) and stays on the GPU."""
    _, gpu = twins(_Net)
    opt = optimizers.SGD(0.1).setup(gpu)
    opt.add_hook(optimizer_hooks.GradientNoise(0.3))
    before = {n: cuda.to_cpu(p.array).copy() for n, p in gpu.namedparams()}
    state = np.random.get_state()
    _train(gpu, opt, backend.get_device(GPU), steps=2)
    assert np.random.get_state()[2] == state[2]  # NumPy's global stream did not move
    for n, p in gpu.namedparams():
        assert on_gpu(p.array) and np.isfinite(cuda.to_cpu(p.array)).all()
        assert not np.array_equal(cuda.to_cpu(p.array), before[n])


# ---------------------------------------------------------------- mixing devices
def test_mixing_devices_in_a_function_is_a_clear_error():
    x = tracegrad.Variable(cuda.to_gpu(_rand(2, 3)))
    with pytest.raises(TypeError, match=r'different devices.*@cupy:0.*@numpy'):
        x + _rand(2, 3)
    with pytest.raises(TypeError, match='different devices'):
        F.matmul(x, tracegrad.Variable(_rand(3, 2)))


def test_gpu_link_called_with_cpu_input_is_a_clear_error():
    _, gpu = twins(lambda: L.Linear(3, 2))
    with pytest.raises(TypeError, match='different devices'):
        gpu(_rand(4, 3))
    assert on_gpu(gpu.W.array) and gpu.W.grad is None


def test_gpu_param_with_cpu_grad_is_refused():
    _, gpu = twins(lambda: L.Linear(3, 2))
    with pytest.raises(TypeError, match='grad.*on @numpy.*on @cupy:0'):
        gpu.W.grad = np.zeros((2, 3), np.float32)


# ---------------------------------------------------------------- serializers
@pytest.mark.parametrize('fmt', ['npz', 'hdf5'])
def test_gpu_model_and_optimizer_save_and_load_across_devices(tmp_path, fmt):
    if fmt == 'hdf5':
        pytest.importorskip('h5py')
    save = getattr(serializers, f'save_{fmt}')
    load = getattr(serializers, f'load_{fmt}')
    _, gpu = twins(_Net)
    opt = optimizers.Adam().setup(gpu)
    _train(gpu, opt, backend.get_device(GPU))
    save(str(tmp_path / 'model'), gpu)
    save(str(tmp_path / 'opt'), opt)

    cpu = _Net()
    cpu_opt = optimizers.Adam().setup(cpu)
    load(str(tmp_path / 'model'), cpu)
    load(str(tmp_path / 'opt'), cpu_opt)
    cpu_params = dict(cpu.namedparams())
    for name, p in gpu.namedparams():
        assert isinstance(cpu_params[name].array, np.ndarray)
        np.testing.assert_array_equal(cpu_params[name].array, cuda.to_cpu(p.array), name)
    assert cpu_opt.t == opt.t
    gpu_states = dict(_state_arrays(opt))
    for key, value in _state_arrays(cpu_opt):
        np.testing.assert_array_equal(value, cuda.to_cpu(gpu_states[key]), key)

    # and back onto a GPU model: its arrays stay on the GPU
    back = _Net()
    back.to_device(GPU)
    load(str(tmp_path / 'model'), back)
    for name, p in back.namedparams():
        assert on_gpu(p.array), name
        np.testing.assert_array_equal(cuda.to_cpu(p.array), cpu_params[name].array, name)
    # training goes on from the loaded state on either device, with the same numbers
    _train(cpu, cpu_opt, backend.CpuDevice(), steps=1)
    _train(gpu, opt, backend.get_device(GPU), steps=1)
    for name, p in gpu.namedparams():
        assert_close(p.array, cpu_params[name].array, name)


# ---------------------------------------------------------------- the training loop
def _trainer(device, out, epochs=3, snapshot=False, run=True):
    from tracegrad import datasets, iterators, training
    from tracegrad.training import extensions

    np.random.seed(0)
    model = L.Classifier(_Net())
    model.to_device(device)
    rng = np.random.RandomState(5)
    x = rng.randn(40, 6).astype(np.float32)
    t = (x[:, 0] > 0).astype(np.int32) + (x[:, 1] > 0).astype(np.int32)
    train = datasets.TupleDataset(x[:32], t[:32])
    test = datasets.TupleDataset(x[32:], t[32:])
    opt = optimizers.Adam().setup(model)
    it = iterators.SerialIterator(train, 8, shuffle=True)
    updater = training.updaters.StandardUpdater(it, opt, device=device)
    trainer = training.Trainer(updater, (epochs, 'epoch'), out=str(out))
    trainer.extend(extensions.Evaluator(iterators.SerialIterator(test, 8, repeat=False,
                                                                 shuffle=False),
                                        model, device=device))
    trainer.extend(extensions.LogReport())
    if snapshot:
        trainer.extend(extensions.snapshot(filename='snapshot'), trigger=(1, 'epoch'))
    if run:
        trainer.run()
    return trainer, model


def test_standard_updater_on_gpu_equals_cpu(tmp_path):
    trainer_g, model_g = _trainer(GPU, tmp_path / 'gpu')
    trainer_c, model_c = _trainer('@numpy', tmp_path / 'cpu')
    params_c = dict(model_c.namedparams())
    for name, p in model_g.namedparams():
        assert_close(p.array, params_c[name].array, name)
    log_g = trainer_g.get_extension('LogReport').log
    log_c = trainer_c.get_extension('LogReport').log
    assert len(log_g) == len(log_c) == 3
    for eg, ec in zip(log_g, log_c):
        for key in ('main/loss', 'validation/main/loss', 'validation/main/accuracy'):
            assert isinstance(eg[key], float), key  # reported values come back to the host
            np.testing.assert_allclose(eg[key], ec[key], rtol=1e-4, err_msg=key)


def test_gpu_trainer_snapshot_resumes_as_if_uninterrupted(tmp_path):
    """A trainer on the GPU stopped after 2 epochs and resumed from its snapshot ends where
    3 uninterrupted epochs end (parameters, Adam state, iterator order, log)."""
    from tracegrad import serializers as S

    _, full = _trainer(GPU, tmp_path / 'full', epochs=3)
    _trainer(GPU, tmp_path / 'part', epochs=2, snapshot=True)
    trainer, resumed = _trainer(GPU, tmp_path / 'part', epochs=3, run=False)
    S.load_npz(str(tmp_path / 'part' / 'snapshot'), trainer)
    assert on_gpu(resumed.predictor.l1.W.array)
    assert trainer.updater.epoch == 2
    trainer.run()
    params = dict(full.namedparams())
    for name, p in resumed.namedparams():
        assert_close(p.array, cuda.to_cpu(params[name].array), name, rtol=1e-6, atol=1e-7)
    assert [e['epoch'] for e in trainer.get_extension('LogReport').log] == [1, 2, 3]


def _train_mnist_example():
    path = os.path.join(os.path.dirname(__file__), '..', '..', 'examples', 'train_mnist.py')
    spec = importlib.util.spec_from_file_location('train_mnist', path)
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    return example


def test_train_mnist_example_with_device_0(tmp_path, capsys):
    """``examples/train_mnist.py --device 0`` trains on the GPU, as on the CPU."""
    example = _train_mnist_example()
    args = ['--dataset', 'digits', '--epoch', '2', '--unit', '32', '--quiet', '--noplot']
    trainer, model = example.main(args + ['--device', '0', '--out', str(tmp_path / 'gpu')])
    assert 'Device: @cupy:0' in capsys.readouterr().out
    assert all(on_gpu(p.array) for p in model.params())
    trainer_c, _ = example.main(args + ['--out', str(tmp_path / 'cpu')])
    log, log_c = (t.get_extension('LogReport').log for t in (trainer, trainer_c))
    assert [e['epoch'] for e in log] == [1, 2]
    for e, ec in zip(log, log_c):
        np.testing.assert_allclose(e['validation/main/accuracy'],
                                   ec['validation/main/accuracy'], atol=0.02)
        np.testing.assert_allclose(e['main/loss'], ec['main/loss'], rtol=1e-3)


def test_train_mnist_example_compiled_on_the_gpu(tmp_path):
    """``--device 0 --compile``: StandardUpdater compiles the step for the GPU ('cuda'),
    and it trains as the eager GPU run does."""
    example = _train_mnist_example()
    args = ['--dataset', 'digits', '--epoch', '1', '--unit', '16', '--quiet', '--noplot',
            '--device', '0']
    trainer, model = example.main(args + ['--compile', '--out', str(tmp_path / 'c')])
    step = trainer.updater._compiled_step
    assert step.backend == 'cuda' and step.stats['cache_hits'] > 0
    assert step.stats['eager_calls'] <= 1  # at most the lazy first call
    assert all(on_gpu(p.array) for p in model.params())
    trainer_e, model_e = example.main(args + ['--out', str(tmp_path / 'e')])
    params_e = dict(model_e.namedparams())
    for name, p in model.namedparams():
        assert_close(p.array, cuda.to_cpu(params_e[name].array), name, rtol=1e-3, atol=1e-4)
    acc, acc_e = (t.get_extension('LogReport').log[-1]['validation/main/accuracy']
                  for t in (trainer, trainer_e))
    assert acc == pytest.approx(acc_e, abs=0.01)

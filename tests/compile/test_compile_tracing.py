"""Tracing details: NumPy protocols, stateful links, replaced arrays, loss scaling."""
import numpy
import numpy as np
import pytest
from compile_helpers import tolerances, twin
from test_compile_training import MLP

import tracegrad
import tracegrad.functions as F
import tracegrad.links as L
from tracegrad import optimizers
from tracegrad.testing import training_step


class NumpySoftsign(tracegrad.FunctionNode):
    """A user's own function written with ``numpy.`` instead of ``xp``."""

    def forward(self, inputs):
        x, = inputs
        self.retain_inputs((0,))
        return numpy.divide(x, 1 + numpy.abs(x)),

    def backward(self, indexes, grad_outputs):
        x, = self.get_retained_inputs()
        gy, = grad_outputs
        return NumpySoftsignGrad().apply((x, gy))


class NumpySoftsignGrad(tracegrad.FunctionNode):
    def forward(self, inputs):
        x, gy = inputs
        d = 1 + numpy.absolute(x)
        return gy / numpy.square(d),


class NumpyRowNorm(tracegrad.FunctionNode):
    """Array functions (``numpy.sum``, ``numpy.sqrt``, ``numpy.where``) through the protocol."""

    def forward(self, inputs):
        x, = inputs
        self.retain_inputs((0,))
        self.retain_outputs((0,))
        return numpy.sqrt(numpy.sum(x * x, axis=1, keepdims=True)) + x.dtype.type(1),

    def backward(self, indexes, grad_outputs):
        x, = self.get_retained_inputs()
        y, = self.get_retained_outputs()
        gy, = grad_outputs
        norm = y - 1
        return F.broadcast_to(gy / F.maximum(norm, 1e-12 * F.broadcast_to(
            np.ones((1, 1), x.dtype), norm.shape)), x.shape) * x,


class UserNet(tracegrad.Chain):
    def __init__(self):
        super().__init__()
        with self.init_scope():
            self.l1 = L.Linear(6, 5)
            self.l2 = L.Linear(5, 4)

    def forward(self, x):
        h = NumpySoftsign().apply((self.l1(x),))[0]
        h = h * NumpyRowNorm().apply((h,))[0]
        return self.l2(h)


def test_user_function_node_written_with_numpy_traces(backend_name):
    np.random.seed(0)
    with tracegrad.using_config('dtype', np.dtype(np.float64)):
        model = L.Classifier(UserNet())
    opt = optimizers.MomentumSGD(lr=0.1).setup(model)
    model_e, opt_e = twin(model, opt)
    step = tracegrad.compile(training_step(model, opt), backend=backend_name)
    step_e = training_step(model_e, opt_e)
    rng = np.random.RandomState(3)
    for _ in range(5):
        x, t = rng.randn(4, 6), rng.randint(0, 4, 4).astype(np.int32)
        np.testing.assert_allclose(step(x, t).array, step_e(x, t).array, rtol=1e-10)
    for (name, p), (_, pe) in zip(model.namedparams(), model_e.namedparams()):
        np.testing.assert_allclose(p.array, pe.array, rtol=1e-10, err_msg=name)
        np.testing.assert_allclose(p.grad, pe.grad, rtol=1e-10, atol=1e-14, err_msg=name)
    assert step.statistics()['eager_calls'] == 0
    ir = step.ir
    assert 'abs' in ir and 'sqrt' in ir


def test_numpy_protocols_on_tracers_directly():
    def fn(x, y):
        a = np.add(x, 1.0)
        b = np.maximum(a, y)  # ufunc
        c = np.concatenate([b, np.transpose(b)], axis=0)  # array functions
        d = np.where(c > 0, c, np.zeros_like(c))
        e = np.mean(d, axis=0) + np.add.reduce(d, axis=1)[:3]
        np.multiply(e, 2.0, out=e)  # ufunc with out= into a tracer
        return e

    x = np.arange(9.).reshape(3, 3) - 4
    y = np.full((3, 3), 0.5)
    compiled = tracegrad.compile(fn, backend='reference')
    np.testing.assert_allclose(compiled(x, y), fn(x, y), rtol=1e-12)


class StatefulLSTM(tracegrad.Chain):
    def __init__(self):
        super().__init__()
        with self.init_scope():
            self.lstm = L.LSTM(3, 4)
            self.out = L.Linear(4, 2)

    def forward(self, x):
        return self.out(self.lstm(x))


@pytest.mark.parametrize('dtype', [np.float32, np.float64])
def test_stateful_lstm_keeps_its_state_across_compiled_calls(dtype, backend_name):
    np.random.seed(0)
    with tracegrad.using_config('dtype', np.dtype(dtype)):
        model = L.Classifier(StatefulLSTM())
    opt = optimizers.Adam(alpha=0.01).setup(model)
    model_e, opt_e = twin(model, opt)

    def make(m, o):
        def step(x, t):
            loss = m(x, t)
            m.cleargrads()
            loss.backward()
            loss.unchain_backward()  # truncated BPTT: one step at a time
            o.update()
            return loss
        return step

    step, step_e = tracegrad.compile(make(model, opt), backend=backend_name), make(model_e, opt_e)
    rng = np.random.RandomState(4)
    tol = tolerances(dtype)
    for i in range(6):
        x, t = rng.randn(2, 3).astype(dtype), rng.randint(0, 2, 2).astype(np.int32)
        np.testing.assert_allclose(step(x, t).array, step_e(x, t).array, **tol)
        lstm, lstm_e = model.predictor.lstm, model_e.predictor.lstm
        assert isinstance(lstm.h, tracegrad.Variable) and isinstance(lstm.h.array, np.ndarray)
        np.testing.assert_allclose(lstm.h.array, lstm_e.h.array, err_msg=f'h at {i}', **tol)
        np.testing.assert_allclose(lstm.c.array, lstm_e.c.array, err_msg=f'c at {i}', **tol)
    for (name, p), (_, pe) in zip(model.namedparams(), model_e.namedparams()):
        np.testing.assert_allclose(p.array, pe.array, err_msg=name, **tol)
    # without state, then with state (and grads): two graphs, then the cache
    assert step.statistics()['traces'] == 2
    model.predictor.lstm.reset_state()
    model_e.predictor.lstm.reset_state()
    x, t = rng.randn(2, 3).astype(dtype), rng.randint(0, 2, 2).astype(np.int32)
    np.testing.assert_allclose(step(x, t).array, step_e(x, t).array, **tol)
    np.testing.assert_allclose(model.predictor.lstm.h.array, model_e.predictor.lstm.h.array,
                               **tol)
    # a smaller batch with state still there: LSTM updates only the leading rows of h
    x, t = rng.randn(1, 3).astype(dtype), rng.randint(0, 2, 1).astype(np.int32)
    np.testing.assert_allclose(step(x, t).array, step_e(x, t).array, **tol)
    np.testing.assert_allclose(model.predictor.lstm.h.array, model_e.predictor.lstm.h.array,
                               **tol)


def test_parameter_array_replaced_during_the_step(backend_name):
    """A step that assigns ``param.array = ...`` (not in place) is written back."""
    np.random.seed(0)
    model = L.Classifier(MLP())
    opt = optimizers.SGD(lr=0.1).setup(model)
    model_e, opt_e = twin(model, opt)

    def make(m, o):
        def step(x, t):
            loss = m(x, t)
            m.cleargrads()
            loss.backward()
            o.update()
            W = m.predictor.l1.W
            W.array = W.array * np.float32(0.5)  # a new array, e.g. a max-norm constraint
            return loss
        return step

    step, step_e = tracegrad.compile(make(model, opt), backend=backend_name), make(model_e, opt_e)
    alias = model.predictor.l1.W.array
    rng = np.random.RandomState(0)
    for _ in range(3):
        x, t = rng.randn(5, 6).astype(np.float32), rng.randint(0, 4, 5).astype(np.int32)
        step(x, t)
        step_e(x, t)
        np.testing.assert_allclose(model.predictor.l1.W.array, model_e.predictor.l1.W.array,
                                   rtol=1e-5, atol=1e-6)
    assert alias is model.predictor.l1.W.array  # written into the same buffer


@pytest.mark.parametrize('loss_scale', [None, 8.0])
def test_fixed_loss_scale(backend_name, loss_scale):
    np.random.seed(0)
    model = L.Classifier(MLP())
    opt = optimizers.MomentumSGD(lr=0.1).setup(model)
    if loss_scale is not None:
        opt.loss_scaling(scale=loss_scale)
    model_e, opt_e = twin(model, opt)

    def make(m, o):
        def step(x, t):
            o.update(m, x, t)  # the lossfun form: cleargrads, backward(loss_scale), update
            return m.loss
        return step

    step, step_e = tracegrad.compile(make(model, opt), backend=backend_name), make(model_e, opt_e)
    rng = np.random.RandomState(0)
    for _ in range(4):
        x, t = rng.randn(5, 6).astype(np.float32), rng.randint(0, 4, 5).astype(np.int32)
        np.testing.assert_allclose(step(x, t).array, step_e(x, t).array, rtol=1e-5)
    for (name, p), (_, pe) in zip(model.namedparams(), model_e.namedparams()):
        np.testing.assert_allclose(p.array, pe.array, rtol=1e-5, atol=1e-6, err_msg=name)
        np.testing.assert_allclose(p.grad, pe.grad, rtol=1e-5, atol=1e-6, err_msg=name)
    traces = step.statistics()['traces']
    opt.loss_scaling(scale=4.0)  # a new fixed scale is a new graph
    opt_e.loss_scaling(scale=4.0)
    np.testing.assert_allclose(step(x, t).array, step_e(x, t).array, rtol=1e-5)
    assert step.statistics()['traces'] == traces + 1


def test_step_counter_and_hyperparameter_changed_inside_the_step(backend_name):
    np.random.seed(0)
    model = L.Classifier(MLP())
    opt = optimizers.SGD(lr=0.1).setup(model)
    model_e, opt_e = twin(model, opt)

    def make(m, o):
        def step(x, t):
            loss = m(x, t)
            m.cleargrads()
            loss.backward()
            o.update()
            o.lr = o.lr * 0.9  # a schedule inside the step
            return loss
        return step

    step, step_e = tracegrad.compile(make(model, opt), backend=backend_name), make(model_e, opt_e)
    rng = np.random.RandomState(0)
    for _ in range(4):
        x, t = rng.randn(5, 6).astype(np.float32), rng.randint(0, 4, 5).astype(np.int32)
        step(x, t)
        step_e(x, t)
    assert type(opt.lr) is float and opt.lr == pytest.approx(opt_e.lr, rel=1e-12)
    assert opt.t == opt_e.t == 4
    np.testing.assert_allclose(model.predictor.l2.W.array, model_e.predictor.l2.W.array,
                               rtol=1e-5, atol=1e-6)


def test_variable_arguments_and_structured_results(backend_name):
    np.random.seed(0)
    lin = L.Linear(3, 2)

    def fn(x, scale):
        y = lin(x) * scale
        return {'y': y, 'pair': (F.sum(y), y.array * 2), 'n': 3}

    compiled = tracegrad.compile(fn, backend=backend_name)
    x = tracegrad.Variable(np.ones((2, 3), np.float32))
    out, ref = compiled(x, 2.0), fn(x, 2.0)
    assert out['n'] == 3
    assert isinstance(out['y'], tracegrad.Variable)
    assert isinstance(out['pair'], tuple) and isinstance(out['pair'][1], np.ndarray)
    np.testing.assert_allclose(out['y'].array, ref['y'].array, rtol=1e-6)
    np.testing.assert_allclose(out['pair'][0].array, ref['pair'][0].array, rtol=1e-6)
    np.testing.assert_allclose(out['pair'][1], ref['pair'][1], rtol=1e-6)
    compiled(x, 3.0)  # a Python scalar is part of the guard
    assert compiled.statistics()['traces'] == 2


def test_hyperparameter_set_to_a_constant_inside_the_step(backend_name):
    np.random.seed(0)
    model = L.Classifier(MLP())
    opt = optimizers.SGD(lr=0.1).setup(model)

    def step(x, t):
        opt.update(model, x, t)
        opt.lr = 0.05
        return model.loss

    compiled = tracegrad.compile(step, backend=backend_name)
    x, t = np.ones((2, 6), np.float32), np.zeros(2, np.int32)
    compiled(x, t)
    assert opt.lr == 0.05 and type(opt.lr) is float
    opt.lr = 0.1
    compiled(x, t)
    assert opt.lr == 0.05


class ArrayTimesParameter(tracegrad.Link):
    """``array op Variable`` with the array on the left, as distributions' sampling
    (``noise * scale``) writes it."""

    def __init__(self):
        super().__init__()
        with self.init_scope():
            self.w = tracegrad.Parameter(np.array([0.5, -1.0, 2.0], np.float32))

    def forward(self, x):
        xp = tracegrad.backend.get_array_module(self.w)
        two = xp.full(self.w.shape, 2.0, dtype=np.float32)
        h = (two * self.w) + (two - self.w) + (two / (self.w + 3.0)) + (two ** self.w)
        return F.sum(h * x)


def test_array_op_variable_keeps_the_gradient():
    """Tracing (any backend) must send the gradient to the Variable."""
    model, eager = twin(ArrayTimesParameter(), ArrayTimesParameter())

    def make_step(link):
        opt = optimizers.SGD(lr=0.1).setup(link)

        def step(x):
            loss = link(x)
            link.cleargrads()
            loss.backward()
            opt.update()
        return step

    compiled = tracegrad.compile(make_step(model), backend='reference')
    eager_step = make_step(eager)
    x = np.array([1., 2., 3.], np.float32)
    for _ in range(2):
        compiled(x)
        eager_step(x)
    assert not np.allclose(eager.w.array, [0.5, -1.0, 2.0])  # the gradient moved it
    np.testing.assert_allclose(model.w.array, eager.w.array, **tolerances(np.float32))

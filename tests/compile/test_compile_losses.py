"""Compiled training steps with the sampled and metric-learning losses equal eager ones."""
import numpy as np
import pytest
from compile_helpers import tolerances, twin

import tracegrad
import tracegrad.functions as F
import tracegrad.links as L
from tracegrad import optimizers

STEPS = 6


class SkipGram(tracegrad.Chain):
    def __init__(self, n_vocab=7, n_units=5, sample_size=3):
        super().__init__()
        with self.init_scope():
            self.embed = L.EmbedID(n_vocab, n_units)
            self.loss = L.NegativeSampling(n_units, [5, 1, 3, 2, 4, 1, 1], sample_size)
        self.loss.W.array[...] = np.random.uniform(-1, 1, self.loss.W.shape)

    def forward(self, x, t):
        return self.loss(self.embed(x), t)


def _step(model, opt):
    def step(*args):
        loss = model(*args)
        model.cleargrads()
        loss.backward()
        opt.update()
        return loss
    return step


def _assert_same_params(model_c, model_e, tol):
    for (name, pc), (_, pe) in zip(sorted(model_c.namedparams()), sorted(model_e.namedparams())):
        np.testing.assert_allclose(pc.array, pe.array, err_msg=name, **tol)
        np.testing.assert_allclose(pc.grad, pe.grad, err_msg=f'{name}.grad', **tol)


@pytest.mark.parametrize('dtype', [np.float32, np.float64])
def test_negative_sampling_training_matches_eager(dtype, backend_name):
    np.random.seed(0)
    with tracegrad.using_config('dtype', np.dtype(dtype)):
        model = SkipGram()
    opt = optimizers.SGD(lr=0.1).setup(model)
    model_e, opt_e = twin(model, opt)
    step_c = tracegrad.compile(_step(model, opt), backend=backend_name)
    step_e = _step(model_e, opt_e)
    rng = np.random.RandomState(3)
    tol = tolerances(dtype)
    losses = []
    for i in range(STEPS):
        x = rng.randint(0, 7, 4).astype(np.int32)
        t = rng.randint(0, 7, 4).astype(np.int32)
        t[i % 4] = -1  # an ignored word
        np.random.seed(100 + i)
        loss_c = step_c(x, t)
        np.random.seed(100 + i)
        loss_e = step_e(x, t)
        assert loss_c.dtype == dtype and loss_c.shape == ()
        np.testing.assert_allclose(loss_c.array, loss_e.array, **tol)
        _assert_same_params(model, model_e, tol)
        losses.append(float(loss_c.array))
    stats = step_c.statistics()
    assert stats['eager_calls'] == 0 and stats['traces'] <= 2
    # the samples are drawn afresh on each compiled call, not frozen at trace time
    np.random.seed(100)
    x = np.zeros(4, np.int32)
    t = np.zeros(4, np.int32)
    assert len({float(step_c(x, t).array) for _ in range(3)}) > 1



class Siamese(tracegrad.Chain):
    def __init__(self):
        super().__init__()
        with self.init_scope():
            self.l = L.Linear(4, 3)

    def forward(self, x0, x1, y):
        h0, h1 = self.l(x0), self.l(x1)
        return (F.contrastive(h0, h1, y, margin=1.5) + F.triplet(h0, h1, -h0)
                + 0.1 * F.decov(h0) + 0.1 * F.cross_covariance(h0, h1))


@pytest.mark.parametrize('dtype', [np.float32, np.float64])
def test_metric_losses_training_matches_eager(dtype, backend_name):
    np.random.seed(0)
    with tracegrad.using_config('dtype', np.dtype(dtype)):
        model = Siamese()
    opt = optimizers.MomentumSGD(lr=0.05).setup(model)
    model_e, opt_e = twin(model, opt)
    step_c = tracegrad.compile(_step(model, opt), backend=backend_name)
    step_e = _step(model_e, opt_e)
    rng = np.random.RandomState(5)
    tol = tolerances(dtype)
    for _ in range(STEPS):
        x0, x1 = (rng.randn(5, 4).astype(dtype) for _ in range(2))
        y = rng.randint(0, 2, 5).astype(np.int32)
        loss_c, loss_e = step_c(x0, x1, y), step_e(x0, x1, y)
        np.testing.assert_allclose(loss_c.array, loss_e.array, **tol)
        _assert_same_params(model, model_e, tol)
    assert step_c.statistics()['eager_calls'] == 0


class Tagger(tracegrad.Chain):
    def __init__(self):
        super().__init__()
        with self.init_scope():
            self.l = L.Linear(4, 3)
            self.crf = L.CRF1d(3)

    def forward(self, x0, x1, x2, y0, y1, y2):  # time steps of batches 3, 2, 2
        return self.crf([self.l(x) for x in (x0, x1, x2)], [y0, y1, y2])


@pytest.mark.parametrize('dtype', [np.float32, np.float64])
def test_crf1d_training_matches_eager(dtype, backend_name):
    np.random.seed(0)
    with tracegrad.using_config('dtype', np.dtype(dtype)):
        model = Tagger()
    opt = optimizers.SGD(lr=0.1).setup(model)
    model_e, opt_e = twin(model, opt)
    step_c = tracegrad.compile(_step(model, opt), backend=backend_name)
    step_e = _step(model_e, opt_e)
    rng = np.random.RandomState(6)
    tol = tolerances(dtype)
    for _ in range(STEPS):
        xs = [rng.randn(n, 4).astype(dtype) for n in (3, 2, 2)]
        ys = [rng.randint(0, 3, n).astype(np.int32) for n in (3, 2, 2)]
        loss_c, loss_e = step_c(*xs, *ys), step_e(*xs, *ys)
        np.testing.assert_allclose(loss_c.array, loss_e.array, **tol)
        _assert_same_params(model, model_e, tol)
    assert step_c.statistics()['eager_calls'] == 0


class Recognizer(tracegrad.Chain):
    def __init__(self):
        super().__init__()
        with self.init_scope():
            self.l = L.Linear(4, 3)

    def forward(self, x0, x1, x2, x3, t, input_length):
        return F.connectionist_temporal_classification(
            [self.l(x) for x in (x0, x1, x2, x3)], t, 0, input_length=input_length)


@pytest.mark.parametrize('dtype', [np.float32, np.float64])
def test_ctc_training_matches_eager(dtype, backend_name):
    np.random.seed(0)
    with tracegrad.using_config('dtype', np.dtype(dtype)):
        model = Recognizer()
    opt = optimizers.SGD(lr=0.1).setup(model)
    model_e, opt_e = twin(model, opt)
    step_c = tracegrad.compile(_step(model, opt), backend=backend_name)
    step_e = _step(model_e, opt_e)
    rng = np.random.RandomState(7)
    tol = tolerances(dtype)
    for _ in range(STEPS):
        xs = [rng.randn(2, 4).astype(dtype) for _ in range(4)]
        t = rng.randint(1, 3, (2, 2)).astype(np.int32)
        input_length = np.array([4, rng.randint(3, 5)], np.int32)
        loss_c, loss_e = step_c(*xs, t, input_length), step_e(*xs, t, input_length)
        np.testing.assert_allclose(loss_c.array, loss_e.array, **tol)
        _assert_same_params(model, model_e, tol)
    assert step_c.statistics()['eager_calls'] == 0


class HierarchicalLM(tracegrad.Chain):
    def __init__(self):
        super().__init__()
        tree = L.BinaryHierarchicalSoftmax.create_huffman_tree({0: 5, 1: 1, 2: 3, 3: 2, 4: 4})
        with self.init_scope():
            self.embed = L.EmbedID(5, 4)
            self.out = L.BinaryHierarchicalSoftmax(4, tree)

    def forward(self, x, t):
        return self.out(self.embed(x), t)


@pytest.mark.parametrize('dtype', [np.float32, np.float64])
def test_hierarchical_softmax_training_matches_eager(dtype, backend_name):
    np.random.seed(0)
    with tracegrad.using_config('dtype', np.dtype(dtype)):
        model = HierarchicalLM()
    opt = optimizers.SGD(lr=0.1).setup(model)
    model_e, opt_e = twin(model, opt)
    step_c = tracegrad.compile(_step(model, opt), backend=backend_name)
    step_e = _step(model_e, opt_e)
    rng = np.random.RandomState(8)
    tol = tolerances(dtype)
    for _ in range(STEPS):
        x, t = (rng.randint(0, 5, 6).astype(np.int32) for _ in range(2))
        loss_c, loss_e = step_c(x, t), step_e(x, t)
        np.testing.assert_allclose(loss_c.array, loss_e.array, **tol)
        _assert_same_params(model, model_e, tol)
    assert step_c.statistics()['eager_calls'] == 0

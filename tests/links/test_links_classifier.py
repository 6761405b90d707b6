import numpy as np
import pytest

import tracegrad
import tracegrad.functions as F
import tracegrad.links as L
from tracegrad.reporter import Reporter


def _data():
    np.random.seed(0)
    x = np.random.randn(6, 4).astype(np.float32)
    t = np.array([0, 1, 2, 1, 0, 2], np.int32)
    return x, t


def _softmax_ce(y, t):
    y = y - y.max(1, keepdims=True)
    logp = y - np.log(np.exp(y).sum(1, keepdims=True))
    return -logp[np.arange(len(t)), t].mean()


def test_loss_accuracy_and_report():
    x, t = _data()
    model = L.Classifier(L.Linear(4, 3))
    reporter = Reporter()
    reporter.add_observer('main', model)
    obs = {}
    with reporter.scope(obs):
        loss = model(x, t)
    y = model.predictor(x).array
    np.testing.assert_allclose(loss.array, _softmax_ce(y, t), rtol=1e-5)
    np.testing.assert_allclose(model.accuracy.array, (y.argmax(1) == t).mean(), rtol=1e-6)
    assert obs['main/loss'] is not loss and float(obs['main/loss'].array) == float(loss.array)
    assert 'main/accuracy' in obs
    np.testing.assert_array_equal(model.y.array, y)
    assert [p for p, _ in model.namedparams()] == ['/predictor/W', '/predictor/b']
    assert model.lossfun is F.softmax_cross_entropy and model.accfun is F.accuracy


def test_backward_reaches_the_predictor():
    x, t = _data()
    model = L.Classifier(L.Linear(4, 3))
    model.cleargrads()
    model(x, t).backward()
    assert model.predictor.W.grad is not None and model.predictor.W.grad.shape == (3, 4)


def test_compute_accuracy_off_and_custom_functions():
    x, t = _data()
    model = L.Classifier(L.Linear(4, 3), lossfun=lambda y, t: F.sum(y), accfun=None)
    model.compute_accuracy = False
    obs = {}
    reporter = Reporter()
    reporter.add_observer('main', model)
    with reporter.scope(obs):
        model(x, t)
    assert set(obs) == {'main/loss'} and model.accuracy is None


def test_label_key():
    x, t = _data()

    class TwoInputs(tracegrad.Chain):
        def __init__(self):
            super().__init__()
            with self.init_scope():
                self.l = L.Linear(4, 3)

        def forward(self, a, b):
            return self.l(a + b)

    model = L.Classifier(TwoInputs(), label_key='t')
    assert model(x, x, t=t).shape == ()
    first = L.Classifier(L.Linear(4, 3), label_key=0)
    assert first(t, x).shape == ()
    with pytest.raises(ValueError, match='out of bounds'):
        L.Classifier(L.Linear(4, 3), label_key=5)(x, t)
    with pytest.raises(ValueError, match='not found'):
        model(x, x, label=t)
    with pytest.raises(TypeError, match='label_key'):
        L.Classifier(L.Linear(4, 3), label_key=1.5)

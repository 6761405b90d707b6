"""Random activations and noise in a compiled training step: the draws come from NumPy's
global random state as in eager mode, so seeded compiled and eager training agree."""
import numpy as np
import pytest
from compile_helpers import tolerances, twin

import tracegrad
import tracegrad.functions as F
import tracegrad.links as L
from tracegrad import optimizers
from tracegrad.testing import training_step


class NoisyNet(tracegrad.Chain):
    def __init__(self):
        super().__init__()
        with self.init_scope():
            self.l1 = L.Linear(4, 6)
            self.swish = L.Swish(None)
            self.drop = L.SimplifiedDropconnect(6, 5, ratio=0.3)
            self.l2 = L.Linear(5, 3)

    def forward(self, x):
        h = F.rrelu(self.l1(x))
        h = self.swish(h)
        h = self.drop(h)
        h = F.zoneout(h, F.tanh(h), 0.4)
        h = F.gumbel_softmax(h, tau=0.5)
        return self.l2(h)


@pytest.mark.parametrize('dtype', [np.float32, np.float64])
def test_noisy_training_matches_eager(dtype, backend_name):
    np.random.seed(0)
    with tracegrad.using_config('dtype', np.dtype(dtype)):
        model = L.Classifier(NoisyNet())
        model(np.zeros((1, 4), dtype), np.zeros(1, np.int32))  # initialise Swish's beta
    opt = optimizers.SGD(lr=0.1).setup(model)
    model_e, opt_e = twin(model, opt)
    step_c = tracegrad.compile(training_step(model, opt), backend=backend_name)
    step_e = training_step(model_e, opt_e)
    rng = np.random.RandomState(1)
    tol = tolerances(dtype)
    for i in range(4):
        x, t = rng.randn(5, 4).astype(dtype), rng.randint(0, 3, 5).astype(np.int32)
        np.random.seed(100 + i)
        loss_c = step_c(x, t)
        np.random.seed(100 + i)
        loss_e = step_e(x, t)
        np.testing.assert_allclose(loss_c.array, loss_e.array, err_msg=f'loss at {i}', **tol)
        for (name, pc), (_, pe) in zip(sorted(model.namedparams()),
                                       sorted(model_e.namedparams())):
            np.testing.assert_allclose(pc.array, pe.array, err_msg=f'{name} at {i}', **tol)
    assert step_c.statistics()['eager_calls'] == 0


def test_zoneout_lstm_compiles(backend_name):
    np.random.seed(0)
    layer = L.StatefulZoneoutLSTM(3, 4)
    layer_e, = twin(layer)
    xs = np.random.RandomState(2).randn(3, 2, 3).astype(np.float32)

    def run(net):
        net.reset_state()
        return F.sum(sum(net(x) for x in xs))

    compiled = tracegrad.compile(lambda: run(layer), backend=backend_name, targets=(layer,))
    np.random.seed(5)
    y_c = compiled()
    np.random.seed(5)
    y_e = run(layer_e)
    np.testing.assert_allclose(y_c.array, y_e.array, rtol=1e-5)
    np.testing.assert_allclose(layer.h.array, layer_e.h.array, rtol=1e-5, atol=1e-6)

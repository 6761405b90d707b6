"""F.forget inside a compiled training step: the recomputation is traced like any other
backward, so parameters and BatchRenormalization statistics equal eager training."""
import numpy as np
import pytest
from compile_helpers import tolerances, twin

import tracegrad
import tracegrad.functions as F
import tracegrad.links as L
from tracegrad import optimizers
from tracegrad.testing import training_step


class ForgetfulNet(tracegrad.Chain):
    def __init__(self):
        super().__init__()
        with self.init_scope():
            self.l1 = L.Linear(4, 6, nobias=True)
            self.brn = L.BatchRenormalization(6, rmax=2., dmax=0.5)
            self.l2 = L.Linear(6, 3)

    def forward(self, x):
        h = F.forget(lambda v: F.relu(self.brn(self.l1(v))), x)
        return self.l2(h)


@pytest.mark.parametrize('dtype', [np.float32, np.float64])
def test_forget_training_matches_eager(dtype, backend_name):
    np.random.seed(0)
    with tracegrad.using_config('dtype', np.dtype(dtype)):
        model = L.Classifier(ForgetfulNet())
    opt = optimizers.MomentumSGD(lr=0.05).setup(model)
    model_e, opt_e = twin(model, opt)
    step_c = tracegrad.compile(training_step(model, opt), backend=backend_name)
    step_e = training_step(model_e, opt_e)
    rng = np.random.RandomState(3)
    tol = tolerances(dtype)
    for i in range(4):
        x = (rng.randn(5, 4) * (1 + i)).astype(dtype)
        t = rng.randint(0, 3, 5).astype(np.int32)
        np.testing.assert_allclose(step_c(x, t).array, step_e(x, t).array, **tol)
        for (name, pc), (_, pe) in zip(sorted(model.namedparams()),
                                       sorted(model_e.namedparams())):
            np.testing.assert_allclose(pc.array, pe.array, err_msg=f'{name} at {i}', **tol)
        for stat in ('avg_mean', 'avg_var'):
            np.testing.assert_allclose(getattr(model.predictor.brn, stat),
                                       getattr(model_e.predictor.brn, stat), **tol)
    assert step_c.statistics()['eager_calls'] == 0

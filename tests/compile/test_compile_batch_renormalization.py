"""L.BatchRenormalization in a compiled training step: same parameters, running statistics
and losses as eager training."""
import numpy as np
import pytest
from compile_helpers import tolerances, twin

import tracegrad
import tracegrad.functions as F
import tracegrad.links as L
from tracegrad import optimizers
from tracegrad.testing import training_step


class RenormMLP(tracegrad.Chain):
    def __init__(self):
        super().__init__()
        with self.init_scope():
            self.l1 = L.Linear(5, 7, nobias=True)  # a bias before normalization has no gradient
            self.brn = L.BatchRenormalization(7, rmax=1.5, dmax=0.5, decay=0.8)
            self.l2 = L.Linear(7, 3)

    def forward(self, x):
        return self.l2(F.relu(self.brn(self.l1(x))))


@pytest.mark.parametrize('dtype', [np.float32, np.float64])
@pytest.mark.parametrize('make_opt', [lambda: optimizers.SGD(lr=0.1),
                                      lambda: optimizers.Adam(alpha=0.01)],
                         ids=['SGD', 'Adam'])
def test_renormalization_training_matches_eager(make_opt, dtype, backend_name):
    np.random.seed(0)
    with tracegrad.using_config('dtype', np.dtype(dtype)):
        model = L.Classifier(RenormMLP())
    opt = make_opt().setup(model)
    model_e, opt_e = twin(model, opt)
    step_c = tracegrad.compile(training_step(model, opt), backend=backend_name)
    step_e = training_step(model_e, opt_e)
    tol = tolerances(dtype)
    rng = np.random.RandomState(1)
    brn_c, brn_e = model.predictor.brn, model_e.predictor.brn
    for i in range(5):
        x = (rng.randn(6, 5) * (1 + i)).astype(dtype)  # move the batch statistics around
        t = rng.randint(0, 3, 6).astype(np.int32)
        loss_c, loss_e = step_c(x, t), step_e(x, t)
        np.testing.assert_allclose(loss_c.array, loss_e.array, err_msg=f'loss at {i}', **tol)
        for (name, pc), (_, pe) in zip(sorted(model.namedparams()),
                                       sorted(model_e.namedparams())):
            np.testing.assert_allclose(pc.array, pe.array, err_msg=f'{name} at {i}', **tol)
        for stat in ('avg_mean', 'avg_var'):
            assert isinstance(getattr(brn_c, stat), np.ndarray)
            np.testing.assert_allclose(getattr(brn_c, stat), getattr(brn_e, stat),
                                       err_msg=f'{stat} at {i}', **tol)
        assert brn_c.N == brn_e.N == 0
    # the statistics really moved, so r and d were not the trivial 1 and 0 throughout
    assert not np.allclose(brn_e.avg_var, 1.)
    stats = step_c.statistics()
    assert stats['eager_calls'] == 0 and stats['traces'] <= 2

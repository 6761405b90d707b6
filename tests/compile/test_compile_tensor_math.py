"""Compiled training with einsum, tensordot, batch_matmul and batch_l2_norm_squared
equals eager training (these functions are written with traceable xp operations)."""
import warnings

import numpy as np
import pytest
from compile_helpers import tolerances, twin

import tracegrad
import tracegrad.functions as F
import tracegrad.links as L
from tracegrad import initializers, optimizers
from tracegrad.testing import training_step

STEPS = 6


class TensorNet(tracegrad.Chain):
    """A small classifier whose head uses every tensor-math function under test."""

    def __init__(self, batch_matmul: bool):
        super().__init__()
        self.batch_matmul = batch_matmul
        with self.init_scope():
            self.l1 = L.Linear(6, 4)
            self.T = tracegrad.Parameter(initializers.Normal(0.3), (4, 3, 4))
            self.D = tracegrad.Parameter(initializers.Normal(0.3), (3, 3))
            self.V = tracegrad.Parameter(initializers.Normal(0.3), (2, 2, 3))

    def forward(self, x):
        h = F.tanh(self.l1(x))                                       # (B, 4)
        y = F.einsum('bi,ijk,bk->bj', h, self.T, h)                  # bilinear, (B, 3)
        y = y + F.einsum('jj->j', self.D)                            # diagonal
        y = y + F.einsum('...i,ij->...j', h[:, :3], self.D)          # ellipsis
        h4 = F.reshape(h, (len(x), 2, 2))
        y = y + F.tensordot(h4, self.V, axes=2)                      # (B, 3)
        y = y + F.tensordot(h, self.T, axes=([1], [0]))[:, :, 0]
        if self.batch_matmul:
            with warnings.catch_warnings():
                warnings.simplefilter('ignore', DeprecationWarning)
                g = F.batch_matmul(h4, h4, transb=True)              # (B, 2, 2)
            y = y + F.reshape(F.sum(g, axis=2), (len(x), 2))[:, :1]
        norms = F.batch_l2_norm_squared(h4)                          # (B,)
        return y + F.expand_dims(norms, 1)


@pytest.mark.parametrize('dtype', [np.float32, np.float64])
def test_tensor_math_training_matches_eager(dtype, backend_name):
    np.random.seed(0)
    with tracegrad.using_config('dtype', np.dtype(dtype)):
        model = L.Classifier(TensorNet(batch_matmul=dtype == np.float32))  # float32 only
    opt = optimizers.SGD(lr=0.1).setup(model)
    model_e, opt_e = twin(model, opt)
    step_c = tracegrad.compile(training_step(model, opt), backend=backend_name)
    step_e = training_step(model_e, opt_e)
    tol = tolerances(dtype)
    t_before = model.predictor.T.array.copy()
    rng = np.random.RandomState(3)
    for i in range(STEPS):
        x = rng.randn(5, 6).astype(dtype)
        t = rng.randint(0, 3, 5).astype(np.int32)
        loss_c, loss_e = step_c(x, t), step_e(x, t)
        np.testing.assert_allclose(loss_c.array, loss_e.array, err_msg=f'loss at {i}', **tol)
        params_e = dict(model_e.namedparams())
        for name, p in model.namedparams():
            assert p.array.dtype == np.dtype(dtype)
            np.testing.assert_allclose(p.array, params_e[name].array, err_msg=name, **tol)
            np.testing.assert_allclose(p.grad, params_e[name].grad, err_msg=name, **tol)
    assert not np.allclose(model.predictor.T.array, t_before)  # the head's weights trained
    stats = step_c.statistics()
    assert stats['eager_calls'] == 0 and stats['traces'] <= 2


def test_add_and_linear_interpolate_compile(backend_name):
    rng = np.random.RandomState(0)
    p, x, y = (rng.rand(3, 5) for _ in range(3))

    def f(p, x, y):
        return F.sum(F.add(F.linear_interpolate(p, x, y), x, y) ** 2)

    compiled = tracegrad.compile(f, backend=backend_name)
    for _ in range(2):
        np.testing.assert_allclose(compiled(p, x, y).array, f(p, x, y).array,
                                   **tolerances(np.float64))
    assert compiled.statistics()['eager_calls'] == 0


def test_cumprod_is_eager_only():
    @tracegrad.compile(backend='reference')
    def f(x):
        return F.sum(F.cumprod(x, axis=1))

    with pytest.raises(tracegrad.CompileError, match='numpy.cumprod has no IR primitive'):
        f(np.ones((2, 3), np.float32))

"""A training step of Chainer v7's VAE example (D.Normal samples, D.Bernoulli(logit=)
log-likelihood, chainer.kl_divergence of two Normals), compiled, equals eager execution:
the sampling noise is drawn from NumPy's global random state in both."""
import numpy as np
import pytest
from compile_helpers import tolerances, twin
from distributions.vae_net import binary_data, make_vae

import tracegrad
import tracegrad.distributions as D
from tracegrad import optimizers


def _step(model, opt):
    def step(x):
        loss = model(x)
        model.cleargrads()
        loss.backward()
        opt.update()
        return loss
    return step


@pytest.mark.parametrize('dtype', [np.float32, np.float64])
def test_vae_training_matches_eager(dtype, backend_name):
    np.random.seed(0)
    model = make_vae(dtype=dtype)
    opt = optimizers.Adam(alpha=1e-2).setup(model)
    model_e, opt_e = twin(model, opt)
    step_c = tracegrad.compile(_step(model, opt), backend=backend_name)
    step_e = _step(model_e, opt_e)
    x = binary_data(dtype=dtype)
    np.random.seed(3)
    losses_c = [float(step_c(x).array) for _ in range(3)]
    after_c = np.random.rand()
    np.random.seed(3)
    losses_e = [float(step_e(x).array) for _ in range(3)]
    after_e = np.random.rand()
    tol = tolerances(dtype)
    np.testing.assert_allclose(losses_c, losses_e, **tol)
    assert after_c == after_e  # the compiled steps drew the same noise
    for (name, p), (_, p_e) in zip(sorted(model.namedparams()), sorted(model_e.namedparams())):
        np.testing.assert_allclose(p.array, p_e.array, err_msg=name, **tol)


def test_poisson_sampling_cannot_be_traced(backend_name):
    lam = tracegrad.Variable(np.ones(3))

    def draw(lam):
        return D.Poisson(lam).sample(2)
    with pytest.raises(tracegrad.CompileError, match='poisson'):
        tracegrad.compile(draw, backend=backend_name)(lam.array)

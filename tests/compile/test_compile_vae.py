"""A training step of Chainer v7's VAE example (D.Normal samples, D.Bernoulli(logit=)
log-likelihood, chainer.kl_divergence of two Normals), compiled, equals eager execution:
the sampling noise is drawn from NumPy's global random state in both."""
import numpy as np
import pytest
from compile_helpers import compare_two_param_training, tolerances, twin
from distributions.vae_net import binary_data, make_vae

import tracegrad
import tracegrad.distributions as D
import tracegrad.functions as F
from tracegrad import optimizers, testing


@pytest.mark.parametrize('dtype', [np.float32, np.float64])
def test_vae_training_matches_eager(dtype, backend_name):
    np.random.seed(0)
    model = make_vae(dtype=dtype)
    opt = optimizers.Adam(alpha=1e-2).setup(model)
    model_e, opt_e = twin(model, opt)
    step_c = tracegrad.compile(testing.training_step(model, opt), backend=backend_name)
    step_e = testing.training_step(model_e, opt_e)
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


def _eye_scaled(a, b):
    eye = np.broadcast_to(np.eye(3, dtype=a.dtype), (2, 3, 3))
    return F.broadcast_to(F.expand_dims(abs(b) + 1, -1), (2, 3, 3)) * eye


# Each builds a distribution from two (2, 3) parameters, kept in its domain.
_DISTRIBUTIONS = {
    'Normal': lambda a, b: D.Normal(a, log_scale=b),
    'Bernoulli': lambda a, b: D.Bernoulli(logit=a),
    'Categorical': lambda a, b: D.Categorical(logit=a),
    'OneHotCategorical': lambda a, b: D.OneHotCategorical(F.softmax(b, axis=-1)),
    'Uniform': lambda a, b: D.Uniform(low=a, high=a + abs(b) + 1),
    'Laplace': lambda a, b: D.Laplace(a, abs(b) + 0.5),
    'Exponential': lambda a, b: D.Exponential(abs(b) + 0.5),
    'LogNormal': lambda a, b: D.LogNormal(a, abs(b) + 0.5),
    'Cauchy': lambda a, b: D.Cauchy(a, abs(b) + 0.5),
    'Gumbel': lambda a, b: D.Gumbel(a, abs(b) + 0.5),
    'Geometric': lambda a, b: D.Geometric(F.sigmoid(b) * 0.5 + 0.2),
    'Pareto': lambda a, b: D.Pareto(abs(a) + 1, abs(b) + 2),
    'MultivariateNormal': lambda a, b: D.MultivariateNormal(a, scale_tril=_eye_scaled(a, b)),
}


@pytest.mark.parametrize('name', sorted(_DISTRIBUTIONS))
def test_sampling_and_log_prob_train_as_eagerly(name, backend_name):
    """Draws, log_prob, entropy-free losses and their gradients (through reparameterised
    samples) are traced: compiled SGD steps end where eager ones do."""
    make = _DISTRIBUTIONS[name]

    def loss_of(a, b):
        d = make(a, b)
        s = d.sample(4)
        loss = F.sum(d.log_prob(s))
        if s.dtype.kind == 'f' and name not in ('Geometric', 'OneHotCategorical'):
            loss = loss + F.sum(s * s)  # a gradient through the draw itself
        return loss
    compare_two_param_training(loss_of, np.float64, backend_name, optimizers.SGD(lr=0.01),
                               steps=2, seed=1)

"""Training steps with the distributions built on special functions (Gamma, Beta,
Chisquare, Dirichlet log_prob, entropy and KL; Normal and Cauchy CDFs; Gumbel KL),
compiled, end where eager steps end. Their samplers (xp.random.gamma, beta,
chisquare) have no IR primitive: tracing them raises CompileError naming the draw."""
import numpy as np
import pytest
from compile_helpers import compare_two_param_training

import tracegrad
import tracegrad.distributions as D
import tracegrad.functions as F
from tracegrad import optimizers

_DATA = np.random.RandomState(5)
_X_POS = _DATA.uniform(0.3, 3, (4, 2, 3))
_X_UNIT = _DATA.uniform(0.1, 0.9, (4, 2, 3))
_X_SIMPLEX = _X_UNIT / _X_UNIT.sum(-1, keepdims=True)


def _soft(v):  # positive parameters from unconstrained ones
    return F.softplus(v) + 0.5


# Each maps two (2, 3) parameters and a dtype to a scalar loss.
_LOSSES = {
    'Gamma': lambda a, b, t: (
        -F.sum(D.Gamma(_soft(a), _soft(b)).log_prob(_X_POS.astype(t)))
        + F.sum(tracegrad.kl_divergence(D.Gamma(_soft(a), _soft(b)), D.Gamma(_soft(b), _soft(a))))
        - F.sum(D.Gamma(_soft(a), _soft(b)).entropy)),
    'Beta': lambda a, b, t: (
        -F.sum(D.Beta(_soft(a), _soft(b)).log_prob(_X_UNIT.astype(t)))
        + F.sum(tracegrad.kl_divergence(D.Beta(_soft(a), _soft(b)), D.Beta(_soft(b), _soft(a))))
        + F.sum(D.Beta(_soft(a), _soft(b)).entropy)),
    'Chisquare': lambda a, b, t: (
        -F.sum(D.Chisquare(_soft(a) + 1).log_prob(_X_POS.astype(t)))
        + F.sum(D.Chisquare(_soft(b) + 1).entropy)),
    'Dirichlet': lambda a, b, t: (
        -F.sum(D.Dirichlet(_soft(a)).log_prob(_X_SIMPLEX.astype(t)))
        + F.sum(tracegrad.kl_divergence(D.Dirichlet(_soft(a)), D.Dirichlet(_soft(b))))
        + F.sum(D.Dirichlet(_soft(b)).entropy)),
    'Normal cdfs': lambda a, b, t: (
        F.sum(D.Normal(a, _soft(b)).log_cdf(_X_POS.astype(t)))
        - F.sum(D.Normal(a, _soft(b)).log_survival_function(_X_POS.astype(t)))
        + F.sum(D.Normal(a, _soft(b)).icdf(_X_UNIT.astype(t)) ** 2)),
    'Cauchy cdf and Gumbel KL': lambda a, b, t: (
        F.sum(D.Cauchy(a, _soft(b)).cdf(_X_POS.astype(t)))
        + F.sum(tracegrad.kl_divergence(D.Gumbel(a, _soft(b)), D.Gumbel(b, _soft(a))))),
}


@pytest.mark.parametrize('dtype', [np.float32, np.float64])
@pytest.mark.parametrize('name', sorted(_LOSSES))
def test_training_matches_eager(name, dtype, backend_name):
    loss_of = _LOSSES[name]
    losses_e = compare_two_param_training(lambda a, b: loss_of(a, b, dtype), dtype,
                                          backend_name, optimizers.Adam(alpha=0.05), steps=3)
    assert losses_e[-1] != losses_e[0]  # the steps moved the parameters


@pytest.mark.parametrize('make,draw', [
    (lambda v: D.Gamma(v, v), 'gamma'),
    (lambda v: D.Beta(v, v), 'beta'),
    (lambda v: D.Chisquare(v), 'chisquare'),
    (lambda v: D.Dirichlet(v), 'gamma'),
])
def test_sampling_cannot_be_traced(make, draw, backend_name):
    def sample(v):
        return make(v).sample(2)
    with pytest.raises(tracegrad.CompileError, match=f'random.{draw}'):
        tracegrad.compile(sample, backend=backend_name)(np.ones(3))

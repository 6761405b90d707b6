"""Chainer v7's VAE example (model and loss) runs with tracegrad and trains."""
import numpy as np
import pytest
from scipy import special
from vae_net import binary_data, make_vae

from tracegrad import optimizers, testing


@pytest.mark.parametrize('dtype', [np.float32, np.float64])
@pytest.mark.parametrize('binary_check', [False, True])
def test_training_lowers_the_loss(dtype, binary_check):
    np.random.seed(0)
    model = make_vae(binary_check=binary_check, dtype=dtype)
    step = testing.training_step(model, optimizers.Adam(alpha=1e-2).setup(model))
    x = binary_data(dtype=dtype)
    losses = [float(step(x).array) for _ in range(30)]
    assert all(np.isfinite(losses))
    assert np.mean(losses[-5:]) < np.mean(losses[:5]) - 0.5
    for name, p in model.namedparams():
        assert p.grad is not None and p.dtype == dtype, name
    assert np.abs(model.prior.scale.grad).sum() > 0  # the prior is learnt too


def test_loss_value_is_the_negative_elbo():
    np.random.seed(0)
    model = make_vae(k=2, dtype=np.float64)
    x = binary_data(n=4, dtype=np.float64)
    np.random.seed(5)
    loss = model(x)
    np.random.seed(5)
    eps = np.random.standard_normal((2, 4, 3))

    def linear(link, h):
        return h @ link.W.array.T + link.b.array
    enc, dec, prior = model.encoder, model.decoder, model.prior
    h = np.tanh(linear(enc.linear, x))
    mu, ln_sigma = linear(enc.mu, h), linear(enc.ln_sigma, h)
    z = mu + np.exp(ln_sigma) * eps
    logit = linear(dec.output, np.tanh(linear(dec.linear, z)))
    log_px = x * np.log(special.expit(logit)) + (1 - x) * np.log(special.expit(-logit))
    s2 = prior.scale.array
    kl = (np.log(s2) - ln_sigma
          + (np.exp(2 * ln_sigma) + (mu - prior.loc.array) ** 2) / (2 * s2 ** 2) - 0.5)
    expected = -(log_px.sum(axis=-1).mean() - kl.sum(axis=-1).mean())
    np.testing.assert_allclose(loss.array, expected, rtol=1e-10)

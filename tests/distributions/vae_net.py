# ruff: noqa: UP008  (the example's own Python 2 style super() calls, kept as written)
"""The model and loss of Chainer v7's VAE example (examples/vae/net.py), written as that
program writes them, with ``import tracegrad as chainer``: an encoder returning
``D.Normal(loc=..., log_scale=...)``, a decoder returning ``D.Bernoulli(logit=...)``,
a learnable ``D.Normal`` prior and the ELBO loss built with ``chainer.kl_divergence``.
"""
import numpy as np

import tracegrad as chainer
import tracegrad.distributions as D
import tracegrad.functions as F
import tracegrad.links as L
from tracegrad import reporter


class AvgELBOLoss(chainer.Chain):
    def __init__(self, encoder, decoder, prior, beta=1.0, k=1):
        super(AvgELBOLoss, self).__init__()
        self.beta = beta
        self.k = k
        with self.init_scope():
            self.encoder = encoder
            self.decoder = decoder
            self.prior = prior

    def __call__(self, x):
        q_z = self.encoder(x)
        z = q_z.sample(self.k)
        p_x = self.decoder(z)
        p_z = self.prior()

        reconstr = F.mean(F.sum(p_x.log_prob(
            F.broadcast_to(x[None, :], (self.k,) + x.shape)), axis=-1))
        kl_penalty = F.mean(F.sum(chainer.kl_divergence(q_z, p_z), axis=-1))
        loss = - (reconstr - self.beta * kl_penalty)
        reporter.report({'loss': loss}, self)
        reporter.report({'reconstr': reconstr}, self)
        reporter.report({'kl_penalty': kl_penalty}, self)
        return loss


class Encoder(chainer.Chain):
    def __init__(self, n_in, n_latent, n_h):
        super(Encoder, self).__init__()
        with self.init_scope():
            self.linear = L.Linear(n_in, n_h)
            self.mu = L.Linear(n_h, n_latent)
            self.ln_sigma = L.Linear(n_h, n_latent)

    def forward(self, x):
        h = F.tanh(self.linear(x))
        mu = self.mu(h)
        ln_sigma = self.ln_sigma(h)  # log(sigma)
        return D.Normal(loc=mu, log_scale=ln_sigma)


class Decoder(chainer.Chain):
    def __init__(self, n_in, n_latent, n_h, binary_check=False):
        super(Decoder, self).__init__()
        self.binary_check = binary_check
        with self.init_scope():
            self.linear = L.Linear(n_latent, n_h)
            self.output = L.Linear(n_h, n_in)

    def forward(self, z, inference=False):
        n_batch_axes = 1 if inference else 2
        h = F.tanh(self.linear(z, n_batch_axes=n_batch_axes))
        h = self.output(h, n_batch_axes=n_batch_axes)
        return D.Bernoulli(logit=h, binary_check=self.binary_check)


class Prior(chainer.Link):
    def __init__(self, n_latent):
        super(Prior, self).__init__()
        with self.init_scope():
            self.loc = chainer.Parameter(0, n_latent)
            self.scale = chainer.Parameter(1, n_latent)

    def forward(self):
        return D.Normal(self.loc, scale=self.scale)


def make_vae(n_in=12, n_latent=3, n_h=10, k=2, binary_check=False, dtype=np.float32):
    """The example's model (``make_encoder``/``make_decoder``/``make_prior`` and the loss)
    with small sizes, its parameters in ``dtype``."""
    with chainer.using_config('dtype', dtype):
        model = AvgELBOLoss(Encoder(n_in, n_latent, n_h),
                            Decoder(n_in, n_latent, n_h, binary_check=binary_check),
                            Prior(n_latent), k=k)
    for p in model.params():
        p.array = p.array.astype(dtype)
    return model


def binary_data(n=8, n_in=12, dtype=np.float32, seed=0):
    return (np.random.RandomState(seed).rand(n, n_in) > 0.5).astype(dtype)

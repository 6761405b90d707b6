"""Probability distributions (Chainer's ``chainer.distributions``, used as ``D``).

Each module holds one distribution and the KL divergences registered for it.
"""
from tracegrad.distributions.bernoulli import Bernoulli
from tracegrad.distributions.beta import Beta
from tracegrad.distributions.categorical import Categorical
from tracegrad.distributions.cauchy import Cauchy
from tracegrad.distributions.chisquare import Chisquare
from tracegrad.distributions.dirichlet import Dirichlet
from tracegrad.distributions.exponential import Exponential
from tracegrad.distributions.gamma import Gamma
from tracegrad.distributions.geometric import Geometric
from tracegrad.distributions.gumbel import Gumbel
from tracegrad.distributions.independent import Independent
from tracegrad.distributions.laplace import Laplace
from tracegrad.distributions.log_normal import LogNormal
from tracegrad.distributions.multivariate_normal import MultivariateNormal
from tracegrad.distributions.normal import Normal
from tracegrad.distributions.one_hot_categorical import OneHotCategorical
from tracegrad.distributions.pareto import Pareto
from tracegrad.distributions.poisson import Poisson
from tracegrad.distributions.uniform import Uniform

__all__ = ['Bernoulli', 'Beta', 'Categorical', 'Cauchy', 'Chisquare', 'Dirichlet',
           'Exponential', 'Gamma', 'Geometric', 'Gumbel', 'Independent', 'Laplace',
           'LogNormal', 'MultivariateNormal', 'Normal', 'OneHotCategorical', 'Pareto',
           'Poisson', 'Uniform']

"""``gumbel_softmax``: a differentiable sample from a categorical distribution."""
from __future__ import annotations

from tracegrad.backend import get_array_module
from tracegrad.variable import Variable

__all__ = ['gumbel_softmax']


def gumbel_softmax(log_pi, tau=0.1, axis=1) -> Variable:
    """Sample from the Gumbel-Softmax distribution.

    Computes ``softmax((log_pi + g) / tau, axis)`` where ``g`` is drawn from
    the standard Gumbel distribution. ``g = -log(-log(1 - U))`` with ``U``
    uniform on [0, 1): on the CPU this is exactly the draw of
    ``numpy.random.gumbel`` that Chainer uses, from NumPy's global random
    state. As ``tau`` goes to 0 the samples approach one-hot vectors.

    Args:
        log_pi (Variable or array): unnormalized log-probabilities.
        tau (float, Variable or array): the temperature (broadcast against
            ``log_pi``).
        axis (int): the axis of the categories.

    Returns:
        ~tracegrad.Variable: the sample, of the shape of ``log_pi``. A 0-d
        ``log_pi`` gives 1.

    See `Categorical Reparameterization with Gumbel-Softmax
    <https://arxiv.org/abs/1611.01144>`_.

    >>> y = F.gumbel_softmax(np.log(np.array([[0.2, 0.3, 0.5]], np.float32)), tau=1.)
    >>> y.shape
    (1, 3)
    >>> bool(np.isclose(float(y.array.sum()), 1.))
    True
    """
    from tracegrad.functions.activation.softmax import softmax

    xp = get_array_module(log_pi)
    if log_pi.ndim < 1:
        return Variable(xp.ones((), log_pi.dtype))
    uniform = xp.random.rand(*log_pi.shape)
    g = (-xp.log(-xp.log(1 - uniform))).astype(log_pi.dtype, copy=False)
    return softmax((log_pi + g) / tau, axis=axis)

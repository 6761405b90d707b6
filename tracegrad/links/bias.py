"""Bias and Scale: broadcast addition and multiplication by learned (or given) arrays."""
from __future__ import annotations

from tracegrad import functions as F
from tracegrad.link import Chain, Link
from tracegrad.variable import Parameter


class Bias(Link):
    """Add a bias broadcast from ``axis``: ``F.bias(x, b, axis)``.

    With ``shape`` the bias is a parameter ``b`` (starting at 0) and the link takes
    one input; without it the link takes ``(x, b)``.

    Args:
        axis: the first axis of ``x`` that the bias covers.
        shape: the shape of the learned bias, or None.

    >>> l = L.Bias(axis=1, shape=(3,))
    >>> l.b.array[...] = [1, 2, 3]
    >>> l(np.zeros((2, 3), np.float32)).array
    array([[1., 2., 3.],
           [1., 2., 3.]], dtype=float32)
    """

    def __init__(self, axis=1, shape=None):
        super().__init__()
        if shape is not None:
            with self.init_scope():
                self.b = Parameter(0, shape)
        self.axis = axis

    def forward(self, *xs):
        if hasattr(self, 'b'):
            x, = xs
            return F.bias(x, self.b, self.axis)
        x, y = xs
        return F.bias(x, y, self.axis)


class Scale(Chain):
    """Multiply by a scale broadcast from ``axis`` (``F.scale``), optionally adding a bias.

    With ``W_shape`` the scale is a parameter ``W`` (starting at 1) and the link
    takes one input; without it the link takes ``(x, W)``.

    Args:
        axis: the first axis of ``x`` that the scale covers.
        W_shape: the shape of the learned scale, or None.
        bias_term: if True, a :class:`Bias` child ``bias`` follows.
        bias_shape: the bias shape when ``W_shape`` is None.
    """

    def __init__(self, axis=1, W_shape=None, bias_term=False, bias_shape=None):
        super().__init__()
        self.axis = axis
        with self.init_scope():
            if W_shape is not None:
                self.W = Parameter(1, W_shape)
                if bias_term:
                    self.bias = Bias(axis, W_shape)
            elif bias_term:
                if bias_shape is None:
                    raise ValueError('Scale: bias_shape should be given if W is not a learnt '
                                     'parameter and bias_term is True.')
                self.bias = Bias(axis, bias_shape)

    def forward(self, *xs):
        if hasattr(self, 'W'):
            x, = xs
            z = F.scale(x, self.W, self.axis)
        else:
            x, y = xs
            z = F.scale(x, y, self.axis)
        if hasattr(self, 'bias'):
            return self.bias(z)
        return z

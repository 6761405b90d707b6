"""The S-LSTM cell of a binary tree node: ``slstm(c_prev1, c_prev2, x1, x2) -> (c, h)``."""
from __future__ import annotations

from tracegrad.functions.activation.sigmoid import sigmoid
from tracegrad.functions.activation.tanh import tanh
from tracegrad.functions.array.reshape import reshape
from tracegrad.functions.array.split_axis import separate
from tracegrad.utils import type_check

__all__ = ['slstm']


def _check(c1, c2, x1, x2):
    type_check.expect(
        c1.dtype.kind == 'f',
        c2.dtype == c1.dtype,
        x1.dtype == c1.dtype,
        x2.dtype == c1.dtype,
        c1.ndim >= 2,
        c2.ndim == c1.ndim,
        x1.ndim == c1.ndim,
        x2.ndim == c1.ndim,
        c2.shape[0] == c1.shape[0],
        x1.shape[0] == c1.shape[0],
        x2.shape[0] == c1.shape[0],
        x1.shape[1] == 4 * c1.shape[1],
        x2.shape[1] == 4 * c2.shape[1],
    )
    for i in range(2, type_check.eval(c1.ndim)):
        type_check.expect(x1.shape[i] == c1.shape[i], x2.shape[i] == c2.shape[i],
                          x1.shape[i] == x2.shape[i])


def _gates(x):
    """a, i, f, o of ``x`` in F.lstm's layout (channel ``4 * j + g`` is gate g of unit j)."""
    return separate(reshape(x, (x.shape[0], x.shape[1] // 4, 4) + x.shape[2:]), axis=2)


def slstm(c_prev1, c_prev2, x1, x2):
    """S-LSTM unit: an LSTM cell whose node has two children.

    ``x1`` and ``x2`` hold the gate pre-activations coming from the first and the
    second child, laid out as in :func:`lstm` (four gates ``a``, ``i``, ``f``,
    ``o`` interleaved unit by unit, so their second axis is four times that of
    the cell states). Each child has its own cell input, input gate and forget
    gate; the output gate adds both:

    .. math::

        c &= \\tanh(a_1) \\sigma(i_1) + \\tanh(a_2) \\sigma(i_2)
             + c_{\\text{prev}1} \\sigma(f_1) + c_{\\text{prev}2} \\sigma(f_2), \\\\
        h &= \\sigma(o_1 + o_2) \\tanh(c).

    Args:
        c_prev1 (Variable or array): the first child's cell state ``(B, U, ...)``.
        c_prev2 (Variable or array): the second child's cell state ``(B, U, ...)``.
        x1 (Variable or array): the first child's gate inputs ``(B, 4U, ...)``.
        x2 (Variable or array): the second child's gate inputs ``(B, 4U, ...)``.

    Returns:
        tuple: two Variables, the cell state ``c`` and the output ``h``.

    See `Long Short-Term Memory Over Tree Structures
    <https://arxiv.org/abs/1503.04881>`_.

    .. admonition:: Example

        >>> c1 = np.zeros((1, 3), np.float32)
        >>> c2 = np.ones((1, 3), np.float32)
        >>> x1 = np.zeros((1, 12), np.float32)
        >>> x2 = np.zeros((1, 12), np.float32)
        >>> c, h = F.slstm(c1, c2, x1, x2)
        >>> c.array  # 0 * 0.5 + 1 * 0.5 from the forget gates
        array([[0.5, 0.5, 0.5]], dtype=float32)
    """
    type_check.check_composite('slstm', ('c_prev1', 'c_prev2', 'x1', 'x2'),
                               (c_prev1, c_prev2, x1, x2), _check)
    a1, i1, f1, o1 = _gates(x1)
    a2, i2, f2, o2 = _gates(x2)
    c = (tanh(a1) * sigmoid(i1) + tanh(a2) * sigmoid(i2)
         + sigmoid(f1) * c_prev1 + sigmoid(f2) * c_prev2)
    h = sigmoid(o1 + o2) * tanh(c)
    return c, h

"""The LSTM cell as a function: ``(c_prev, x) -> (c, h)`` with Chainer's gate layout."""
from __future__ import annotations

from tracegrad.backend import get_array_module
from tracegrad.function_node import FunctionNode
from tracegrad.utils import type_check

__all__ = ['lstm']

# x's channel axis holds the gates interleaved, unit by unit: channel 4*j + g is
# gate g of unit j, in the order (a: cell input, i: input, f: forget, o: output).
_GATES = 4


def _gate_view_shape(x_shape: tuple) -> tuple:
    return (x_shape[0], x_shape[1] // _GATES, _GATES) + tuple(x_shape[2:])


def _sigmoid(xp, x):
    half = x.dtype.type(0.5)
    return xp.tanh(x * half) * half + half


class LSTM(FunctionNode):
    """LSTM cell with a forget gate; two inputs (c_prev, x), two outputs (c, h)."""

    def check_type_forward(self, in_types):
        type_check._argname(in_types, ('c', 'x'))
        c_type, x_type = in_types
        type_check.expect(
            c_type.dtype.kind == 'f',
            x_type.dtype == c_type.dtype,
            c_type.ndim >= 2,
            x_type.ndim >= 2,
            c_type.ndim == x_type.ndim,
            x_type.shape[0] <= c_type.shape[0],
            x_type.shape[1] == 4 * c_type.shape[1],
        )
        for i in range(2, type_check.eval(c_type.ndim)):
            type_check.expect(x_type.shape[i] == c_type.shape[i])

    def forward(self, inputs):
        self.retain_inputs((0, 1))
        c_prev, x = inputs
        xp = get_array_module(x)
        batch = x.shape[0]
        gates = x.reshape(_gate_view_shape(x.shape))
        a = xp.tanh(gates[:, :, 0])
        i = _sigmoid(xp, gates[:, :, 1])
        f = _sigmoid(xp, gates[:, :, 2])
        o = _sigmoid(xp, gates[:, :, 3])
        c = a * i + f * c_prev[:batch]
        h = o * xp.tanh(c)
        if batch < c_prev.shape[0]:
            c = xp.concatenate([c, c_prev[batch:]], axis=0)
        return c, h

    def backward(self, indexes, grad_outputs):
        from tracegrad import functions as F

        c_prev, x = self.get_retained_inputs()
        gc, gh = grad_outputs
        batch = x.shape[0]
        partial = batch < c_prev.shape[0]
        gates = F.reshape(x, _gate_view_shape(x.shape))
        a = F.tanh(gates[:, :, 0])
        i = F.sigmoid(gates[:, :, 1])
        f = F.sigmoid(gates[:, :, 2])
        o = F.sigmoid(gates[:, :, 3])
        c_prev_b = c_prev[:batch] if partial else c_prev

        # g_c: gradient with respect to the new cell state of the first `batch` rows.
        g_c = None
        if gc is not None:
            g_c = gc[:batch] if partial else gc
        if gh is not None:
            tanh_c = F.tanh(a * i + f * c_prev_b)
            g_c_from_h = gh * o * (1 - tanh_c * tanh_c)
            g_c = g_c_from_h if g_c is None else g_c + g_c_from_h
            g_o = gh * tanh_c * o * (1 - o)
        else:
            g_o = o * 0
        if g_c is None:  # no gradient reached either output
            g_c = c_prev_b * 0

        ret = []
        if 0 in indexes:
            g_c_prev = g_c * f
            if partial:
                rest = gc[batch:] if gc is not None else c_prev[batch:] * 0
                g_c_prev = F.concat([g_c_prev, rest], axis=0)
            ret.append(g_c_prev)
        if 1 in indexes:
            g_a = g_c * i * (1 - a * a)
            g_i = g_c * a * i * (1 - i)
            g_f = g_c * c_prev_b * f * (1 - f)
            ret.append(F.reshape(F.stack([g_a, g_i, g_f, g_o], axis=2), x.shape))
        return tuple(ret)


def lstm(c_prev, x):
    """Long short-term memory unit (with forget gate) as a function.

    ``x`` holds the pre-activations of four gates for each unit: its second
    axis is four times as long as that of ``c_prev``, and channel ``4 * j + g``
    of ``x`` belongs to unit ``j``, gate ``g`` in the order ``a`` (cell
    input), ``i`` (input gate), ``f`` (forget gate), ``o`` (output gate).
    This interleaved layout is Chainer's, so weights trained there fit here.
    The outputs are

    .. math::

        c &= \\tanh(a) \\sigma(i) + c_{\\text{prev}} \\sigma(f), \\\\
        h &= \\tanh(c) \\sigma(o).

    ``x`` may have fewer rows than ``c_prev`` (sequences of decreasing
    lengths, sorted longest first): then only ``c[:len(x)]`` is updated and
    the remaining rows of ``c_prev`` are passed through unchanged; ``h`` has
    ``len(x)`` rows.

    Args:
        c_prev (Variable or array): previous cell state, of shape ``(B, U, ...)``.
        x (Variable or array): gate pre-activations, of shape
            ``(B', 4 * U, ...)`` with ``B' <= B``.

    Returns:
        tuple: two Variables ``c`` (the new cell state, of the shape of
        ``c_prev``) and ``h`` (the output, of shape ``(B', U, ...)``).

    See `Long Short-Term Memory in Recurrent Neural Networks
    <http://www.felixgers.de/papers/phd.pdf>`_.

    .. admonition:: Example

        With ``y`` the incoming signal and ``h`` the previous output, the
        usual input array is a sum of two linear maps:

        >>> n_units = 100
        >>> y = chainer.Variable(np.zeros((1, n_units), np.float32))
        >>> h = chainer.Variable(np.zeros((1, n_units), np.float32))
        >>> c = chainer.Variable(np.zeros((1, n_units), np.float32))
        >>> model = chainer.Chain()
        >>> with model.init_scope():
        ...   model.w = L.Linear(n_units, 4 * n_units)
        ...   model.v = L.Linear(n_units, 4 * n_units)
        >>> x = model.w(y) + model.v(h)
        >>> c, h = F.lstm(c, x)
    """
    return LSTM().apply((c_prev, x))

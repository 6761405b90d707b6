"""The TreeLSTM cell of a node with N children: ``tree_lstm(c1, ..., cN, x) -> (c, h)``."""
from __future__ import annotations

from tracegrad.functions.activation.sigmoid import sigmoid
from tracegrad.functions.activation.tanh import tanh
from tracegrad.functions.array.reshape import reshape
from tracegrad.functions.array.split_axis import separate
from tracegrad.utils import type_check

__all__ = ['tree_lstm']


def _check(*in_types):
    *c_types, x = in_types
    n_ary = len(c_types)
    type_check.expect(x.ndim >= 2)
    for c in c_types:
        type_check.expect(
            c.dtype.kind == 'f',
            x.dtype == c.dtype,
            c.ndim == x.ndim,
            x.shape[0] == c.shape[0],
            x.shape[1] == (3 + n_ary) * c.shape[1],
        )
        for j in range(2, type_check.eval(c.ndim)):
            type_check.expect(x.shape[j] == c.shape[j])


def tree_lstm(*inputs):
    """TreeLSTM unit: an LSTM cell whose node has ``N`` children, one forget gate each.

    The last input ``x`` holds ``3 + N`` blocks of gate pre-activations along
    its second axis, one block after another (not interleaved as in
    :func:`lstm`): ``a`` (cell input), ``i`` (input gate), ``o`` (output gate),
    then ``f_1 .. f_N`` (a forget gate per child). The first ``N`` inputs are
    the children's cell states.

    .. math::

        c &= \\tanh(a) \\sigma(i) + \\sum_n c_n \\sigma(f_n), \\\\
        h &= \\tanh(c) \\sigma(o).

    With one ``x`` for all the forget gates, this covers both Child-Sum and
    N-ary TreeLSTMs (Bowman et al.'s variant, with a matrix per child).

    Args:
        inputs: ``c_1, ..., c_N, x``: cell states ``(B, U, ...)`` and the gate
            inputs ``(B, (3 + N) U, ...)``, Variables or arrays.

    Returns:
        tuple: two Variables, the cell state ``c`` and the output ``h``.

    See `Improved Semantic Representations From Tree-Structured Long Short-Term
    Memory Networks <https://www.aclweb.org/anthology/P15-1150>`_ and `A Fast
    Unified Model for Parsing and Sentence Understanding
    <https://arxiv.org/pdf/1603.06021.pdf>`_.

    .. admonition:: Example

        >>> model = chainer.Chain()
        >>> with model.init_scope():
        ...   model.w = L.Linear(10, 5 * 10)
        ...   model.v1 = L.Linear(10, 5 * 10)
        ...   model.v2 = L.Linear(10, 5 * 10)
        >>> y = np.random.uniform(-1, 1, (4, 10)).astype(np.float32)
        >>> h1 = np.random.uniform(-1, 1, (4, 10)).astype(np.float32)
        >>> h2 = np.random.uniform(-1, 1, (4, 10)).astype(np.float32)
        >>> c1 = np.random.uniform(-1, 1, (4, 10)).astype(np.float32)
        >>> c2 = np.random.uniform(-1, 1, (4, 10)).astype(np.float32)
        >>> x = model.w(y) + model.v1(h1) + model.v2(h2)
        >>> c, h = F.tree_lstm(c1, c2, x)
    """
    if len(inputs) < 2:
        raise TypeError(f'tree_lstm: expected cell states and x (at least 2 inputs), '
                        f'got {len(inputs)}')
    cs, x = inputs[:-1], inputs[-1]
    names = [f'c{n + 1}' for n in range(len(cs))] + ['x']
    type_check.check_composite('tree_lstm', names, inputs, _check)
    n_gates = 3 + len(cs)
    blocks = reshape(x, (x.shape[0], n_gates, x.shape[1] // n_gates) + x.shape[2:])
    a, i, o, *fs = separate(blocks, axis=1)
    c = tanh(a) * sigmoid(i)
    for f, c_child in zip(fs, cs):
        c = c + sigmoid(f) * c_child
    return c, sigmoid(o) * tanh(c)

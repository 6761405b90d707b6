"""Stacked LSTMs over variable-length sequences: ``n_step_lstm``, ``n_step_bilstm``."""
from __future__ import annotations

from tracegrad.functions.array.concat import stack
from tracegrad.functions.array.reshape import reshape
from tracegrad.functions.connection.linear import linear
from tracegrad.functions.rnn.lstm import lstm
from tracegrad.functions.rnn.n_step_rnn import CellKind, run_n_step, split_rows

__all__ = ['n_step_bilstm', 'n_step_lstm']

# Chainer's (and cuDNN's) matrix order per projection is input gate, forget gate,
# cell input, output gate; F.lstm wants the gates interleaved unit by unit in the
# order cell input, input, forget, output.
_LSTM_GATE_ORDER = (2, 0, 1, 3)


def _interleave(params: list):
    """Stack four ``(N, ...)`` gate parameters into F.lstm's ``(4N, ...)`` layout."""
    joined = stack([params[g] for g in _LSTM_GATE_ORDER], axis=1)
    return reshape(joined, (joined.shape[0] * 4,) + joined.shape[2:])


def _arrange(w, b):
    return _interleave(w[:4]), _interleave(b[:4]), _interleave(w[4:]), _interleave(b[4:])


def _step(x_t, h, c, W_h, b_h):
    c, h = lstm(c, x_t + linear(h, W_h, b_h))
    return h, c


_LSTM = CellKind(8, _arrange, split_rows, _step, has_cell=True)


def n_step_lstm(n_layers, dropout_ratio, hx, cx, ws, bs, xs, **kwargs):
    """n_step_lstm(n_layers, dropout_ratio, hx, cx, ws, bs, xs)

    A stack of ``n_layers`` LSTM layers run over a batch of sequences. Layer
    ``k`` at time ``t`` computes

    .. math::

        i_t &= \\sigma(W_0 x_t + W_4 h_{t-1} + b_0 + b_4) \\\\
        f_t &= \\sigma(W_1 x_t + W_5 h_{t-1} + b_1 + b_5) \\\\
        a_t &= \\tanh(W_2 x_t + W_6 h_{t-1} + b_2 + b_6) \\\\
        o_t &= \\sigma(W_3 x_t + W_7 h_{t-1} + b_3 + b_7) \\\\
        c_t &= f_t c_{t-1} + i_t a_t \\\\
        h_t &= o_t \\tanh(c_t)

    (the matrix order is Chainer's and cuDNN's, so their weights fit). The
    outputs ``h_t`` are the inputs of layer ``k + 1``, after dropout (in training
    mode, for ``k >= 1``).

    Args:
        n_layers (int): the number of layers ``S``.
        dropout_ratio (float): the dropout ratio of the inputs of every layer but
            the first.
        hx (Variable or array): initial hidden states, ``(S, B, N)``.
        cx (Variable or array): initial cell states, ``(S, B, N)``.
        ws (list of lists of Variables or arrays): ``ws[k]`` holds the eight
            matrices ``W_0 .. W_7`` of layer ``k``; ``W_0 .. W_3`` are ``(N, I)``
            in layer 0 and ``(N, N)`` after, ``W_4 .. W_7`` are ``(N, N)``.
        bs (list of lists of Variables or arrays): ``bs[k]`` holds ``b_0 .. b_7``,
            each ``(N,)``.
        xs (list of Variables or arrays): the inputs by time step, ``xs[t]`` of
            shape ``(B_t, I)`` with ``B_0 = B`` and ``B_t >= B_{t+1}`` (sequences
            sorted longest first, then transposed, e.g. by
            :func:`transpose_sequence`).

    Returns:
        tuple: ``(hy, cy, ys)``: ``hy`` and ``cy`` (``(S, B, N)``) hold each
        layer's states at the last step of each sequence; ``ys`` is a tuple of
        the last layer's outputs per time step, ``ys[t]`` of shape ``(B_t, N)``.

    .. admonition:: Example

        >>> batchs = [3, 2, 1]  # support variable length sequences
        >>> in_size, out_size, n_layers = 3, 2, 2
        >>> dropout_ratio = 0.0
        >>> xs = [np.ones((b, in_size)).astype(np.float32) for b in batchs]
        >>> [x.shape for x in xs]
        [(3, 3), (2, 3), (1, 3)]
        >>> h_shape = (n_layers, batchs[0], out_size)
        >>> hx = np.ones(h_shape).astype(np.float32)
        >>> cx = np.ones(h_shape).astype(np.float32)
        >>> w_in = lambda i, j: in_size if i == 0 and j < 4 else out_size
        >>> ws = []
        >>> bs = []
        >>> for n in range(n_layers):
        ...     ws.append([np.ones((out_size, w_in(n, i))).astype(np.float32) \
for i in range(8)])
        ...     bs.append([np.ones((out_size,)).astype(np.float32) \
for _ in range(8)])
        ...
        >>> ws[0][0].shape  # ws[0][:4].shape are (out_size, in_size)
        (2, 3)
        >>> ws[1][0].shape  # others are (out_size, out_size)
        (2, 2)
        >>> bs[0][0].shape
        (2,)
        >>> hy, cy, ys = F.n_step_lstm(
        ...     n_layers, dropout_ratio, hx, cx, ws, bs, xs)
        >>> hy.shape
        (2, 3, 2)
        >>> cy.shape
        (2, 3, 2)
        >>> [y.shape for y in ys]
        [(3, 2), (2, 2), (1, 2)]
    """
    return run_n_step('n_step_lstm', _LSTM, n_layers, dropout_ratio, hx, cx, ws, bs, xs, 1,
                      kwargs)


def n_step_bilstm(n_layers, dropout_ratio, hx, cx, ws, bs, xs, **kwargs):
    """n_step_bilstm(n_layers, dropout_ratio, hx, cx, ws, bs, xs)

    A stack of bidirectional LSTM layers (see :func:`n_step_lstm` for the cell).
    Each layer runs one LSTM forward in time and one backward, each with its own
    weights, and outputs their hidden states side by side, ``[h^f_t; h^b_t]``,
    which the next layer takes as input.

    Args:
        n_layers (int): the number of layers ``S``.
        dropout_ratio (float): the dropout ratio of the inputs of every layer but
            the first.
        hx (Variable or array): initial hidden states, ``(2S, B, N)``; index
            ``2 * k + d`` is layer ``k``, direction ``d`` (0: forward, 1: backward).
        cx (Variable or array): initial cell states, like ``hx``.
        ws (list of lists of Variables or arrays): ``ws[2 * k + d]`` holds
            ``W_0 .. W_7``; ``W_0 .. W_3`` are ``(N, I)`` in layer 0 and
            ``(N, 2N)`` after, ``W_4 .. W_7`` are ``(N, N)``.
        bs (list of lists of Variables or arrays): ``bs[2 * k + d]`` holds
            ``b_0 .. b_7``, each ``(N,)``.
        xs (list of Variables or arrays): the inputs by time step, ``(B_t, I)``,
            with ``B_t`` non-increasing.

    Returns:
        tuple: ``(hy, cy, ys)``: ``hy`` and ``cy`` are ``(2S, B, N)``; ``ys[t]`` is
        ``(B_t, 2N)``, the forward half first.

    .. admonition:: Example

        >>> batchs = [3, 2, 1]  # support variable length sequences
        >>> in_size, out_size, n_layers = 3, 2, 2
        >>> dropout_ratio = 0.0
        >>> xs = [np.ones((b, in_size)).astype(np.float32) for b in batchs]
        >>> [x.shape for x in xs]
        [(3, 3), (2, 3), (1, 3)]
        >>> h_shape = (n_layers * 2, batchs[0], out_size)
        >>> hx = np.ones(h_shape).astype(np.float32)
        >>> cx = np.ones(h_shape).astype(np.float32)
        >>> def w_in(i, j):
        ...     if i == 0 and j < 4:
        ...         return in_size
        ...     elif i > 0 and j < 4:
        ...         return out_size * 2
        ...     else:
        ...         return out_size
        ...
        >>> ws = []
        >>> bs = []
        >>> for n in range(n_layers):
        ...     for direction in (0, 1):
        ...         ws.append([np.ones((out_size, w_in(n, i))).\
astype(np.float32) for i in range(8)])
        ...         bs.append([np.ones((out_size,)).astype(np.float32) \
for _ in range(8)])
        ...
        >>> ws[0][0].shape  # ws[0:2][:4].shape are (out_size, in_size)
        (2, 3)
        >>> ws[2][0].shape  # ws[2:][:4].shape are (out_size, 2 * out_size)
        (2, 4)
        >>> ws[0][4].shape  # others are (out_size, out_size)
        (2, 2)
        >>> bs[0][0].shape
        (2,)
        >>> hy, cy, ys = F.n_step_bilstm(
        ...     n_layers, dropout_ratio, hx, cx, ws, bs, xs)
        >>> hy.shape
        (4, 3, 2)
        >>> cy.shape
        (4, 3, 2)
        >>> [y.shape for y in ys]
        [(3, 4), (2, 4), (1, 4)]
    """
    return run_n_step('n_step_bilstm', _LSTM, n_layers, dropout_ratio, hx, cx, ws, bs, xs, 2,
                      kwargs)

"""Stacked GRUs over variable-length sequences: ``n_step_gru``, ``n_step_bigru``."""
from __future__ import annotations

from tracegrad.functions.activation.sigmoid import sigmoid
from tracegrad.functions.activation.tanh import tanh
from tracegrad.functions.array.concat import concat
from tracegrad.functions.array.split_axis import split_axis
from tracegrad.functions.connection.linear import linear
from tracegrad.functions.rnn.n_step_rnn import CellKind, run_n_step

__all__ = ['n_step_bigru', 'n_step_gru']


def _arrange(w, b):
    """Each projection as one matrix: the reset, update and candidate gates stacked."""
    return (concat(w[:3], axis=0), concat(b[:3], axis=0),
            concat(w[3:], axis=0), concat(b[3:], axis=0))


def _split_steps(x_proj, sections) -> list:
    # Per step, the three gates' input projections; cut by gate first (one node)
    # rather than once per step.
    by_gate = [split_axis(g, sections, axis=0) for g in split_axis(x_proj, 3, axis=1)]
    return list(zip(*by_gate))


def _step(x_t, h, c, W_h, b_h):
    x_r, x_z, x_n = x_t
    h_r, h_z, h_n = split_axis(linear(h, W_h, b_h), 3, axis=1)
    r = sigmoid(x_r + h_r)
    z = sigmoid(x_z + h_z)
    candidate = tanh(x_n + r * h_n)
    return (1 - z) * candidate + z * h, None


_GRU = CellKind(6, _arrange, _split_steps, _step)


def n_step_gru(n_layers, dropout_ratio, hx, ws, bs, xs, **kwargs):
    """n_step_gru(n_layers, dropout_ratio, hx, ws, bs, xs)

    A stack of ``n_layers`` GRU layers run over a batch of sequences. Layer ``k``
    at time ``t`` computes

    .. math::

        r_t &= \\sigma(W_0 x_t + b_0 + W_3 h_{t-1} + b_3) \\\\
        z_t &= \\sigma(W_1 x_t + b_1 + W_4 h_{t-1} + b_4) \\\\
        \\bar h_t &= \\tanh(W_2 x_t + b_2 + r_t (W_5 h_{t-1} + b_5)) \\\\
        h_t &= (1 - z_t) \\bar h_t + z_t h_{t-1}

    (the reset gate scales the projected state, as in cuDNN). The outputs ``h_t``
    are the inputs of layer ``k + 1``, after dropout (in training mode, for
    ``k >= 1``).

    Args:
        n_layers (int): the number of layers ``S``.
        dropout_ratio (float): the dropout ratio of the inputs of every layer but
            the first.
        hx (Variable or array): initial hidden states, ``(S, B, N)``.
        ws (list of lists of Variables or arrays): ``ws[k]`` holds the six
            matrices ``W_0 .. W_5`` of layer ``k``; ``W_0 .. W_2`` are ``(N, I)``
            in layer 0 and ``(N, N)`` after, ``W_3 .. W_5`` are ``(N, N)``.
        bs (list of lists of Variables or arrays): ``bs[k]`` holds ``b_0 .. b_5``,
            each ``(N,)``.
        xs (list of Variables or arrays): the inputs by time step, ``xs[t]`` of
            shape ``(B_t, I)`` with ``B_0 = B`` and ``B_t >= B_{t+1}``.

    Returns:
        tuple: ``(hy, ys)``: ``hy`` (``(S, B, N)``) holds each layer's hidden
        state at the last step of each sequence; ``ys`` is a tuple of the last
        layer's outputs per time step, ``ys[t]`` of shape ``(B_t, N)``.
    """
    hy, _, ys = run_n_step('n_step_gru', _GRU, n_layers, dropout_ratio, hx, None, ws, bs, xs,
                           1, kwargs)
    return hy, ys


def n_step_bigru(n_layers, dropout_ratio, hx, ws, bs, xs, **kwargs):
    """n_step_bigru(n_layers, dropout_ratio, hx, ws, bs, xs)

    A stack of bidirectional GRU layers (see :func:`n_step_gru` for the cell).
    Each layer runs one GRU forward in time and one backward, each with its own
    weights, and outputs their hidden states side by side, ``[h^f_t; h^b_t]``.

    Args:
        n_layers (int): the number of layers ``S``.
        dropout_ratio (float): the dropout ratio of the inputs of every layer but
            the first.
        hx (Variable or array): initial hidden states, ``(2S, B, N)``; index
            ``2 * k + d`` is layer ``k``, direction ``d`` (0: forward, 1: backward).
        ws (list of lists of Variables or arrays): ``ws[2 * k + d]`` holds
            ``W_0 .. W_5``; ``W_0 .. W_2`` are ``(N, I)`` in layer 0 and
            ``(N, 2N)`` after, ``W_3 .. W_5`` are ``(N, N)``.
        bs (list of lists of Variables or arrays): ``bs[2 * k + d]`` holds
            ``b_0 .. b_5``, each ``(N,)``.
        xs (list of Variables or arrays): the inputs by time step, ``(B_t, I)``,
            with ``B_t`` non-increasing.

    Returns:
        tuple: ``(hy, ys)``: ``hy`` is ``(2S, B, N)``; ``ys[t]`` is ``(B_t, 2N)``,
        the forward half first.
    """
    hy, _, ys = run_n_step('n_step_bigru', _GRU, n_layers, dropout_ratio, hx, None, ws, bs,
                           xs, 2, kwargs)
    return hy, ys

"""Stacked recurrent networks over variable-length sequences: ``n_step_rnn``, ``n_step_birnn``.

The ``n_step_*`` functions (here and in ``n_step_lstm`` and ``n_step_gru``) share one
driver, :func:`run_n_step`, written with differentiable functions only, so backward,
double backward and tracing need nothing of their own. Per layer and direction it
projects the inputs of all time steps with one ``linear`` (the step batches are
concatenated along the batch axis), then walks the time steps, adding the projection of
the hidden state. A cell kind supplies three things: how to arrange its weight matrices
for the two projections, how to cut the input projection into per-step pieces, and one
step of the recurrence.

Sequences are sorted longest first, so in the forward direction rows only leave the
batch (their state is final from then on) and in the backward direction rows only
join it (starting from their initial state).
"""
from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import Any

from tracegrad.functions.activation.relu import relu
from tracegrad.functions.activation.tanh import tanh
from tracegrad.functions.array.concat import concat, stack
from tracegrad.functions.array.split_axis import separate, split_axis
from tracegrad.functions.connection.linear import linear
from tracegrad.functions.noise.dropout import dropout

__all__ = ['n_step_birnn', 'n_step_rnn']


class CellKind:
    """One kind of recurrent cell, as the driver needs it.

    Attributes:
        n_weights: weight matrices (and bias vectors) per layer and direction; the
            first half multiplies the input, the second half the hidden state.
        arrange: ``(w, b) -> (W_x, b_x, W_h, b_h)``, the input and hidden projections.
        split_steps: ``(x_proj, sections) -> list`` of per-step pieces of the input
            projection (``sections`` as for ``split_axis`` along axis 0).
        step: ``(x_t, h, c, W_h, b_h) -> (h, c)``, one time step (``c`` is None for
            cells without a cell state).
        has_cell: whether the cell has a cell state (``cx``), as an LSTM has.
    """

    def __init__(self, n_weights: int, arrange: Callable, split_steps: Callable,
                 step: Callable, has_cell: bool = False) -> None:
        self.n_weights = n_weights
        self.has_cell = has_cell
        self.arrange = arrange
        self.split_steps = split_steps
        self.step = step


def split_rows(x_proj, sections) -> list:
    """The per-step pieces of a projection whose rows are the step batches, in order."""
    return list(split_axis(x_proj, sections, axis=0))


def reject_kwargs(name: str, kwargs: dict) -> None:
    """Chainer's errors for keyword arguments: ValueError for the removed ``train`` and
    ``use_cudnn`` (now configuration), TypeError for any other."""
    for old in ('train', 'use_cudnn'):
        if old in kwargs:
            raise ValueError(f'{name}: the {old} argument is not supported anymore; use '
                             f"tracegrad.using_config('{old}', ...)")
    if kwargs:
        raise TypeError(f'{name}() got unexpected keyword argument(s) '
                        f'{", ".join(sorted(kwargs))}')


def _check_args(name: str, kind: CellKind, n_layers, dropout_ratio, hx, cx, ws, bs, xs,
                directions: int) -> None:
    """Raise ValueError naming ``name`` for arguments the recurrence cannot run on."""
    if not isinstance(n_layers, int) or n_layers < 1:
        raise ValueError(f'{name}: n_layers must be a positive int, got {n_layers!r}')
    if not 0.0 <= dropout_ratio < 1.0:
        raise ValueError(f'{name}: dropout_ratio must be in the range [0, 1), '
                         f'got {dropout_ratio}')
    if not isinstance(xs, (list, tuple)) or not xs:
        raise ValueError(f'{name}: xs must be a non-empty list of (B_t, I) arrays')
    x0 = xs[0]
    for t, x in enumerate(xs):
        if x.ndim != 2 or x.shape[1] != x0.shape[1] or x.dtype != x0.dtype:
            raise ValueError(f'{name}: every xs[t] must be 2-D with the shape[1] and dtype '
                             f'of xs[0] {x0.shape} {x0.dtype}; xs[{t}] is {x.shape} {x.dtype}')
        if t and x.shape[0] > xs[t - 1].shape[0]:
            raise ValueError(f'{name}: xs must be sorted by decreasing batch size '
                             f'(transpose sequences sorted longest first); xs[{t - 1}] has '
                             f'{xs[t - 1].shape[0]} rows, xs[{t}] has {x.shape[0]}')
    if x0.dtype.kind != 'f':
        raise ValueError(f'{name}: xs must be floating point, got {x0.dtype}')
    n_cells = n_layers * directions
    for label, s in (('hx', hx), ('cx', cx) if kind.has_cell else ('hx', hx)):
        if s is None:
            raise TypeError(f'{name}: {label} must be an array of shape (n_layers * '
                            f'directions, len(xs[0]), units), got None (the NStep links '
                            f'accept None and start from zeros)')
    units = hx.shape[-1]
    states = [('hx', hx)] if cx is None else [('hx', hx), ('cx', cx)]
    for label, s in states:
        if s.shape != (n_cells, x0.shape[0], units) or s.dtype != x0.dtype:
            raise ValueError(f'{name}: {label} must be ({n_cells}, {x0.shape[0]}, {units}) '
                             f'of dtype {x0.dtype} (n_layers * directions, len(xs[0]), '
                             f'units); got {s.shape} {s.dtype}')
    for label, params in (('ws', ws), ('bs', bs)):
        if len(params) != n_cells:
            raise ValueError(f'{name}: {label} must hold n_layers * directions = {n_cells} '
                             f'lists, got {len(params)}')
        for i, group in enumerate(params):
            if len(group) != kind.n_weights:
                raise ValueError(f'{name}: {label}[{i}] must hold {kind.n_weights} arrays, '
                                 f'got {len(group)}')
    half = kind.n_weights // 2
    for i in range(n_cells):
        layer = i // directions
        for j in range(kind.n_weights):
            if j >= half:
                w_in = units
            else:
                w_in = x0.shape[1] if layer == 0 else units * directions
            w, b = ws[i][j], bs[i][j]
            if w.shape != (units, w_in) or w.dtype != x0.dtype:
                raise ValueError(f'{name}: ws[{i}][{j}] must be ({units}, {w_in}) of dtype '
                                 f'{x0.dtype}; got {w.shape} {w.dtype}')
            if b.shape != (units,) or b.dtype != x0.dtype:
                raise ValueError(f'{name}: bs[{i}][{j}] must be ({units},) of dtype '
                                 f'{x0.dtype}; got {b.shape} {b.dtype}')


def _cut_rows(state, sizes: list) -> list:
    """``state`` cut along the batch axis into consecutive pieces of ``sizes`` rows."""
    if len(sizes) == 1:
        return [state]
    return list(split_axis(state, list(itertools.accumulate(sizes[:-1])), axis=0))


def _run_direction(kind: CellKind, steps: list, batches: list, h0, c0, W_h, b_h):
    """Walk ``steps`` (with ``batches`` rows each) from the initial states ``h0``, ``c0``.

    Returns the final ``h`` and ``c`` (all rows, each at its sequence's last step) and
    the list of per-step outputs.
    """
    # The rows of h0 (c0) that join each time the batch grows, cut in one node.
    joins = []
    for batch in batches:
        if batch > sum(joins):
            joins.append(batch - sum(joins))
    h_joining = iter(_cut_rows(h0, joins))
    c_joining = iter(_cut_rows(c0, joins)) if c0 is not None else None
    h = c = None
    active = 0
    finished = []  # (h, c) of rows that left the batch, highest rows last
    outputs = []
    for x_t, batch in zip(steps, batches):
        if batch < active:
            h, h_done = split_axis(h, [batch], axis=0)
            c_done = None
            if c is not None:
                c, c_done = split_axis(c, [batch], axis=0)
            finished.append((h_done, c_done))
        elif batch > active:
            h = next(h_joining) if h is None else concat([h, next(h_joining)], axis=0)
            if c_joining is not None:
                c = next(c_joining) if c is None else concat([c, next(c_joining)], axis=0)
        h, c = kind.step(x_t, h, c, W_h, b_h)
        outputs.append(h)
        active = batch
    if finished:
        h = concat([h] + [f[0] for f in reversed(finished)], axis=0)
        if c is not None:
            c = concat([c] + [f[1] for f in reversed(finished)], axis=0)
    return h, c, outputs


def run_n_step(name: str, kind: CellKind, n_layers: int, dropout_ratio: float, hx, cx,
               ws: Sequence, bs: Sequence, xs: Sequence, directions: int,
               kwargs: dict) -> tuple[Any, Any, tuple]:
    """The stacked recurrence shared by the ``n_step_*`` functions.

    Returns ``(hy, cy, ys)``; ``cy`` is None when ``cx`` is None.
    """
    if kwargs:
        reject_kwargs(name, kwargs)
    _check_args(name, kind, n_layers, dropout_ratio, hx, cx, ws, bs, xs, directions)
    batches = [x.shape[0] for x in xs]
    sections = list(itertools.accumulate(batches[:-1]))
    hxs = separate(hx, axis=0)
    cxs = [None] * len(hxs) if cx is None else separate(cx, axis=0)
    layer_in = concat(xs, axis=0) if len(xs) > 1 else xs[0]
    hy, cy = [], []
    for layer in range(n_layers):
        per_direction = []
        for d in range(directions):
            idx = layer * directions + d
            # Chainer draws a fresh mask for each direction, forward first.
            x = layer_in if layer == 0 else dropout(layer_in, dropout_ratio)
            W_x, b_x, W_h, b_h = kind.arrange(ws[idx], bs[idx])
            steps = kind.split_steps(linear(x, W_x, b_x), sections)
            if d == 0:
                h, c, outs = _run_direction(kind, steps, batches, hxs[idx], cxs[idx], W_h, b_h)
            else:
                h, c, outs = _run_direction(kind, steps[::-1], batches[::-1], hxs[idx],
                                            cxs[idx], W_h, b_h)
                outs.reverse()
            hy.append(h)
            cy.append(c)
            per_direction.append(outs)
        if directions == 1 and layer == n_layers - 1:
            ys = tuple(per_direction[0])
        else:
            joined = [concat(outs, axis=0) if len(outs) > 1 else outs[0]
                      for outs in per_direction]
            layer_in = joined[0] if directions == 1 else concat(joined, axis=1)
    if directions == 2:
        ys = tuple(split_rows(layer_in, sections))
    return stack(hy), None if cx is None else stack(cy), ys


def _rnn_arrange(w, b):
    return w[0], b[0], w[1], b[1]


def _rnn_kind(activation: str) -> CellKind:
    act = tanh if activation == 'tanh' else relu

    def step(x_t, h, c, W_h, b_h):
        return act(x_t + linear(h, W_h, b_h)), None

    return CellKind(2, _rnn_arrange, split_rows, step)


_RNN_KINDS = {name: _rnn_kind(name) for name in ('tanh', 'relu')}


def _n_step_rnn_base(name, n_layers, dropout_ratio, hx, ws, bs, xs, activation, directions,
                     kwargs):
    if activation not in _RNN_KINDS:
        raise ValueError(f'{name}: invalid activation {activation!r}; choose from '
                         f'{", ".join(_RNN_KINDS)}')
    hy, _, ys = run_n_step(name, _RNN_KINDS[activation], n_layers, dropout_ratio, hx, None,
                           ws, bs, xs, directions, kwargs)
    return hy, ys


def n_step_rnn(n_layers, dropout_ratio, hx, ws, bs, xs, activation='tanh', **kwargs):
    """n_step_rnn(n_layers, dropout_ratio, hx, ws, bs, xs, activation='tanh')

    A stack of ``n_layers`` simple (Elman) recurrent layers run over a batch of
    sequences. Layer ``k`` at time ``t`` computes

    .. math::

        h_t = f(W_0 x_t + b_0 + W_1 h_{t-1} + b_1)

    with ``f`` = tanh or relu; its outputs ``h_t`` are the inputs ``x_t`` of
    layer ``k + 1``, after dropout (in training mode, for ``k >= 1``).

    Args:
        n_layers (int): the number of layers ``S``.
        dropout_ratio (float): the dropout ratio of the inputs of every layer but
            the first.
        hx (Variable or array): initial hidden states, ``(S, B, N)``.
        ws (list of lists of Variables or arrays): ``ws[k] = [W_0, W_1]`` of layer
            ``k``; ``W_0`` is ``(N, I)`` for ``k = 0`` and ``(N, N)`` after,
            ``W_1`` is ``(N, N)``.
        bs (list of lists of Variables or arrays): ``bs[k] = [b_0, b_1]``, each
            ``(N,)``.
        xs (list of Variables or arrays): the inputs by time step, ``xs[t]`` of
            shape ``(B_t, I)`` with ``B_0 = B`` and ``B_t >= B_{t+1}`` (sequences
            sorted longest first, then transposed, e.g. by
            :func:`transpose_sequence`).
        activation (str): ``'tanh'`` or ``'relu'``.

    Returns:
        tuple: ``(hy, ys)``: ``hy`` (``(S, B, N)``) holds each layer's hidden state
        at the last step of each sequence; ``ys`` is a tuple of the last layer's
        outputs per time step, ``ys[t]`` of shape ``(B_t, N)``.
    """
    return _n_step_rnn_base('n_step_rnn', n_layers, dropout_ratio, hx, ws, bs, xs, activation,
                            1, kwargs)


def n_step_birnn(n_layers, dropout_ratio, hx, ws, bs, xs, activation='tanh', **kwargs):
    """n_step_birnn(n_layers, dropout_ratio, hx, ws, bs, xs, activation='tanh')

    A stack of bidirectional simple recurrent layers (see :func:`n_step_rnn`).
    Each layer runs one recurrence forward in time and one backward, each with
    its own weights, and outputs their hidden states side by side,
    ``[h^f_t; h^b_t]``, which the next layer takes as input.

    Args:
        n_layers (int): the number of layers ``S``.
        dropout_ratio (float): the dropout ratio of the inputs of every layer but
            the first.
        hx (Variable or array): initial hidden states, ``(2S, B, N)``; index
            ``2 * k + d`` is layer ``k``, direction ``d`` (0: forward, 1: backward).
        ws (list of lists of Variables or arrays): ``ws[2 * k + d] = [W_0, W_1]``;
            ``W_0`` is ``(N, I)`` in layer 0 and ``(N, 2N)`` after, ``W_1`` is
            ``(N, N)``.
        bs (list of lists of Variables or arrays): ``bs[2 * k + d] = [b_0, b_1]``,
            each ``(N,)``.
        xs (list of Variables or arrays): the inputs by time step, ``(B_t, I)``,
            with ``B_t`` non-increasing.
        activation (str): ``'tanh'`` or ``'relu'``.

    Returns:
        tuple: ``(hy, ys)``: ``hy`` is ``(2S, B, N)``; ``ys[t]`` is ``(B_t, 2N)``,
        the forward half first.
    """
    return _n_step_rnn_base('n_step_birnn', n_layers, dropout_ratio, hx, ws, bs, xs,
                            activation, 2, kwargs)

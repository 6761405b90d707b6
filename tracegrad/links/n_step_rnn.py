"""Stacked recurrent links over lists of sequences: NStepLSTM, NStepGRU, NStepRNN* and
their bidirectional twins.

Each link is a ChainList of one plain Link per layer and direction holding ``w0``,
``w1``, ... and ``b0``, ``b1``, ..., Chainer's parameter layout and names, so its
snapshots load here and serializer keys read ``0/w0``, ``0/b0``, ``1/w0``, ...
The links take sequences in any length order: they sort them longest first,
transpose them into per-step batches for the ``F.n_step_*`` function, and put the
results back in the caller's order.
"""
from __future__ import annotations

import numpy

from tracegrad import backend, initializers
from tracegrad.functions.array.permutate import permutate
from tracegrad.functions.array.transpose_sequence import transpose_sequence
from tracegrad.functions.rnn.n_step_gru import n_step_bigru, n_step_gru
from tracegrad.functions.rnn.n_step_lstm import n_step_bilstm, n_step_lstm
from tracegrad.functions.rnn.n_step_rnn import n_step_birnn, n_step_rnn, reject_kwargs
from tracegrad.link import ChainList, Link
from tracegrad.variable import Parameter, Variable

__all__ = ['NStepBiGRU', 'NStepBiLSTM', 'NStepBiRNNReLU', 'NStepBiRNNTanh', 'NStepGRU',
           'NStepLSTM', 'NStepRNNReLU', 'NStepRNNTanh']


class NStepRNNBase(ChainList):
    """__init__(self, n_layers, in_size, out_size, dropout, *, initialW=None, \
initial_bias=None)

    The shared body of the stacked recurrent links; subclasses set ``n_weights``,
    ``use_bi_direction``, ``n_cells`` and ``rnn(*args)``, their ``F.n_step_*``
    function called with Chainer's arguments.

    Args:
        n_layers (int): the number of layers.
        in_size (int): the size of the input vectors.
        out_size (int): the size of the hidden states (and outputs per direction).
        dropout (float): the dropout ratio of the inputs of every layer but the first.
        initialW: the initializer of the weight matrices (default: LeCunNormal,
            a Gaussian with variance ``1 / fan_in``).
        initial_bias: the initializer of the biases (default: 0).

    Attributes:
        n_layers (int), dropout (float), out_size (int): as given.
        direction (int): 2 for the bidirectional links, else 1.
        n_cells (int): the number of state arrays (2 for LSTMs: ``h`` and ``c``).
    """

    n_weights = 2
    use_bi_direction = False
    n_cells = 1

    def __init__(self, n_layers, in_size, out_size, dropout, *, initialW=None,
                 initial_bias=None, **kwargs):
        if kwargs:
            name = type(self).__name__
            for old in ('use_cudnn', 'use_bi_direction', 'activation'):
                if old in kwargs:
                    raise ValueError(f'{name}: the {old} argument is not supported anymore')
            raise TypeError(f'{name}() got unexpected keyword argument(s) '
                            f'{", ".join(sorted(kwargs))}')
        direction = 2 if self.use_bi_direction else 1
        W_init = initializers._get_initializer(initialW)
        b_init = initializers._get_initializer(0 if initial_bias is None else initial_bias)
        half = self.n_weights // 2
        cells = []
        for layer in range(n_layers):
            for _ in range(direction):
                cell = Link()
                with cell.init_scope():
                    for j in range(self.n_weights):
                        if j >= half:
                            w_in = out_size
                        else:
                            w_in = in_size if layer == 0 else out_size * direction
                        setattr(cell, f'w{j}', Parameter(W_init, (out_size, w_in)))
                        setattr(cell, f'b{j}', Parameter(b_init, (out_size,)))
                cells.append(cell)
        super().__init__(*cells)
        self.n_layers = n_layers
        self.dropout = dropout
        self.out_size = out_size
        self.direction = direction

    @property
    def ws(self) -> list:
        """The weights: ``ws[i][j]`` is ``w{j}`` of child ``i = layer * direction + d``."""
        return [[getattr(cell, f'w{j}') for j in range(self.n_weights)] for cell in self]

    @property
    def bs(self) -> list:
        """The biases, laid out as :attr:`ws`."""
        return [[getattr(cell, f'b{j}') for j in range(self.n_weights)] for cell in self]

    def init_hx(self, xs) -> Variable:
        """A zero state ``(n_layers * direction, len(xs), out_size)`` in ``xs``' dtype."""
        xp = backend.get_array_module(xs[0])
        shape = (self.n_layers * self.direction, len(xs), self.out_size)
        return Variable(xp.zeros(shape, dtype=xs[0].dtype))

    def _call(self, states, xs, kwargs):
        """Run the stack over ``xs`` (any length order) from ``states`` (None: zeros).

        Returns the final states and ``ys``, both in the order of ``xs``.
        """
        if kwargs:
            reject_kwargs(f'{type(self).__name__}.forward', kwargs)
        if not isinstance(xs, (list, tuple)):
            raise TypeError(f'{type(self).__name__}: xs must be a list of sequences, '
                            f'got {type(xs).__name__}')
        if not xs:
            raise ValueError(f'{type(self).__name__}: xs must hold at least one sequence')
        # numpy's default argsort, as Chainer's links use, so rows meet the same
        # dropout masks as there.
        order = numpy.argsort([-len(x) for x in xs]).astype(numpy.int32)
        identity = bool((order == numpy.arange(len(xs))).all())
        xs_sorted = [xs[i] for i in order]
        hxs = []
        for h in states:
            if h is None:
                h = self.init_hx(xs_sorted)
            elif not identity:
                h = permutate(h, order, axis=1)
            hxs.append(h)
        result = self.rnn(self.n_layers, self.dropout, *hxs, self.ws, self.bs,
                          transpose_sequence(xs_sorted))
        ys_sorted = transpose_sequence(result[-1])
        ys = [None] * len(xs)
        for position, i in enumerate(order):
            ys[i] = ys_sorted[position]
        finals = list(result[:-1])
        if not identity:
            finals = [permutate(h, order, axis=1, inv=True) for h in finals]
        return finals, ys

    def forward(self, hx, xs, **kwargs):
        """forward(self, hx, xs)

        Args:
            hx (Variable, array or None): initial hidden states,
                ``(n_layers * direction, B, out_size)``, or None for zeros.
            xs (list of Variables or arrays): ``B`` sequences ``(L_i, in_size)``
                in any order of lengths.

        Returns:
            tuple: ``(hy, ys)``: the final hidden states, like ``hx``, and the list
            of the last layer's outputs per sequence, ``(L_i, direction * out_size)``.
        """
        (hy,), ys = self._call([hx], xs, kwargs)
        return hy, ys


class NStepRNNTanh(NStepRNNBase):
    """__init__(self, n_layers, in_size, out_size, dropout, *, initialW=None, \
initial_bias=None)

    A stack of simple recurrent layers with tanh over sequences of any lengths
    (see :func:`~tracegrad.functions.n_step_rnn`; arguments as
    :class:`NStepRNNBase`).
    """

    n_weights = 2
    use_bi_direction = False

    def rnn(self, *args):
        return n_step_rnn(*args, activation='tanh')


class NStepRNNReLU(NStepRNNBase):
    """__init__(self, n_layers, in_size, out_size, dropout, *, initialW=None, \
initial_bias=None)

    A stack of simple recurrent layers with relu over sequences of any lengths
    (see :func:`~tracegrad.functions.n_step_rnn`).
    """

    n_weights = 2
    use_bi_direction = False

    def rnn(self, *args):
        return n_step_rnn(*args, activation='relu')


class NStepBiRNNTanh(NStepRNNBase):
    """__init__(self, n_layers, in_size, out_size, dropout, *, initialW=None, \
initial_bias=None)

    A stack of bidirectional simple recurrent layers with tanh (see
    :func:`~tracegrad.functions.n_step_birnn`).
    """

    n_weights = 2
    use_bi_direction = True

    def rnn(self, *args):
        return n_step_birnn(*args, activation='tanh')


class NStepBiRNNReLU(NStepRNNBase):
    """__init__(self, n_layers, in_size, out_size, dropout, *, initialW=None, \
initial_bias=None)

    A stack of bidirectional simple recurrent layers with relu (see
    :func:`~tracegrad.functions.n_step_birnn`).
    """

    n_weights = 2
    use_bi_direction = True

    def rnn(self, *args):
        return n_step_birnn(*args, activation='relu')


class NStepGRU(NStepRNNBase):
    """__init__(self, n_layers, in_size, out_size, dropout, *, initialW=None, \
initial_bias=None)

    A stack of GRU layers over sequences of any lengths (see
    :func:`~tracegrad.functions.n_step_gru`); six weights per layer.
    """

    n_weights = 6
    use_bi_direction = False

    def rnn(self, *args):
        return n_step_gru(*args)


class NStepBiGRU(NStepRNNBase):
    """__init__(self, n_layers, in_size, out_size, dropout, *, initialW=None, \
initial_bias=None)

    A stack of bidirectional GRU layers (see
    :func:`~tracegrad.functions.n_step_bigru`).
    """

    n_weights = 6
    use_bi_direction = True

    def rnn(self, *args):
        return n_step_bigru(*args)


class NStepLSTMBase(NStepRNNBase):
    """The shared body of :class:`NStepLSTM` and :class:`NStepBiLSTM`: eight weights
    per layer and direction, and a cell state next to the hidden state."""

    n_weights = 8
    n_cells = 2

    def forward(self, hx, cx, xs, **kwargs):
        """forward(self, hx, cx, xs)

        Args:
            hx (Variable, array or None): initial hidden states,
                ``(n_layers * direction, B, out_size)``, or None for zeros.
            cx (Variable, array or None): initial cell states, like ``hx``.
            xs (list of Variables or arrays): ``B`` sequences ``(L_i, in_size)``
                in any order of lengths.

        Returns:
            tuple: ``(hy, cy, ys)``: the final hidden and cell states, like ``hx``,
            and the list of the last layer's outputs per sequence,
            ``(L_i, direction * out_size)``.
        """
        (hy, cy), ys = self._call([hx, cx], xs, kwargs)
        return hy, cy, ys


class NStepLSTM(NStepLSTMBase):
    """__init__(self, n_layers, in_size, out_size, dropout, *, initialW=None, \
initial_bias=None)

    A stack of LSTM layers over sequences of any lengths (see
    :func:`~tracegrad.functions.n_step_lstm`; arguments as :class:`NStepRNNBase`).

    .. admonition:: Example

        >>> dropout_ratio = 0.0
        >>> in_size, seq_len, n_layers, out_size = 2, 4, 2, 3
        >>> batch = 5
        >>> xs = [
        ...     Variable(np.random.rand(seq_len, in_size).astype(np.float32))
        ...     for i in range(batch)]
        >>> [x.shape for x in xs]
        [(4, 2), (4, 2), (4, 2), (4, 2), (4, 2)]
        >>> lstm = L.NStepLSTM(n_layers, in_size, out_size, dropout_ratio)
        >>> hy, cy, ys = lstm(None, None, xs)
        >>> hy.shape  # shape should be (n_layers, batch, out_size)
        (2, 5, 3)
        >>> ys[0].shape  # should be (seq_len, out_size)
        (4, 3)
        >>> len(ys)  # should be equal to batch
        5
        >>> h_shape = (n_layers, batch, out_size)
        >>> hx = Variable(np.ones(h_shape, np.float32))
        >>> cx = Variable(np.ones(h_shape, np.float32))
        >>> hy, cy, ys = lstm(hx, cx, xs)
        >>> hy.shape  # shape should be (n_layers, batch, out_size)
        (2, 5, 3)
        >>> ys[0].shape  # should be (seq_len, out_size)
        (4, 3)
    """

    use_bi_direction = False

    def rnn(self, *args):
        return n_step_lstm(*args)


class NStepBiLSTM(NStepLSTMBase):
    """__init__(self, n_layers, in_size, out_size, dropout, *, initialW=None, \
initial_bias=None)

    A stack of bidirectional LSTM layers (see
    :func:`~tracegrad.functions.n_step_bilstm`); outputs are ``2 * out_size`` wide.
    """

    use_bi_direction = True

    def rnn(self, *args):
        return n_step_bilstm(*args)

"""LSTM layers: StatelessLSTM (state passed in) and LSTM (state kept in the link)."""
from __future__ import annotations

from tracegrad import functions as F
from tracegrad import initializers
from tracegrad.link import Chain
from tracegrad.links.linear import Linear
from tracegrad.variable import Variable


class _LSTMBase(Chain):
    """The two linear maps of an LSTM: ``upward`` (input to the four gates, with bias)
    and ``lateral`` (previous output to the gates).

    The gate pre-activations are laid out as :func:`F.lstm` expects: unit ``j`` of
    gate ``k`` (a, i, f, o) is column ``4 * j + k``.
    """

    def __init__(self, in_size, out_size=None, lateral_init=None, upward_init=None,
                 bias_init=None, forget_bias_init=None):
        super().__init__()
        if out_size is None:
            in_size, out_size = None, in_size
        self.state_size = out_size
        self.lateral_init = lateral_init
        self.upward_init = upward_init
        self.bias_init = 0 if bias_init is None else bias_init
        self.forget_bias_init = 1 if forget_bias_init is None else forget_bias_init
        with self.init_scope():
            self.upward = Linear(in_size, 4 * out_size, initialW=0)
            self.lateral = Linear(out_size, 4 * out_size, initialW=0, nobias=True)
            if in_size is not None:
                self._initialize_params()

    def _initialize_params(self) -> None:
        """Fill the weights block by block and the bias gate by gate (Chainer's order of
        random draws)."""
        lateral_init = initializers._get_initializer(self.lateral_init)
        upward_init = initializers._get_initializer(self.upward_init)
        bias_init = initializers._get_initializer(self.bias_init)
        forget_bias_init = initializers._get_initializer(self.forget_bias_init)
        n = self.state_size
        for start in range(0, 4 * n, n):
            _fill_in_place(lateral_init, self.lateral.W, slice(start, start + n))
            _fill_in_place(upward_init, self.upward.W, slice(start, start + n))
        for gate, init in enumerate((bias_init, bias_init, forget_bias_init, bias_init)):
            _fill_gate(init, self.upward.b, gate, n)

    def _lazy_init(self, x) -> None:
        if self.upward.W.array is None:
            in_size = 1
            for s in x.shape[1:]:
                in_size *= s
            self.upward._initialize_params(in_size)
            self._initialize_params()


def _fill_in_place(init, param, rows: slice) -> None:
    """Run ``init`` on ``param.array[rows]`` (filled on the host, then copied back)."""
    array = param.array
    host = _host_copy(array[rows])
    init(host)
    array[rows] = param.device.send(host)


def _fill_gate(init, param, gate: int, n: int) -> None:
    array = param.array
    view = array.reshape(n, 4)
    host = _host_copy(view[:, gate])
    init(host)
    view[:, gate] = param.device.send(host)


def _host_copy(a):
    from tracegrad import backend

    return backend.CpuDevice().send(a).copy()


class StatelessLSTM(_LSTMBase):
    """An LSTM step that takes and returns its state: ``c_new, h_new = l(c, h, x)``.

    Args:
        in_size: the input size, or None (lazy); given alone, it is ``out_size``.
        out_size: the state size.
        lateral_init: initializer of the ``lateral`` weight blocks.
        upward_init: initializer of the ``upward`` weight blocks.
        bias_init: initializer of the a, i, o gate biases (default 0).
        forget_bias_init: initializer of the forget gate bias (default 1).

    >>> x = np.zeros((1, 10), dtype=np.float32)
    >>> c = np.zeros((1, 20), dtype=np.float32)
    >>> h = np.zeros((1, 20), dtype=np.float32)
    >>> l = L.StatelessLSTM(10, 20)
    >>> c_new, h_new = l(c, h, x)
    >>> c_new.shape
    (1, 20)
    >>> h_new.shape
    (1, 20)
    >>> l = L.StatelessLSTM(20)
    >>> c_new, h_new = l(c, h, x)
    >>> h_new.shape
    (1, 20)
    >>> l = L.StatelessLSTM(None, 20)
    >>> c_new, h_new = l(c, h, x)
    >>> h_new.shape
    (1, 20)
    """

    def forward(self, c, h, x):
        """Return ``(c_new, h_new)``; ``c`` or ``h`` may be None (zero state)."""
        self._lazy_init(x)
        lstm_in = self.upward(x)
        if h is not None:
            lstm_in = lstm_in + self.lateral(h)
        if c is None:
            c = Variable(self.xp.zeros((x.shape[0], self.state_size), dtype=x.dtype))
        return F.lstm(c, lstm_in)


class CellAndOutputState:
    """The state of a stateful LSTM link: the cell ``c`` and the last output ``h``,
    moved with the link and set or reset by the user."""

    c: Variable | None
    h: Variable | None

    def _move_state(self, device) -> None:
        for state in (self.c, self.h):
            if state is not None:
                state.to_device(device)

    def set_state(self, c: Variable, h: Variable) -> None:
        """Set the cell ``c`` and the previous output ``h``."""
        if not isinstance(c, Variable) or not isinstance(h, Variable):
            raise TypeError(f'{type(self).__name__}.set_state: c and h must be Variables')
        c.to_device(self.device)
        h.to_device(self.device)
        self.c = c
        self.h = h

    def reset_state(self) -> None:
        """Forget the state (the next call starts from zeros)."""
        self.c = self.h = None


class LSTM(CellAndOutputState, _LSTMBase):
    """A stateful LSTM: keeps the cell ``c`` and output ``h`` between calls.

    A batch smaller than the state updates only the first rows of the state (for
    sequences of decreasing length). Call :meth:`reset_state` between sequences.

    Args: as :class:`StatelessLSTM`.

    >>> x = np.zeros((1, 10), dtype=np.float32)
    >>> l = L.LSTM(10, 20)
    >>> h_new = l(x)
    >>> h_new.shape
    (1, 20)
    >>> l = L.LSTM(20)
    >>> h_new = l(x)
    >>> h_new.shape
    (1, 20)
    >>> l = L.LSTM(None, 20)
    >>> h_new = l(x)
    >>> h_new.shape
    (1, 20)
    """

    def __init__(self, in_size, out_size=None, lateral_init=None, upward_init=None,
                 bias_init=None, forget_bias_init=None):
        super().__init__(in_size, out_size, lateral_init, upward_init, bias_init,
                         forget_bias_init)
        self.reset_state()

    def forward(self, x):
        """Advance one step with input ``x`` and return the new output ``h``."""
        self._lazy_init(x)
        batch = x.shape[0]
        lstm_in = self.upward(x)
        h_rest = None
        if self.h is not None:
            h_size = self.h.shape[0]
            if batch == 0:
                h_rest = self.h
            elif h_size < batch:
                raise TypeError('LSTM: the batch size of x must be equal to or less than the '
                                f'size of the previous state h ({batch} > {h_size})')
            elif h_size > batch:
                h_update, h_rest = F.split_axis(self.h, [batch], axis=0)
                lstm_in = lstm_in + self.lateral(h_update)
            else:
                lstm_in = lstm_in + self.lateral(self.h)
        if self.c is None:
            self.c = Variable(self.xp.zeros((batch, self.state_size), dtype=x.dtype))
        self.c, y = F.lstm(self.c, lstm_in)
        if h_rest is None:
            self.h = y
        elif len(y.array) == 0:
            self.h = h_rest
        else:
            self.h = F.concat([y, h_rest], axis=0)
        return y

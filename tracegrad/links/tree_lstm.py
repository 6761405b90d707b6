"""TreeLSTM links: ChildSumTreeLSTM (any number of children) and NaryTreeLSTM."""
from __future__ import annotations

from tracegrad import functions as F
from tracegrad.link import Chain
from tracegrad.links.linear import Linear


def _zero_input(link, cs, hs):
    """Zeros ``(batch, in_size)`` for a missing ``x``, batch and dtype from a child."""
    base = next((v for v in list(cs) + list(hs) if v is not None), None)
    if base is None:
        raise ValueError(f'{type(link).__name__}: all inputs (cs, hs, x) are None')
    return link.xp.zeros((base.shape[0], link.in_size), dtype=base.dtype)


def _fill_missing(link, vs, batch: int, dtype) -> tuple:
    """``vs`` with each None replaced by a zero state."""
    if all(v is not None for v in vs):
        return tuple(vs)
    zero = link.xp.zeros((batch, link.state_size), dtype=dtype)
    return tuple(zero if v is None else v for v in vs)


class ChildSumTreeLSTM(Chain):
    """Child-Sum TreeLSTM: combines the states of any number of children into a node's.

    Called as ``l(c1, ..., cN, h1, ..., hN, x)``, it returns the node's ``(c, h)``.
    The input, input-gate and output-gate terms see the sum of the children's
    outputs; each child has its own forget gate, from its own output, so the
    result does not depend on the children's order. With no children it is an
    LSTM step from zero state. A missing child state (None) counts as zeros; a
    missing ``x`` as zeros too.

    Args:
        in_size (int): the input size.
        out_size (int): the state size.

    Attributes:
        W_x (~tracegrad.links.Linear): input to ``a, i, o, f`` (``4 * out_size``).
        W_h_aio (~tracegrad.links.Linear): summed outputs to ``a, i, o``.
        W_h_f (~tracegrad.links.Linear): each child's output to its forget gate.

    See `Improved Semantic Representations From Tree-Structured Long Short-Term
    Memory Networks <https://www.aclweb.org/anthology/P15-1150>`_.

    >>> l = L.ChildSumTreeLSTM(3, 4)
    >>> c1, h1 = l(np.ones((2, 3), np.float32))  # a leaf
    >>> c, h = l(c1, c1, h1, h1, np.ones((2, 3), np.float32))
    >>> c.shape
    (2, 4)
    """

    def __init__(self, in_size, out_size):
        super().__init__()
        with self.init_scope():
            self.W_x = Linear(in_size, 4 * out_size)
            self.W_h_aio = Linear(out_size, 3 * out_size, nobias=True)
            self.W_h_f = Linear(out_size, out_size, nobias=True)
        self.in_size = in_size
        self.state_size = out_size

    def forward(self, *cshsx):
        """Return ``(c, h)`` of the node from ``c1..cN, h1..hN, x``."""
        if len(cshsx) % 2 != 1:
            raise TypeError(f'ChildSumTreeLSTM: expected c1..cN, h1..hN, x (an odd number '
                            f'of arguments), got {len(cshsx)}')
        n = len(cshsx) // 2
        cs, hs, x = cshsx[:n], cshsx[n:-1], cshsx[-1]
        if x is None:
            x = _zero_input(self, cs, hs)
        x_aio, x_f = F.split_axis(self.W_x(x), [3 * self.state_size], axis=1)
        if n == 0:
            a, i, o = F.split_axis(x_aio, 3, axis=1)
            c = F.sigmoid(i) * F.tanh(a)
            return c, F.sigmoid(o) * F.tanh(c)
        batch = x.shape[0]
        hs = _fill_missing(self, hs, batch, x.dtype)
        cs = _fill_missing(self, cs, batch, x.dtype)
        h_sum = hs[0]
        for h in hs[1:]:
            h_sum = h_sum + h
        aio = self.W_h_aio(h_sum) + x_aio
        # every child's forget-gate input in one GEMM, then side by side per child
        f_from_h = F.split_axis(self.W_h_f(F.concat(hs, axis=0)), n, axis=0)
        f_in = F.concat(f_from_h, axis=1) + F.concat([x_f] * n, axis=1)
        return F.tree_lstm(*cs, F.concat([aio, f_in], axis=1))


class NaryTreeLSTM(Chain):
    """N-ary TreeLSTM: combines the states of exactly ``n_ary`` ordered children.

    Called as ``l(c1, ..., cN, h1, ..., hN, x)`` with ``N = n_ary``, it returns
    the node's ``(c, h)``. Each child's output has its own matrix ``W_h{k}``
    onto all gates (``a, i, o, f_1 .. f_N``), so the children's order matters
    (Bowman et al.'s variant of Tai et al.'s model). A missing child state or
    ``x`` (None) counts as zeros.

    Args:
        in_size (int): the input size.
        out_size (int): the state size.
        n_ary (int): the number of children.

    Attributes:
        W_x (~tracegrad.links.Linear): input to all gates.
        W_h1 .. W_hN (~tracegrad.links.Linear): child ``k``'s output to all gates.

    >>> l = L.NaryTreeLSTM(3, 4, n_ary=2)
    >>> c1 = h1 = np.zeros((2, 4), np.float32)
    >>> c, h = l(c1, None, h1, None, np.ones((2, 3), np.float32))
    >>> h.shape
    (2, 4)
    """

    def __init__(self, in_size, out_size, n_ary=2):
        if n_ary < 1:
            raise ValueError(f'NaryTreeLSTM: n_ary must be at least 1, got {n_ary}')
        super().__init__()
        with self.init_scope():
            self.W_x = Linear(in_size, (3 + n_ary) * out_size)
            for k in range(1, n_ary + 1):
                setattr(self, f'W_h{k}', Linear(out_size, (3 + n_ary) * out_size,
                                                nobias=True))
        self.in_size = in_size
        self.state_size = out_size
        self.n_ary = n_ary

    def forward(self, *cshsx):
        """Return ``(c, h)`` of the node from ``c1..cN, h1..hN, x``."""
        if len(cshsx) != 2 * self.n_ary + 1:
            raise TypeError(f'NaryTreeLSTM: expected {2 * self.n_ary + 1} arguments '
                            f'(c1..c{self.n_ary}, h1..h{self.n_ary}, x), got {len(cshsx)}')
        cs, hs, x = cshsx[:self.n_ary], cshsx[self.n_ary:-1], cshsx[-1]
        if x is None:
            x = _zero_input(self, cs, hs)
        gates = self.W_x(x)
        for k, h in enumerate(hs, start=1):
            if h is not None:
                gates = gates + getattr(self, f'W_h{k}')(h)
        cs = _fill_missing(self, cs, x.shape[0], x.dtype)
        return F.tree_lstm(*cs, gates)

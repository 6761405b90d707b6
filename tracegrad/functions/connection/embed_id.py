"""Embedding lookup (``embed_id``): rows of a matrix picked by integer ids.

The weight gradient is a scatter-add of the output gradient into the picked
rows (ids that repeat accumulate); its own gradient is again a lookup.
"""
from __future__ import annotations

from tracegrad import backend
from tracegrad.backend import get_array_module
from tracegrad.function_node import FunctionNode
from tracegrad.utils import type_check
from tracegrad.variable import Variable

__all__ = ['embed_id']


class EmbedIDFunction(FunctionNode):
    """``y[...] = W[x[...]]``, zero where ``x == ignore_label``."""

    def __init__(self, ignore_label=None):
        self.ignore_label = ignore_label

    def check_type_forward(self, in_types):
        type_check._argname(in_types, ('x', 'W'))
        x, W = in_types
        type_check.expect(x.dtype.kind == 'i', x.ndim >= 1, W.dtype.kind == 'f', W.ndim == 2)

    def forward(self, inputs):
        self.retain_inputs((0,))
        x, W = inputs
        self.w_shape = W.shape
        xp = get_array_module(x, W)
        if self.ignore_label is None:
            return xp.take(W, x, axis=0),
        ignored = x == self.ignore_label
        y = xp.take(W, xp.where(ignored, 0, x), axis=0)
        return xp.where(ignored[..., None], W.dtype.type(0), y),

    def backward(self, indexes, grad_outputs):
        x, = self.get_retained_inputs()
        gW = EmbedIDGrad(self.w_shape, self.ignore_label).apply((x, grad_outputs[0]))[0]
        return None, gW


class EmbedIDGrad(FunctionNode):
    """Scatter-add ``gy`` into a zero matrix of ``w_shape`` at the rows ``x``."""

    def __init__(self, w_shape: tuple, ignore_label=None):
        self.w_shape = w_shape
        self.ignore_label = ignore_label

    def forward(self, inputs):
        self.retain_inputs((0,))
        x, gy = inputs
        xp = get_array_module(x, gy)
        ids = x.reshape(-1)
        rows = gy.reshape(ids.shape[0], self.w_shape[1])
        if self.ignore_label is not None:
            kept = ids != self.ignore_label
            rows = xp.where(kept[:, None], rows, gy.dtype.type(0))
            ids = xp.where(kept, ids, 0)
        gW = xp.zeros(self.w_shape, dtype=gy.dtype)
        xp.add.at(gW, ids, rows)  # repeated ids accumulate
        return gW,

    def backward(self, indexes, grad_outputs):
        x, = self.get_retained_inputs()
        ggy = EmbedIDFunction(self.ignore_label).apply((x, grad_outputs[0]))[0]
        return None, ggy


def _check_ids(x, W, ignore_label) -> None:
    """Reject ids outside ``[0, len(W))`` when the values are at hand (NumPy/CuPy)."""
    ids = x.array if isinstance(x, Variable) else x
    n_vocab = W.shape[0] if getattr(W, 'ndim', 0) == 2 else None
    if (n_vocab is None or not isinstance(ids, backend.DEVICE_ARRAY_TYPES)
            or ids.dtype.kind != 'i' or ids.size == 0):
        return  # the type check reports what is wrong, or there is nothing to check
    valid = (ids >= 0) & (ids < n_vocab)
    if ignore_label is not None:
        valid |= ids == ignore_label
    if not bool(valid.all()):
        bad = ids[~valid].ravel()[:5].tolist()
        raise ValueError(f'embed_id: every id in x must satisfy 0 <= x < len(W) = {n_vocab}'
                         f'{"" if ignore_label is None else f" or equal ignore_label={ignore_label}"}'
                         f', got {bad}')


def embed_id(x, W, ignore_label=None) -> Variable:
    """Look up rows of ``W`` by the integer ids in ``x`` (an embedding layer).

    Args:
        x (Variable or array): integer ids of any shape with at least one axis;
            each must lie in ``[0, len(W))`` or equal ``ignore_label``.
        W (Variable or array): the embedding matrix ``(n_vocab, n_units)``.
        ignore_label (int or None): ids equal to it give zero rows and pass no
            gradient to ``W``.

    Returns:
        ~tracegrad.Variable: array of shape ``x.shape + (n_units,)``.

    >>> x = np.array([2, 1]).astype(np.int32)
    >>> x
    array([2, 1], dtype=int32)
    >>> W = np.array([[0, 0, 0],
    ...               [1, 1, 1],
    ...               [2, 2, 2]]).astype(np.float32)
    >>> W
    array([[0., 0., 0.],
           [1., 1., 1.],
           [2., 2., 2.]], dtype=float32)
    >>> F.embed_id(x, W).array
    array([[2., 2., 2.],
           [1., 1., 1.]], dtype=float32)
    >>> F.embed_id(x, W, ignore_label=1).array
    array([[2., 2., 2.],
           [0., 0., 0.]], dtype=float32)
    """
    _check_ids(x, W, ignore_label)
    return EmbedIDFunction(ignore_label).apply((x, W))[0]

"""EmbedID: a lookup table of word vectors."""
from __future__ import annotations

from tracegrad import functions as F
from tracegrad import initializers
from tracegrad.link import Link
from tracegrad.variable import Parameter


class EmbedID(Link):
    """Map integer IDs to rows of ``W`` (shape ``(in_size, out_size)``): ``F.embed_id``.

    Args:
        in_size: the number of IDs (the vocabulary size).
        out_size: the vector size.
        initialW: initializer for ``W`` (default ``Normal(1.0)``).
        ignore_label: an ID whose output is a zero vector (e.g. -1 for padding).

    >>> W = np.array([[0, 0, 0],
    ...               [1, 1, 1],
    ...               [2, 2, 2]]).astype(np.float32)
    >>> W
    array([[0., 0., 0.],
           [1., 1., 1.],
           [2., 2., 2.]], dtype=float32)
    >>> l = L.EmbedID(W.shape[0], W.shape[1], initialW=W)
    >>> x = np.array([2, 1]).astype(np.int32)
    >>> x
    array([2, 1], dtype=int32)
    >>> y = l(x)
    >>> y.array
    array([[2., 2., 2.],
           [1., 1., 1.]], dtype=float32)
    """

    ignore_label = None

    def __init__(self, in_size, out_size, initialW=None, ignore_label=None):
        super().__init__()
        self.ignore_label = ignore_label
        with self.init_scope():
            if initialW is None:
                initialW = initializers.Normal(1.0)
            self.W = Parameter(initializers._get_initializer(initialW), (in_size, out_size))

    def forward(self, x):
        return F.embed_id(x, self.W, ignore_label=self.ignore_label)

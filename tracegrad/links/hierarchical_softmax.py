"""BinaryHierarchicalSoftmax: a softmax over a vocabulary factored along a binary tree."""
from __future__ import annotations

import heapq
import itertools

import numpy

from tracegrad import backend, get_dtype, initializers
from tracegrad.functions.loss.negative_sampling import expect_word_inputs
from tracegrad.link import Link
from tracegrad.utils import type_check
from tracegrad.variable import Parameter, Variable

_NAME = 'BinaryHierarchicalSoftmax'


def _tree_paths(tree) -> tuple:
    """Walk a tree of nested pairs: ``(n_internal, {leaf: [(node, code), ...]})``.

    Internal nodes are numbered in preorder; the code is +1 for a step to the left
    child and -1 for a step to the right one (Chainer's convention).
    """
    paths: dict = {}
    counter = itertools.count()
    stack = [(tree, [])]
    while stack:
        node, path = stack.pop()
        if isinstance(node, tuple):
            if len(node) != 2:
                raise ValueError(f'{_NAME}: every internal node of the tree must have two '
                                 f'children, got {node!r}')
            index = next(counter)
            left, right = node
            # the right subtree is walked after the whole left one: push it first
            stack.append((right, [*path, (index, -1.0)]))
            stack.append((left, [*path, (index, 1.0)]))
        else:
            if node in paths:
                raise ValueError(f'{_NAME}: the word {node!r} appears twice in the tree')
            paths[node] = path
    return next(counter), paths


class _TreeTables:
    """Per word, the internal nodes on its path and the directions taken, padded.

    ``nodes[w, d]`` is the ``d``-th internal node on the path of word ``w`` and
    ``codes[w, d]`` is +1 or -1 (0 past the end of the path, or for a word absent
    from the tree).
    """

    def __init__(self, tree, dtype):
        self.n_internal, paths = _tree_paths(tree)
        words = list(paths)
        if not all(isinstance(w, (int, numpy.integer)) and w >= 0 for w in words):
            raise ValueError(f'{_NAME}: the leaves of the tree must be non-negative ints '
                             f'(word ids)')
        self.n_vocab = int(max(words)) + 1
        depth = max(len(p) for p in paths.values())
        self.nodes = numpy.zeros((self.n_vocab, max(depth, 1)), numpy.int32)
        self.codes = numpy.zeros((self.n_vocab, max(depth, 1)), dtype)
        for w, path in paths.items():
            for d, (node, code) in enumerate(path):
                self.nodes[w, d] = node
                self.codes[w, d] = code

    def to_device(self, device) -> None:
        self.nodes = device.send(self.nodes)
        self.codes = device.send(self.codes)


class BinaryHierarchicalSoftmax(Link):
    """Hierarchical softmax over a binary tree of words.

    Each word is a leaf of the tree; each internal node ``e`` has a weight vector
    ``W[e]``. Going down from the root to the word, the probability of each step is
    :math:`\\sigma(b\\, x^\\top W_e)` with :math:`b = 1` for a left step and -1 for
    a right one, and the word's probability is their product. The loss is the
    negative log-probability summed over the batch; it costs ``O(depth)`` rather
    than ``O(vocabulary)`` per word.

    Args:
        in_size (int): the size of the input vectors.
        tree: the binary tree as nested pairs with word ids at the leaves, such as
            ``((1, 2), 3)``; :meth:`create_huffman_tree` makes one from counts.
        dtype: the dtype of ``W`` (default ``config.dtype``).

    Attributes:
        W (~tracegrad.Parameter): one weight vector per internal node,
            ``(n_internal, in_size)``, drawn from ``Uniform(1)``.

    See: Morin and Bengio, Hierarchical Probabilistic Neural Network Language
    Model, AISTATS 2005.

    >>> tree = L.BinaryHierarchicalSoftmax.create_huffman_tree({0: 8, 1: 5, 2: 6, 3: 4})
    >>> hs = L.BinaryHierarchicalSoftmax(3, tree)
    >>> hs.W.shape
    (3, 3)
    >>> hs.W.array[...] = 0  # every step has probability 1/2, every word depth 2
    >>> hs(np.ones((2, 3), np.float32), np.array([0, 3], np.int32))
    variable(2.7725887)
    """

    def __init__(self, in_size, tree, dtype=None):
        super().__init__()
        dtype = get_dtype(dtype)
        self._tables = _TreeTables(tree, dtype)
        with self.init_scope():
            self.W = Parameter(initializers.Uniform(1, dtype), (self._tables.n_internal, in_size))

    def _move_state(self, device) -> None:
        self._tables.to_device(device)

    @staticmethod
    def create_huffman_tree(word_counts):
        """Build a Huffman tree (nested pairs) from a dict of word counts.

        The two least frequent subtrees are merged first; among equal counts the
        entry that came earlier in ``word_counts`` goes first.

        Args:
            word_counts (dict): word id -> count (int or float).

        Returns:
            The tree, e.g. ``{0: 8, 1: 5, 2: 6, 3: 4}`` gives ``((3, 1), (2, 0))``.

        >>> L.BinaryHierarchicalSoftmax.create_huffman_tree({0: 8, 1: 5, 2: 6, 3: 4})
        ((3, 1), (2, 0))
        """
        if not word_counts:
            raise ValueError(f'{_NAME}.create_huffman_tree: the vocabulary is empty')
        # (count, order, subtree): the order (the earliest entry in the subtree) breaks
        # ties, so subtrees themselves are never compared.
        heap = [(count, order, word) for order, (word, count) in enumerate(word_counts.items())]
        heapq.heapify(heap)
        while len(heap) > 1:
            count1, order1, first = heapq.heappop(heap)
            count2, order2, second = heapq.heappop(heap)
            heapq.heappush(heap, (count1 + count2, min(order1, order2), (first, second)))
        return heap[0][2]

    def forward(self, x, t):
        """The summed negative log-likelihood of the words ``t`` given inputs ``x``.

        Args:
            x (~tracegrad.Variable or array): inputs ``(N, in_size)``.
            t (~tracegrad.Variable or array): int32 word ids ``(N,)``.

        Returns:
            ~tracegrad.Variable: the loss, a scalar.
        """
        from tracegrad import functions as F

        type_check.check_composite(_NAME, ('x', 't', 'W'), (x, t, self.W), expect_word_inputs)
        if self.W.shape[0] != self._tables.n_internal:
            raise ValueError(f'{_NAME}: W must have one row per internal node of the tree '
                             f'({self._tables.n_internal}), got {self.W.shape[0]}')
        ids = t.array if isinstance(t, Variable) else t
        if isinstance(ids, backend.DEVICE_ARRAY_TYPES) and ids.size and bool(
                ((ids < 0) | (ids >= self._tables.n_vocab)).any()):
            raise ValueError(f'{_NAME}: each word id t must lie in [0, {self._tables.n_vocab}),'
                             f' got {ids.tolist()}')
        xp = backend.get_array_module(ids)
        nodes = xp.take(self._tables.nodes, ids, axis=0)   # (N, depth)
        codes = xp.take(self._tables.codes, ids, axis=0).astype(self.W.dtype)
        scores = F.squeeze(F.matmul(F.embed_id(nodes, self.W), F.expand_dims(x, 2)), 2)
        # -log sigma(b w.x) = softplus(-b w.x); padding (b = 0) is masked out
        return F.sum(F.softplus(scores * -codes) * (codes != 0).astype(codes.dtype))

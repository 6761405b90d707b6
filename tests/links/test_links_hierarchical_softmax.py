import numpy as np
import pytest

import tracegrad
import tracegrad.links as L
from tracegrad.utils.type_check import InvalidType

BHS = L.BinaryHierarchicalSoftmax


def _log_prob_ref(tree, W, x, word):
    """Walk the tree recursively (internal nodes numbered in preorder; left = +1)."""
    counter = [0]

    def walk(node, log_p):
        if not isinstance(node, tuple):
            return log_p if node == word else None
        index = counter[0]
        counter[0] += 1
        score = W[index] @ x
        left = walk(node[0], log_p - np.logaddexp(0, -score))
        right = walk(node[1], log_p - np.logaddexp(0, score))
        return left if left is not None else right

    return walk(tree, 0.0)


@pytest.mark.parametrize('counts, tree', [
    ({0: 8, 1: 5, 2: 6, 3: 4}, ((3, 1), (2, 0))),
    ({0: 1}, 0),
    ({0: 1, 1: 1, 2: 1}, (2, (0, 1))),
    ({5: 3, 2: 1, 7: 1}, ((2, 7), 5)),
])
def test_create_huffman_tree(counts, tree):
    assert BHS.create_huffman_tree(counts) == tree


def test_create_huffman_tree_of_nothing_raises():
    with pytest.raises(ValueError, match='create_huffman_tree.*empty'):
        BHS.create_huffman_tree({})


def test_huffman_tree_puts_frequent_words_higher():
    counts = {w: 2 ** w for w in range(6)}
    tree = BHS.create_huffman_tree(counts)
    depth = {}

    def walk(node, d):
        if isinstance(node, tuple):
            walk(node[0], d + 1)
            walk(node[1], d + 1)
        else:
            depth[node] = d
    walk(tree, 0)
    assert sorted(depth) == list(range(6))
    assert depth[5] == 1 and depth[0] == depth[1] == 5


@pytest.mark.parametrize('tree', [((3, 1), (2, 0)), ((0, (1, (2, 3))), (4, 5)), (1, 0)])
@pytest.mark.parametrize('dtype', [np.float32, np.float64])
def test_loss_is_the_tree_probability(tree, dtype):
    link = BHS(4, tree, dtype=dtype)
    assert link.W.dtype == dtype
    x = np.random.uniform(-1, 1, (5, 4)).astype(dtype)
    n_vocab = link._tables.n_vocab
    t = np.random.randint(0, n_vocab, 5).astype(np.int32)
    loss = link(x, t)
    assert loss.shape == () and loss.dtype == dtype
    W = link.W.array.astype(np.float64)
    expected = -sum(_log_prob_ref(tree, W, xi.astype(np.float64), ti) for xi, ti in zip(x, t))
    np.testing.assert_allclose(loss.array, expected, rtol=1e-5 if dtype == np.float32 else 1e-12)
    # a distribution: the probabilities of all words sum to 1
    xs = np.repeat(x[:1], n_vocab, axis=0)
    p = [np.exp(-float(link(xs[w:w + 1], np.array([w], np.int32)).array))
         for w in range(n_vocab)]
    np.testing.assert_allclose(sum(p), 1, rtol=1e-5)


def test_parameter_shape_and_init():
    link = BHS(3, ((0, 1), (2, (3, 4))))
    assert link.W.shape == (4, 3)  # one row per internal node
    assert np.abs(link.W.array).max() <= 1
    assert [name for name, _ in link.namedparams()] == ['/W']


def test_backward(float64_params, check_link_backward):
    link = BHS(3, ((0, (1, 2)), (3, 4)))
    x = np.random.uniform(-1, 1, (4, 3))
    t = np.array([0, 2, 4, 2], np.int32)

    class Bound(tracegrad.Chain):
        def __init__(self):
            super().__init__()
            with self.init_scope():
                self.link = link

        def forward(self, x):
            return self.link(x, t)

    check_link_backward(Bound(), x, y_grad=np.array(0.7))


def test_bad_tree_raises():
    with pytest.raises(ValueError, match='BinaryHierarchicalSoftmax.*two children'):
        BHS(3, ((0, 1, 2), 3))
    with pytest.raises(ValueError, match='BinaryHierarchicalSoftmax.*twice'):
        BHS(3, ((0, 1), 1))


def test_bad_inputs_raise():
    link = BHS(3, ((0, 1), 2))
    with pytest.raises(ValueError, match=r'BinaryHierarchicalSoftmax.*\[0, 3\)'):
        link(np.zeros((2, 3), np.float32), np.array([0, 3], np.int32))
    with pytest.raises(InvalidType, match="(?s)BinaryHierarchicalSoftmax.*t.dtype == "):
        link(np.zeros((2, 3), np.float32), np.array([0, 1], np.int64))
    with pytest.raises(InvalidType, match=r'(?s)BinaryHierarchicalSoftmax.*W.shape\[1\] == x'):
        link(np.zeros((2, 4), np.float32), np.array([0, 1], np.int32))


@pytest.mark.gpu
def test_on_gpu():
    from tracegrad.backends import cuda

    if not cuda.available:
        pytest.skip('needs CuPy and a CUDA GPU')
    link = BHS(3, ((0, (1, 2)), (3, 4)))
    x = np.random.uniform(-1, 1, (4, 3)).astype(np.float32)
    t = np.array([0, 2, 4, 2], np.int32)
    cpu = link(x, t).array
    link.to_gpu()
    loss = link(cuda.cupy.asarray(x), cuda.cupy.asarray(t))
    assert isinstance(loss.array, cuda.ndarray)
    np.testing.assert_allclose(cuda.to_cpu(loss.array), cpu, rtol=1e-6)
    loss.backward()
    assert isinstance(link.W.grad, cuda.ndarray)

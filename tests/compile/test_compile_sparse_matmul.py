"""Compiled training steps of a graph-convolution model (F.sparse_matmul) equal eager ones."""
import numpy as np
import pytest
from test_compile_training import run_training

import tracegrad
import tracegrad.functions as F
import tracegrad.links as L
from tracegrad import optimizers
from tracegrad.utils import CooMatrix, to_coo

STEPS = 5
N_NODES, N_IN, N_HIDDEN, BATCH = 5, 3, 4, 3


def _adjacency(rng, batch=None):
    shape = (N_NODES, N_NODES) if batch is None else (batch, N_NODES, N_NODES)
    return (rng.rand(*shape) < 0.4) + np.eye(N_NODES)  # self loops


class GraphConv(tracegrad.Chain):
    """Node features ``(batch, nodes, features)`` mixed along one fixed graph with learnt
    edge weights (the sparse operand's data), on both sides of the product."""

    def __init__(self, n_out=3):
        super().__init__()
        adjacency = to_coo(_adjacency(np.random.RandomState(5)))
        self.row, self.col = adjacency.row, adjacency.col
        with self.init_scope():
            self.l1 = L.Linear(N_IN, N_HIDDEN)
            self.edge_w = tracegrad.Parameter(
                np.random.uniform(0.5, 1.5, self.row.shape).astype(tracegrad.config.dtype))
            self.fc = L.Linear(N_HIDDEN * N_NODES, n_out)

    def forward(self, x):
        n = x.shape[0]
        graph = CooMatrix(self.edge_w, self.row, self.col, (N_NODES, N_NODES))
        h = F.reshape(self.l1(F.reshape(x, (n * N_NODES, N_IN))), (n, N_NODES, N_HIDDEN))
        h = F.reshape(F.transpose(h, (1, 0, 2)), (N_NODES, n * N_HIDDEN))
        h = F.tanh(F.sparse_matmul(graph, h))                      # A @ h: (nodes, n * hidden)
        h = F.sparse_matmul(h, graph, transa=True, transb=True)     # h.T @ A.T: (n * hidden, nodes)
        return self.fc(F.reshape(h, (n, N_HIDDEN * N_NODES)))


class BatchedGraphConv(tracegrad.Chain):
    """One graph per example (a batched COO matrix whose entries are constants)."""

    def __init__(self, n_out=3):
        super().__init__()
        self.graphs = to_coo(_adjacency(np.random.RandomState(6), BATCH).astype(
            tracegrad.config.dtype))
        with self.init_scope():
            self.l1 = L.Linear(N_IN, N_HIDDEN)
            self.fc = L.Linear(N_HIDDEN * N_NODES, n_out)

    def forward(self, x):
        n = x.shape[0]
        h = F.reshape(self.l1(F.reshape(x, (n * N_NODES, N_IN))), (n, N_NODES, N_HIDDEN))
        h = F.relu(F.sparse_matmul(self.graphs, h))                 # (n, nodes, hidden)
        return self.fc(F.reshape(h, (n, N_HIDDEN * N_NODES)))


CASES = [
    ('graph-SGD-float64', GraphConv, lambda: optimizers.SGD(lr=0.1), np.float64),
    ('graph-Adam-float32', GraphConv, lambda: optimizers.Adam(alpha=0.01), np.float32),
    ('batched-MomentumSGD-float32', BatchedGraphConv,
     lambda: optimizers.MomentumSGD(lr=0.05), np.float32),
]


@pytest.mark.parametrize('name,chain_cls,make_opt,dtype', CASES, ids=[c[0] for c in CASES])
def test_sparse_matmul_training_matches_eager(name, chain_cls, make_opt, dtype, backend_name):
    np.random.seed(0)
    with tracegrad.using_config('dtype', np.dtype(dtype)):
        model = L.Classifier(chain_cls())
    opt = make_opt().setup(model)
    rng = np.random.RandomState(3)
    batches = [(rng.randn(BATCH, N_NODES, N_IN).astype(dtype),
                rng.randint(0, 3, BATCH).astype(np.int32)) for _ in range(STEPS)]
    step = run_training(model, opt, batches, backend_name)
    assert step.statistics()['eager_calls'] == 0


def test_to_coo_of_a_traced_array_names_the_missing_primitive():
    """Finding the nonzeros needs the values: to_coo belongs outside a compiled step."""
    @tracegrad.compile
    def product(x):
        return F.sparse_matmul(to_coo(x), np.ones((3, 2)))

    with pytest.raises(tracegrad.CompileError, match='nonzero'):
        product(np.eye(3))

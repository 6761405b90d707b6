"""codegen.passes.host: the host-scalar part of a graph, split off for GPU programs.

Checked without a GPU: the split's structure, and that running the host part and then
the device part (both on the reference interpreter) computes what the whole graph does.
The CUDA programs built on it run in tests/gpu/test_cuda_backend.py.
"""
import numpy as np
import pytest

from codegen import Graph, interpreter
from codegen.passes.host import split_host


def sgd_graph(dtype):
    """An SGD step as traced: counter + 1, lr (float64 on the host) cast to the parameter's
    dtype, p - lr * g; outputs: the new parameter, the new counter, the loss-like sum."""
    g = Graph()
    p = g.input((3, 4), dtype, name='p')
    grad = g.input((3, 4), dtype, name='g')
    lr = g.input((), 'float64', name='opt0/hp/lr')
    t = g.input((), 'int64', name='opt0/t')
    t1 = g.add('add', [t, g.add('fill', [], shape=(), value=1, dtype='int64')])
    lr_t = g.add('cast', [g.add('mul', [lr, g.add('cast', [t1], dtype='float64')])], dtype=dtype)
    p_new = g.add('sub', [p, g.add('mul', [lr_t, grad])])
    g.set_outputs([p_new, t1, g.add('sum', [p_new], axes=(0, 1))])
    return g


def run_split(graph, split, feeds):
    host = interpreter.run(split.host, [feeds[k] for k in split.host_inputs])
    n = split.n_uploads
    device = interpreter.run(split.device, [feeds[k] for k in split.device_inputs] + host[:n])
    return [host[n + j] if kind == 'host' else device[j] for kind, j in split.outputs]


@pytest.mark.parametrize('dtype', ['float32', 'float64'])
def test_counters_and_scalar_math_run_on_the_host(dtype):
    g = sgd_graph(dtype)
    split = split_host(g, host_inputs={2, 3}, host_outputs={1})
    assert split.host_inputs == [2, 3] and split.device_inputs == [0, 1]
    # t + 1, its cast, lr * that and the cast to the parameter's dtype: on the host
    assert sorted(n.op for n in split.host.nodes) == ['add', 'cast', 'cast', 'fill', 'mul']
    assert split.n_uploads == 1                       # lr_t: the device reads it
    assert split.outputs == [('device', 0), ('host', 0), ('device', 1)]
    assert all(n.op not in ('cast',) or n.outputs[0].shape != () for n in split.device.nodes)
    assert [v.shape for v in split.device.inputs] == [(3, 4), (3, 4), ()]
    rng = np.random.RandomState(0)
    feeds = [rng.randn(3, 4).astype(dtype), rng.randn(3, 4).astype(dtype),
             np.asarray(0.1), np.asarray(7, dtype=np.int64)]
    for got, want in zip(run_split(g, split, feeds), interpreter.run(g, feeds)):
        assert got.dtype == want.dtype and got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=1e-6)


def test_a_counter_not_allowed_on_the_host_is_a_device_output():
    """An output the caller wants as a device array (not in host_outputs) is uploaded."""
    g = sgd_graph('float32')
    split = split_host(g, host_inputs={2, 3}, host_outputs=set())
    assert split.n_uploads == 2 and split.outputs[1] == ('device', 1)
    feeds = [np.ones((3, 4), np.float32), np.ones((3, 4), np.float32), np.asarray(0.5),
             np.asarray(1, dtype=np.int64)]
    assert int(run_split(g, split, feeds)[1]) == 2


def test_nothing_to_split():
    g = sgd_graph('float32')
    assert split_host(g, host_inputs=set(), host_outputs={1}) is None
    assert split_host(g, host_inputs={0}, host_outputs=set()) is None  # not a scalar


def test_donation_in_device_indices():
    g = sgd_graph('float32')
    split = split_host(g, host_inputs={2, 3}, host_outputs={1})
    # p_new (output 0) into p (input 0); the counter's donation is dropped (host output)
    assert split.device_donate({0: 0, 1: 3}) == {0: 0}

"""``xp.add.at`` while tracing (the backward of indexing), against NumPy's own."""
import numpy as np
import pytest

from codegen import interpreter
from tracegrad.compile.tracer import CompileError, TraceContext, TracerArray
from tracegrad.compile.tracer import tracer_numpy as tnp

KEYS = [
    ((slice(None), slice(1, None)), (3, 5)),
    ((slice(None, None, 2),), (7, 2)),
    ((Ellipsis, 2), (3, 4)),
    ((slice(None, None, -2), None, slice(1, 4)), (5, 6)),
    ((1, slice(3, 0, -1)), (2, 5)),
    ((slice(None, None, -1),), (4,)),
    ((slice(5, 1, -3),), (7,)),
    ((np.array([0, 2, 0]),), (3, 2)),                    # repeats accumulate
    ((slice(None), np.array([1, 1, -1])), (2, 3)),        # an index array on axis 1
    ((Ellipsis, np.array([0, 0])), (2, 3)),
]


@pytest.mark.parametrize('key,shape', KEYS, ids=[str(i) for i in range(len(KEYS))])
def test_add_at_matches_numpy(key, shape):
    region = np.zeros(shape)[key]
    with TraceContext() as ctx:
        target = TracerArray(ctx.graph.input(shape, 'float64'))
        updates = TracerArray(ctx.graph.input(region.shape, 'float64'))
        tnp.add.at(target, key, updates)
        ctx.graph.set_outputs([target.value])
    rng = np.random.RandomState(0)
    a, b = rng.rand(*shape), rng.rand(*region.shape)
    expected = a.copy()
    np.add.at(expected, key, b)
    np.testing.assert_allclose(interpreter.run(ctx.graph, [a, b])[0], expected)


def test_two_index_arrays_are_refused_by_name():
    with TraceContext() as ctx:
        target = TracerArray(ctx.graph.input((3, 3), 'float64'))
        with pytest.raises(CompileError, match='only one integer index array'):
            tnp.add.at(target, (np.array([0, 1]), np.array([1, 2])), 1.0)

"""Random eager programs, compiled: the loss and every gradient equal eager execution.

Hypothesis draws a small program: a chain of differentiable tracegrad functions
(elementwise, broadcasting arithmetic, reductions, linear layers, softmax...)
over two parameters and an input. The step computes the loss, clears the
grads and backpropagates; the compiled step (reference interpreter and C)
must give the eager loss and the eager gradients of both parameters.
"""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tracegrad
import tracegrad.functions as F

BACKENDS = ['reference', 'c']

# Each op maps (h, w, b) -> new h, where h is (N, D) and w (D, D), b (D,) are parameters.
OPS = {
    'relu': lambda h, w, b: F.relu(h),
    'tanh': lambda h, w, b: F.tanh(h),
    'sigmoid': lambda h, w, b: F.sigmoid(h),
    'softplus': lambda h, w, b: F.softplus(h),
    'linear': lambda h, w, b: F.linear(h, w, b),
    'mul_w_row': lambda h, w, b: h * b,                      # broadcast over rows
    'add_bias': lambda h, w, b: F.bias(h, b),
    'square': lambda h, w, b: h * h * 0.5,
    'sub_mean': lambda h, w, b: h - F.broadcast_to(F.mean(h, axis=1, keepdims=True), h.shape),
    'softmax': lambda h, w, b: F.softmax(h),
    'log_softmax': lambda h, w, b: F.log_softmax(h),
    'scale': lambda h, w, b: h * 1.5 - 0.25,
    'div': lambda h, w, b: h / (F.exp(b) + 1.0),
    'max_pair': lambda h, w, b: F.maximum(h, h * 0.5),
    'transpose_mm': lambda h, w, b: F.matmul(h, w, transb=True),
    'getitem': lambda h, w, b: F.concat([h[:, 1:], h[:, :1]], axis=1),
}
REDUCTIONS = {
    'sum': lambda h: F.sum(h),
    'mean_sq': lambda h: F.mean(h * h),
    'max_rows': lambda h: F.sum(F.max(h, axis=1)),
    'logsumexp': lambda h: F.sum(F.logsumexp(h, axis=1)),
}


def build(ops, reduction, dtype, seed):
    rng = np.random.RandomState(seed)
    n, d = 3, 5
    w = tracegrad.Parameter(rng.uniform(-0.5, 0.5, (d, d)).astype(dtype), name='w')
    b = tracegrad.Parameter(rng.uniform(-0.5, 0.5, (d,)).astype(dtype), name='b')
    x = rng.uniform(-1, 1, (n, d)).astype(dtype)

    link = tracegrad.Link()
    with link.init_scope():
        link.w = w
        link.b = b

    def step(x):
        h = tracegrad.Variable(x, requires_grad=False)
        for name in ops:
            h = OPS[name](h, link.w, link.b)
        loss = REDUCTIONS[reduction](h)
        link.cleargrads()
        loss.backward()
        return loss

    return link, step, x


@pytest.mark.parametrize('backend', BACKENDS)
@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(ops=st.lists(st.sampled_from(sorted(OPS)), min_size=1, max_size=5),
       reduction=st.sampled_from(sorted(REDUCTIONS)),
       dtype=st.sampled_from([np.float32, np.float64]))
def test_compiled_random_program_equals_eager(backend, ops, reduction, dtype):
    eager_link, eager_step, x = build(ops, reduction, dtype, seed=1)
    link, step, _ = build(ops, reduction, dtype, seed=1)
    compiled = tracegrad.compile(step, backend=backend, targets=(link,))
    tol = {'rtol': 2e-4, 'atol': 1e-5} if dtype == np.float32 else {'rtol': 1e-9, 'atol': 1e-12}
    for _ in range(2):  # the second call runs with grads present (another specialisation)
        expected = eager_step(x)
        got = compiled(x)
        assert isinstance(got, tracegrad.Variable)
        np.testing.assert_allclose(got.array, expected.array, **tol)
        for name in ('w', 'b'):
            g_eager = getattr(eager_link, name).grad
            g_comp = getattr(link, name).grad
            assert (g_eager is None) == (g_comp is None), name
            if g_eager is not None:
                assert g_comp.dtype == g_eager.dtype
                np.testing.assert_allclose(g_comp, g_eager, err_msg=f'{name} after {ops}',
                                           **tol)

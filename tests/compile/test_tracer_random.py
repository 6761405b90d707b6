"""Random draws while tracing follow the random API of the module the step runs on.

Tracing for NumPy, draws are float64 (NumPy's global generator has no dtype); tracing
for CuPy, they take CuPy's ``dtype`` (dropout draws float32 there, and CuPy's float32
stream is not the float64 one rounded), and the compiled step makes the same call.
"""
import numpy as np
import pytest

from tracegrad.backends import cuda
from tracegrad.compile import api
from tracegrad.compile.tracer import TraceContext, TracerArray
from tracegrad.compile.tracer import tracer_numpy as tnp
from tracegrad.functions.noise.dropout import draw_dropout_mask
from tracegrad.functions.noise.gaussian import draw_standard_normal


def _draws(ctx):
    return [(v.shape, np.dtype(v.dtype), kind, args) for v, kind, args in ctx.random_inputs]


def test_tracing_for_numpy_draws_float64():
    with TraceContext('numpy') as ctx:
        assert not cuda.random_takes_dtype(tnp)
        mask = draw_dropout_mask(tnp, (3, 5), np.float32, 0.25)
        eps = draw_standard_normal(tnp, (2,), np.float32)
        assert isinstance(mask, TracerArray) and mask.dtype == np.float32
        assert eps.dtype == np.float32
    assert _draws(ctx) == [((3, 5), np.dtype(np.float64), 'rand', ()),
                           ((2,), np.dtype(np.float64), 'standard_normal', ())]


@pytest.mark.parametrize('dtype,drawn', [(np.float32, np.float32), (np.float64, np.float32)])
def test_tracing_for_cupy_draws_dropout_uniforms_as_cupy_does(dtype, drawn):
    with TraceContext('cupy') as ctx:
        assert cuda.random_takes_dtype(tnp)
        mask = draw_dropout_mask(tnp, (4, 3), dtype, 0.5)
        assert mask.dtype == dtype
    assert _draws(ctx) == [((4, 3), np.dtype(drawn), 'rand', ())]


@pytest.mark.parametrize('dtype,drawn', [(np.float32, np.float32), (np.float64, np.float64),
                                         (np.float16, np.float32)])
def test_tracing_for_cupy_draws_gaussian_noise_in_its_dtype(dtype, drawn):
    with TraceContext('cupy') as ctx:
        eps = draw_standard_normal(tnp, (7,), dtype)
        assert eps.dtype == dtype
    assert _draws(ctx) == [((7,), np.dtype(drawn), 'standard_normal', ())]


def test_dtype_is_refused_when_tracing_for_numpy():
    with TraceContext('numpy'), pytest.raises(TypeError, match="numpy.random.rand.*dtype"):
        tnp.random.rand(2, 3, dtype=np.float32)


def test_cupy_draws_take_float_dtypes_only():
    with TraceContext('cupy'), pytest.raises(TypeError, match='float32 or float64.*int32'):
        tnp.random.uniform(0, 1, (2,), dtype=np.int32)


def test_takes_dtype_outside_tracing_is_an_error():
    from tracegrad.compile.tracer import CompileError

    with pytest.raises(CompileError, match='outside of tracing'):
        cuda.random_takes_dtype(tnp)


class _RecordingRandom:
    """Stands for ``cupy.random``: records each call and returns arrays of the dtype asked."""

    def __init__(self):
        self.calls = []

    def __getattr__(self, name):
        def draw(*args, **kwargs):
            self.calls.append((name, args, kwargs))
            shape = args if name in ('rand', 'randn') else (args[-1] or ())
            return np.zeros(shape, dtype=kwargs.get('dtype', np.float64))
        return draw


class _RecordingModule:
    def __init__(self):
        self.random = _RecordingRandom()

    @staticmethod
    def asarray(a, dtype=None):
        return np.asarray(a, dtype=dtype)


@pytest.mark.parametrize('kind,args,call_args', [
    ('rand', (), (4, 3)),
    ('randn', (), (4, 3)),
    ('random_sample', (), ((4, 3),)),
    ('standard_normal', (), ((4, 3),)),
    ('uniform', (-1.0, 2.0), (-1.0, 2.0, (4, 3))),
    ('normal', (0.5, 3.0), (0.5, 3.0, (4, 3))),
])
@pytest.mark.parametrize('dtype', ['float32', 'float64'])
def test_compiled_step_draws_on_cupy_with_the_traced_dtype(kind, args, call_args, dtype):
    xp = _RecordingModule()
    out = api._draw(xp, kind, args, (4, 3), dtype)
    assert out.dtype == dtype and out.shape == (4, 3)
    assert xp.random.calls == [(kind, call_args, {'dtype': dtype})]


@pytest.mark.parametrize('kind,args', [('rand', ()), ('uniform', (2.0, 3.0)),
                                       ('standard_normal', ()), ('normal', (1.0, 0.5))])
def test_compiled_step_draws_on_numpy_as_eager_numpy(kind, args):
    np.random.seed(3)
    out = api._draw(np, kind, args, (5,), 'float64')
    np.random.seed(3)
    rs = np.random
    want = {'rand': lambda: rs.rand(5), 'uniform': lambda: rs.uniform(2.0, 3.0, (5,)),
            'standard_normal': lambda: rs.standard_normal((5,)),
            'normal': lambda: rs.normal(1.0, 0.5, (5,))}[kind]()
    np.testing.assert_array_equal(out, want)

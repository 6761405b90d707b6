"""Trigonometric, hyperbolic and special functions traced into compiled steps: a model
that uses all of them trains compiled as it does eagerly; their IR primitives and the C
helpers they need appear in the compiled program."""
import re

import numpy as np
import pytest
from test_compile_training import build, mlp_batches, run_training

import tracegrad
import tracegrad.functions as F
import tracegrad.links as L
from tracegrad import optimizers


class SpecialNet(tracegrad.Chain):
    """Every new function on the hidden layer, each kept inside its domain."""

    def __init__(self):
        super().__init__()
        with self.init_scope():
            self.l1 = L.Linear(6, 7)
            self.l2 = L.Linear(7, 4)

    def forward(self, x):
        h = self.l1(x)
        t = F.tanh(h)                # (-1, 1)
        p = F.sigmoid(h)             # (0, 1)
        pos = h * h + 0.5            # >= 0.5
        xp = h.xp  # the constants on the model's device (traced ones while compiling)
        feats = [
            F.erf(h), F.erfc(h), F.erfcx(t), F.erfinv(t * 0.8), F.erfcinv(p + 0.5),
            F.ndtr(h), F.log_ndtr(h), F.ndtri(p * 0.8 + 0.1),
            F.lgamma(pos), F.digamma(pos), F.polygamma(xp.ones((1, 7), np.int32), pos),
            F.zeta(2.5, pos),
            F.arcsin(t * 0.9), F.arccos(t * 0.9), F.arctan(h), F.arctan2(h, F.cosh(t)),
            F.arctanh(t * 0.9), F.sinh(t), F.cosh(t),
            F.fmod(h, xp.full((1, 7), 0.7, h.dtype)), F.sign(h) * 0.1,
        ]
        return self.l2(sum(feats[1:], feats[0]) * 0.2)


PRIMITIVES = ['erf', 'erfc', 'erfcx', 'erfinv', 'erfcinv', 'ndtr', 'log_ndtr', 'ndtri',
              'lgamma', 'digamma', 'polygamma', 'zeta', 'asin', 'acos', 'atan', 'atan2',
              'atanh', 'sinh', 'cosh', 'fmod', 'sign']


@pytest.mark.parametrize('dtype', [np.float32, np.float64])
def test_training_with_special_functions_equals_eager(backend_name, dtype):
    model = build(SpecialNet, dtype)
    opt = optimizers.SGD(lr=0.05).setup(model)
    step = run_training(model, opt, mlp_batches(dtype, n=4), backend_name)
    missing = set(PRIMITIVES) - set(re.findall(r'= (\w+)\(', step.ir))
    assert not missing, f'not in the IR: {sorted(missing)}'
    if backend_name == 'c':
        # the helpers the C backend lacks come with the program
        assert 'tg_sf_zeta(' in step.source and 'tg_sf_digamma(' in step.source


def test_helpers_only_in_programs_that_call_them():
    from codegen import Graph
    from codegen.backends.c import render_source
    from codegen.passes.fuse import fuse

    def source(op):
        g = Graph()
        x = g.input((3,), 'float64')
        g.set_outputs([g.add(op, [x])])
        return render_source(fuse(g))[0]

    assert 'tg_sf_' not in source('erf')  # libm's
    assert 'double tg_sf_erfcinv(' in source('erfcinv')


def test_a_special_function_without_primitive_names_it():
    from tracegrad.backend import get_special_module

    class Gamma(tracegrad.FunctionNode):
        def forward(self, inputs):
            x, = inputs
            return get_special_module(tracegrad.backend.get_array_module(x), 'gamma').gamma(x),

    @tracegrad.compile
    def f(x):
        return Gamma().apply((x,))[0]

    with pytest.raises(tracegrad.CompileError, match=r'scipy\.special\.gamma has no IR primitive'):
        f(np.ones(3, np.float32))


def test_scipy_special_ufuncs_on_traced_arrays(backend_name):
    """A user's function calling scipy.special directly traces (NumPy's ufunc protocol)."""
    import scipy.special

    class LogGammaRatio(tracegrad.FunctionNode):
        def forward(self, inputs):
            x, = inputs
            return scipy.special.gammaln(x + 1) - scipy.special.gammaln(x) + \
                scipy.special.erf(x),

    f = tracegrad.compile(lambda x: LogGammaRatio().apply((x,))[0], backend=backend_name)
    x = np.array([0.5, 1.5, 4.0])
    np.testing.assert_allclose(f(x).array, np.log(x) + scipy.special.erf(x), rtol=1e-12)
    assert 'lgamma(' in f.ir and 'erf(' in f.ir


@pytest.mark.parametrize('dtype', [np.float32, np.float64, np.int32])
def test_numpy_names_trace_with_numpy_dtypes(dtype):
    """xp.arctan2, xp.fmod... on traced arrays give NumPy's result dtypes (integers compute
    in float64; fmod of integers is refused)."""
    from tracegrad.compile.tracer import TraceContext, as_tracer, tracer_numpy, tracer_special

    with TraceContext():
        x = as_tracer(np.ones(3, dtype))
        for name in ('arcsin', 'arccos', 'arctan', 'arctanh', 'sinh', 'cosh'):
            assert getattr(tracer_numpy, name)(x).dtype == getattr(np, name)(np.zeros(3, dtype)).dtype
        assert tracer_numpy.arctan2(x, x).dtype == np.arctan2(np.ones(3, dtype), 1).dtype
        assert tracer_special.erf(x).dtype == (np.float64 if dtype == np.int32 else dtype)
        assert tracer_special.zeta(2.0, x).dtype == (np.float64 if dtype == np.int32 else dtype)
        if dtype == np.int32:
            with pytest.raises(tracegrad.CompileError, match='fmod of integers'):
                tracer_numpy.fmod(x, x)
        else:
            assert tracer_numpy.fmod(x, x).dtype == dtype


@pytest.mark.gpu
@pytest.mark.parametrize('dtype', [np.float32, np.float64])
def test_cuda_training_with_special_functions_equals_eager_cupy(dtype):
    """The same model compiled for CUDA (CUDA's own erfcx, erfinv, normcdf... and the
    tg_sf_* helpers as device functions) against eager CuPy (cupyx.scipy.special)."""
    cupy = pytest.importorskip('cupy')
    try:
        if cupy.cuda.runtime.getDeviceCount() < 1:
            pytest.skip('no CUDA device')
    except Exception as e:  # noqa: BLE001 - CuPy without a driver raises various errors
        pytest.skip(f'no usable CUDA device: {e}')
    from compile_helpers import twin

    from tracegrad.testing import training_step

    model_c = build(SpecialNet, dtype)
    model_e, = twin(model_c)
    model_c.to_device('@cupy:0')
    model_e.to_device('@cupy:0')
    opt_c = optimizers.SGD(lr=0.05).setup(model_c)
    opt_e = optimizers.SGD(lr=0.05).setup(model_e)
    step_c = tracegrad.compile(training_step(model_c, opt_c), backend='cuda')
    step_e = training_step(model_e, opt_e)
    tol = {'rtol': 1e-4, 'atol': 1e-5} if dtype == np.float32 else {'rtol': 1e-10, 'atol': 1e-12}
    for i, (x, t) in enumerate(mlp_batches(dtype, n=3)):
        x, t = cupy.asarray(x), cupy.asarray(t)
        loss_c, loss_e = step_c(x, t), step_e(x, t)
        np.testing.assert_allclose(cupy.asnumpy(loss_c.array), cupy.asnumpy(loss_e.array),
                                   err_msg=f'loss at step {i}', **tol)
    assert 'tg_sf_zeta(' in step_c.source
    for (name, pc), (_, pe) in zip(sorted(model_c.namedparams()), sorted(model_e.namedparams())):
        assert isinstance(pc.array, cupy.ndarray), name
        np.testing.assert_allclose(cupy.asnumpy(pc.array), cupy.asnumpy(pe.array),
                                   err_msg=name, **tol)

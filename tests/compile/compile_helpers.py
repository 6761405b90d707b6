"""Helpers shared by the compile tests: the backends to test and an eager twin of a model.

(A module of its own: several test folders have a conftest.py, so importing one by the
name ``conftest`` picks whichever was loaded first.)
"""
import copy
import shutil

import numpy as np


def available_backends() -> list:
    """'reference' always; 'c' once codegen.backends.c imports and a C compiler exists."""
    names = ['reference']
    try:
        import codegen.backends.c  # noqa: F401
    except Exception:  # noqa: BLE001 - not written yet, or cffi/compiler missing
        return names
    if shutil.which('cc') or shutil.which('gcc') or shutil.which('clang'):
        names.append('c')
    return names


BACKENDS = available_backends()


def twin(*objects):
    """Deep copies of ``objects`` made together (so shared references stay shared)."""
    return copy.deepcopy(objects)


def tolerances(dtype) -> dict:
    if np.dtype(dtype) == np.float64:
        return {'atol': 1e-12, 'rtol': 1e-10}
    return {'atol': 1e-5, 'rtol': 1e-4}


def compare_two_param_training(loss_of, dtype, backend_name, optimizer, steps, seed=None):
    """Train a link of two (2, 3) parameters ``a`` and ``b`` for ``steps`` steps on
    ``loss_of(a, b)``, compiled for ``backend_name`` and eagerly (NumPy's global random
    state seeded with ``seed`` before each run when given), and assert that the losses
    and the parameters agree; return the eager losses."""
    import tracegrad

    class TwoParams(tracegrad.Link):
        def __init__(self):
            super().__init__()
            rng = np.random.RandomState(0)
            with self.init_scope():
                self.a = tracegrad.Parameter(rng.normal(size=(2, 3)).astype(dtype))
                self.b = tracegrad.Parameter(rng.normal(size=(2, 3)).astype(dtype))

    def step_of(link, opt):
        def step():
            loss = loss_of(link.a, link.b)
            link.cleargrads()
            loss.backward()
            opt.update()
            return loss
        return step

    link = TwoParams()
    opt = optimizer.setup(link)
    link_e, opt_e = twin(link, opt)
    losses = []
    for step in (tracegrad.compile(step_of(link, opt), backend=backend_name),
                 step_of(link_e, opt_e)):
        if seed is not None:
            np.random.seed(seed)
        losses.append([float(step().array) for _ in range(steps)])
    tol = tolerances(dtype)
    np.testing.assert_allclose(losses[0], losses[1], **tol)
    np.testing.assert_allclose(link.a.array, link_e.a.array, **tol)
    np.testing.assert_allclose(link.b.array, link_e.b.array, **tol)
    return losses[1]

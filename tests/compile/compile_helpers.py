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

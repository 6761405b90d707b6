"""Argument and label checks shared by the loss functions."""
from __future__ import annotations

import numpy

from tracegrad.backends import cuda
from tracegrad.utils import type_check


def check_reduce(func_name: str, reduce, valid: tuple) -> None:
    """Raise ValueError naming ``func_name`` unless ``reduce`` is one of ``valid``."""
    if reduce not in valid:
        options = ', '.join(repr(v) for v in valid)
        raise ValueError(f'{func_name}: the argument reduce must be one of {options}, '
                         f'but {reduce!r} is given')


def check_labels(func_name: str, n_class: int, t, ignore_label=None) -> None:
    """Raise ValueError for labels outside ``[0, n_class)`` that are not ``ignore_label``.

    Only concrete (NumPy/CuPy) arrays are checked: a traced array has no values yet.
    Without this check a gather would read another class (CuPy wraps indices around).
    """
    if not isinstance(t, (numpy.ndarray, cuda.ndarray)):
        return
    bad = (t < 0) | (t >= n_class)
    if ignore_label is not None:
        bad &= t != ignore_label
    if bad.any():
        allowed = f'0 <= t < {n_class} (x.shape[1])'
        if ignore_label is not None:
            allowed += f' or t == ignore_label ({ignore_label})'
        raise ValueError(f'{func_name}: each label t must satisfy {allowed}; '
                         f'found t == {int(t[bad][0])}')


def check_same_float_arrays(in_types) -> None:
    """Type check of two inputs ``x0``, ``x1`` of one float dtype and one shape."""
    type_check._argname(in_types, ('x0', 'x1'))
    type_check.expect(
        in_types[0].dtype.kind == 'f',
        in_types[0].dtype == in_types[1].dtype,
        in_types[0].shape == in_types[1].shape,
    )

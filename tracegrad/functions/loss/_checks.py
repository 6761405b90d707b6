"""Argument and label checks shared by the loss functions."""
from __future__ import annotations

import numpy

from tracegrad import backend
from tracegrad.utils import type_check


def check_reduce(func_name: str, reduce, valid: tuple) -> None:
    """Raise ValueError naming ``func_name`` unless ``reduce`` is one of ``valid``."""
    if reduce not in valid:
        options = ', '.join(repr(v) for v in valid)
        raise ValueError(f'{func_name}: the argument reduce must be one of {options}, '
                         f'but {reduce!r} is given')


def check_labels(func_name: str, n_class: int, t, ignore_label=None) -> bool:
    """Raise ValueError for labels outside ``[0, n_class)`` that are not ``ignore_label``.

    Only concrete (NumPy/CuPy) arrays are checked: a traced array has no values yet.
    Without this check a gather would read another class (CuPy wraps indices around).

    Returns:
        bool: True when ``t`` is a concrete array whose labels all lie in
        ``[0, n_class)`` (so none is ignored); callers take a shorter path then.
    """
    if not isinstance(t, backend.DEVICE_ARRAY_TYPES):
        return False
    # One reduction finds negative and too-large labels at once: read as unsigned,
    # a negative integer is larger than any class index. (Not when ignore_label is
    # itself a class index: then labels in range may still be ignored ones.)
    kind = t.dtype.kind
    if t.size and kind in 'iu' and (ignore_label is None or not 0 <= ignore_label < n_class):
        labels = t.view(_UNSIGNED[t.dtype.itemsize]) if kind == 'i' else t
        if labels.max() < n_class:
            return True
    bad = (t < 0) | (t >= n_class)
    if ignore_label is not None:
        bad &= t != ignore_label
    if bad.any():
        allowed = f'0 <= t < {n_class} (x.shape[1])'
        if ignore_label is not None:
            allowed += f' or t == ignore_label ({ignore_label})'
        raise ValueError(f'{func_name}: each label t must satisfy {allowed}; '
                         f'found t == {int(t[bad][0])}')
    return False


_UNSIGNED = {1: numpy.uint8, 2: numpy.uint16, 4: numpy.uint32, 8: numpy.uint64}


def check_same_float_arrays(in_types) -> None:
    """Type check of two inputs ``x0``, ``x1`` of one float dtype and one shape."""
    type_check._argname(in_types, ('x0', 'x1'))
    type_check.expect(
        in_types[0].dtype.kind == 'f',
        in_types[0].dtype == in_types[1].dtype,
        in_types[0].shape == in_types[1].shape,
    )

"""Checking gradients against finite differences.

:func:`check_backward` compares the analytic gradient with a central
difference along one random direction (two extra forward passes instead of
two per element); :func:`check_double_backward` does the same for the
gradient of the gradient; :func:`numerical_grad` gives element-wise
finite-difference gradients.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy

from tracegrad import backend
from tracegrad.backprop import grad as _grad
from tracegrad.variable import Variable


def _as_tuple(x) -> tuple:
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _to_numpy(a):
    return backend.CpuDevice().send(a)


def numerical_grad(f: Callable[[], Sequence], inputs: Sequence, grad_outputs: Sequence,
                   eps: float = 1e-3, detect_nondifferentiable: bool = False,
                   diff_atol: float = 0, diff_rtol: float = 1e-2,
                   center_outputs=None) -> tuple:
    """Element-wise central-difference gradients of ``f`` with respect to ``inputs``.

    Args:
        f: a function of no arguments returning a tuple of arrays; it reads the
            ``inputs`` arrays, which are perturbed in place and restored.
        inputs: the arrays to differentiate with respect to.
        grad_outputs: the upstream gradient per output of ``f`` (None for zero).
        eps: the finite-difference step.
        detect_nondifferentiable: raise when a one-sided difference disagrees
            with the other side (a kink near the point).

    Returns:
        A tuple of gradient arrays, one per input.

    >>> x = np.array([1.0, 2.0])
    >>> gx, = gradient_check.numerical_grad(lambda: (x ** 2,), (x,), (np.ones(2),))
    >>> np.round(gx, 6)
    array([2., 4.])
    """
    if eps <= 0:
        raise ValueError(f'numerical_grad: eps must be positive, got {eps}')
    grads = []
    for x in inputs:
        if x is None:
            grads.append(None)
            continue
        gx = numpy.zeros(x.shape, dtype=numpy.float64)
        flat = numpy.ndindex(*x.shape) if x.ndim else [()]
        for idx in flat:
            orig = x[idx].copy() if hasattr(x[idx], 'copy') else x[idx]
            x[idx] = orig + eps
            ys_plus = [None if y is None else _to_numpy(y).astype(numpy.float64) for y in f()]
            x[idx] = orig - eps
            ys_minus = [None if y is None else _to_numpy(y).astype(numpy.float64) for y in f()]
            if detect_nondifferentiable:
                x[idx] = orig
                ys_center = [None if y is None else _to_numpy(y).astype(numpy.float64)
                             for y in f()]
            x[idx] = orig
            total = 0.0
            for i, (yp, ym, gy) in enumerate(zip(ys_plus, ys_minus, grad_outputs)):
                if gy is None or yp is None:
                    continue
                gy = _to_numpy(gy).astype(numpy.float64)
                total += float(((yp - ym) * gy).sum())
                if detect_nondifferentiable:
                    yc = ys_center[i]
                    right, left = (yp - yc) / eps, (yc - ym) / eps
                    if not numpy.allclose(right, left, atol=diff_atol, rtol=diff_rtol):
                        raise NondifferentiableError(
                            f'numerical_grad: the function is not differentiable near '
                            f'input index {idx}: one-sided differences {left} vs {right}')
            gx[idx] = total / (2 * eps)
        grads.append(gx.astype(x.dtype) if x.dtype.kind == 'f' else gx)
    return tuple(grads)


class NondifferentiableError(Exception):
    """The function has a kink near the point where the gradient was checked."""


def check_backward(func: Callable, x_data, y_grad=None, params: Sequence[Variable] = (),
                   eps: float = 1e-3, atol: float = 1e-5, rtol: float = 1e-4,
                   no_grads: Sequence[bool] | None = None, dtype=None,
                   detect_nondifferentiable: bool = False, loss_scale=None) -> None:
    """Check the gradients that ``func``'s backward computes against finite differences.

    The check runs ``func`` on ``x_data``, backpropagates ``y_grad`` and compares
    the resulting directional derivative along a random direction with a
    central difference of ``func`` along the same direction.

    Args:
        func: a function of Variables returning a Variable or a tuple of them.
        x_data: an array or a tuple of arrays (the inputs).
        y_grad: an array or tuple of arrays (upstream gradients); None when
            ``func`` returns a single one-element output.
        params: Variables (e.g. link parameters) whose gradients are checked too.
        eps: the finite-difference step.
        atol, rtol: tolerances of the comparison.
        no_grads: per input, True to skip its gradient (e.g. integer labels).
        dtype: compute the finite differences in this dtype (e.g. float64).
        detect_nondifferentiable: fail with NondifferentiableError near a kink.

    Raises:
        AssertionError: when the gradients differ.
    """
    x_data = _as_tuple(x_data)
    if no_grads is None:
        no_grads = [numpy.dtype(x.dtype).kind != 'f' for x in x_data]
    elif len(no_grads) != len(x_data):
        raise ValueError(f'check_backward: no_grads has {len(no_grads)} entries, x_data has '
                         f'{len(x_data)}')
    xs = [Variable(x, requires_grad=not ng) for x, ng in zip(x_data, no_grads)]
    ys = _as_tuple(func(*xs))
    ys = [y if isinstance(y, Variable) else Variable(y, requires_grad=False) for y in ys]
    if y_grad is None:
        if len(ys) != 1 or ys[0].size != 1:
            raise ValueError('check_backward: y_grad is None but the function does not return '
                             'a single one-element output')
        y_grad = (ys[0].xp.ones_like(ys[0].array),)
    y_grad = _as_tuple(y_grad)
    if len(y_grad) != len(ys):
        raise ValueError(f'check_backward: {len(ys)} outputs but {len(y_grad)} y_grad entries')

    targets = [x for x, ng in zip(xs, no_grads) if not ng] + list(params)
    gys = [None if g is None else Variable(g, requires_grad=False) for g in y_grad]
    connected = [(y, g) for y, g in zip(ys, gys) if y.creator is not None or y.requires_grad]
    if not targets:
        return
    if connected:
        analytic = _grad([y for y, _ in connected], targets,
                         grad_outputs=[g for _, g in connected])
    else:
        analytic = [None] * len(targets)
    for t, g in zip(targets, analytic):
        if g is not None:
            if g.shape != t.shape:
                raise AssertionError(f'check_backward: the gradient has shape {g.shape}, '
                                     f'the variable has shape {t.shape}')
            if g.dtype != t.dtype:
                raise AssertionError(f'check_backward: the gradient has dtype {g.dtype}, '
                                     f'the variable has dtype {t.dtype}')

    # One random unit direction over all targets.
    rng = numpy.random.RandomState(0)  # deterministic: a failing check reproduces
    directions = [rng.normal(size=t.shape) for t in targets]
    norm = numpy.sqrt(sum(float((d * d).sum()) for d in directions)) or 1.0
    directions = [d / norm for d in directions]

    analytic_dd = 0.0
    for g, d in zip(analytic, directions):
        if g is not None:
            analytic_dd += float((_to_numpy(g.array).astype(numpy.float64) * d).sum())

    target_arrays = [t.array for t in targets]
    casted = {}
    if dtype is not None:
        for t in targets:
            if t.dtype.kind == 'f':
                casted[id(t)] = t.array.astype(dtype)

    def evaluate(sign: float) -> float:
        for t, d, a in zip(targets, directions, target_arrays):
            base = casted.get(id(t), a)
            xp = backend.get_array_module(base)
            t.array = xp.asarray(base + xp.asarray(sign * eps * d).astype(base.dtype))
        outs = _as_tuple(func(*xs))
        total = 0.0
        for y, gy in zip(outs, y_grad):
            if gy is None:
                continue
            y = y.array if isinstance(y, Variable) else y
            total += float((_to_numpy(y).astype(numpy.float64)
                            * _to_numpy(gy).astype(numpy.float64)).sum())
        return total

    try:
        plus, minus = evaluate(1.0), evaluate(-1.0)
        if detect_nondifferentiable:
            center = evaluate(0.0)
            right, left = (plus - center) / eps, (center - minus) / eps
            if not numpy.isclose(right, left, atol=max(atol, 1e-3), rtol=max(rtol, 1e-2)):
                raise NondifferentiableError(
                    f'check_backward: one-sided differences disagree ({left} vs {right}); '
                    f'the function is not differentiable near the inputs')
    finally:
        for t, a in zip(targets, target_arrays):
            t.array = a
    numeric_dd = (plus - minus) / (2 * eps)
    if not numpy.isclose(analytic_dd, numeric_dd, atol=atol, rtol=rtol):
        raise AssertionError(
            'check_backward: the backward pass disagrees with finite differences\n'
            f'  directional derivative (backward): {analytic_dd!r}\n'
            f'  directional derivative (numeric):  {numeric_dd!r}\n'
            f'  difference {abs(analytic_dd - numeric_dd):.3g} exceeds atol={atol} + '
            f'rtol={rtol} * {abs(numeric_dd):.3g}\n'
            f'  input shapes: {[t.shape for t in targets]}, dtypes: '
            f'{[str(t.dtype) for t in targets]}')


def check_double_backward(func: Callable, x_data, y_grad, x_grad_grad,
                          params: Sequence[Variable] = (), params_grad_grad=None,
                          eps: float = 1e-3, atol: float = 1e-4, rtol: float = 1e-3,
                          no_grads: Sequence[bool] | None = None, dtype=None,
                          detect_nondifferentiable: bool = False) -> None:
    """Check second-order gradients: the backward of ``func``'s backward.

    It checks :func:`check_backward` on the function that maps ``(x, gy)`` to the
    first-order gradients ``gx`` (computed with ``enable_double_backprop``).

    Args:
        func: as in :func:`check_backward`.
        x_data: inputs.
        y_grad: upstream gradients of the outputs (inputs of the first-order function).
        x_grad_grad: upstream gradients of the first-order gradients.
        params, params_grad_grad: parameters and the upstream gradients of theirs.
        eps, atol, rtol, no_grads, dtype, detect_nondifferentiable: as in check_backward.
    """
    x_data = _as_tuple(x_data)
    y_grad = _as_tuple(y_grad)
    x_grad_grad = _as_tuple(x_grad_grad)
    params = tuple(params)
    params_grad_grad = _as_tuple(params_grad_grad) if params_grad_grad is not None else ()
    n_x = len(x_data)
    if no_grads is None:
        no_grads = [numpy.dtype(x.dtype).kind != 'f' for x in x_data]
    grad_xs = [i for i in range(n_x) if not no_grads[i]]
    if len(x_grad_grad) != len(grad_xs):
        raise ValueError(f'check_double_backward: x_grad_grad has {len(x_grad_grad)} entries '
                         f'but {len(grad_xs)} inputs take gradients')

    def first_order(*inputs):
        xs = inputs[:n_x]
        gys = inputs[n_x:]
        ys = _as_tuple(func(*xs))
        wrt = [xs[i] for i in grad_xs] + list(params)
        gxs = _grad(list(ys), wrt, grad_outputs=list(gys), enable_double_backprop=True)
        out = []
        for g, w in zip(gxs, wrt):
            if g is None:  # no path: a constant zero gradient
                g = Variable(w.xp.zeros_like(w.array), requires_grad=False)
            out.append(g)
        return tuple(out)

    ggs = tuple(x_grad_grad) + tuple(params_grad_grad)
    check_backward(first_order, x_data + y_grad, ggs, params=params, eps=eps, atol=atol,
                   rtol=rtol, no_grads=list(no_grads) + [False] * len(y_grad), dtype=dtype,
                   detect_nondifferentiable=detect_nondifferentiable)

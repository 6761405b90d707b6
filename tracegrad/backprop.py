"""Backpropagation: walk creators from the outputs in decreasing rank.

The whole algorithm is :func:`backprop_from`; ``Variable.backward``,
:func:`backward` and :func:`grad` only choose the seeds and where results go.
"""
from __future__ import annotations

import heapq
from collections.abc import Iterable, Sequence

import numpy

from tracegrad.configuration import using_config
from tracegrad.variable import Variable, VariableNode, _array_result, _check_grad


def _sum_grads(a: Variable, b: Variable, differentiable: bool) -> Variable:
    if differentiable:
        return a + b
    return Variable(_array_result(a._data + b._data), requires_grad=False)


def _normalize_grads(func, target_indexes: tuple, gxs) -> tuple:
    """Accept a result per target input or per input; wrap bare arrays."""
    if not isinstance(gxs, (tuple, list)):
        raise TypeError(f'{func.label}.backward must return a tuple, got {type(gxs).__name__}')
    n_inputs = len(func.inputs)
    if len(gxs) == n_inputs and len(gxs) != len(target_indexes):
        gxs = [gxs[i] for i in target_indexes]
    elif len(gxs) != len(target_indexes):
        raise ValueError(f'{func.label}.backward returned {len(gxs)} gradients; expected '
                         f'{len(target_indexes)} (one per target input) or {n_inputs}')
    return tuple(gx if gx is None or isinstance(gx, Variable) else Variable(gx, requires_grad=False)
                 for gx in gxs)


def _grad_shape_error(func, i: int, gx: Variable, x: VariableNode) -> ValueError:
    return ValueError(f'{func.label}.backward: the gradient of input {i} has shape '
                      f'{gx._data.shape}, but the input has shape {x.shape}')


def _push(node: VariableNode, heap: list, seen: set, leaves: dict) -> None:
    """Queue the creator of ``node`` once (highest rank first), or note ``node`` as a leaf."""
    func = node.creator_node
    if func is None:
        leaves[node] = None
    elif func not in seen:
        seen.add(func)
        heapq.heappush(heap, (-func.rank, len(seen), func))


def _record(node: VariableNode, gy: Variable, wanted, found: dict, retain_grad: bool) -> None:
    """Keep an intermediate gradient: for ``grad``'s wanted nodes, and with retain_grad."""
    if wanted is not None and node in wanted:
        found[node] = gy
    if retain_grad:
        var = node._variable()
        if var is not None:
            var._grad_var = gy


def _backprop_loop(heap: list, seen: set, leaves: dict, grads: dict, wanted, found: dict,
                   retain_grad: bool, enable_double_backprop: bool) -> None:
    """Run creators off ``heap`` until it is empty, moving gradients through ``grads``.

    ``tracegrad/_speedups.c`` has the same loop in C, which ``tracegrad._native``
    puts in its place when it is built; this one is the reference and the fallback.
    """
    record = wanted is not None or retain_grad
    while heap:
        func = heapq.heappop(heap)[2]
        gys = []
        has_gy = False
        for ref in func.outputs:
            n = ref()
            gy = None if n is None else grads.pop(n, None)
            gys.append(gy)
            if gy is not None:
                has_gy = True
                if record:
                    _record(n, gy, wanted, found, retain_grad)
        inputs = func.inputs
        if inputs is None or not has_gy:  # unchained while we were walking, or no grads
            continue
        targets = []
        for i, x in enumerate(inputs):
            if x.requires_grad:
                targets.append(i)
        if not targets:
            continue
        targets = tuple(targets)
        gxs = func.backward(targets, tuple(gys))
        del gys
        if type(gxs) is not tuple or len(gxs) != len(targets):
            gxs = _normalize_grads(func, targets, gxs)
        for i, gx in zip(targets, gxs):
            if gx is None:
                continue
            if not isinstance(gx, Variable):
                gx = Variable(gx, requires_grad=False)
            x = inputs[i]
            if x.shape is not None and gx._data.shape != x.shape:
                raise _grad_shape_error(func, i, gx, x)
            old = grads.get(x)
            if old is None:
                grads[x] = gx
                _push(x, heap, seen, leaves)
            else:  # x's creator was queued with its first gradient
                grads[x] = _sum_grads(old, gx, enable_double_backprop)


def _store_leaf_grads(leaves: dict, grads: dict, loss_scale, enable_double_backprop: bool) -> None:
    """Add each leaf's gradient to its Variable's ``grad`` (``_speedups.c`` has it in C too)."""
    stored: set = set()  # a backward may hand one grad to several inputs (x + x)
    for node in leaves:
        var = node._variable()
        if var is None:
            continue
        gx = grads[node]
        data = gx._data
        if id(gx) in stored or (type(data) is numpy.ndarray and not data.flags.writeable):
            # shared with another leaf, or a read-only broadcast view: users and optimizer
            # hooks update grads in place, so give this leaf its own array
            gx = Variable(data.copy(), requires_grad=False)
        stored.add(id(gx))
        old = var._grad_var
        if old is not None:
            gx = _sum_grads(old, gx, enable_double_backprop)
        var._grad_var = gx
        var._loss_scale = loss_scale


_loop = _backprop_loop  # or the C versions (see tracegrad._native)
_store = _store_leaf_grads


def backprop_from(output_nodes: Sequence[VariableNode], seeds: Sequence[Variable], *,
                  retain_grad: bool = False, enable_double_backprop: bool = False,
                  loss_scale: float | None = None,
                  wanted: Iterable[VariableNode] | None = None) -> dict | None:
    """Propagate ``seeds`` back from ``output_nodes`` through their creators.

    Without ``wanted`` the gradients reaching leaf variables are added to their
    ``grad`` (Variable.backward semantics). With ``wanted`` nothing is stored;
    a dict from each wanted node to its gradient (or absent) is returned.
    """
    grads: dict = {}
    heap: list = []
    seen: set = set()
    leaves: dict = {}  # node -> None, in arrival order
    wanted = None if wanted is None else set(wanted)
    found: dict = {}

    for node, gy in zip(output_nodes, seeds):
        if gy is None:
            continue
        grads[node] = _sum_grads(grads[node], gy, enable_double_backprop) if node in grads else gy
        _push(node, heap, seen, leaves)

    with using_config('enable_backprop', enable_double_backprop):
        _loop(heap, seen, leaves, grads, wanted, found, retain_grad, enable_double_backprop)

    if wanted is not None:
        for node in leaves:
            if node in wanted and node in grads:
                found[node] = grads[node]
        return found

    _store(leaves, grads, loss_scale, enable_double_backprop)
    return None


def walk_creators(nodes: Iterable[VariableNode]):
    """Yield each function node reachable backwards from ``nodes`` once."""
    seen: set = set()
    stack = [n.creator_node for n in nodes if n.creator_node is not None]
    while stack:
        func = stack.pop()
        if func in seen:
            continue
        seen.add(func)
        yield func
        for x in func.inputs or ():
            if x.creator_node is not None:
                stack.append(x.creator_node)


def backward(outputs: Sequence[Variable], grad_outputs: Sequence | None = None, *,
             enable_double_backprop: bool = False) -> None:
    """Run backprop from several outputs at once, accumulating into leaf grads.

    Args:
        outputs: output Variables.
        grad_outputs: their initial gradients (Variables or arrays); by default
            each output's ``grad_var`` (one-element outputs default to 1).
        enable_double_backprop: record the backward computation in the graph.
    """
    if not isinstance(outputs, (tuple, list)):
        raise TypeError(f'backward: outputs must be a tuple or a list, not {type(outputs).__name__}')
    for y in outputs:
        if not isinstance(y, Variable):
            raise TypeError(f'backward: each output must be a Variable, not {type(y).__name__}')
    if grad_outputs is None:
        grad_outputs = []
        for y in outputs:
            gy = y.grad_var
            if gy is None and y.size == 1:
                gy = Variable(y.xp.ones_like(y.array), requires_grad=False)
            grad_outputs.append(gy)
            y._grad_var = None
    elif len(grad_outputs) != len(outputs):
        raise ValueError(f'backward: grad_outputs has {len(grad_outputs)} entries but outputs '
                         f'has {len(outputs)}')
    seeds = [_seed(y, gy, 'backward') for y, gy in zip(outputs, grad_outputs)]
    backprop_from([y.node for y in outputs], seeds, enable_double_backprop=enable_double_backprop)


def grad(outputs: Sequence[Variable], inputs: Sequence[Variable],
         grad_outputs: Sequence | None = None, grad_inputs: Sequence | None = None,
         set_grad: bool = False, retain_grad: bool = False,
         enable_double_backprop: bool = False, loss_scale: float | None = None) -> list:
    """Return the gradients of ``outputs`` with respect to ``inputs``.

    Unlike ``backward`` this does not touch ``.grad`` of any variable unless
    ``set_grad=True``.

    Args:
        outputs: output Variables.
        inputs: Variables to differentiate with respect to.
        grad_outputs: initial output gradients (default: 1 for one-element outputs).
        grad_inputs: gradients to add to the results.
        set_grad: also store the results in ``inputs[i].grad_var``.
        retain_grad: keep intermediate gradients in their variables.
        enable_double_backprop: record the computation for higher-order grads.
        loss_scale: scale the seeds by this factor.

    Returns:
        A list with a gradient Variable (or None) per input.

    >>> x = tracegrad.Variable(np.array([3.0], np.float32))
    >>> gx, = tracegrad.grad([x * x], [x], enable_double_backprop=True)
    >>> gx
    variable([6.])
    >>> ggx, = tracegrad.grad([gx], [x])
    >>> ggx
    variable([2.])
    """
    for name, seq in (('outputs', outputs), ('inputs', inputs)):
        if not isinstance(seq, (tuple, list)):
            raise TypeError(f'grad: {name} must be a tuple or a list, not {type(seq).__name__}')
        for v in seq:
            if not isinstance(v, Variable):
                raise TypeError(f'grad: each of {name} must be a Variable, not {type(v).__name__}')
    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    elif len(grad_outputs) != len(outputs):
        raise ValueError(f'grad: grad_outputs has {len(grad_outputs)} entries, outputs has '
                         f'{len(outputs)}')
    if grad_inputs is not None and len(grad_inputs) != len(inputs):
        raise ValueError(f'grad: grad_inputs has {len(grad_inputs)} entries, inputs has '
                         f'{len(inputs)}')
    seeds = []
    for y, gy in zip(outputs, grad_outputs):
        if gy is None:
            if y.size != 1:
                raise ValueError(f'grad: output of shape {y.shape} needs a grad_outputs entry')
            gy = y.xp.ones_like(y.array)
        seed = _seed(y, gy, 'grad')
        if loss_scale is not None:
            seed = Variable(seed.array * loss_scale, requires_grad=False)
        seeds.append(seed)
    found = backprop_from([y.node for y in outputs], seeds, retain_grad=retain_grad,
                          enable_double_backprop=enable_double_backprop,
                          wanted=[x.node for x in inputs])
    results = []
    for i, x in enumerate(inputs):
        gx = found.get(x.node)
        if grad_inputs is not None and grad_inputs[i] is not None:
            extra = _seed(x, grad_inputs[i], 'grad')
            gx = extra if gx is None else _sum_grads(gx, extra, enable_double_backprop)
        results.append(gx)
        if set_grad:
            x._grad_var = gx
    return results


def _seed(y: Variable, gy, caller: str) -> Variable | None:
    if gy is None:
        return None
    if not isinstance(gy, Variable):
        _check_grad(y, gy)
        return Variable(gy, requires_grad=False)
    _check_grad(y, gy.array)
    return gy

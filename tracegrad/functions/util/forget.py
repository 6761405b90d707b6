"""``forget``: run a function without keeping its graph, and run it again for backward.

This trades computation for memory: the intermediate results of ``func`` are
dropped after the forward pass, and the backward pass calls ``func`` again
(with ``config.in_recomputing`` True) to rebuild them. Links that update state
in forward (BatchNormalization's running averages) check that flag so that
the second call does not count twice.
"""
from __future__ import annotations

from tracegrad.backprop import backprop_from
from tracegrad.configuration import config, force_backprop_mode, no_backprop_mode, using_config
from tracegrad.function_node import FunctionNode
from tracegrad.variable import Variable

__all__ = ['forget']


def _call(func, xs) -> tuple:
    outs = func(*xs)
    if isinstance(outs, Variable):
        return (outs,)
    if not isinstance(outs, tuple):  # Chainer's error type, kept for callers catching it
        raise RuntimeError(  # noqa: TRY004
            f'forget: the function must return a Variable or a tuple of Variables, but '
            f'returned {type(outs).__name__}')
    for i, out in enumerate(outs):
        if not isinstance(out, Variable):
            raise RuntimeError(  # noqa: TRY004
                f'forget: element {i} of the tuple the function returned is '
                f'{type(out).__name__}, not a Variable')
    return outs


class Forget(FunctionNode):
    """Calls ``func`` without a graph in forward, and with one (recomputed) in backward."""

    def __init__(self, func):
        if not callable(func):
            raise TypeError(f'forget: func must be callable, got {type(func).__name__}')
        self.func = func

    @property
    def label(self) -> str:
        return f'Forget({getattr(self.func, "__name__", type(self.func).__name__)})'

    def forward(self, inputs):
        self.retain_inputs(tuple(range(len(inputs))))
        with no_backprop_mode(), using_config('_will_recompute', True):
            outs = _call(self.func, [Variable(x) for x in inputs])
        return tuple(out.array for out in outs)

    def backward(self, indexes, grad_outputs):
        if config.enable_backprop:
            raise RuntimeError('forget: double backpropagation is not supported '
                               '(neither does Chainer support it)')
        # Fresh leaves, so the recomputed graph ends at them and at the parameters
        # that func uses (whose grads are accumulated as in a plain backward).
        leaves = [Variable(x.array) for x in self.get_retained_inputs()]
        with force_backprop_mode(), using_config('in_recomputing', True):
            outs = _call(self.func, leaves)
        if len(outs) != len(grad_outputs):
            raise RuntimeError(f'forget: the function returned {len(outs)} outputs when '
                               f'recomputed, {len(grad_outputs)} the first time')
        pairs = [(out.node, gy) for out, gy in zip(outs, grad_outputs) if gy is not None]
        backprop_from([node for node, _ in pairs], [gy for _, gy in pairs])
        return tuple(leaves[i].grad_var for i in indexes)


def forget(func, *xs):
    """Call ``func(*xs)`` without storing its intermediate results.

    The forward pass runs ``func`` without building a graph, so its
    intermediate arrays are freed at once; the backward pass calls ``func``
    again (``config.in_recomputing`` is True then) to rebuild the graph and
    backpropagates through it. Parameters used inside ``func`` receive their
    gradients as usual. This saves memory at the cost of a second forward.
    ``func`` must give the same result when called twice with the same
    inputs (so not :func:`dropout`), and double backpropagation is not
    supported.

    Args:
        func (callable): called with Variables; returns a Variable or a tuple
            of Variables.
        xs (Variables or arrays): its arguments (arrays become Variables that
            require grad).

    Returns:
        ~tracegrad.Variable, or a tuple of them if ``func`` returns a tuple.

    >>> def f(a, b):
    ...   return (a + b) * a
    >>> x = chainer.Variable(np.random.uniform(-1, 1, 5).astype(np.float32))
    >>> y = chainer.Variable(np.random.uniform(-1, 1, 5).astype(np.float32))
    >>> z = F.forget(f, x, y)
    """
    xs = tuple(x if isinstance(x, Variable) else Variable(x, requires_grad=True) for x in xs)
    ys = Forget(func).apply(xs)
    return ys[0] if len(ys) == 1 else ys

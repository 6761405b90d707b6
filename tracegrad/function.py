"""Old-style functions (Chainer's ``chainer.Function``): forward and backward on arrays.

A :class:`Function` works on arrays in both directions, so its gradients
cannot be differentiated again; new code should subclass
:class:`~tracegrad.FunctionNode`. Calling a Function wraps it in a
:class:`FunctionAdapter` node, which puts it in the graph.

>>> class MulAdd(tracegrad.Function):
...     def forward_cpu(self, inputs):
...         x, y, z = inputs
...         return x * y + z,
...     def backward_cpu(self, inputs, grad_outputs):
...         x, y, z = inputs
...         gw, = grad_outputs
...         return y * gw, x * gw, gw
>>> x = tracegrad.Variable(np.array([1., 2.], np.float32))
>>> y = tracegrad.Variable(np.array([3., 4.], np.float32))
>>> z = tracegrad.Variable(np.array([0., 1.], np.float32))
>>> w = MulAdd()(x, y, z)
>>> w.grad = np.ones(2, np.float32)
>>> w.backward()
>>> x.grad
array([3., 4.], dtype=float32)
"""
from __future__ import annotations

import weakref

from tracegrad import backend
from tracegrad.configuration import force_backprop_mode, no_backprop_mode  # noqa: F401
from tracegrad.function_node import FunctionNode
from tracegrad.variable import Variable


class FunctionAdapter(FunctionNode):
    """The graph node of an old-style :class:`Function`."""

    def __init__(self, function: Function):
        self._function = function

    @property
    def function(self) -> Function:
        return self._function

    @property
    def _impl_name(self) -> str:
        return type(self._function).__name__

    # The hooks are the Function's, so they can be added before it is called.
    @property
    def _local_function_hooks(self):
        return self._function._local_function_hooks

    @property
    def local_function_hooks(self) -> dict:
        return self._function.local_function_hooks

    def add_hook(self, hook, name: str | None = None) -> None:
        self._function.add_hook(hook, name)

    def delete_hook(self, name: str) -> None:
        self._function.delete_hook(name)

    @property
    def label(self) -> str:
        return self._function.label

    def check_type_forward(self, in_types):
        self._function.check_type_forward(in_types)

    def forward(self, inputs):
        # Old-style functions keep every input for backward unless they say otherwise.
        self.retain_inputs(tuple(range(len(inputs))))
        return self._function.forward(inputs)

    def backward(self, target_input_indexes, grad_outputs):
        in_data = [None] * len(self.inputs)
        for var, i in zip(self.get_retained_inputs(), self._input_indexes_to_retain):
            in_data[i] = var.array
        grad_data = tuple(None if g is None else g.array for g in grad_outputs)
        with backend.get_device_from_array(*[a for a in tuple(in_data) + grad_data
                                             if a is not None]).create_context():
            gxs = self._function.backward(tuple(in_data), grad_data)
        if not isinstance(gxs, tuple) or len(gxs) != len(self.inputs):
            raise TypeError(f'{self.label}.backward must return a tuple with one gradient per '
                            f'input ({len(self.inputs)}), got {gxs!r:.80}')
        result = []
        for i in target_input_indexes:
            gx = gxs[i]
            if gx is None:
                result.append(None)
                continue
            node = self.inputs[i]
            if node.shape is not None and (gx.shape != node.shape or gx.dtype != node.dtype):
                raise ValueError(f'{self.label}.backward: the gradient of input {i} is '
                                 f'{gx.dtype}{list(gx.shape)}, the input is '
                                 f'{node.dtype}{list(node.shape)}')
            result.append(Variable(gx, requires_grad=False))
        return tuple(result)

    @property
    def output_data(self) -> tuple:
        data = [None] * len(self.outputs or ())
        for i, d in zip(self._output_indexes_to_retain or (), self._retained_output_data or ()):
            data[i] = d
        return tuple(data)


class Function:
    """An old-style differentiable function (subclass and implement forward/backward).

    ``forward(inputs)`` (or ``forward_cpu``/``forward_gpu``) returns a tuple of
    arrays; ``backward(inputs, grad_outputs)`` (or ``backward_cpu``/``backward_gpu``)
    returns a tuple with a gradient array (or None) per input. Every input is
    kept for backward unless :meth:`retain_inputs` says otherwise.
    """

    _node_ref = None

    def __call__(self, *inputs):
        node = FunctionAdapter(self)
        self._node_ref = weakref.ref(node)  # the graph owns the node; we only look at it
        outputs = node.apply(inputs)
        return outputs[0] if len(outputs) == 1 else outputs

    @property
    def node(self) -> FunctionAdapter:
        node = self._node_ref() if self._node_ref is not None else None
        if node is None:
            raise RuntimeError(f'{self.label}: the function has not been applied, or its graph '
                               f'is gone')
        return node

    @property
    def inputs(self) -> tuple:
        return tuple(n.get_variable() for n in self.node.inputs or ())

    @property
    def outputs(self) -> tuple:
        return tuple(ref for ref in self.node.outputs or ())

    @property
    def label(self) -> str:
        return type(self).__name__

    @property
    def output_data(self) -> tuple:
        return self.node.output_data

    @property
    def rank(self) -> int:
        return self.node.rank

    _local_function_hooks = None

    @property
    def local_function_hooks(self) -> dict:
        """The :class:`~tracegrad.FunctionHook` objects registered to this function, by name."""
        from tracegrad import function_hook

        return function_hook.local_hooks(self)

    def add_hook(self, hook, name: str | None = None) -> None:
        """Register a function hook for this function only (see FunctionNode.add_hook)."""
        from tracegrad import function_hook

        function_hook.add_local_hook(self, hook, name)

    def delete_hook(self, name: str) -> None:
        """Unregister this function's hook ``name`` (KeyError if there is none)."""
        from tracegrad import function_hook

        function_hook.delete_local_hook(self, name)

    def check_type_forward(self, in_types) -> None:
        """Check the input types (override; see :mod:`tracegrad.utils.type_check`)."""

    def forward(self, inputs: tuple) -> tuple:
        if backend.get_array_module(*inputs).__name__ == 'cupy':
            return self.forward_gpu(inputs)
        return self.forward_cpu(inputs)

    def forward_cpu(self, inputs: tuple) -> tuple:
        raise NotImplementedError(f'{self.label} does not implement forward_cpu')

    def forward_gpu(self, inputs: tuple) -> tuple:
        raise NotImplementedError(f'{self.label} does not implement forward_gpu')

    def backward(self, inputs: tuple, grad_outputs: tuple) -> tuple:
        arrays = [a for a in inputs + grad_outputs if a is not None]
        if backend.get_array_module(*arrays).__name__ == 'cupy':
            return self.backward_gpu(inputs, grad_outputs)
        return self.backward_cpu(inputs, grad_outputs)

    def backward_cpu(self, inputs: tuple, grad_outputs: tuple) -> tuple:
        return (None,) * len(inputs)

    def backward_gpu(self, inputs: tuple, grad_outputs: tuple) -> tuple:
        return (None,) * len(inputs)

    def retain_inputs(self, indexes) -> None:
        """Keep only these inputs for backward (call from forward; default: all)."""
        self.node.retain_inputs(tuple(indexes))

    def retain_outputs(self, indexes, retain_after_backward: bool = False) -> None:
        """Keep these outputs (see :attr:`output_data`); call from forward."""
        self.node.retain_outputs(tuple(indexes))

    def unchain(self) -> None:
        self.node.unchain()


__all__ = ['Function', 'FunctionAdapter']

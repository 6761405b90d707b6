"""FunctionNode: a differentiable operation and its node in the backward graph."""
from __future__ import annotations

import weakref
from collections.abc import Sequence
from typing import Any

import numpy

from tracegrad.backend import get_array_module
from tracegrad.configuration import config
from tracegrad.utils import type_check
from tracegrad.variable import Variable, _is_array, _new_output, _new_variable, _ref

# Input signatures that passed check_type_forward (see FunctionNode._check_inputs).
_checked_signatures: dict = {}


class FunctionNode:
    """A function from input arrays to output arrays, with a differentiable backward.

    Subclasses implement :meth:`forward` (or ``forward_cpu``/``forward_gpu``) on
    arrays with the namespace from ``backend.get_array_module``, and
    :meth:`backward` on Variables using other differentiable functions, so that
    backward graphs can be differentiated again. Call :meth:`apply` to run it.

    >>> class Square(tracegrad.FunctionNode):
    ...     def forward(self, inputs):
    ...         self.retain_inputs((0,))
    ...         return inputs[0] ** 2,
    ...     def backward(self, indexes, grad_outputs):
    ...         x, = self.get_retained_inputs()
    ...         return 2 * x * grad_outputs[0],
    >>> x = tracegrad.Variable(np.array([1., 3.], np.float32))
    >>> y, = Square().apply((x,))
    >>> y.grad = np.ones(2, np.float32)
    >>> y.backward()
    >>> x.grad
    array([2., 6.], dtype=float32)
    """

    inputs: tuple | None = None
    outputs: tuple | None = None
    rank = 0
    _input_indexes_to_retain: Sequence[int] | None = None
    _output_indexes_to_retain: Sequence[int] | None = None
    _retained_output_data: tuple | None = None

    @property
    def label(self) -> str:
        """A short name of the function, used in error messages and graph dumps."""
        return type(self).__name__

    _local_function_hooks = None

    @property
    def _impl_name(self) -> str:
        """The name profiling hooks report: the class's."""
        return type(self).__name__

    @property
    def local_function_hooks(self) -> dict:
        """The :class:`~tracegrad.FunctionHook` objects registered to this function, by name."""
        from tracegrad import function_hook

        return function_hook.local_hooks(self)

    def add_hook(self, hook, name: str | None = None) -> None:
        """Register a function hook for this function only.

        Args:
            hook (~tracegrad.FunctionHook): the hook.
            name: its key among this function's hooks (default: ``hook.name``).
        """
        from tracegrad import function_hook

        function_hook.add_local_hook(self, hook, name)

    def delete_hook(self, name: str) -> None:
        """Unregister this function's hook ``name`` (KeyError if there is none)."""
        from tracegrad import function_hook

        function_hook.delete_local_hook(self, name)

    def apply(self, inputs: Sequence[Any]) -> tuple:
        """Compute the outputs and, if needed, attach this node to the graph.

        Args:
            inputs: Variables or arrays (arrays become Variables with
                ``requires_grad=False``).

        Returns:
            A tuple of output Variables.
        """
        # The hot path of eager mode, written for the bytecode it runs: plain loops,
        # no comprehensions (each is a function call in CPython 3.11), no helper
        # calls on the common path (all inputs Variables, one output).
        in_data = []
        requires_grad = False
        for x in inputs:
            if not isinstance(x, Variable):
                return self.apply(_as_inputs(self, inputs))
            if x._requires_grad:
                requires_grad = True
            in_data.append(x._data)
        in_data = tuple(in_data)
        if config.type_check:
            self._check_inputs(in_data)
        outputs = self.forward(in_data)
        if type(outputs) is not tuple:
            outputs = _coerce_outputs(self, outputs)
        for y in outputs:
            if type(y) is not numpy.ndarray:
                outputs = _coerce_outputs(self, outputs)
                break

        if not requires_grad or not config.enable_backprop:
            if len(outputs) == 1:
                return (_new_variable(outputs[0], False),)
            return tuple([_new_variable(y, False) for y in outputs])

        in_nodes = []
        rank = 0
        for x in inputs:
            node = x._node_
            if node is None:
                node = x._node
            rank = max(rank, node.rank)
            in_nodes.append(node)
        self.inputs = in_nodes = tuple(in_nodes)
        self.rank = rank
        rank += 1
        if len(outputs) == 1:
            var = _new_output(outputs[0], self, rank)
            self.outputs = (_ref(var._node_),)
            ret = (var,)
        else:
            ret = []
            refs = []
            for y in outputs:
                var = _new_output(y, self, rank)
                refs.append(_ref(var._node_))
                ret.append(var)
            self.outputs = tuple(refs)
            ret = tuple(ret)
        if self._input_indexes_to_retain is not None:
            for i in self._input_indexes_to_retain:
                in_nodes[i].data = in_data[i]
        if self._output_indexes_to_retain is not None:
            if len(outputs) == 1:
                self._retained_output_data = outputs
            else:
                self._retained_output_data = tuple(
                    [outputs[i] for i in self._output_indexes_to_retain])
        return ret

    def _check_inputs(self, in_data: tuple) -> None:
        """Type checks: all inputs on one device, then the function's own expectations.

        A check that passed is remembered for the same function class, constructor
        arguments and input shapes and dtypes, so steady-state calls skip it. (For a
        class without ``__init__`` the key is the class and the inputs: attributes set
        on such an instance before ``apply`` are not expected to change the check.)
        """
        n = len(in_data)
        a = in_data[0] if n else None
        if n == 2:
            b = in_data[1]
            if type(a) is not type(b):
                _check_same_device(self, in_data)
        elif n > 2:
            for x in in_data:
                if type(x) is not type(a):
                    _check_same_device(self, in_data)
                    break
        cls = type(self)
        if cls.check_type_forward is FunctionNode.check_type_forward:
            return
        # A class without a constructor has no arguments to key on; reading
        # self.__dict__ would also cost the instance its compact attribute storage.
        if n == 1 and cls.__init__ is object.__init__:
            key = (cls, a.shape, a.dtype)
        elif n == 2 and cls.__init__ is object.__init__:
            key = (cls, a.shape, a.dtype, b.shape, b.dtype)
        else:
            key = [cls, *self.__dict__.values()]
            for x in in_data:
                key += x.shape, x.dtype
            key = tuple(key)
        try:
            if key in _checked_signatures:
                return
        except TypeError:  # an unhashable argument: check every time
            key = None
        in_types = type_check.get_types(in_data, 'in_types', False)
        try:
            self.check_type_forward(in_types)
        except type_check.InvalidType as e:
            raise type_check.InvalidType(
                e.expect, e.actual, msg=f'Invalid operation is performed in: {self.label} '
                f'(Forward)\n\n{e}') from None
        if key is not None:
            if len(_checked_signatures) > 10000:
                _checked_signatures.clear()
            _checked_signatures[key] = True

    def check_type_forward(self, in_types) -> None:
        """Check the input types with :mod:`tracegrad.utils.type_check` (override)."""

    def forward(self, inputs: tuple) -> tuple:
        """Compute output arrays from input arrays. By default calls ``forward_cpu``/``forward_gpu``."""
        xp = get_array_module(*inputs)
        if xp is numpy:
            return self.forward_cpu(inputs)
        if xp.__name__ == 'cupy':
            return self.forward_gpu(inputs)
        raise NotImplementedError(
            f'{self.label} has no forward for {xp.__name__} arrays; implement forward()')

    def forward_cpu(self, inputs: tuple) -> tuple:
        raise NotImplementedError(f'{self.label} does not implement forward_cpu')

    def forward_gpu(self, inputs: tuple) -> tuple:
        raise NotImplementedError(f'{self.label} does not implement forward_gpu')

    def backward(self, target_input_indexes: tuple, grad_outputs: tuple) -> tuple:
        """Return gradients (Variables or None) of the inputs in ``target_input_indexes``.

        ``grad_outputs`` holds a Variable (or None) per output. The result may
        also list one entry per input; entries of other inputs are ignored.
        """
        return (None,) * len(target_input_indexes)

    def retain_inputs(self, indexes: Sequence[int]) -> None:
        """Keep these inputs' arrays for backward (call from ``forward``)."""
        self._input_indexes_to_retain = indexes

    def retain_outputs(self, indexes: Sequence[int]) -> None:
        """Keep these outputs' arrays for backward (call from ``forward``)."""
        self._output_indexes_to_retain = indexes

    def get_retained_inputs(self) -> tuple:
        """The retained inputs as Variables (connected to the graph)."""
        indexes = self._input_indexes_to_retain
        inputs = self.inputs
        if indexes is None or inputs is None:
            return ()
        ret = []
        for i in indexes:
            ret.append(inputs[i].get_variable())
        return tuple(ret)

    def get_retained_outputs(self) -> tuple:
        """The retained outputs as Variables (connected to the graph)."""
        if self._output_indexes_to_retain is None or self.outputs is None:
            return ()
        ret = []
        for i, data in zip(self._output_indexes_to_retain, self._retained_output_data):
            node = self.outputs[i]()
            if node is None:
                # Nothing downstream kept this output; re-create it as ours.
                var = Variable(data)
                var._node.set_creator_node(self)
                self.outputs = self.outputs[:i] + (weakref.ref(var._node),) + self.outputs[i + 1:]
            else:
                if node.data is None:
                    node.data = data
                var = node.get_variable()
            ret.append(var)
        return tuple(ret)

    def unchain(self) -> None:
        """Cut this node out of the graph: outputs forget it, it forgets its inputs."""
        if self.outputs is not None:
            for ref in self.outputs:
                node = ref()
                if node is not None:
                    node.unchain()
        self.inputs = None

    def __repr__(self) -> str:
        return f'<{self.label}>'


def _as_inputs(func: FunctionNode, inputs: Sequence[Any]) -> list:
    """The inputs with arrays wrapped as constant Variables (``requires_grad=False``)."""
    ret = []
    for x in inputs:
        if not isinstance(x, Variable):
            if not _is_array(x):
                raise TypeError(f'{func.label}: inputs must be Variables or arrays '
                                f'(numpy.ndarray, cupy.ndarray), got {type(x).__name__}')
            x = Variable(x, requires_grad=False)
        ret.append(x)
    return ret


def _coerce_outputs(func: FunctionNode, outputs: Any) -> tuple:
    """``forward``'s result as a tuple of arrays (0-d reductions give NumPy scalars)."""
    if type(outputs) is not tuple:
        raise TypeError(f'{func.label}.forward must return a tuple of arrays, '
                        f'got {type(outputs).__name__}')
    return tuple([_force_array(func, y) for y in outputs])


def _force_array(func: FunctionNode, y: Any):
    """Turn a NumPy scalar (what 0-d reductions return) into a 0-d array."""
    if _is_array(y):
        return y
    if isinstance(y, numpy.generic):
        return numpy.asarray(y)
    raise TypeError(f'{func.label}.forward returned {type(y).__name__}; expected arrays')


def _check_same_device(func: FunctionNode, in_data: tuple) -> None:
    from tracegrad.backend import get_device_from_array

    modules = {get_array_module(a) for a in in_data}
    others = modules - {numpy}
    if len(others) == 1 and getattr(next(iter(others)), 'takes_numpy', False):
        return  # NumPy arrays beside traced arrays become constants of the traced graph
    if len(modules) > 1:
        devices = ', '.join(f'input {i}: {get_device_from_array(a)}' for i, a in enumerate(in_data))
        raise TypeError(f'{func.label}: inputs are on different devices ({devices}); '
                        f'move them to one device with to_device() first')

"""Variable, Parameter and the variable nodes of the backward graph.

A :class:`Variable` holds an array and its gradient. Its :class:`VariableNode` is
what the graph refers to: a function node keeps its inputs' nodes (and their
arrays only when it retained them), so arrays nobody needs are freed early.
"""
from __future__ import annotations

import weakref
from typing import Any

import numpy

from tracegrad import backend
from tracegrad.backend import _namespaces
from tracegrad.configuration import config


def _is_array(obj: Any) -> bool:
    return isinstance(obj, numpy.ndarray) or type(obj) in _namespaces


def _array_result(x):
    """NumPy turns 0-d results into scalars; turn them back into arrays."""
    return numpy.asarray(x) if isinstance(x, numpy.generic) else x


def _check_array(caller: str, what: str, obj: Any) -> None:
    if obj is not None and not _is_array(obj):
        raise TypeError(
            f'{caller}: {what} must be a numpy.ndarray or cupy.ndarray, '
            f'got {type(obj).__name__}')


class VariableNode:
    """The node of a :class:`Variable` in the computational graph.

    It knows the variable's creator, rank, shape and dtype; it holds the array
    only when a function retained it for its backward pass.
    """

    __slots__ = (
        '__weakref__',
        '_variable',
        'creator_node',
        'data',
        'dtype',
        'name',
        'rank',
        'requires_grad',
        'shape',
    )

    def __init__(self, variable: Variable, name: str | None, requires_grad: bool = True):
        self._variable = weakref.ref(variable)
        self.creator_node = None
        self.rank = 0
        self.data = None
        self.name = name
        self.requires_grad = requires_grad
        array = variable._data
        if array is None:
            self.shape = self.dtype = None
        else:
            self.shape = array.shape
            self.dtype = array.dtype

    @property
    def creator(self):
        return self.creator_node

    @creator.setter
    def creator(self, func):
        self.set_creator_node(func)

    def set_creator_node(self, creator_node) -> None:
        self.creator_node = creator_node
        if creator_node is not None:
            self.rank = creator_node.rank + 1

    set_creator = set_creator_node

    @property
    def grad(self):
        var = self._variable()
        return None if var is None else var.grad

    @property
    def grad_var(self):
        var = self._variable()
        return None if var is None else var.grad_var

    @property
    def label(self) -> str:
        if self.shape == ():
            return str(self.dtype)
        return f'({", ".join(map(str, self.shape))}), {self.dtype}'

    def get_variable(self) -> Variable:
        """Return the variable of this node, recreating it from retained data if it is gone."""
        var = self._variable()
        if var is not None:
            return var
        var = _new_variable(self.data, self.requires_grad)
        var._name = self.name
        var._node_ = self
        self._variable = weakref.ref(var)
        return var

    def get_variable_or_none(self) -> Variable | None:
        return self._variable()

    def retain_data(self) -> None:
        """Keep the variable's array alive in this node (for a backward pass)."""
        var = self._variable()
        if var is None:
            raise RuntimeError('retain_data: the variable of this node is no longer alive')
        self.data = var._data

    def unchain(self) -> None:
        self.creator_node = None


class Variable:
    """An array with a gradient and a place in the computational graph.

    Args:
        data: a ``numpy.ndarray`` or ``cupy.ndarray`` (or None).
        name: a name shown in its repr and in graph dumps.
        grad: the initial gradient array.
        requires_grad: whether backprop computes a gradient for it.

    >>> x = tracegrad.Variable(np.array([1, 2, 3], np.float32))
    >>> y = x * x
    >>> y.grad = np.ones(3, np.float32)
    >>> y.backward()
    >>> x.grad
    array([2., 4., 6.], dtype=float32)
    """

    # Make NumPy defer to Variable's reflected operators (ndarray + Variable).
    __array_priority__ = 200
    __hash__ = None  # Variables compare by no value; use id() for identity maps.
    # The node is made on first use: most Variables never enter a graph.
    __slots__ = (
        '__dict__',
        '__weakref__',
        '_data',
        '_grad_var',
        '_loss_scale',
        '_name',
        '_node_',
        '_requires_grad',
    )

    def __init__(self, data=None, *, name: str | None = None, grad=None,
                 requires_grad: bool = True):
        if data is not None and type(data) is not numpy.ndarray and not _is_array(data):
            _check_array('Variable', 'data', data)
        self._data = data
        self._grad_var = None
        self._requires_grad = requires_grad
        self._loss_scale = None
        self._name = name
        self._node_ = None
        if grad is not None:
            self.grad = grad

    @property
    def _node(self) -> VariableNode:
        node = self._node_
        if node is None:
            node = self._node_ = VariableNode(self, self._name, self._requires_grad)
        return node

    @_node.setter
    def _node(self, node: VariableNode) -> None:
        self._node_ = node

    # -- pickling and copying: drop the graph, keep the arrays --
    def __reduce__(self):
        return _recreate_variable, (type(self), self.__getstate__())

    def __getstate__(self):
        state = dict(self.__dict__)
        state.update(_data=self._data, _requires_grad=self._requires_grad,
                     _loss_scale=self._loss_scale, _name=self.name, _grad=self.grad)
        return state

    def __setstate__(self, state):
        state = dict(state)
        grad = state.pop('_grad', None)
        for key in ('_data', '_requires_grad', '_loss_scale', '_name'):
            object.__setattr__(self, key, state.pop(key))
        self.__dict__.update(state)
        self._node_ = None
        self._grad_var = None if grad is None else Variable(grad, requires_grad=False)

    def __copy__(self):
        new = type(self).__new__(type(self))
        new.__setstate__(self.__getstate__())
        return new

    # -- representation --
    def __repr__(self) -> str:
        return _format(self, repr_mode=True)

    def __str__(self) -> str:
        return _format(self, repr_mode=False)

    def summary(self) -> str:
        name = self.name or ''
        return f'<variable {name}>'.replace(' >', '>')

    def debug_print(self) -> str:
        """Return a multi-line summary: name, shape, dtype, statistics, grad."""
        lines = [self.summary(), f'- device: {self.device}', f'- backend: {self.xp.__name__}',
                 f'- shape: {self.shape}', f'- dtype: {self.dtype}']
        if self.array is None:
            lines.append('- statistics: None')
        else:
            a = backend.CpuDevice().send(self.array)
            lines.append(f'- statistics: mean={a.mean():.8f}, std={a.std():.8f}')
        g = self.grad
        if g is None:
            lines.append('- grad: None')
        else:
            g = backend.CpuDevice().send(g)
            lines.append(f'- grad: mean={g.mean():.8f}, std={g.std():.8f}')
        return '\n'.join(lines)

    # -- array and gradient --
    @property
    def array(self):
        """The array this variable holds."""
        return self._data

    @array.setter
    def array(self, d):
        if d is not None and type(d) is not numpy.ndarray:
            _check_array('Variable.array', 'the new value', d)
        self._data = d
        node = self._node_
        if node is not None:
            if d is not None:
                node.shape = d.shape
                node.dtype = d.dtype
            if node.data is not None:
                node.data = d

    data = array

    @property
    def raw_array(self):
        return self._data

    @property
    def grad(self):
        """The gradient array, or None."""
        gv = self._grad_var
        return None if gv is None else gv._data

    @grad.setter
    def grad(self, g):
        if g is not None:
            _check_grad(self, g)
            g = _new_variable(g, False)
        self._grad_var = g

    @property
    def grad_var(self) -> Variable | None:
        """The gradient as a Variable (with a graph after double backprop), or None."""
        return self._grad_var

    @grad_var.setter
    def grad_var(self, g):
        if g is not None:
            if not isinstance(g, Variable):
                raise TypeError(f'Variable.grad_var: expected a Variable, got {type(g).__name__}')
            _check_grad(self, g._data)
        self._grad_var = g

    # -- metadata --
    @property
    def shape(self):
        return self._data.shape

    @property
    def ndim(self) -> int:
        return self._data.ndim

    @property
    def size(self) -> int:
        return self._data.size

    @property
    def dtype(self):
        return self._data.dtype

    def __len__(self) -> int:
        return len(self._data)

    @property
    def name(self) -> str | None:
        return self._name

    @name.setter
    def name(self, n):
        self._name = n
        if self._node_ is not None:
            self._node_.name = n

    @property
    def label(self) -> str:
        """Shape and dtype as a short string, e.g. ``'(2, 3), float32'``."""
        return self._node.label

    @property
    def node(self) -> VariableNode:
        return self._node

    @property
    def creator_node(self):
        """The :class:`FunctionNode` that produced this variable, or None."""
        node = self._node_
        return None if node is None else node.creator_node

    @creator_node.setter
    def creator_node(self, func):
        self._node.set_creator_node(func)

    creator = creator_node

    def set_creator_node(self, fnode) -> None:
        self._node.set_creator_node(fnode)

    set_creator = set_creator_node

    @property
    def rank(self) -> int:
        node = self._node_
        return 0 if node is None else node.rank

    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @property
    def xp(self):
        """The array module of this variable (``numpy`` or ``cupy``)."""
        d = self._data
        if d is None or type(d) is numpy.ndarray:
            return numpy
        return backend.get_array_module(d)

    @property
    def device(self) -> backend.Device:
        d = self._data
        if d is None or type(d) is numpy.ndarray:
            return backend.CpuDevice()
        return backend.get_device_from_array(d)

    @property
    def T(self) -> Variable:
        """The transposed variable (differentiable)."""
        from tracegrad.functions import transpose

        return transpose(self)

    def item(self):
        """Return the single element as a Python scalar."""
        return self._data.item()

    # -- devices --
    def to_device(self, device) -> None:
        """Move the array and grad to ``device`` ('@numpy', '@cupy:0', an int, a Device)."""
        device = backend.get_device(device)
        if self._data is not None:
            self.array = device.send(self._data)
        if self._grad_var is not None:
            self._grad_var.to_device(device)

    def to_cpu(self) -> None:
        self.to_device(backend.CpuDevice())

    def to_gpu(self, device=None) -> None:
        from tracegrad.backends import cuda

        cuda.check_cuda_available()
        self.to_device(backend.GpuDevice(cuda.cupy.cuda.Device(device).id
                                         if device is not None else cuda.cupy.cuda.Device().id))

    # -- gradient helpers --
    def cleargrad(self) -> None:
        """Set the gradient to None."""
        self._grad_var = None

    def zerograd(self) -> None:
        """Fill the gradient with zeros (allocating it if needed)."""
        if self._data is None:
            return
        if self._grad_var is None:
            self._grad_var = Variable(self.xp.zeros_like(self._data), requires_grad=False)
        else:
            self._grad_var.unchain()
            self._grad_var._data.fill(0)

    def copydata(self, var: Variable) -> None:
        """Copy the array of ``var`` into this variable's array (across devices)."""
        src = var._data if isinstance(var, Variable) else var
        if src is None:
            if self._data is None:
                return  # both uninitialized: nothing to copy
            if isinstance(var, Parameter):
                var.initialize(self.shape)
                src = var._data
            else:
                raise ValueError('copydata: the source variable has no array')
        if self._data is None:
            if isinstance(self, Parameter):
                self.initialize(src.shape)
                backend.copyto(self._data, src)
            else:
                self.array = self.device.send(src).copy()
        else:
            backend.copyto(self._data, src)

    def addgrad(self, var: Variable) -> None:
        """Add the gradient of ``var`` to this variable's gradient (across devices)."""
        src = var.grad
        if src is None:
            return
        src = self.device.send(src)
        if self._grad_var is None:
            self._grad_var = Variable(src.copy(), requires_grad=False)
        else:
            self._grad_var = Variable(_array_result(self.grad + src), requires_grad=False)

    # -- graph --
    def backward(self, retain_grad: bool = False, enable_double_backprop: bool = False,
                 loss_scale: float | None = None) -> None:
        """Run backprop from this variable, accumulating grads into the leaves.

        Args:
            retain_grad: keep the gradients of intermediate variables too.
            enable_double_backprop: build a graph of the backward computation,
                so the computed grads can themselves be differentiated.
            loss_scale: multiply the initial gradient by this factor (the
                optimizer divides parameter gradients by it again).

        A variable of one element is seeded with 1; any other needs ``grad`` set.
        """
        grad_var = self._grad_var
        if grad_var is None:
            if self._data.size != 1:
                raise ValueError(
                    f'Variable.backward: this variable has shape {self.shape}, not one element, '
                    f'and no grad was set. Set `.grad` to an array of shape {self.shape} (or '
                    f'reduce it to a scalar, e.g. with F.sum) before calling backward().')
            grad_var = Variable(self.xp.ones_like(self._data), requires_grad=False)
        if loss_scale is not None:
            grad_var = Variable(_array_result(grad_var._data * loss_scale), requires_grad=False)
        self._grad_var = None
        _backprop.backprop_from([self._node], [grad_var], retain_grad=retain_grad,
                                enable_double_backprop=enable_double_backprop,
                                loss_scale=loss_scale)

    def unchain(self) -> None:
        """Make this variable a leaf: forget its creator."""
        if self._node_ is not None:
            self._node_.unchain()

    def unchain_backward(self) -> None:
        """Delete the whole graph behind this variable (it and its ancestors become leaves)."""
        from tracegrad.backprop import walk_creators

        for func in list(walk_creators([self._node])):
            func.unchain()
        self.unchain()

    def retain_data(self) -> None:
        self._node.data = self._data

    # -- shape helpers (differentiable) --
    def reshape(self, *shape) -> Variable:
        from tracegrad.functions import reshape

        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = shape[0]
        return reshape(self, tuple(shape))

    def transpose(self, *axes) -> Variable:
        from tracegrad.functions import transpose

        if len(axes) == 0:
            axes = None
        elif len(axes) == 1 and (axes[0] is None or isinstance(axes[0], (tuple, list))):
            axes = axes[0]
        return transpose(self, axes)

    def mean(self, axis=None, *, weights=None, keepdims=False) -> Variable:
        from tracegrad.functions import average

        return average(self, axis=axis, weights=weights, keepdims=keepdims)

    # The arithmetic operators (+ - * / // ** @, unary -, abs) are installed by
    # tracegrad.functions.math.basic_math.install_variable_arithmetics().

    def __pos__(self):
        return self

    def __getitem__(self, slices):
        from tracegrad.functions import get_item

        return get_item(self, slices)

    def _no_comparison(self, op: str):
        raise TypeError(
            f'Variables do not support the {op} operator; compare their arrays instead '
            f'(e.g. `x.array {op} y.array`).')

    def __lt__(self, other):
        self._no_comparison('<')

    def __le__(self, other):
        self._no_comparison('<=')

    def __eq__(self, other):
        self._no_comparison('==')

    def __ne__(self, other):
        self._no_comparison('!=')

    def __gt__(self, other):
        self._no_comparison('>')

    def __ge__(self, other):
        self._no_comparison('>=')

    def __bool__(self):
        raise TypeError('Variables cannot be evaluated as a Python bool; '
                        'use `bool(x.array)` or `x.item()` instead.')


_new_object = object.__new__
_ref = weakref.ref


def _new_variable(data, requires_grad: bool) -> Variable:
    """Variable(data) without the argument checks (for arrays known to be valid)."""
    var = _new_object(Variable)
    var._data = data
    var._grad_var = None
    var._requires_grad = requires_grad
    var._loss_scale = None
    var._name = None
    var._node_ = None
    return var


def _new_output(data, creator, rank: int) -> Variable:
    """A function output: a Variable and its node, linked to its creator."""
    var = _new_variable(data, True)
    node = _new_object(VariableNode)
    node._variable = _ref(var)
    node.creator_node = creator
    node.rank = rank
    node.data = None
    node.name = None
    node.requires_grad = True
    node.shape = data.shape
    node.dtype = data.dtype
    var._node_ = node
    return var


def _recreate_variable(cls, state):
    var = cls.__new__(cls)
    var.__setstate__(state)
    return var


def _format(var: Variable, repr_mode: bool) -> str:
    arr = var._data
    if arr is not None and type(arr) is not numpy.ndarray:
        arr = backend.CpuDevice().send(arr)
    prefix = 'variable ' + var.name if var.name else 'variable'
    if arr is None:
        body = 'None'
    elif not repr_mode:
        body = numpy.array2string(arr, None, None, None, ' ', prefix + '(')
    elif arr.size > 0 or arr.shape == (0,):
        body = numpy.array2string(arr, None, None, None, ', ', prefix + '(')
    else:
        body = f'[], shape={arr.shape!r}'
    return f'{prefix}({body})'


def _check_grad(var: Variable, g) -> None:
    """Check that a gradient array matches the variable it is set on."""
    if not _is_array(g):
        raise TypeError(f'Variable.grad: expected an array, got {type(g).__name__}')
    data = var._data
    if data is None:
        return
    if g.dtype != data.dtype:
        raise TypeError(f'Variable.grad: the gradient dtype {g.dtype} differs from the '
                        f'variable dtype {data.dtype}')
    if g.shape != data.shape:
        raise ValueError(f'Variable.grad: the gradient shape {g.shape} differs from the '
                         f'variable shape {data.shape}')
    if type(g) is not type(data) and backend.get_array_module(g) is not backend.get_array_module(data):
        raise TypeError(f'Variable.grad: the gradient is on {backend.get_device_from_array(g)} '
                        f'but the variable is on {backend.get_device_from_array(data)}')


class Parameter(Variable):
    """A Variable that a Link owns and an optimizer updates.

    Args:
        initializer: an :class:`~tracegrad.initializer.Initializer`, an array (used
            as the data), a scalar (a constant fill) or None (NaN fill).
        shape: the shape; when omitted the parameter stays uninitialized until
            :meth:`initialize` is called (links do this lazily on the first batch).
        name: the parameter name.

    >>> p = tracegrad.Parameter(2.0, (2,))
    >>> p.array
    array([2., 2.], dtype=float32)
    >>> q = tracegrad.Parameter()
    >>> q.is_initialized
    False
    """

    def __init__(self, initializer=None, shape=None, name: str | None = None):
        from tracegrad import initializers

        if _is_array(initializer):
            if shape is not None and tuple(shape) != initializer.shape:
                raise ValueError(f'Parameter: the initial array has shape {initializer.shape}, '
                                 f'but shape={tuple(shape)} was given')
            data = initializer
            init = initializers.Constant(initializer)
        else:
            # Unlike links (LeCunNormal by default), a bare Parameter is NaN-filled.
            init = (initializers.NaN() if initializer is None
                    else initializers._get_initializer(initializer))
            data = None if shape is None else initializers.generate_array(init, shape, numpy)
        super().__init__(data, name=name)
        self.initializer = init
        self.update_rule = None
        self._initial_device = backend.CpuDevice()

    @property
    def dtype(self):
        if self._data is not None:
            return self._data.dtype
        dtype = getattr(self.initializer, 'dtype', None)
        return numpy.dtype(dtype if dtype is not None else config.dtype)

    @property
    def is_initialized(self) -> bool:
        return self._data is not None

    def initialize(self, shape) -> None:
        """Allocate the array of ``shape`` with the initializer; the grad starts as None."""
        from tracegrad import initializers

        device = self._initial_device
        data = initializers.generate_array(self.initializer, shape, numpy)
        self.array = device.send(data)
        self._grad_var = None

    def to_device(self, device) -> None:
        device = backend.get_device(device)
        if self._data is None:
            self._initial_device = device
        super().to_device(device)

    def update(self) -> None:
        """Update the array with its update rule (set by an optimizer)."""
        if self.update_rule is not None:
            self.update_rule.update(self)


def as_variable(obj) -> Variable:
    """Return ``obj`` if it is a Variable, else wrap the array in one (``requires_grad=False``).

    >>> tracegrad.as_variable(np.zeros(2, np.float32)).requires_grad
    False
    """
    if isinstance(obj, Variable):
        return obj
    _check_array('as_variable', 'the argument', obj)
    return Variable(obj, requires_grad=False)


def as_array(obj):
    """Return the array of a Variable, or the argument itself if it is an array."""
    if isinstance(obj, Variable):
        return obj.array
    return obj


# backprop imports this module, so it is bound last; a function-level import in
# Variable.backward would cost a module lookup on every call.
from tracegrad import backprop as _backprop

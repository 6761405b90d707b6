"""The IR: a typed SSA graph of primitive operations with static shapes.

A :class:`Graph` has named inputs, a topologically ordered list of
:class:`Node` s, and outputs. Every :class:`Value` has a shape and a dtype
and is produced by one node (or is a graph input). The text form
(:meth:`Graph.to_text` / :func:`parse`) round-trips::

    graph(%0: f32[2,3] x, %1: f32[3] b) {
      %2: f32[2,3] = add(%0, %1)
      return %2
    }
"""
from __future__ import annotations

import ast
import re
import threading
from collections.abc import Iterable, Sequence
from typing import Any

import numpy

# dtype name -> short text form
DTYPE_SHORT = {'bool': 'b1', 'int8': 'i8', 'uint8': 'u8', 'int32': 'i32', 'int64': 'i64',
               'float16': 'f16', 'float32': 'f32', 'float64': 'f64'}
SHORT_DTYPE = {v: k for k, v in DTYPE_SHORT.items()}


class IRError(Exception):
    """A malformed graph or an invalid operation on IR values."""


def dtype_name(dtype: Any) -> str:
    name = numpy.dtype(dtype).name
    if name not in DTYPE_SHORT:
        raise IRError(f'unsupported dtype {name}; supported: {", ".join(DTYPE_SHORT)}')
    return name


class Value:
    """An SSA value: a tensor of static ``shape`` and ``dtype`` (a NumPy dtype name)."""

    __slots__ = ('dtype', 'id', 'name', 'producer', 'shape')

    def __init__(self, id: int, shape: Sequence[int], dtype: Any, producer=None, name=None):
        self.id = id
        self.shape = tuple(int(s) for s in shape)
        self.dtype = dtype_name(dtype)
        self.producer = producer
        self.name = name

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        n = 1
        for s in self.shape:
            n *= s
        return n

    @property
    def itemsize(self) -> int:
        return numpy.dtype(self.dtype).itemsize

    @property
    def type_text(self) -> str:
        return f'{DTYPE_SHORT[self.dtype]}[{",".join(map(str, self.shape))}]'

    def __repr__(self) -> str:
        return f'%{self.id}'


class Node:
    """One primitive application: ``outputs = op(*inputs, **attrs)``."""

    __slots__ = ('attrs', 'inputs', 'op', 'outputs')

    def __init__(self, op: str, inputs: Sequence[Value], attrs: dict, outputs: Sequence[Value]):
        self.op = op
        self.inputs = list(inputs)
        self.attrs = dict(attrs)
        self.outputs = list(outputs)

    def __repr__(self) -> str:
        return f'<Node {self.op} {self.outputs} <- {self.inputs}>'


class Graph:
    """A typed SSA graph. Build it with :meth:`input` and :meth:`add`."""

    def __init__(self):
        self.inputs: list[Value] = []
        self.outputs: list[Value] = []
        self.nodes: list[Node] = []
        self._next_id = 0

    # -- building --
    def _new_value(self, shape, dtype, producer=None, name=None) -> Value:
        v = Value(self._next_id, shape, dtype, producer, name)
        self._next_id += 1
        return v

    def input(self, shape: Sequence[int], dtype: Any, name: str | None = None) -> Value:
        """Add a graph input."""
        v = self._new_value(shape, dtype, name=name)
        self.inputs.append(v)
        return v

    def add(self, op: str, inputs: Sequence[Value], **attrs) -> Value | tuple:
        """Append ``op(*inputs, **attrs)``; returns its output (or tuple of outputs)."""
        from codegen.primitives import get_primitive

        prim = get_primitive(op)
        attrs = prim.normalize(inputs, attrs)
        types = prim.infer(inputs, attrs)
        node = Node(op, inputs, attrs, [])
        node.outputs = [self._new_value(shape, dtype, node) for shape, dtype in types]
        self.nodes.append(node)
        return node.outputs[0] if len(node.outputs) == 1 else tuple(node.outputs)

    def set_outputs(self, values: Iterable[Value]) -> None:
        self.outputs = list(values)

    # -- queries --
    def users(self) -> dict:
        """Map value id -> list of nodes that read it."""
        users: dict = {}
        for node in self.nodes:
            for v in node.inputs:
                users.setdefault(v.id, []).append(node)
        return users

    def validate(self) -> None:
        """Check SSA order and types; raise IRError on the first problem."""
        from codegen.primitives import get_primitive

        defined = {v.id for v in self.inputs}
        for node in self.nodes:
            for v in node.inputs:
                if v.id not in defined:
                    raise IRError(f'{node.op}: input {v} is used before it is defined')
            types = get_primitive(node.op).infer(node.inputs, node.attrs)
            got = [(o.shape, o.dtype) for o in node.outputs]
            if [(tuple(s), dtype_name(d)) for s, d in types] != got:
                raise IRError(f'{node.op}: outputs {got} do not match inferred {types}')
            for o in node.outputs:
                defined.add(o.id)
        for v in self.outputs:
            if v.id not in defined:
                raise IRError(f'graph output {v} is not defined')

    # -- text form --
    def to_text(self) -> str:
        def fmt_value(v: Value) -> str:
            return f'{v}: {v.type_text}'

        head = ', '.join(fmt_value(v) + (f' {v.name}' if v.name else '') for v in self.inputs)
        lines = [f'graph({head}) {{']
        for node in self.nodes:
            outs = ', '.join(fmt_value(o) for o in node.outputs)
            args = ', '.join(map(repr, node.inputs))
            attrs = ''
            if node.attrs:
                attrs = ' {' + ', '.join(f'{k}={_fmt_attr(v)}' for k, v in
                                         sorted(node.attrs.items())) + '}'
            lines.append(f'  {outs} = {node.op}({args}){attrs}')
        lines.append('  return ' + ', '.join(map(repr, self.outputs)))
        lines.append('}')
        return '\n'.join(lines)

    def __str__(self) -> str:
        return self.to_text()


def _fmt_attr(v: Any) -> str:
    if isinstance(v, float):
        return repr(float(v))
    return repr(v)


_TYPE_RE = re.compile(r'%(\d+): (\w+)\[([\d,]*)\](?: ([^,\s)]+))?')
_NODE_RE = re.compile(r'^\s*(?P<outs>.*?) = (?P<op>\w+)\((?P<args>[^)]*)\)(?: \{(?P<attrs>.*)\})?$')


def _parse_type(short: str, dims: str) -> tuple:
    if short not in SHORT_DTYPE:
        raise IRError(f'parse: unknown dtype {short!r}')
    shape = tuple(int(d) for d in dims.split(',') if d)
    return shape, SHORT_DTYPE[short]


def _literal(node: ast.AST) -> Any:
    """A Python literal, plus the non-finite floats ``inf`` and ``nan`` that repr writes."""
    if isinstance(node, ast.Name) and node.id in ('inf', 'nan'):
        return float(node.id)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_literal(node.operand)
    if isinstance(node, (ast.Tuple, ast.List)):
        return tuple(_literal(e) for e in node.elts)
    return ast.literal_eval(node)


# CPython 3.11's ast module is not safe to use from several threads at once (it fails
# with "AST constructor recursion depth mismatch"); backends build in parallel.
_ast_lock = threading.Lock()


def _parse_attrs(text: str) -> dict:
    if not text:
        return {}
    with _ast_lock:
        call = ast.parse(f'f({text})', mode='eval').body
        return {kw.arg: _literal(kw.value) for kw in call.keywords}


def parse(text: str) -> Graph:
    """Parse the text form of :meth:`Graph.to_text` back into a graph."""
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    if not lines or not lines[0].startswith('graph(') or lines[-1].strip() != '}':
        raise IRError('parse: expected "graph(...) {" ... "}"')
    g = Graph()
    values: dict[int, Value] = {}
    for m in _TYPE_RE.finditer(lines[0]):
        shape, dtype = _parse_type(m.group(2), m.group(3))
        v = Value(int(m.group(1)), shape, dtype, name=m.group(4))
        g.inputs.append(v)
        values[v.id] = v
    for line in lines[1:-1]:
        line = line.rstrip()
        if line.strip().startswith('return'):
            names = line.strip()[len('return'):].strip()
            g.outputs = [values[int(n.strip()[1:])] for n in names.split(',') if n.strip()]
            continue
        m = _NODE_RE.match(line)
        if not m:
            raise IRError(f'parse: cannot read line {line.strip()!r}')
        args = [values[int(a.strip()[1:])] for a in m.group('args').split(',') if a.strip()]
        node = Node(m.group('op'), args, _parse_attrs(m.group('attrs') or ''), [])
        for om in _TYPE_RE.finditer(m.group('outs')):
            shape, dtype = _parse_type(om.group(2), om.group(3))
            v = Value(int(om.group(1)), shape, dtype, producer=node)
            node.outputs.append(v)
            values[v.id] = v
        g.nodes.append(node)
    g._next_id = max(values, default=-1) + 1
    g.validate()
    return g

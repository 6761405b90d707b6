"""What the C and CUDA backends share: index arithmetic over contiguous arrays and
the walk that turns a fusion node's body graph into per-element expressions.

Both backends iterate a fusion group's shape with one index expression per axis
and read every body value at its (broadcast, transposed, sliced, reshaped) index.
They differ only in spelling, which a :class:`Dialect` holds: type names, how
literals are written, and which expression column of the primitive table
(``c_expr`` or ``cuda_expr``) an elementwise op uses. Loop nests, launch shapes
and reduction strategies stay in each backend's renderer.
"""
from __future__ import annotations

import math
import re

from codegen.cache import BuildError
from codegen.ir import Graph, Value
from codegen.primitives import get_primitive
from codegen.render import render

REDUCTIONS = ('sum', 'max', 'min')
# read at another index of their one input: no arithmetic, no memory of their own
REINDEXING = frozenset({'broadcast_to', 'transpose', 'slice', 'reshape'})
# How a reduction folds value {v} into accumulator {a}; max and min keep a NaN once seen.
COMBINE = {'sum': '{a} + {v}',
           'max': '(({v}) > ({a}) || ({v}) != ({v})) ? ({v}) : ({a})',
           'min': '(({v}) < ({a}) || ({v}) != ({v})) ? ({v}) : ({a})'}


class Dialect:
    """How one target language spells types, literals and elementwise expressions."""

    def __init__(self, name: str, types: dict, expr_column: str, restrict: str, nan: str,
                 inf: str, true: str, false: str, int_suffix: str, function_qualifier: str,
                 local_types: dict | None = None):
        self.name = name                # for messages: 'C', 'CUDA'
        self.types = types              # dtype name -> type name
        self.local_types = local_types or {}  # where a local differs from the array element
        self.expr_column = expr_column  # Primitive attribute holding the expression template
        self.restrict = restrict
        self.nan, self.inf = nan, inf
        self.true, self.false = true, false
        self.int_suffix = int_suffix    # after integer literals: 'LL' keeps 64-bit values exact
        self.function_qualifier = function_qualifier  # of helper functions the kernels call

    def ctype(self, dtype: str) -> str:
        try:
            return self.types[dtype]
        except KeyError:
            raise BuildError(f'the {self.name} backend does not support dtype {dtype}') from None

    def local_ctype(self, dtype: str) -> str:
        """The type of a local holding one element of ``dtype`` inside a kernel."""
        return self.local_types.get(dtype) or self.ctype(dtype)

    def literal(self, value, dtype: str) -> str:
        if dtype in ('float32', 'float64'):
            f = float(value)
            if math.isnan(f):
                return self.nan
            if f in (float('inf'), float('-inf')):
                return self.inf if f > 0 else f'(-{self.inf})'
            return repr(f) + ('f' if dtype == 'float32' else '')
        if dtype == 'bool':
            return self.true if value else self.false
        return f'(({self.ctype(dtype)}){int(value)}{self.int_suffix})'


def special_functions(dialect: Dialect, kernels: list) -> str:
    """The helper functions of templates/common/special_functions.j2 (tg_sf_*) in
    ``dialect``'s spelling when one of the rendered ``kernels`` calls one, else ''."""
    if not any('tg_sf_' in k for k in kernels):
        return ''
    return render('common/special_functions.j2', qualifier=dialect.function_qualifier,
                  inf=dialect.inf, nan=dialect.nan)


def size(shape) -> int:
    n = 1
    for s in shape:
        n *= s
    return n


def strides(shape: tuple) -> list:
    """Row-major strides (in elements) of a contiguous array of ``shape``."""
    result = [1] * len(shape)
    for d in range(len(shape) - 2, -1, -1):
        result[d] = result[d + 1] * shape[d + 1]
    return result


def offset(index: list, shape: tuple) -> str:
    """Flat offset of a contiguous array of ``shape`` at index expressions ``index``."""
    terms = []
    for idx, stride, extent in zip(index, strides(shape), shape):
        if extent == 1 or idx == '0':
            continue
        terms.append(idx if stride == 1 else f'{idx} * {stride}')
    return ' + '.join(terms) if terms else '0'


def outer_inner(shape: tuple, axis: int) -> tuple[int, int]:
    """(elements before, elements after) ``axis``: the geometry of a gather along it."""
    return size(shape[:axis]), size(shape[axis + 1:])


def concat_parts(node) -> tuple[int, list, int]:
    """A concat seen as rows: (rows, [{'offset', 'size'}] of each input within a row,
    row length), all in elements."""
    out = node.outputs[0]
    axis = node.attrs['axis']
    rows, inner = outer_inner(out.shape, axis)
    parts, start = [], 0
    for v in node.inputs:
        part = v.shape[axis] * inner
        parts.append({'offset': start, 'size': part})
        start += part
    return rows, parts, start


def operand_index(u: Value, out_shape: tuple, index: tuple) -> tuple:
    """Broadcasting: right-align u's dims with the output's; size-1 dims read index 0."""
    lead = len(out_shape) - u.ndim
    return tuple('0' if u.shape[d] == 1 else index[d + lead] for d in range(u.ndim))


def slice_index(node, index: tuple) -> tuple:
    """The index into a slice's input of the element at ``index`` of its output."""
    inner = []
    for idx, b, s in zip(index, node.attrs['begin'], node.attrs['step']):
        if idx == '0':
            inner.append(str(b))
        elif s == 1:
            inner.append(idx if b == 0 else f'({idx} + {b})')
        else:
            inner.append(f'({b} + {idx} * {s})' if b else f'({idx} * {s})')
    return tuple(inner)


def reshape_groups(src: tuple, dst: tuple) -> list:
    """Pair the axes of ``src`` and ``dst`` (one array reshaped) into the smallest runs of
    equal size: [(src axes, dst axes)]. Axes of length 1 belong to no run."""
    s_axes = [d for d, n in enumerate(src) if n != 1]
    d_axes = [d for d, n in enumerate(dst) if n != 1]
    groups, i, j = [], 0, 0
    while i < len(s_axes) and j < len(d_axes):
        gs, gd = [s_axes[i]], [d_axes[j]]
        ps, pd = src[s_axes[i]], dst[d_axes[j]]
        i, j = i + 1, j + 1
        while ps != pd:
            if ps < pd:
                gs.append(s_axes[i])
                ps *= src[s_axes[i]]
                i += 1
            else:
                gd.append(d_axes[j])
                pd *= dst[d_axes[j]]
                j += 1
        groups.append((gs, gd))
    return groups


def take_along_axis_indices(x: Value, idx: Value, axis: int, index: list) -> tuple[list, list]:
    """Indices into ``x`` (``axis`` left at 0: the kernel adds the gathered index) and into
    ``idx`` at output index ``index``; both broadcast over size-1 dims."""
    x_index = ['0' if (d == axis or x.shape[d] == 1) else index[d] for d in range(len(index))]
    idx_index = ['0' if idx.shape[d] == 1 else index[d] for d in range(len(index))]
    return x_index, idx_index


def reduced_index(red, axes, index: tuple) -> list:
    """Where reduction node ``red`` over ``axes`` stores the element at iteration ``index``."""
    if red.attrs['keepdims']:
        return ['0' if d in axes else i for d, i in enumerate(index)]
    return [i for d, i in enumerate(index) if d not in axes]


# the numbers, names and one-character operators of an index expression
_TOKEN = re.compile(r'\s*(?:(\d+)|([A-Za-z_]\w*)|(.))')


def _linear(index: str) -> tuple[str, int, int] | None:
    """(loop counter, scale, shift) of an index that is ``scale * counter + shift`` as
    index expressions spell it (``((i2_1 + 2) - 1)``, ``(1 + i3 * 2)``), else None."""
    tokens = [m.groups() for m in _TOKEN.finditer(index)]
    pos = 0

    def peek():
        return tokens[pos][2] if pos < len(tokens) else None

    def factor():   # a form: {counter or '': coefficient}
        nonlocal pos
        number, name, op = tokens[pos] if pos < len(tokens) else (None, None, None)
        pos += 1
        if number is not None:
            return {'': int(number)}
        if name is not None:
            return {name: 1}
        if op == '-':
            return {v: -c for v, c in factor().items()}
        if op == '(':
            form = expr()
            if peek() != ')':
                raise ValueError(index)
            pos += 1
            return form
        raise ValueError(index)

    def term():
        nonlocal pos
        form = factor()
        while peek() == '*':
            pos += 1
            other = factor()
            if set(form) - {''} and set(other) - {''}:
                raise ValueError(index)   # counter times counter
            k, f = (form, other) if set(form) == {''} else (other, form)
            form = {v: c * k[''] for v, c in f.items()}
        return form

    def expr():
        nonlocal pos
        form = term()
        while peek() in ('+', '-'):
            sign = 1 if peek() == '+' else -1
            pos += 1
            for v, c in term().items():
                form[v] = form.get(v, 0) + sign * c
        return form

    try:
        form = expr()
    except (ValueError, IndexError):
        return None
    counters = [v for v, c in form.items() if v and c]
    if pos != len(tokens) or len(counters) != 1:
        return None
    return counters[0], form[counters[0]], form.get('', 0)


def _ceil_div(p: int, q: int) -> int:
    return -(-p // q)


class FusionBody:
    """The expression walker of one fusion node: each body value at an index becomes a
    local (``const T vN = ...;``, collected in ``statements``) or a literal.

    A backend subclasses it, sets ``dialect`` and writes ``render`` (its loop nest or
    kernel around ``statements``)."""

    dialect: Dialect
    index_type = 'long'  # of the index locals (the CUDA backend uses 32 bits where it can)

    def __init__(self, name: str, body: Graph):
        self.name = name
        self.body = body
        self.producer = {o.id: n for n in body.nodes for o in n.outputs}
        self.input_index = {v.id: k for k, v in enumerate(body.inputs)}
        self.statements: list = []
        self.memo: dict = {}
        self.index_memo: dict = {}
        self.counter = 0
        # Set by a backend that shapes its loops after the body (the C backend):
        self.loop_vars: frozenset = frozenset()  # the names of loop counters
        self.factors: dict = {}   # loop var -> [(factor var, extent, stride)], outermost first
        self.ranges: dict = {}    # loop var -> (lo, hi) it runs over in the loop being rendered
        # A probe's record of what would simplify the body (None when not probing):
        # {'split': {var: {stride}}, 'concat': {var: {piece start}}, 'pad': {var: {bound}}}
        self.requests: dict | None = None

    def iteration(self) -> tuple[tuple, tuple | None]:
        """(shape iterated, reduced axes or None): a reduction's input shape, else the
        shape of the body's outputs (a group's values share one shape; the reads it took in
        may have others, such as a slice before a reshape)."""
        reductions = [n for n in self.body.nodes if n.op in REDUCTIONS]
        if reductions:
            return reductions[0].inputs[0].shape, tuple(reductions[0].attrs['axes'])
        return max((o.shape for o in self.body.outputs), key=len), None

    def param_list(self) -> list:
        """[(C type, name)]: the body's inputs ``in{k}``, then its outputs ``out{k}``."""
        ctype = self.dialect.ctype
        return [(f'const {ctype(v.dtype)}*', f'in{k}') for k, v in enumerate(self.body.inputs)] \
            + [(f'{ctype(o.dtype)}*', f'out{k}') for k, o in enumerate(self.body.outputs)]

    def params(self) -> list:
        """The parameter declarations, every pointer marked ``restrict``."""
        return [f'{t} {self.dialect.restrict} {n}' for t, n in self.param_list()]

    def reduction(self, o: Value):
        """The reduction node producing body output ``o``, or None."""
        node = self.producer.get(o.id)
        return node if node is not None and node.op in REDUCTIONS else None

    def store(self, k: int, o: Value, index: tuple) -> str:
        """The statement writing body output ``k`` (not a reduction) at ``index``."""
        ndim = len(index)
        expr = self.value(o, index[ndim - o.ndim:])
        return f'out{k}[{offset(list(index[ndim - o.ndim:]), o.shape)}] = {expr};'

    def fresh(self) -> str:
        self.counter += 1
        return f'v{self.counter}'

    def value(self, v: Value, index: tuple) -> str:
        """An expression (usually a local) for body value ``v`` at ``index``."""
        key = (v.id, index)
        if key in self.memo:
            return self.memo[key]
        if v.id in self.input_index:
            where = offset(list(index), v.shape)
            result = self.bind(v.dtype, f'in{self.input_index[v.id]}[{where}]')
        else:
            result = self._node(self.producer[v.id], v, index)
        self.memo[key] = result
        return result

    def reshape_index(self, u: Value, shape: tuple, index: tuple) -> tuple:
        """The index into ``u`` of the element at ``index`` of ``u`` reshaped to ``shape``:
        axes map one to one where they can, else through the offset within the smallest
        run of axes of equal size (merged or split axes), not through the whole array's
        flat offset."""
        if 0 in u.shape:
            return ('0',) * u.ndim
        inner = ['0'] * u.ndim
        for src_axes, dst_axes in reshape_groups(u.shape, shape):
            if len(src_axes) == 1 and len(dst_axes) == 1:
                inner[src_axes[0]] = index[dst_axes[0]]
                continue
            flat = self.bind_index(offset([index[d] for d in dst_axes],
                                          tuple(shape[d] for d in dst_axes)))
            if len(src_axes) > 1 and flat in self.loop_vars:
                digits = self.split_loop_var(flat, [u.shape[d] for d in src_axes])
                if digits is not None:
                    for d, digit in zip(src_axes, digits):
                        inner[d] = digit
                    continue
            stride = 1
            for d in reversed(src_axes):
                n = u.shape[d]
                inner[d] = flat if len(src_axes) == 1 else (
                    f'({flat} % {n})' if stride == 1 else
                    f'({flat} / {stride})' if d == src_axes[0] else f'({flat} / {stride} % {n})')
                stride *= n
        return tuple(inner)

    def split_loop_var(self, var: str, sizes: list) -> list | None:
        """Loop counter ``var`` read as the digits of a mixed-radix number of ``sizes``
        (a reshape that splits one axis into several): one index expression per digit
        from the loop's factors, so no division is left in the loop; None where the loop
        is not split that way (the caller divides)."""
        strides = [size(sizes[k + 1:]) for k in range(len(sizes))]
        if self.requests is not None:
            self.requests['split'].setdefault(var, set()).update(s for s in strides if s > 1)
        factors = self.factors.get(var)
        if not factors:
            return None
        digits = []
        for stride, n in zip(strides, sizes):
            covering = [(name, extent, f_stride) for name, extent, f_stride in factors
                        if f_stride >= stride and f_stride * extent <= stride * n]
            if size([extent for _, extent, _ in covering]) != n:
                return None
            terms = [name if f_stride == stride else f'{name} * {f_stride // stride}'
                     for name, _, f_stride in covering]
            digits.append(terms[0] if len(terms) == 1 else f'({" + ".join(terms)})')
        return digits

    def bind_index(self, expr: str) -> str:
        """A local for an index expression (computed once; index arithmetic reads no
        memory, so it may run whether or not the read it serves happens)."""
        if expr.isidentifier() or expr.isdigit():
            return expr
        name = self.index_memo.get(expr)
        if name is None:
            self.counter += 1
            name = self.index_memo[expr] = f'j{self.counter}'
            self.statements.append(f'const {self.index_type} {name} = {expr};')
        return name

    def read(self, v: Value, index: tuple) -> str:
        """An expression for ``v`` at ``index`` that only reads memory where its array
        has the element: ``v`` is a body input or made from them by reads alone (literals,
        re-indexing, reshape, pad, concat)."""
        if v.id in self.input_index:
            return f'in{self.input_index[v.id]}[{offset(list(index), v.shape)}]'
        node = self.producer[v.id]
        op = node.op
        if op in ('fill', 'iota'):
            return self._node(node, v, index)
        if op in REINDEXING:
            return self.read(node.inputs[0], self.inner_index(node, v, index))
        u = node.inputs[0]
        if op == 'pad':
            conds, inner = [], []
            value = self.dialect.literal(node.attrs['value'], v.dtype)
            for i, (lo, hi), n in zip(index, node.attrs['pad_width'], u.shape):
                inner.append(f'({i} - {lo})' if lo else i)
                if not (lo or hi):
                    continue
                inside = self.inside(i, lo, lo + n)
                if inside is False:
                    return value
                if inside is None:
                    conds.append(f'{i} >= {lo} && {i} < {lo + n}' if lo else f'{i} < {n}')
            if not conds:
                return self.read(u, tuple(inner))
            return f'(({" && ".join(conds)}) ? {self.read(u, tuple(inner))} : {value})'
        if op == 'concat':
            axis = node.attrs['axis']
            at = index[axis]
            pieces, start = [], 0
            for w in node.inputs:
                if w.shape[axis]:
                    pieces.append((start, w))
                start += w.shape[axis]
            if self.requests is not None and at in self.loop_vars:
                self.requests['concat'].setdefault(at, set()).update(s for s, _ in pieces)
            lo, hi = self.ranges.get(at, (0, start))
            # only the pieces the loop being rendered reaches (all of them unless it is split
            # at the pieces' starts; all of them too where it reaches none: a pad around the
            # concat guards this read, and it never happens)
            pieces = [(b, w) for b, w in pieces if b < hi and b + w.shape[axis] > lo] or pieces
            parts = []
            for b, w in pieces:
                shifted = list(index)
                shifted[axis] = f'({at} - {b})' if b else at
                parts.append((b + w.shape[axis], self.read(w, tuple(shifted))))
            expr = parts[-1][1]
            for end, part in reversed(parts[:-1]):
                expr = f'({at} < {end} ? {part} : {expr})'
            return expr
        raise BuildError(f'the {self.dialect.name} backend cannot read {op} at an index '
                         f'(only reads of inputs, literals, re-indexing, pad and concat)')

    def inside(self, index: str, lo: int, hi: int) -> bool | None:
        """Whether index expression ``index`` lies in [lo, hi) wherever the loop being
        rendered runs (True or False), or None when that depends on the element. A probe
        records where a loop would have to be cut for it to be known."""
        linear = _linear(index)
        if linear is None or linear[0] not in self.loop_vars:
            return None
        var, scale, shift = linear
        # the counter values [start, stop) for which scale * counter + shift is in [lo, hi)
        if scale > 0:
            start, stop = _ceil_div(lo - shift, scale), _ceil_div(hi - shift, scale)
        else:
            start, stop = (shift - hi) // -scale + 1, (shift - lo) // -scale + 1
        if self.requests is not None:
            self.requests['pad'].setdefault(var, set()).update((start, stop))
        first, end = self.ranges.get(var, (None, None))
        if first is None:
            return None
        if start <= first and end <= stop:
            return True
        if end <= start or first >= stop:
            return False
        return None

    def inner_index(self, node, v: Value, index: tuple) -> tuple:
        """The index into the input of ``node`` (one of REINDEXING, making ``v``) of the
        element of ``v`` at ``index``."""
        u = node.inputs[0]
        if node.op == 'broadcast_to':
            return operand_index(u, v.shape, index)
        if node.op == 'transpose':
            inner = [None] * u.ndim
            for k, axis in enumerate(node.attrs['axes']):
                inner[axis] = index[k]
            return tuple(inner)
        if node.op == 'slice':
            return slice_index(node, index)
        return self.reshape_index(u, v.shape, index)

    def bind(self, dtype: str, expr: str) -> str:
        name = self.fresh()
        self.statements.append(f'const {self.dialect.local_ctype(dtype)} {name} = {expr};')
        return name

    def _node(self, node, v: Value, index: tuple) -> str:
        op = node.op
        dialect = self.dialect
        if op == 'fill':
            return dialect.literal(node.attrs['value'], v.dtype)
        if op == 'iota':
            return f'(({dialect.ctype(v.dtype)}){index[node.attrs["axis"]]})'
        if op in REINDEXING:
            return self.value(node.inputs[0], self.inner_index(node, v, index))
        if op in ('pad', 'concat'):
            # conditional reads: computed as one expression, so that no read happens at an
            # index that is outside its array (codegen.passes.fuse only lets reads in here)
            return self.bind(v.dtype, self.read(v, index))
        prim = get_primitive(op)
        if prim.kind != 'elementwise':
            raise BuildError(f'the {dialect.name} backend cannot fuse {op}')
        args = [self.value(u, operand_index(u, v.shape, index)) for u in node.inputs]
        src_dtype = node.inputs[1].dtype if op == 'where' else (
            node.inputs[0].dtype if node.inputs else v.dtype)
        expr = getattr(prim, dialect.expr_column).format(
            *args, f='f' if src_dtype == 'float32' else '', t=dialect.ctype(v.dtype))
        if op == 'cast' and v.dtype == 'bool':
            expr = f'(({args[0]}) != 0)'
        elif op == 'cast' and src_dtype == 'bool':
            # a choice, not a conversion: gcc vectorises `(x > 0) ? 1.0f : 0.0f` (a ReLU's
            # mask) but not the same comparison converted to float
            expr = f'({args[0]} ? {dialect.literal(1, v.dtype)} : {dialect.literal(0, v.dtype)})'
        return self.bind(v.dtype, expr)

"""``einsum`` (Einstein summation) and ``tensordot``, as transposes, reshapes, sums and GEMMs.

An einsum is evaluated without ``xp.einsum``, so that it traces into IR primitives:
repeated subscripts of one operand take a diagonal (a reshape and a strided slice),
subscripts that appear in one operand only are summed, and operands are contracted
pairwise, left to right, as one (batched) matrix product each. The general form
:class:`EinSum` also allows output subscripts that are repeated (the result has
that diagonal, zero elsewhere) or that no operand has (the result is broadcast
along them, sized by ``out_shape``), so the gradient of an einsum is again an einsum.
"""
from __future__ import annotations

import math
import numbers

from tracegrad.backend import get_array_module
from tracegrad.function_node import FunctionNode
from tracegrad.utils import type_check
from tracegrad.variable import Variable

__all__ = ['einsum', 'tensordot']

# The subscript letters, in the order that integer sublist labels 0, 1, ... name them.
_LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
_ELLIPSIS = '@'  # stands for '...' while parsing (one character)


def _take_diagonals(xp, x, sub: str):
    """``x`` with each repeated subscript of ``sub`` reduced to its diagonal."""
    while len(set(sub)) != len(sub):
        c = next(ch for ch in sub if sub.count(ch) > 1)
        keep = [i for i, ch in enumerate(sub) if ch != c]
        same = [i for i, ch in enumerate(sub) if ch == c]
        n, k = x.shape[same[0]], len(same)
        x = xp.transpose(x, keep + same)
        x = x.reshape(tuple(x.shape[:len(keep)]) + (n ** k,))
        # In the flattened n**k block, element (i, i, ..., i) sits at i * (1 + n + ... n**(k-1)).
        step = sum(n ** j for j in range(k))
        x = x[(slice(None),) * len(keep) + (slice(None, None, step),)]
        sub = ''.join(sub[i] for i in keep) + c
    return x, sub


def _sum_letters(xp, x, sub: str, drop):
    """Sum ``x`` over the axes whose subscripts are in ``drop``."""
    axes = tuple(i for i, c in enumerate(sub) if c in drop)
    if not axes:
        return x, sub
    return xp.sum(x, axis=axes), ''.join(c for c in sub if c not in drop)


def _contract_pair(xp, a, sa: str, b, sb: str, keep, sizes):
    """Product of two terms, summed over the shared subscripts not in ``keep``."""
    batch = [c for c in sa if c in sb and c in keep]
    inner = [c for c in sa if c in sb and c not in keep]
    free_a = [c for c in sa if c not in sb]
    free_b = [c for c in sb if c not in sa]
    bsz = tuple(sizes[c] for c in batch)
    m, k, n = (math.prod(sizes[c] for c in free_a), math.prod(sizes[c] for c in inner),
               math.prod(sizes[c] for c in free_b))
    a = xp.transpose(a, [sa.index(c) for c in batch + free_a + inner]).reshape(bsz + (m, k))
    b = xp.transpose(b, [sb.index(c) for c in batch + inner + free_b]).reshape(bsz + (k, n))
    y = xp.matmul(a, b)
    out = batch + free_a + free_b
    return y.reshape(tuple(sizes[c] for c in out)), ''.join(out)


def _place_output(xp, y, sub: str, out_sub: str, sizes):
    """Arrange ``y`` (distinct subscripts ``sub``, all in ``out_sub``) as ``out_sub``."""
    unique = ''.join(c for i, c in enumerate(out_sub) if out_sub.index(c) == i)
    present = [c for c in unique if c in sub]
    y = xp.transpose(y, [sub.index(c) for c in present])
    # Subscripts missing from y, and repeated ones, start as axes of length one.
    y = y.reshape(tuple(sizes[c] if c in sub and out_sub.index(c) == i else 1
                        for i, c in enumerate(out_sub)))
    shape = tuple(sizes[c] for c in out_sub)
    for i, c in enumerate(out_sub):
        first = out_sub.index(c)
        if first == i:
            continue
        # The repeated axis holds y only where its index equals that of the first one.
        n = sizes[c]
        ar = xp.arange(n)
        row = [1] * len(out_sub)
        col = [1] * len(out_sub)
        row[first] = n
        col[i] = n
        y = y * (ar.reshape(row) == ar.reshape(col)).astype(y.dtype)
    if y.shape != shape:
        y = xp.broadcast_to(y, shape)
    return y


def _evaluate(xp, in_subs: str, out_sub: str, inputs, sizes):
    terms = [_take_diagonals(xp, x, s) for x, s in zip(inputs, in_subs.split(','))]
    while True:
        # A subscript that no other term and not the output has is summed right away.
        for i, (x, s) in enumerate(terms):
            others = out_sub + ''.join(t[1] for j, t in enumerate(terms) if j != i)
            terms[i] = _sum_letters(xp, x, s, [c for c in s if c not in others])
        if len(terms) == 1:
            break
        (a, sa), (b, sb) = terms[:2]
        keep = out_sub + ''.join(t[1] for t in terms[2:])
        terms[:2] = [_contract_pair(xp, a, sa, b, sb, keep, sizes)]
    y, sub = terms[0]
    return _place_output(xp, y, sub, out_sub, sizes)


class EinSum(FunctionNode):
    """Einstein summation over explicit single-letter subscripts (no ellipsis).

    Args:
        in_subs: the operands' subscripts, comma-separated (a letter may repeat
            within one operand: its diagonal is taken).
        out_sub: the output's subscripts; a letter may repeat, or be absent from
            every operand if ``out_shape`` gives its size.
        out_shape: the output shape (needed only for letters no operand has).
    """

    arg_names = None  # names of the inputs in type-check messages (x0, x1... if None)

    def __init__(self, in_subs: str, out_sub: str, out_shape: tuple | None = None):
        self.in_subs = in_subs
        self.out_sub = out_sub
        self.out_shape = out_shape

    def check_type_forward(self, in_types):
        subs = self.in_subs.split(',')
        type_check.expect(in_types.size() == len(subs))
        type_check._argname(in_types, self.arg_names or tuple(f'x{i}' for i in range(len(subs))))
        first = {}
        for i, (t, sub) in enumerate(zip(in_types, subs)):
            type_check.expect(t.dtype.kind == 'f', t.dtype == in_types[0].dtype,
                              t.ndim == len(sub))
            for axis, c in enumerate(sub):
                if c in first:
                    j, other = first[c]
                    type_check.expect(t.shape[axis] == in_types[j].shape[other])
                else:
                    first[c] = i, axis

    def _sizes(self, inputs) -> dict:
        sizes = {}
        if self.out_shape is not None:
            sizes.update(zip(self.out_sub, self.out_shape))
        for x, sub in zip(inputs, self.in_subs.split(',')):
            sizes.update(zip(sub, x.shape))
        return sizes

    def forward(self, inputs):
        self.retain_inputs(tuple(range(len(inputs))))
        xp = get_array_module(*inputs)
        return _evaluate(xp, self.in_subs, self.out_sub, inputs, self._sizes(inputs)),

    def backward(self, indexes, grad_outputs):
        inputs = self.get_retained_inputs()
        gy, = grad_outputs
        subs = self.in_subs.split(',')
        grads = []
        for i in indexes:
            # d out / d x_i contracts gy with every other operand, back to x_i's subscripts.
            g_subs = ','.join(self.out_sub if j == i else s for j, s in enumerate(subs))
            g_inputs = tuple(gy if j == i else x for j, x in enumerate(inputs))
            grads.append(EinSum(g_subs, subs[i], inputs[i].shape).apply(g_inputs)[0])
        return tuple(grads)


def _labels(sublist, what: str) -> str:
    out = ''
    for s in sublist:
        if s is Ellipsis:
            out += _ELLIPSIS
        elif isinstance(s, numbers.Integral) and not isinstance(s, bool) \
                and 0 <= s < len(_LETTERS):
            out += _LETTERS[s]
        else:
            raise TypeError(f'einsum: {what} must hold ints in [0, {len(_LETTERS)}) or '
                            f'Ellipsis, got {s!r}')
    return out


def _parse(operands):
    """(operand subscripts joined by ',', output subscripts or None, arrays);
    '...' becomes ``_ELLIPSIS``."""
    if not operands:
        raise ValueError('einsum: no operands given')
    if isinstance(operands[0], str):
        spec = operands[0].replace(' ', '')
        arrays = list(operands[1:])
        for ch in spec:
            if ch not in _LETTERS and ch not in '.,->':
                raise ValueError(f'einsum: {ch!r} is not a valid subscript (letters a-z, A-Z)')
        if ('-' in spec or '>' in spec) and not (
                spec.count('->') == spec.count('-') == spec.count('>') == 1):
            raise ValueError(f"einsum: the subscripts {spec!r} must have at most one '->'")
        spec = spec.replace('...', _ELLIPSIS)
        if '.' in spec:
            raise ValueError(f"einsum: a '.' that is not part of '...' in {operands[0]!r}")
        ins, _, out = spec.partition('->')
        out = out if '->' in spec else None
    else:
        args = list(operands)
        arrays = args[0:len(args) // 2 * 2:2]
        ins = ','.join(_labels(s, 'a sublist') for s in args[1:len(args) // 2 * 2:2])
        out = _labels(args[-1], 'the output sublist') if len(args) % 2 else None
    if len(ins.split(',')) != len(arrays):
        raise ValueError(f'einsum: {len(ins.split(","))} operand subscripts for '
                         f'{len(arrays)} operands')
    return ins, out, arrays


def _explicit(ins: str, out, arrays):
    """Replace ellipses by letters and settle the output subscripts."""
    subs = ins.split(',')
    if out is None:
        # Implicit output: '...' first, then the letters used once, in alphabetical order.
        flat = ins.replace(',', '')
        out = (_ELLIPSIS if _ELLIPSIS in flat else '') + ''.join(
            sorted(c for c in set(flat) if c != _ELLIPSIS and flat.count(c) == 1))
    for c in out:
        if c not in ins:
            c = '...' if c == _ELLIPSIS else c
            raise ValueError(f'einsum: output subscript {c!r} does not appear in the inputs')
        if out.count(c) > 1:
            raise ValueError(f'einsum: output subscript {c!r} appears more than once')
    n_ell = None
    for i, (sub, x) in enumerate(zip(subs, arrays)):
        if sub.count(_ELLIPSIS) > 1:
            raise ValueError(f"einsum: operand {i} has more than one '...'")
        if not hasattr(x, 'shape'):
            raise TypeError(f'einsum: operand {i} must be an array or a Variable, '
                            f'got {type(x).__name__}')
        named = len(sub) - sub.count(_ELLIPSIS)
        ndim = len(x.shape)
        if ndim < named or (_ELLIPSIS not in sub and ndim != named):
            raise ValueError(f'einsum: operand {i} has {ndim} dimensions but its '
                             f'subscripts {sub.replace(_ELLIPSIS, "...")!r} name {named}')
        if _ELLIPSIS in sub:
            if n_ell is not None and n_ell != ndim - named:
                raise ValueError(f"einsum: '...' stands for {n_ell} axes in one operand "
                                 f'and {ndim - named} in operand {i}; they must match')
            n_ell = ndim - named
    if n_ell is None:
        return ins, out
    if _ELLIPSIS not in out and n_ell:
        raise ValueError("einsum: summing over '...' is not supported; name those axes "
                         'with letters instead')
    free = [c for c in _LETTERS if c not in ins + out]
    letters = ''.join(free[:n_ell])
    return ins.replace(_ELLIPSIS, letters), out.replace(_ELLIPSIS, letters)


def einsum(*operands) -> Variable:
    """Einstein summation over the operands' axes.

    Two forms are accepted: ``einsum(subscripts, x0, x1, ...)``, and
    ``einsum(x0, sublist0, x1, sublist1, ..., [sublist_out])`` with integer
    axis labels (and ``Ellipsis``). Without ``->`` the output has the ``...``
    axes first, then the subscripts used once, alphabetically. A subscript
    repeated within one operand takes that operand's diagonal. ``...`` must stand
    for the same shape in every operand that has it and must appear in the
    output if it stands for any axes.

    Args:
        operands: the subscripts and operands, as described above. The operands
            are float arrays or Variables of one dtype.

    Returns:
        ~tracegrad.Variable: the result.

    .. admonition:: Example

        >>> x1 = np.arange(12).reshape(3, 4).astype(np.float32)
        >>> x2 = np.arange(15).reshape(3, 5).astype(np.float32)
        >>> w = np.arange(120).reshape(4, 5, 6).astype(np.float32)
        >>> y = F.einsum('ij,ik,jkl->il', x1, x2, w)
        >>> y.shape
        (3, 6)
        >>> np.allclose(y.array, F.einsum('...j,...k,jkl', x1, x2, w).array)
        True
        >>> y = F.einsum(x1, [0, 1], x2, [0, 2], w, [1, 2, 3], [0, 3])
        >>> y.shape
        (3, 6)
        >>> y = F.einsum(x1, [Ellipsis, 1], x2, [Ellipsis, 2], w, [1, 2, 3])
        >>> y.shape
        (3, 6)
    """
    ins, out, arrays = _parse(operands)
    ins, out = _explicit(ins, out, arrays)
    return EinSum(ins, out).apply(arrays)[0]


class TensorDot(EinSum):
    """A tensor dot product, as the einsum that pairs the summed axes."""

    arg_names = ('a', 'b')


def _tensordot_axes(axes, a_ndim: int, b_ndim: int):
    if isinstance(axes, numbers.Integral) and not isinstance(axes, bool):
        if not 0 <= axes <= min(a_ndim, b_ndim):
            raise ValueError(f'tensordot: axes={axes} must be between 0 and the smaller '
                             f'ndim of a ({a_ndim}) and b ({b_ndim})')
        return list(range(a_ndim - axes, a_ndim)), list(range(axes))
    if not isinstance(axes, (list, tuple)) or len(axes) != 2:
        raise TypeError(f'tensordot: axes must be an int or a pair of sequences of ints, '
                        f'got {axes!r}')
    pair = []
    for ax, ndim, name in zip(axes, (a_ndim, b_ndim), 'ab'):
        ax = list(ax) if isinstance(ax, (list, tuple)) else [ax]
        for i in ax:
            if not isinstance(i, numbers.Integral) or isinstance(i, bool):
                raise TypeError(f'tensordot: axes must be ints, got {i!r}')
            if not -ndim <= i < ndim:
                raise ValueError(f'tensordot: axis {i} is out of range for {name}.ndim={ndim}')
        ax = [int(i) % ndim for i in ax]
        if len(set(ax)) != len(ax):
            raise ValueError(f'tensordot: repeated axis in {axes!r} for {name}')
        pair.append(ax)
    if len(pair[0]) != len(pair[1]):
        raise ValueError(f'tensordot: axes {axes!r} pair {len(pair[0])} axes of a '
                         f'with {len(pair[1])} of b')
    return pair


def tensordot(a, b, axes=2) -> Variable:
    """Tensor dot product: sum of products over the paired axes of ``a`` and ``b``.

    Args:
        a (Variable or array): the first float array.
        b (Variable or array): the second, of the same dtype.
        axes (int or pair of sequences of int): an int ``n`` pairs the last
            ``n`` axes of ``a`` with the first ``n`` of ``b``; a pair of
            sequences lists the axes of ``a`` and of ``b`` to pair, in order.

    Returns:
        ~tracegrad.Variable: the product, with the unpaired axes of ``a``
        followed by those of ``b``.

    .. admonition:: Example

        >>> a = np.random.rand(5, 3, 2)
        >>> b = np.random.rand(3, 2, 4)
        >>> c = F.tensordot(a, b, axes=2)
        >>> c.shape
        (5, 4)
    """
    a_axes, b_axes = _tensordot_axes(axes, len(a.shape), len(b.shape))
    sa = list(_LETTERS[:len(a.shape)])
    sb = list(_LETTERS[len(a.shape):len(a.shape) + len(b.shape)])
    for i, j in zip(a_axes, b_axes):
        sb[j] = sa[i]
    out = [c for i, c in enumerate(sa) if i not in a_axes] + \
          [c for j, c in enumerate(sb) if j not in b_axes]
    return TensorDot(''.join(sa) + ',' + ''.join(sb), ''.join(out)).apply((a, b))[0]

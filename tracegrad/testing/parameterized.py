"""Parameter grids for test classes (Chainer's ``testing.parameterize``/``product``)."""
from __future__ import annotations

import itertools
import sys
from typing import Any


def _values_to_dicts(names: str, values) -> list:
    """``'a,b', [(1, 2), (3, 4)]`` -> ``[{'a': 1, 'b': 2}, {'a': 3, 'b': 4}]``."""
    keys = [n.strip() for n in names.split(',')]
    if len(keys) == 1:
        return [{keys[0]: v} for v in values]
    out = []
    for v in values:
        if not isinstance(v, (tuple, list)) or len(v) != len(keys):
            raise ValueError(f'product: {names!r} needs tuples of {len(keys)} values, got {v!r}')
        out.append(dict(zip(keys, v)))
    return out


def product(parameter: Any) -> list:
    """The cartesian product of parameter values.

    ``product({'a': [1, 2], 'b': [3]})`` gives ``[{'a': 1, 'b': 3}, {'a': 2, 'b': 3}]``;
    a joined key varies several names together (``{'shape,axis': [((2, 3), 0), ((4,), 0)]}``);
    ``product([[{'a': 1}], [{'b': 2}, {'b': 3}]])`` merges dicts from each list.

    >>> testing.product({'a': [1, 2], 'b': [3]})
    [{'a': 1, 'b': 3}, {'a': 2, 'b': 3}]
    >>> testing.product({'x,y': [(1, 2), (3, 4)]})
    [{'x': 1, 'y': 2}, {'x': 3, 'y': 4}]
    """
    if isinstance(parameter, dict):
        return product_dict(*[_values_to_dicts(k, v) for k, v in sorted(parameter.items())])
    if isinstance(parameter, (list, tuple)):
        return product_dict(*parameter)
    raise TypeError(f'product: expected a dict or a list of lists, got {type(parameter).__name__}')


def product_dict(*parameters: list) -> list:
    """Merge one dict from each list, for every combination."""
    result = []
    for combo in itertools.product(*parameters):
        merged: dict = {}
        for d in combo:
            merged.update(d)
        result.append(merged)
    return result


def _short(value: Any) -> str:
    if isinstance(value, type):
        return value.__name__
    text = repr(value)
    return text if len(text) <= 30 else text[:27] + '...'


def parameterize(*params: dict):
    """Class decorator: make one test class per parameter dict.

    The generated classes (named ``<Class>_param_<i>_{...}``) are added to the
    module and carry the dict's entries as class attributes; the decorated
    class itself is hidden from test collection.
    """
    def wrap(cls):
        module = sys.modules[cls.__module__]
        for i, param in enumerate(params):
            desc = ', '.join(f'{k}={_short(v)}' for k, v in sorted(param.items()))
            name = f'{cls.__name__}_param_{i}_{{{desc}}}'
            attrs = dict(param)
            attrs['__test__'] = True
            attrs['__qualname__'] = name
            attrs['_param'] = param
            setattr(module, name, type(name, (cls,), attrs))
        cls.__test__ = False
        return cls

    return wrap

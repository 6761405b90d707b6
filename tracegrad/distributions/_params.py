"""How a distribution takes its parameters: as Variables of one broadcast shape."""
from __future__ import annotations

from tracegrad.distribution import Distribution
from tracegrad.variable import as_variable


def as_params(*params, who: str = 'distribution') -> tuple:
    """``params`` as Variables broadcast to their common shape (NumPy's rules); ``who``
    (the class) names the distribution in the error when the shapes do not broadcast.

    Only parameters whose shape differs from the common one get a broadcast node,
    so the usual case (all of one shape) adds nothing to the graph.
    """
    from tracegrad.functions.array.broadcast import broadcast_to

    params = tuple(as_variable(p) for p in params)
    shape = params[0].shape
    for p in params[1:]:
        if p.shape != shape:
            shape = _broadcast_shape(shape, p.shape, params, who)
    return tuple(p if p.shape == shape else broadcast_to(p, shape) for p in params)


def _broadcast_shape(a: tuple, b: tuple, params, who: str) -> tuple:
    n = max(len(a), len(b))
    a, b = (1,) * (n - len(a)) + a, (1,) * (n - len(b)) + b
    out = []
    for x, y in zip(a, b):
        if x != y and 1 not in (x, y):
            shapes = ', '.join(str(p.shape) for p in params)
            raise ValueError(f'{who}: parameter shapes {shapes} do not broadcast together')
        out.append(max(x, y) if 0 not in (x, y) else 0)
    return tuple(out)


def check_params(cls_name: str, **named) -> None:
    """Raise TypeError naming ``cls_name`` and the argument when a parameter is not
    a floating-point array or Variable."""
    for name, value in named.items():
        dtype = getattr(value, 'dtype', None)
        if dtype is None or dtype.kind != 'f':
            got = type(value).__name__ if dtype is None else f'dtype {dtype}'
            raise TypeError(f'{cls_name}: `{name}` must be a floating-point array or '
                            f'Variable, got {got}')


def select_one(cls_name: str, **named):
    """Check that exactly one of the ``named`` alternatives is given (not None)."""
    given = [name for name, value in named.items() if value is not None]
    if len(given) != 1:
        names = ' or '.join(f'`{n}`' for n in named)
        got = ', '.join(f'`{n}`' for n in given) if given else 'none'
        raise ValueError(f'{cls_name}: give either {names} (exactly one), got {got}')


def reject_kwargs(cls_name: str, kwargs: dict) -> None:
    if kwargs:
        raise TypeError(f'{cls_name}() got unexpected keyword argument(s) '
                        f'{", ".join(sorted(kwargs))}')


class ScalarDistribution(Distribution):
    """A distribution over scalars whose parameters all have its batch shape.

    A subclass's ``__init__`` hands its parameters to :meth:`_take_params` by name;
    they become attributes of those names (floating-point Variables broadcast
    together), ``params`` in that order, and the first one's shape is
    ``batch_shape``. ``support`` is a class attribute.
    """

    def _take_params(self, **named) -> None:
        check_params(type(self).__name__, **named)
        for name, value in zip(named, as_params(*named.values(), who=type(self).__name__)):
            setattr(self, name, value)
        self._param_names = tuple(named)

    @property
    def batch_shape(self) -> tuple:
        return getattr(self, self._param_names[0]).shape

    @property
    def event_shape(self) -> tuple:
        return ()

    @property
    def params(self) -> dict:
        return {name: getattr(self, name) for name in self._param_names}

"""Noise functions (Chainer's ``chainer.functions`` noise category)."""
import importlib as _importlib

# Modules are named after their function, so the package attribute of that name
# ends up being the function; import modules by full name to read their __all__.
_MODULES = ('dropout', 'gaussian', 'gumbel_softmax', 'simplified_dropconnect', 'zoneout')

__all__ = []
for _name in _MODULES:
    _module = _importlib.import_module(f'{__name__}.{_name}')
    for _public in _module.__all__:
        globals()[_public] = getattr(_module, _public)
    __all__ += _module.__all__
del _name, _module, _public

"""Activation functions (Chainer's ``chainer.functions`` activation category)."""
import importlib as _importlib

# Most modules are named after their main function, so the package attribute of
# that name ends up being the function; import modules by full name for __all__.
_MODULES = ('clipped_relu', 'crelu', 'elu', 'leaky_relu', 'maxout', 'prelu', 'relu', 'rrelu',
            'sigmoid', 'softmax', 'softplus', 'swish', 'tanh')

__all__ = []
for _name in _MODULES:
    _module = _importlib.import_module(f'{__name__}.{_name}')
    for _public in _module.__all__:
        globals()[_public] = getattr(_module, _public)
    __all__ += _module.__all__
del _name, _module, _public

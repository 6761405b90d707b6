"""Array manipulation functions (Chainer's ``chainer.functions`` array category)."""
import importlib as _importlib

# Modules are named after their main function, so the package attribute of that
# name is the function; import the modules by full name to read their __all__.
_MODULES = ('broadcast', 'cast', 'concat', 'diagonal', 'flip', 'get_item', 'im2col', 'pad',
            'permutate', 'reshape', 'resize_images', 'scatter_add', 'select_item',
            'space2depth', 'spatial_transformer_grid', 'spatial_transformer_sampler',
            'split_axis', 'tile', 'transpose', 'transpose_sequence', 'where')

__all__ = []
for _name in _MODULES:
    _module = _importlib.import_module(f'{__name__}.{_name}')
    for _public in _module.__all__:
        globals()[_public] = getattr(_module, _public)
    __all__ += _module.__all__
del _name, _module, _public

"""Utilities of Chainer's ``chainer.utils``: type checks and array helpers."""
from tracegrad.utils import type_check  # noqa: F401
from tracegrad.utils.array import (  # noqa: F401
    force_array,
    force_type,
    size_of_shape,
    sum_to,
    sum_to_shape,
)
from tracegrad.utils.sparse import CooMatrix, get_order, to_coo  # noqa: F401
from tracegrad.utils.walker_alias import WalkerAlias  # noqa: F401


def __getattr__(name: str):
    # get_conv_outsize and get_deconv_outsize live with the window code of convolutions
    # (which imports this package, hence not at import time).
    if name in ('get_conv_outsize', 'get_deconv_outsize'):
        from tracegrad.functions.connection import im2col

        return getattr(im2col, name)
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')

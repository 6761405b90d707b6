"""Utilities of Chainer's ``chainer.utils``: type checks and array helpers."""
from tracegrad.utils import type_check  # noqa: F401
from tracegrad.utils.array import (  # noqa: F401
    force_array,
    force_type,
    size_of_shape,
    sum_to,
    sum_to_shape,
)
from tracegrad.utils.conv import get_conv_outsize, get_deconv_outsize  # noqa: F401

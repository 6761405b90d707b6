"""Utilities of Chainer's ``chainer.utils``: type checks and array helpers."""
from tracegrad.utils import type_check  # noqa: F401
from tracegrad.utils.array import force_array, force_type, sum_to_shape  # noqa: F401
from tracegrad.utils.sparse import CooMatrix, get_order, to_coo  # noqa: F401
from tracegrad.utils.walker_alias import WalkerAlias  # noqa: F401

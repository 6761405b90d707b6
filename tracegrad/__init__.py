"""tracegrad: Chainer's define-by-run API, eager on NumPy/CuPy, with a step compiler.

``import tracegrad as chainer`` runs Chainer v7 programs.
"""
from tracegrad import backends  # noqa: F401
from tracegrad import backend  # noqa: F401
from tracegrad.backend import get_device, get_array_module  # noqa: F401
from tracegrad.configuration import (  # noqa: F401
    config, global_config, using_config, no_backprop_mode, force_backprop_mode,
)
from tracegrad.variable import Variable, VariableNode, Parameter, as_variable, as_array  # noqa: F401
from tracegrad.function_node import FunctionNode  # noqa: F401
from tracegrad.backprop import backward, grad  # noqa: F401
from tracegrad import utils  # noqa: F401
from tracegrad import initializers  # noqa: F401
from tracegrad import functions  # noqa: F401

__version__ = '0.1.0'


def is_debug() -> bool:
    """True when ``config.debug`` is on."""
    return bool(config.debug)


def set_debug(debug: bool) -> None:
    global_config.debug = debug


def get_dtype(dtype=None):
    """Return ``dtype`` as a NumPy dtype, defaulting to ``config.dtype``."""
    import numpy

    return numpy.dtype(config.dtype if dtype is None else dtype)

from tracegrad.initializers import Initializer  # noqa: E402,F401
from tracegrad.link import Link, Chain, ChainList  # noqa: E402,F401
from tracegrad.sequential import Sequential  # noqa: E402,F401
from tracegrad import reporter  # noqa: E402,F401
from tracegrad.reporter import (  # noqa: E402,F401
    Reporter, report, report_scope, get_current_reporter, Summary, DictSummary,
)
from tracegrad import links  # noqa: E402,F401
from tracegrad.compile import compile, CompileError  # noqa: E402,F401
from tracegrad import optimizer, optimizers, optimizer_hooks  # noqa: E402,F401
from tracegrad import serializer, serializers  # noqa: E402,F401
from tracegrad.optimizer import Optimizer, GradientMethod, UpdateRule  # noqa: E402,F401
from tracegrad.serializer import AbstractSerializer, Serializer, Deserializer  # noqa: E402,F401
from tracegrad import dataset, datasets, iterators  # noqa: E402,F401
from tracegrad import training, computational_graph  # noqa: E402,F401
from tracegrad.function import Function, FunctionAdapter  # noqa: E402,F401

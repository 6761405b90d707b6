"""tracegrad: Chainer's define-by-run API, eager on NumPy/CuPy, with a step compiler.

``import tracegrad as chainer`` runs Chainer v7 programs.
"""
from tracegrad import (
    _native,  # noqa: F401  (the C hot path, when it is built)
    backend,
    backends,  # noqa: F401
    functions,  # noqa: F401
    initializers,  # noqa: F401
    utils,  # noqa: F401
)
from tracegrad.backend import (  # noqa: F401
    get_array_module,
    get_device,
    is_arrays_compatible,
    using_device,
)
from tracegrad.backends.cuda import should_use_cudnn, should_use_cudnn_tensor_core  # noqa: F401
from tracegrad.backprop import backward, grad  # noqa: F401
from tracegrad.configuration import (  # noqa: F401
    config,
    force_backprop_mode,
    global_config,
    no_backprop_mode,
    using_config,
)
from tracegrad.function_node import FunctionNode  # noqa: F401
from tracegrad.variable import Parameter, Variable, VariableNode, as_array, as_variable  # noqa: F401

__version__ = '0.1.0'


def is_debug() -> bool:
    """True when ``config.debug`` is on."""
    return bool(config.debug)


def set_debug(debug: bool) -> None:
    global_config.debug = debug


def get_array_types() -> tuple:
    """The array types tracegrad computes with: NumPy's ndarray, and CuPy's when a GPU is
    at hand (``isinstance(x, chainer.get_array_types())`` tells an array from the rest)."""
    return backend.DEVICE_ARRAY_TYPES


def get_cpu_array_types() -> tuple:
    """The array types that live in host memory: NumPy's ndarray."""
    import numpy

    return (numpy.ndarray,)


class DebugMode:
    """``with DebugMode(True):`` turns ``config.debug`` on inside the block and back
    after it (Chainer's older spelling of ``using_config('debug', True)``)."""

    def __init__(self, debug: bool):
        self._using = using_config('debug', debug)

    def __enter__(self):
        self._using.__enter__()

    def __exit__(self, *exc):
        self._using.__exit__(*exc)


# Chainer warns when experimental features are used; tracegrad has none that warn, and
# keeps the flag so programs that clear it run unchanged.
disable_experimental_feature_warning = False


def get_dtype(dtype=None):
    """Return ``dtype`` as a NumPy dtype, defaulting to ``config.dtype``."""
    import numpy

    return numpy.dtype(config.dtype if dtype is None else dtype)


# The model, training and compile layers import the helpers above.
from tracegrad import (  # noqa: F401
    computational_graph,
    cuda,
    dataset,
    datasets,
    distributions,
    function_hooks,
    iterators,
    link_hooks,
    links,
    optimizer,
    optimizer_hooks,
    optimizers,
    reporter,
    serializer,
    serializers,
    training,
)
from tracegrad.compile import CompileError, compile  # noqa: F401
from tracegrad.device_resident import DeviceResident  # noqa: F401
from tracegrad.distribution import (  # noqa: F401
    Distribution,
    cross_entropy,
    kl_divergence,
    register_kl,
)
from tracegrad.function import Function, FunctionAdapter  # noqa: F401
from tracegrad.function_hook import FunctionHook, get_function_hooks  # noqa: F401
from tracegrad.initializers import Initializer  # noqa: F401
from tracegrad.link import Chain, ChainList, Link  # noqa: F401
from tracegrad.link_hook import LinkHook  # noqa: F401
from tracegrad.optimizer import GradientMethod, Optimizer, UpdateRule  # noqa: F401
from tracegrad.reporter import (  # noqa: F401
    DictSummary,
    Reporter,
    Summary,
    get_current_reporter,
    report,
    report_scope,
)
from tracegrad.runtime_info import print_runtime_info  # noqa: F401
from tracegrad.sequential import Sequential  # noqa: F401
from tracegrad.serializer import AbstractSerializer, Deserializer, Serializer  # noqa: F401

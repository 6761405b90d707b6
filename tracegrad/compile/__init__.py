"""Compilation of whole training steps: tracing into codegen's IR, then native code."""
from tracegrad.backend import register_array_namespace as _register
from tracegrad.backend import register_special_namespace as _register_special
from tracegrad.compile.api import CompiledFunction, compile  # noqa: F401
from tracegrad.compile.tracer import CompileError, TracerArray, tracer_numpy  # noqa: F401
from tracegrad.compile.tracer import tracer_special as _tracer_special

_register(TracerArray, tracer_numpy)
_register_special(tracer_numpy, _tracer_special)

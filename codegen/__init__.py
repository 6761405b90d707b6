"""codegen: a small compiler from an IR graph to callable kernels.

It never imports tracegrad: ``tracegrad`` builds graphs while tracing and hands
them here. Stages: the IR (:mod:`codegen.ir`, :mod:`codegen.primitives`), the
reference interpreter, the passes (:mod:`codegen.passes`), and backends that
render templates and build them (:mod:`codegen.backends`).
"""
from codegen.ir import Graph, IRError, Node, Value, parse  # noqa: F401
from codegen.primitives import all_primitives, get_primitive  # noqa: F401

"""Backends: each turns an optimised graph into a callable program.

A backend is a renderer plus a compiler/loader; ``build(graph, donate=...,
host_inputs=..., host_outputs=...)`` returns a program:
``program(list_of_input_arrays) -> list_of_output_arrays``, with ``source``
(generated code, if any), ``stats`` and ``donated`` attributes.
"""
from __future__ import annotations

import importlib

_BACKENDS = {
    'reference': 'codegen.backends.reference',
    'c': 'codegen.backends.c',
    'cuda': 'codegen.backends.cuda',
}


def get_backend(name: str):
    """The backend module called ``name`` (it has a ``build(graph)`` function)."""
    try:
        module = _BACKENDS[name]
    except KeyError:
        raise ValueError(f'unknown backend {name!r}; available: {", ".join(sorted(_BACKENDS))}') \
            from None
    return importlib.import_module(module)

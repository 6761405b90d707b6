"""DumpGraph: write the computational graph of a reported Variable as Graphviz dot."""
from __future__ import annotations

import os
import shutil
import subprocess

from tracegrad import computational_graph
from tracegrad.configuration import config
from tracegrad.serializer import Serializer
from tracegrad.training import extension
from tracegrad.variable import Variable

_var_style = {'shape': 'octagon', 'fillcolor': '#E0E0E0', 'style': 'filled'}
_func_style = {'shape': 'record', 'fillcolor': '#6495ED', 'style': 'filled'}


def is_graphviz_available() -> bool:
    """Whether Graphviz's ``dot`` command can be run."""
    return shutil.which('dot') is not None


class DumpGraph(extension.Extension):
    """Dumps the graph that produced the observed value ``root_name``, once.

    It keeps graphs on reported values (``config.keep_graph_on_report``) until
    the first iteration has been reported, writes ``<out>/<filename>`` in dot
    format, renders a PNG beside it when Graphviz's ``dot`` is installed, and
    restores the flag.

    Args:
        root_name: the observation key of the Variable, e.g. ``'main/loss'``.
        filename: the dot file name (``'cg.dot'``).
        variable_style: dot attributes of variable nodes.
        function_style: dot attributes of function nodes.
        out_name: Chainer's older name of ``filename``.
    """

    default_name = 'dump_graph'

    def __init__(self, root_name: str, filename: str | None = None, variable_style=None,
                 function_style=None, *, out_name: str = 'cg.dot'):
        self._root_name = root_name
        self._filename = out_name if filename is None else filename
        self._variable_style = _var_style if variable_style is None else variable_style
        self._function_style = _func_style if function_style is None else function_style
        self._original_flag = None
        self._flag_called = False

    def initialize(self, trainer) -> None:
        if not self._flag_called:
            self._original_flag = config.keep_graph_on_report
            config.keep_graph_on_report = True

    def trigger(self, trainer) -> bool:
        if self._flag_called:
            return False
        self._flag_called = True
        return True

    def __call__(self, trainer) -> None:
        try:
            var = trainer.observation[self._root_name]
            if not isinstance(var, Variable):
                raise TypeError(f'DumpGraph: the observed value {self._root_name!r} is a '
                                f'{type(var).__name__}, not a Variable')
            dot = computational_graph.build_computational_graph(
                [var], variable_style=self._variable_style,
                function_style=self._function_style).dump()
            path = os.path.join(trainer.out, self._filename)
            with open(path, 'w') as f:
                f.write(dot)
            if is_graphviz_available():
                image = os.path.splitext(path)[0] + '.png'
                subprocess.check_call(['dot', '-Tpng', path, '-o', image])
        finally:
            config.keep_graph_on_report = self._original_flag

    def serialize(self, serializer) -> None:
        if isinstance(serializer, Serializer):
            serializer('_original_flag', bool(self._original_flag))
            serializer('_flag_called', self._flag_called)
        else:
            self._original_flag = serializer('_original_flag', False)
            self._flag_called = serializer('_flag_called', self._flag_called)

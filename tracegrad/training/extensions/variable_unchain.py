"""unchain_variables: free the graphs of reported Variables kept by keep_graph_on_report."""
from __future__ import annotations

from tracegrad.configuration import config
from tracegrad.training import extension
from tracegrad.variable import Variable


class unchain_variables(extension.Extension):
    """Unchains the Variables of the observation after an iteration in which
    ``config.keep_graph_on_report`` was on, so their graphs can be freed."""

    priority = 0

    def __init__(self):
        self._prev_flag = None

    def initialize(self, trainer) -> None:
        self._prev_flag = config.keep_graph_on_report

    def trigger(self, trainer) -> bool:
        flag = self._prev_flag
        self._prev_flag = config.keep_graph_on_report
        return bool(flag)

    def __call__(self, trainer) -> None:
        for value in trainer.observation.values():
            if isinstance(value, Variable):
                value.unchain_backward()

"""TimerHook: how long each function's forward and backward take."""
from __future__ import annotations

import sys
import time

import numpy

from tracegrad import backend
from tracegrad.function_hook import FunctionHook


def _sync(xp) -> None:
    """Wait for the GPU's queued work, so a wall-clock time covers the kernels."""
    if xp is not numpy:
        xp.cuda.Device().synchronize()


def choose_time_unit(seconds: float) -> tuple[float, str]:
    """``(factor, unit)`` with ``seconds * factor`` at least 1 in the largest unit possible."""
    factor = 1.0
    for unit in ('sec', 'ms', 'us'):
        if seconds * factor >= 1:
            return factor, unit
        factor *= 1000.0
    return factor, 'ns'


TIME_UNITS = {'sec': 1, 'ms': 10 ** 3, 'us': 10 ** 6, 'ns': 10 ** 9}


def format_table(rows: list, file) -> None:
    """Write ``rows`` (lists of strings, the header first) right-aligned in columns."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        file.write('  '.join(cell.rjust(w) for cell, w in zip(row, widths)) + '\n')
    if hasattr(file, 'flush'):
        file.flush()


class CallTimer:
    """Times nested calls and reports them by name (the TimerHooks of functions and links).

    Attributes:
        call_history (list): ``(name, seconds)`` per call, in order of completion.
    """

    table = TIME_UNITS
    _name_header = 'Name'

    def __init__(self) -> None:
        self.call_history: list = []
        self._running: list = []  # (start, xp) of the calls in progress, innermost last
        self._total_time = 0.0

    def _start(self, xp) -> None:
        _sync(xp)
        self._running.append((time.perf_counter(), xp))

    def _stop(self, name: str) -> None:
        start, xp = self._running.pop()
        _sync(xp)
        elapsed = time.perf_counter() - start
        self.call_history.append((name, elapsed))
        if not self._running:  # nested calls are inside an outer one's time already
            self._total_time += elapsed

    def total_time(self) -> float:
        """Seconds spent in the outermost timed calls."""
        return self._total_time

    def summary(self) -> dict:
        """``{name: {'elapsed_time': seconds, 'occurrence': calls}}``."""
        summary: dict = {}
        for name, elapsed in self.call_history:
            record = summary.setdefault(name, {'elapsed_time': 0.0, 'occurrence': 0})
            record['elapsed_time'] += elapsed
            record['occurrence'] += 1
        return summary

    def print_report(self, unit: str = 'auto', file=sys.stdout) -> None:
        """Print a table of the time and number of calls per name.

        Args:
            unit: ``'sec'``, ``'ms'``, ``'us'``, ``'ns'``, ``'auto'`` (one unit
                chosen for the largest time) or ``'auto_foreach'`` (a unit per row).
            file: where to write.
        """
        summary = self.summary()
        if unit == 'auto':
            factor, unit = choose_time_unit(
                max((r['elapsed_time'] for r in summary.values()), default=0.0))
        elif unit != 'auto_foreach':
            if unit not in self.table:
                raise ValueError(f'{type(self).__name__}.print_report: unit must be one of '
                                 f"{sorted(self.table)}, 'auto' or 'auto_foreach', got {unit!r}")
            factor = self.table[unit]
        rows = [[self._name_header, 'ElapsedTime', 'Occurrence']]
        for name, record in summary.items():
            seconds = record['elapsed_time']
            if unit == 'auto_foreach':
                row_factor, row_unit = choose_time_unit(seconds)
            else:
                row_factor, row_unit = factor, unit
            rows.append([name, f'{seconds * row_factor:3.2f}{row_unit}',
                         str(record['occurrence'])])
        format_table(rows, file)


class TimerHook(FunctionHook, CallTimer):
    """Measure the time every function's forward and backward take.

    On CuPy arrays the device is synchronised before and after each call, so the
    times include the kernels. :meth:`print_report` prints a table by function.

    >>> x = tracegrad.Variable(np.ones((2, 3), np.float32))
    >>> with tracegrad.function_hooks.TimerHook() as hook:
    ...     y = F.sum(F.relu(x))
    ...     y.backward()
    >>> sorted(hook.summary())
    ['BroadcastReduced', 'ReLU', 'ReLUGrad', 'Sum']
    >>> hook.total_time() > 0
    True

    Attributes:
        call_history (list): ``(function name, seconds)`` per call, in order of
            completion.
    """

    name = 'TimerHook'
    _name_header = 'FunctionName'

    def forward_preprocess(self, function, in_data) -> None:
        self._start(backend.get_array_module(*in_data))

    def forward_postprocess(self, function, in_data) -> None:
        self._stop(function._impl_name)

    def backward_preprocess(self, function, in_data, out_grad) -> None:
        self._start(backend.get_array_module(*(in_data + out_grad)))

    def backward_postprocess(self, function, in_data, out_grad) -> None:
        self._stop(function._impl_name)

"""PrintReport: print the entries of a LogReport as a table."""
from __future__ import annotations

import contextlib
import sys

from tracegrad.training import extension
from tracegrad.training.extensions.log_report import LogReport


@contextlib.contextmanager
def _progress_bars_cleared(out):
    """Write below a progress bar: tqdm's bars are cleared and redrawn around the
    write; Chainer's own layout is erased below the cursor with an ANSI escape."""
    tqdm = sys.modules.get('tqdm')
    if tqdm is not None and getattr(tqdm.tqdm, '_instances', None):
        with tqdm.tqdm.external_write_mode(file=out):
            yield
        return
    out.write('\x1b[J')
    yield


class PrintReport(extension.Extension):
    """Prints chosen entries of a :class:`LogReport`'s log, one row per log entry.

    Columns are at least 10 characters wide and separated by two spaces; a
    missing value leaves its column blank.

    Args:
        entries: the keys to print, in column order.
        log_report: the LogReport or the name it was registered under.
        out: the stream to print to (``sys.stdout`` at the time of printing when None).
    """

    def __init__(self, entries, log_report='LogReport', out=None):
        self._entries = list(entries)
        self._log_report = log_report
        self._out = out
        self._log_len = 0
        widths = [max(10, len(e)) for e in self._entries]
        self._header: str | None = '  '.join(
            e.ljust(w) for e, w in zip(self._entries, widths)) + '\n'
        self._templates = [(e, f'{{:<{w}g}}  ', ' ' * (w + 2))
                           for e, w in zip(self._entries, widths)]

    def __call__(self, trainer) -> None:
        out = self._out or sys.stdout
        if self._header:
            out.write(self._header)
            self._header = None
        log_report = self._log_report
        if isinstance(log_report, str):
            log_report = trainer.get_extension(log_report)
        elif isinstance(log_report, LogReport):
            log_report(trainer)  # a private LogReport is driven from here
        else:
            raise TypeError(f'PrintReport: log_report must be a LogReport or its name, got '
                            f'{type(log_report).__name__}')
        log = log_report.log
        while len(log) > self._log_len:
            with _progress_bars_cleared(out):
                self._print(log[self._log_len])
            self._log_len += 1

    def serialize(self, serializer) -> None:
        if isinstance(self._log_report, LogReport):
            self._log_report.serialize(serializer['_log_report'])

    def _print(self, observation: dict) -> None:
        out = self._out or sys.stdout
        for entry, template, empty in self._templates:
            out.write(template.format(observation[entry]) if entry in observation else empty)
        out.write('\n')
        if hasattr(out, 'flush'):
            out.flush()

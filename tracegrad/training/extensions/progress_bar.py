"""ProgressBar: show how far training has got (through tqdm when it is installed)."""
from __future__ import annotations

import collections
import datetime
import sys
import time

from tracegrad.training import extension


class _SpeedMeter:
    """Iterations and epochs per second over the last 100 updates of the display."""

    def __init__(self):
        self._recent = collections.deque(maxlen=100)

    def __call__(self, iteration, epoch_detail) -> tuple[float, float]:
        now = time.time()
        self._recent.append((iteration, epoch_detail, now))
        old_iteration, old_epoch, old_time = self._recent[0]
        span = now - old_time
        if span == 0:
            return float('inf'), float('inf')
        return (iteration - old_iteration) / span, (epoch_detail - old_epoch) / span


def _bar(rate: float, length: int) -> str:
    marks = '#' * int(rate * length)
    return marks + '.' * (length - len(marks))


class ProgressBar(extension.Extension):
    """Shows the progress of the whole run and of the current epoch.

    With tqdm installed a tqdm bar of the whole run is drawn (its postfix shows
    the iteration, the epoch and the progress within it); otherwise Chainer's own four-line display is redrawn in
    place with ANSI escapes::

             total [#########.........................................] 18.33%
        this epoch [#####################.............................] 43.33%
               550 iter, 1 epoch / 6 epochs
            3.4125 iters/sec. Estimated time to finish: 0:02:14.

    Args:
        training_length: ``(length, unit)`` of the run; taken from the stop
            trigger's ``get_training_length()`` when None.
        update_interval: redraw every this many iterations.
        bar_length: the width of the bars (Chainer's layout).
        out: the stream to draw on (``sys.stdout`` when None).
        use_tqdm: None uses tqdm when it can be imported.
    """

    def __init__(self, training_length=None, update_interval: int = 100, bar_length: int = 50,
                 out=None, *, use_tqdm: bool | None = None):
        self._training_length = training_length
        self._update_interval = update_interval
        self._bar_length = bar_length
        self._out = out
        if use_tqdm is None:
            try:
                import tqdm  # noqa: F401
                use_tqdm = True
            except ImportError:
                use_tqdm = False
        self._use_tqdm = use_tqdm
        self._speed = _SpeedMeter()
        self._tqdm_bars = None
        self._status_template = None

    @property
    def _stream(self):
        return self._out or sys.stdout

    def __call__(self, trainer) -> None:
        if trainer.updater.iteration % self._update_interval == 0:
            if self._training_length is None:
                self._training_length = trainer.stop_trigger.get_training_length()
            if self._use_tqdm:
                self._draw_tqdm(trainer)
            else:
                self._draw_lines(trainer)

    def finalize(self) -> None:
        if self._tqdm_bars is not None:
            for bar in self._tqdm_bars:
                bar.close()
            self._tqdm_bars = None
        elif not self._use_tqdm:
            self._stream.write('\x1b[J')
            if hasattr(self._stream, 'flush'):
                self._stream.flush()

    def get_lines(self, trainer) -> list[str]:
        """The lines of Chainer's layout for the current state."""
        updater = trainer.updater
        iteration, epoch = updater.iteration, updater.epoch_detail
        length, unit = self._training_length
        rate = min((iteration if unit == 'iteration' else epoch) / length, 1.0)
        epoch_rate = epoch - int(epoch)
        if self._status_template is None:
            self._status_template = (
                f'{{0.iteration:10}} iter, {{0.epoch}} epoch / {length} {unit}s\n')
        speed_t, speed_e = self._speed(iteration, epoch)
        remaining = (length - iteration) / speed_t if unit == 'iteration' else \
            (length - epoch) / speed_e
        remaining = max(remaining, 0.0)
        return [
            f'     total [{_bar(rate, self._bar_length)}] {rate:6.2%}\n',
            f'this epoch [{_bar(epoch_rate, self._bar_length)}] {epoch_rate:6.2%}\n',
            self._status_template.format(updater),
            f'{speed_t:10.5g} iters/sec. Estimated time to finish: {datetime.timedelta(seconds=remaining)}.\n',
        ]

    def _draw_lines(self, trainer) -> None:
        out = self._stream
        out.write('\x1b[J')
        lines = self.get_lines(trainer)
        for line in lines:
            out.write(line)
        out.write(f'\x1b[{len(lines):d}A')
        if hasattr(out, 'flush'):
            out.flush()

    def _draw_tqdm(self, trainer) -> None:
        import tqdm

        updater = trainer.updater
        length, unit = self._training_length
        if self._tqdm_bars is None:
            self._tqdm_bars = (tqdm.tqdm(
                total=length, unit=unit, file=self._stream, dynamic_ncols=True,
                bar_format=('{l_bar}{bar}| {n:.2f}/{total} ' + unit
                            + 's [{elapsed}<{remaining}{postfix}]')),)
        (bar,) = self._tqdm_bars
        done = updater.iteration if unit == 'iteration' else updater.epoch_detail
        bar.n = min(done, length)
        epoch_rate = updater.epoch_detail - int(updater.epoch_detail)
        bar.set_postfix_str(f'{updater.iteration} iter, epoch {updater.epoch} '
                            f'({epoch_rate:.0%})', refresh=False)
        bar.refresh()

"""VariableStatisticsPlot: plot statistics of parameters (or any Variables) over training."""
from __future__ import annotations

import os
import sys
import warnings

import numpy

from tracegrad import backend
from tracegrad.backends import cuda
from tracegrad.training import extension
from tracegrad.training.extensions.plot_report import _matplotlib_available
from tracegrad.training.trigger import get_trigger

_COLOR = '#1f77b4'


def _variables(targets) -> tuple:
    """The Variables of ``targets``: a Variable, a Link (its parameters), or a list of them."""
    from tracegrad.link import Link
    from tracegrad.variable import Variable

    if isinstance(targets, Variable):
        return (targets,)
    if isinstance(targets, Link):
        return tuple(targets.params(include_uninit=True))
    if isinstance(targets, (list, tuple)):
        return tuple(v for t in targets for v in _variables(t))
    return ()


class Reservoir:
    """A uniform random sample of at most ``size`` rows out of all rows added
    (reservoir sampling), kept with the index each row was added under."""

    def __init__(self, size: int, data_shape: tuple, dtype=numpy.float32):
        self.size = size
        self.data = numpy.zeros((size,) + tuple(data_shape), dtype=dtype)
        self.idxs = numpy.zeros((size,), dtype=numpy.int64)
        self.counter = 0

    def add(self, x, idx: int | None = None) -> None:
        idx = self.counter if idx is None else idx
        if self.counter < self.size:
            slot = self.counter
        elif numpy.random.random() < self.size / (self.counter + 1):
            slot = numpy.random.randint(self.size)
        else:
            slot = None
        if slot is not None:
            self.data[slot] = x
            self.idxs[slot] = idx
        self.counter += 1

    def get_data(self) -> tuple:
        """``(indices, rows)`` of the sample, in increasing index."""
        n = min(self.counter, self.size)
        order = numpy.argsort(self.idxs[:n], kind='stable')
        return self.idxs[:n][order], self.data[:n][order]


class VariableStatisticsPlot(extension.Extension):
    """Plot the mean, standard deviation and percentiles of variables' data and
    gradients over the iterations, into an image in the trainer's output directory.

    Every call (each iteration by default) computes the statistics of all the
    targets' values together and keeps them in a fixed-size random sample (so
    memory stays bounded on long runs); when ``trigger`` fires the sample is
    drawn. matplotlib is needed to draw and is imported only then (with the
    ``Agg`` backend if none was chosen); without it a warning is given when the
    extension is made, and it does nothing.

    Args:
        targets: a Variable, a Link (its parameters) or a list of them.
        max_sample_size: the most iterations kept in the sample.
        report_data: plot the statistics of the values.
        report_grad: plot the statistics of the gradients.
        plot_mean: plot the mean.
        plot_std: plot the standard deviation (around the mean).
        percentile_sigmas: percentiles (0 to 100) to plot, a number or a tuple.
        trigger: when to draw the image (``(1, 'epoch')``).
        filename: the image's name (``'statistics.png'``); ``file_name`` is
            Chainer's older name of it.
        figsize: matplotlib's figure size.
        marker: matplotlib's marker of the lines.
        grid: draw grids.
    """

    def __init__(self, targets, max_sample_size: int = 1000, report_data: bool = True,
                 report_grad: bool = True, plot_mean: bool = True, plot_std: bool = True,
                 percentile_sigmas=(0, 0.13, 2.28, 15.87, 50, 84.13, 97.72, 99.87, 100),
                 trigger=(1, 'epoch'), filename: str | None = None, figsize=None,
                 marker=None, grid: bool = True, *, file_name: str = 'statistics.png'):
        self._vars = _variables(targets)
        if not self._vars:
            raise ValueError('VariableStatisticsPlot: targets hold no Variable to collect '
                             f'statistics of (got {type(targets).__name__})')
        if not (plot_mean or plot_std or (percentile_sigmas is not None
                                          and numpy.size(percentile_sigmas) > 0)):
            raise ValueError('VariableStatisticsPlot: nothing to plot (plot_mean, plot_std '
                             'and percentile_sigmas are all off)')
        if not _matplotlib_available():
            warnings.warn('VariableStatisticsPlot: matplotlib is not installed, so nothing '
                          'will be plotted. Install it with: pip install matplotlib',
                          stacklevel=2)
        self._keys = [k for k, on in (('data', report_data), ('grad', report_grad)) if on]
        self._plot_mean = plot_mean
        self._plot_std = plot_std
        self._percentiles = (() if percentile_sigmas is None
                             else tuple(numpy.atleast_1d(percentile_sigmas).tolist()))
        self._trigger = get_trigger(trigger)
        self._filename = file_name if filename is None else filename
        self._figsize = figsize
        self._marker = marker
        self._grid = grid
        n_stats = int(plot_mean) + int(plot_std) + len(self._percentiles)
        self._samples = Reservoir(max_sample_size, (len(self._keys), n_stats))

    @staticmethod
    def available() -> bool:
        """Whether matplotlib can be imported."""
        return _matplotlib_available()

    def statistics(self) -> numpy.ndarray:
        """The current statistics: a row per key (``data``, ``grad``), with the mean, the
        standard deviation and the percentiles that are plotted (NaN where a key has no
        values, e.g. before the first backward)."""
        stats = numpy.full(self._samples.data.shape[1:], numpy.nan, dtype=numpy.float32)
        for row, key in enumerate(self._keys):
            arrays = [getattr(v, key) for v in self._vars if getattr(v, key) is not None]
            if not arrays:
                continue
            # computed where the arrays are; only the few numbers come to the host
            xp = backend.get_array_module(*arrays)
            values = xp.concatenate([a.ravel() for a in arrays]).astype(numpy.float64)
            columns = []
            if self._plot_mean:
                columns.append(values.mean(keepdims=True))
            if self._plot_std:
                columns.append(values.std(keepdims=True))
            if self._percentiles:
                columns.append(xp.percentile(values, xp.asarray(self._percentiles)))
            stats[row] = cuda.to_cpu(xp.concatenate(columns))
        return stats

    def __call__(self, trainer) -> None:
        if not _matplotlib_available():
            return
        self._samples.add(self.statistics(), idx=trainer.updater.iteration)
        if self._trigger(trainer):
            self._draw(os.path.join(trainer.out, self._filename))

    def _draw(self, path: str) -> None:
        import matplotlib
        if 'matplotlib.pyplot' not in sys.modules:
            matplotlib.use('Agg')
        import matplotlib.pyplot as plt

        has_moments = self._plot_mean or self._plot_std
        n_rows = int(has_moments) + int(bool(self._percentiles))
        figure, axes = plt.subplots(n_rows, len(self._keys), figsize=self._figsize,
                                    sharex=True, squeeze=False)
        idxs, data = self._samples.get_data()
        first = int(self._plot_mean) + int(self._plot_std)
        for col, key in enumerate(self._keys):
            axes[0, col].set_title(key)
            row = 0
            if has_moments:
                ax, series = axes[row, col], data[:, col]
                if self._plot_mean and self._plot_std:
                    ax.errorbar(idxs, series[:, 0], series[:, 1], color=_COLOR,
                                ecolor=_COLOR + '33', label='mean, std', marker=self._marker)
                else:
                    ax.plot(idxs, series[:, 0], color=_COLOR, marker=self._marker,
                            label='mean' if self._plot_mean else 'std')
                row += 1
            if self._percentiles:
                ax = axes[row, col]
                band = data[:, col, first:]
                n = band.shape[1]
                # Shade between symmetric pairs of percentiles; a middle one is a line.
                for i in range(n // 2):
                    ax.fill_between(idxs, band[:, i], band[:, n - 1 - i], color=_COLOR,
                                    alpha=0.2, linewidth=0,
                                    label='percentile' if i == n // 2 - 1 else '_nolegend_')
                if n % 2:
                    ax.plot(idxs, band[:, n // 2], color=_COLOR, marker=self._marker,
                            label='percentile' if n == 1 else '_nolegend_')
                ax.set_xlabel('iteration')
        for ax in axes.ravel():
            if ax.has_data():
                ax.legend()
            if self._grid:
                ax.grid()
                ax.set_axisbelow(True)
        figure.savefig(path)
        plt.close(figure)

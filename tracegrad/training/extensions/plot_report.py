"""PlotReport: plot observed values against iterations or epochs (needs matplotlib)."""
from __future__ import annotations

import json
import os
import warnings
from collections.abc import Callable

import numpy

from tracegrad import reporter
from tracegrad.serializer import Serializer
from tracegrad.training import extension
from tracegrad.training.trigger import get_trigger

_available: bool | None = None


def _matplotlib_available() -> bool:
    global _available
    if _available is None:
        try:
            import matplotlib  # noqa: F401
            _available = True
        except ImportError:
            _available = False
    return _available


class PlotReport(extension.Extension):
    """Draws the interval means of ``y_keys`` into an image in the output directory.

    matplotlib is imported only when a plot is drawn (with the non-interactive
    ``Agg`` backend when no backend was chosen); without it a warning is given
    once and nothing is plotted.

    Args:
        y_keys: a key or keys to plot (e.g. ``['main/loss', 'validation/main/loss']``).
        x_key: ``'iteration'`` or ``'epoch'``.
        trigger: the interval over which values are averaged into a point.
        postprocess: called as ``postprocess(figure, axes, summary)`` before saving.
        filename: the image name (``'plot.png'``).
        marker: the matplotlib marker of the points.
        grid: draw a grid.
        file_name: Chainer's older name of ``filename``.
    """

    def __init__(self, y_keys, x_key: str = 'iteration', trigger=(1, 'epoch'),
                 postprocess: Callable | None = None, filename: str | None = None,
                 marker: str = 'x', grid: bool = True, *, file_name: str = 'plot.png'):
        if not _matplotlib_available():
            warnings.warn('PlotReport: matplotlib is not installed, so nothing will be '
                          'plotted. Install it with: pip install matplotlib')
        if isinstance(y_keys, str):
            y_keys = (y_keys,)
        self._x_key = x_key
        self._y_keys = tuple(y_keys)
        self._trigger = get_trigger(trigger)
        self._file_name = file_name if filename is None else filename
        self._marker = marker
        self._grid = grid
        self._postprocess = postprocess
        self._summary = reporter.DictSummary()
        self._data: dict[str, list] = {k: [] for k in self._y_keys}

    @staticmethod
    def available() -> bool:
        """Whether matplotlib can be imported."""
        return _matplotlib_available()

    def __call__(self, trainer) -> None:
        if not _matplotlib_available():
            return
        observation = trainer.observation
        self._summary.add({k: observation[k] for k in self._y_keys if k in observation})
        if not (trainer.is_before_training or self._trigger(trainer)):
            return
        stats = {name: float(v) for name, v in self._summary.compute_mean().items()}
        stats['epoch'] = trainer.updater.epoch
        stats['iteration'] = trainer.updater.iteration
        x = stats[self._x_key]
        for key in self._y_keys:
            if key in stats:
                self._data[key].append((x, stats[key]))
        self._draw(os.path.join(trainer.out, self._file_name))
        self._summary = reporter.DictSummary()

    def _draw(self, path: str) -> None:
        import matplotlib
        if 'matplotlib.pyplot' not in __import__('sys').modules:
            matplotlib.use('Agg')
        import matplotlib.pyplot as plt

        figure = plt.figure()
        axes = figure.add_subplot(111)
        axes.set_xlabel(self._x_key)
        if self._grid:
            axes.grid()
        for key in self._y_keys:
            points = self._data[key]
            if points:
                xy = numpy.array(points)
                axes.plot(xy[:, 0], xy[:, 1], marker=self._marker, label=key)
        if axes.has_data():
            if self._postprocess is not None:
                self._postprocess(figure, axes, self._summary)
            legend = axes.legend(bbox_to_anchor=(1.05, 1), loc=2, borderaxespad=0.0)
            figure.savefig(path, bbox_extra_artists=(legend,), bbox_inches='tight')
        plt.close(figure)

    def serialize(self, serializer) -> None:
        key = f'_plot_{self._file_name}'
        if isinstance(serializer, Serializer):
            serializer(key, json.dumps(self._data))
        else:
            data = serializer(key, '')
            if data:
                self._data = {k: [tuple(p) for p in v] for k, v in json.loads(data).items()}

"""ParameterStatistics: report statistics of parameters and their gradients."""
from __future__ import annotations

from collections.abc import Callable

import numpy

from tracegrad import backend, reporter
from tracegrad.training import extension
from tracegrad.training.trigger import get_trigger


def _xp(x):
    return backend.get_array_module(x)


_default_statistics: dict[str, Callable] = {
    'mean': lambda x: _xp(x).mean(x),
    'std': lambda x: _xp(x).std(x),
    'min': lambda x: _xp(x).min(x),
    'max': lambda x: _xp(x).max(x),
    'zeros': lambda x: _xp(x).count_nonzero(x == 0),
    'percentile': lambda x: _xp(x).percentile(
        x, (0.13, 2.28, 15.87, 50, 84.13, 97.72, 99.87)),
}


class ParameterStatistics(extension.Extension):
    """Reports statistics of each parameter (``data``) and gradient (``grad``).

    Keys are ``'{prefix/}{link name}{param path}/{data|grad}/{statistic}'``, e.g.
    ``'main/l1/W/data/mean'``; a statistic returning several values (the
    percentiles) gets ``/0``, ``/1``... suffixes. Values are averaged over the
    trigger's interval.

    Args:
        links: a link or links to watch.
        statistics: a dict ``name -> function(flat array)``, ``'default'`` (mean,
            std, min, max, zeros, percentile) or None.
        report_params: report parameter statistics.
        report_grads: report gradient statistics.
        prefix: a prefix of every key.
        trigger: when to report.
        skip_nan_params: report NaN instead of computing on arrays containing NaN.
    """

    default_name = 'parameter_statistics'
    priority = extension.PRIORITY_WRITER
    report_key_template = '{prefix}{link_name}{param_name}/{attr_name}/{function_name}'
    default_statistics = _default_statistics

    def __init__(self, links, statistics='default', report_params: bool = True,
                 report_grads: bool = True, prefix: str | None = None, trigger=(1, 'epoch'),
                 skip_nan_params: bool = False):
        if not isinstance(links, (list, tuple)):
            links = (links,)
        self._links = links
        if statistics is None:
            statistics = {}
        elif isinstance(statistics, str) and statistics == 'default':
            statistics = self.default_statistics
        self._statistics = dict(statistics)
        self._attrs = [name for name, on in (('data', report_params), ('grad', report_grads))
                       if on]
        self._prefix = prefix
        self._trigger = get_trigger(trigger)
        self._summary = reporter.DictSummary()
        self._skip_nan_params = skip_nan_params

    def __call__(self, trainer) -> None:
        statistics = {}
        prefix = self._prefix + '/' if self._prefix else ''
        for link in self._links:
            link_name = getattr(link, 'name', 'None')
            for param_name, param in link.namedparams():
                for attr_name in self._attrs:
                    values = getattr(param, attr_name)
                    if values is None:
                        continue
                    values = values.ravel()
                    has_nan = self._skip_nan_params and bool(_xp(values).isnan(values).any())
                    for function_name, function in self._statistics.items():
                        value = numpy.nan if has_nan else function(values)
                        key = self.report_key_template.format(
                            prefix=prefix, link_name=link_name, param_name=param_name,
                            attr_name=attr_name, function_name=function_name)
                        if getattr(value, 'size', 1) > 1:
                            statistics.update({f'{key}/{i}': v for i, v in enumerate(value)})
                        else:
                            statistics[key] = value
        self._summary.add(statistics)
        if self._trigger(trainer):
            reporter.report(self._summary.compute_mean())
            self._summary = reporter.DictSummary()

    def register_statistics(self, name: str, function: Callable) -> None:
        """Add a statistic ``function(flat array) -> scalar or array``."""
        self._statistics[name] = function

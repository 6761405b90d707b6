"""Trainer extensions (Chainer's ``chainer.training.extensions``)."""
from tracegrad.training.extensions.computational_graph import DumpGraph
from tracegrad.training.extensions.evaluator import Evaluator
from tracegrad.training.extensions.fail_on_nonnumber import FailOnNonNumber
from tracegrad.training.extensions.log_report import LogReport
from tracegrad.training.extensions.micro_average import MicroAverage
from tracegrad.training.extensions.parameter_statistics import ParameterStatistics
from tracegrad.training.extensions.plot_report import PlotReport
from tracegrad.training.extensions.print_report import PrintReport
from tracegrad.training.extensions.progress_bar import ProgressBar
from tracegrad.training.extensions.snapshot import snapshot, snapshot_object
from tracegrad.training.extensions.value_observation import observe_lr, observe_value
from tracegrad.training.extensions.value_shifts import (
    ExponentialShift,
    InverseShift,
    LinearShift,
    MultistepShift,
    PolynomialShift,
    StepShift,
    WarmupShift,
)
from tracegrad.training.extensions.variable_statistics_plot import VariableStatisticsPlot
from tracegrad.training.extensions.variable_unchain import unchain_variables

__all__ = ['DumpGraph', 'Evaluator', 'ExponentialShift', 'FailOnNonNumber', 'InverseShift',
           'LinearShift', 'LogReport', 'MicroAverage', 'MultistepShift', 'ParameterStatistics',
           'PlotReport', 'PolynomialShift', 'PrintReport', 'ProgressBar', 'StepShift',
           'VariableStatisticsPlot', 'WarmupShift', 'observe_lr', 'observe_value', 'snapshot',
           'snapshot_object', 'unchain_variables']

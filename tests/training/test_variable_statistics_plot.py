"""VariableStatisticsPlot: the statistics it samples (against NumPy), the image it draws
inside a real Trainer, its arguments, and a clear warning without matplotlib."""
import os

import numpy as np
import pytest

import tracegrad
import tracegrad.links as L
from tracegrad import iterators, optimizers, training
from tracegrad.training import extensions
from tracegrad.training.extensions import variable_statistics_plot as vsp

PERCENTILES = (0, 0.13, 2.28, 15.87, 50, 84.13, 97.72, 99.87, 100)


def test_statistics_of_data_and_grad_against_numpy():
    link = L.Linear(3, 4)
    link.W.grad = np.random.randn(4, 3).astype(np.float32)
    link.b.grad = np.random.randn(4).astype(np.float32)
    plot = extensions.VariableStatisticsPlot(link)
    stats = plot.statistics()
    assert stats.shape == (2, 2 + len(PERCENTILES))
    for row, key in enumerate(('data', 'grad')):
        values = np.concatenate([getattr(link.W, key).ravel(), getattr(link.b, key).ravel()])
        np.testing.assert_allclose(stats[row, 0], values.mean(), rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(stats[row, 1], values.std(), rtol=1e-5)
        np.testing.assert_allclose(stats[row, 2:], np.percentile(values, PERCENTILES),
                                   rtol=1e-5, atol=1e-7)


@pytest.mark.gpu
def test_statistics_are_computed_on_the_device():
    """Each call reads back only the statistics (one copy per key), not the parameters:
    counted by the CPU stand-in for CuPy."""
    cupy = pytest.importorskip('cupy')
    if getattr(cupy, '__version__', None) != 'host':
        pytest.skip('counts copies through the CPU stand-in for CuPy (TRACEGRAD_HOST_CUPY=1)')
    import host_cupy

    model = tracegrad.Sequential(L.Linear(3, 4), L.Linear(4, 2))
    for param in model.params():
        param.grad = np.random.randn(*param.shape).astype(np.float32)
    expected = extensions.VariableStatisticsPlot(model).statistics()
    model.to_device('@cupy:0')
    plot = extensions.VariableStatisticsPlot(model)
    host_cupy.TRANSFERS.clear()
    stats = plot.statistics()
    assert host_cupy.TRANSFERS['to_host'] == 2  # data and grad, for four parameters
    np.testing.assert_allclose(stats, expected, rtol=1e-5, atol=1e-7)


def test_options_choose_the_columns():
    v = tracegrad.Variable(np.arange(10, dtype=np.float32))
    plot = extensions.VariableStatisticsPlot([v], report_grad=False, plot_std=False,
                                             percentile_sigmas=50)
    stats = plot.statistics()
    assert stats.shape == (1, 2)
    np.testing.assert_allclose(stats[0], [4.5, 4.5])
    no_grad = extensions.VariableStatisticsPlot(v, report_data=False).statistics()
    assert np.isnan(no_grad).all()  # no gradient yet


def test_bad_arguments():
    with pytest.raises(ValueError, match='targets hold no Variable'):
        extensions.VariableStatisticsPlot([])
    with pytest.raises(ValueError, match='nothing to plot'):
        extensions.VariableStatisticsPlot(L.Linear(2, 2), plot_mean=False, plot_std=False,
                                          percentile_sigmas=())


def test_reservoir_keeps_a_bounded_uniform_sample():
    np.random.seed(0)
    reservoir = vsp.Reservoir(10, (1,))
    for i in range(1000):
        reservoir.add(np.array([i]), idx=i)
    idxs, data = reservoir.get_data()
    assert len(idxs) == 10 and list(idxs) == sorted(idxs)
    np.testing.assert_array_equal(data[:, 0], idxs)
    assert idxs.max() > 500  # later items get in


def test_plots_inside_a_trainer(tmp_path):
    pytest.importorskip('matplotlib')
    rng = np.random.RandomState(0)
    x = rng.randn(16, 3).astype(np.float32)
    t = rng.randint(0, 2, 16).astype(np.int32)
    model = L.Classifier(L.Linear(3, 2))
    opt = optimizers.SGD(lr=0.1).setup(model)
    it = iterators.SerialIterator(tracegrad.datasets.TupleDataset(x, t), 4, shuffle=False)
    trainer = training.Trainer(training.updaters.StandardUpdater(it, opt), (2, 'epoch'),
                               out=str(tmp_path))
    plot = extensions.VariableStatisticsPlot(model, filename='stats.png')
    trainer.extend(plot)
    trainer.run()
    path = tmp_path / 'stats.png'
    assert path.exists() and os.path.getsize(path) > 1000
    idxs, data = plot._samples.get_data()
    np.testing.assert_array_equal(idxs, np.arange(1, 9))
    assert np.isfinite(data).all()


def test_without_matplotlib_it_warns_and_does_nothing(monkeypatch, tmp_path):
    monkeypatch.setattr(vsp, '_matplotlib_available', lambda: False)
    with pytest.warns(UserWarning, match='matplotlib is not installed.*pip install matplotlib'):
        plot = extensions.VariableStatisticsPlot(L.Linear(2, 2))
    assert not plot.available()

    class Trainer:
        out = str(tmp_path)

    plot(Trainer())
    assert plot._samples.counter == 0 and not os.listdir(tmp_path)

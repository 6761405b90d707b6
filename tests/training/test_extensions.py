import io
import json
import os

import numpy as np
import pytest

import tracegrad
from tests.training.helpers import FakeTrainer, make_trainer, toy_dataset
from tracegrad import iterators, optimizers, training
from tracegrad.serializers import load_npz, save_npz
from tracegrad.training import extensions


def test_log_report_entries_and_file(tmp_path):
    trainer, _ = make_trainer(tmp_path, stop=(6, 'iteration'))
    log_report = extensions.LogReport(trigger=(3, 'iteration'))
    trainer.extend(log_report)
    trainer.run()
    log = log_report.log
    assert [e['iteration'] for e in log] == [3, 6]
    assert set(log[0]) >= {'main/loss', 'main/accuracy', 'epoch', 'iteration', 'elapsed_time'}
    with open(tmp_path / 'log') as f:
        assert json.load(f) == log
    assert not [n for n in os.listdir(tmp_path) if n.endswith('.tmp')]


def test_log_report_keys_and_postprocess(tmp_path):
    trainer, _ = make_trainer(tmp_path, stop=(2, 'iteration'))
    log_report = extensions.LogReport(keys=['main/loss'], trigger=(1, 'iteration'),
                                      postprocess=lambda e: e.update(extra=1),
                                      filename='log_{iteration}.json')
    trainer.extend(log_report)
    trainer.run()
    assert 'main/accuracy' not in log_report.log[0] and log_report.log[0]['extra'] == 1
    assert os.path.exists(tmp_path / 'log_2.json')


def test_print_report_columns(tmp_path):
    trainer, _ = make_trainer(tmp_path, stop=(4, 'iteration'))
    out = io.StringIO()
    trainer.extend(extensions.LogReport(trigger=(2, 'iteration')))
    trainer.extend(extensions.PrintReport(['iteration', 'main/loss', 'missing'], out=out),
                   trigger=(1, 'iteration'))
    trainer.run()
    lines = out.getvalue().replace('\x1b[J', '').splitlines()
    assert lines[0] == 'iteration   main/loss   missing   '
    assert len(lines) == 3
    assert lines[1].startswith('2           ') and lines[2].startswith('4           ')
    loss = trainer.get_extension('LogReport').log[1]['main/loss']
    assert f'{loss:<10g}' in lines[2]


def test_print_report_with_its_own_log_report(tmp_path):
    trainer, _ = make_trainer(tmp_path, stop=(2, 'iteration'))
    out = io.StringIO()
    private = extensions.LogReport(trigger=(1, 'iteration'), filename=None)
    trainer.extend(extensions.PrintReport(['iteration'], log_report=private, out=out))
    trainer.run()
    assert len(out.getvalue().splitlines()) == 3
    with pytest.raises(TypeError, match='LogReport'):
        extensions.PrintReport(['x'], log_report=3)(trainer)


def test_progress_bar_chainer_layout(tmp_path):
    trainer, _ = make_trainer(tmp_path, stop=(10, 'iteration'))
    out = io.StringIO()
    trainer.extend(extensions.ProgressBar(update_interval=5, out=out, use_tqdm=False))
    trainer.run()
    text = out.getvalue()
    assert '     total [#########################.........................] 50.00%' in text
    assert '        10 iter, 2 epoch / 10 iterations' in text
    assert 'iters/sec. Estimated time to finish:' in text
    assert '\x1b[4A' in text


def test_progress_bar_tqdm(tmp_path):
    pytest.importorskip('tqdm')
    trainer, _ = make_trainer(tmp_path, stop=(2, 'epoch'))
    out = io.StringIO()
    trainer.extend(extensions.ProgressBar(update_interval=2, out=out, use_tqdm=True))
    trainer.run()
    assert '/2 epochs' in out.getvalue()


def test_evaluator_reports_validation_means(tmp_path):
    trainer, model = make_trainer(tmp_path, stop=(1, 'epoch'))
    data = toy_dataset(10, seed=5)
    it = iterators.SerialIterator(data, 4, repeat=False, shuffle=False)
    evaluator = extensions.Evaluator(it, model)
    trainer.extend(evaluator)
    observed = {}
    trainer.extend(lambda t: observed.update(t.observation), name='grab',
                   trigger=(1, 'epoch'))
    trainer.run()
    assert evaluator.name == 'validation'
    x = np.stack([d[0] for d in data])
    t = np.array([d[1] for d in data])
    with tracegrad.using_config('train', False):
        losses = [float(model(x[i:i + 4], t[i:i + 4]).array) for i in (0, 4, 8)]
    assert float(observed['validation/main/loss']) == pytest.approx(np.mean(losses), rel=1e-5)
    assert 'validation/main/accuracy' in observed
    with pytest.warns(UserWarning, match='repeat'):
        extensions.Evaluator(iterators.SerialIterator(data, 4), model)


def test_evaluator_eval_func_and_hook():
    calls = []
    data = [(np.float32(i),) for i in range(5)]
    it = iterators.SerialIterator(data, 2, repeat=False, shuffle=False)
    link = tracegrad.links.Linear(1, 1)

    def eval_func(x):
        calls.append(len(x))
        tracegrad.report({'n': float(len(x))}, link)

    evaluator = extensions.Evaluator(it, link, eval_func=eval_func,
                                     eval_hook=lambda e: calls.append('hook'))
    result = evaluator()
    assert calls == ['hook', 2, 2, 1]
    assert result == {'main/n': pytest.approx(5 / 3)}


def _run_shift(ext, n, attr='lr', initial=1.0):
    optimizer = optimizers.SGD(lr=initial)
    trainer = FakeTrainer()
    trainer.updater.get_optimizer = lambda name: optimizer
    ext.initialize(trainer)
    values = [getattr(optimizer, attr)]
    for _ in range(n):
        ext(trainer)
        values.append(getattr(optimizer, attr))
    return values


@pytest.mark.parametrize('ext,expected', [
    (extensions.ExponentialShift('lr', 0.5), [1, 0.5, 0.25, 0.125]),
    (extensions.ExponentialShift('lr', 0.5, target=0.3), [1, 0.5, 0.3, 0.3]),
    (extensions.ExponentialShift('lr', 2, init=0.5, target=1.5), [0.5, 1, 1.5, 1.5]),
    (extensions.StepShift('lr', 0.1, 2), [1, 1, 0.1, 0.1]),
    (extensions.InverseShift('lr', 1.0, 1.0), [1, 0.5, 1 / 3, 0.25]),
    (extensions.PolynomialShift('lr', 1.0, 2), [1, 0.5, 0, 0]),
    (extensions.LinearShift('lr', (1.0, 0.0), (1, 3)), [1, 1, 0.5, 0]),
    (extensions.MultistepShift('lr', 0.1, [1, 3], 1.0), [1, 0.1, 0.1, 0.01]),
    (extensions.WarmupShift('lr', 0.0, 2, 1.0), [0, 0.5, 1, 1]),
])
def test_value_shifts(ext, expected):
    assert _run_shift(ext, 3) == pytest.approx(expected)


def test_value_shift_serialize_resumes(tmp_path):
    a = extensions.ExponentialShift('lr', 0.5)
    _run_shift(a, 2)
    save_npz(tmp_path / 's.npz', a)
    b = extensions.ExponentialShift('lr', 0.5)
    load_npz(tmp_path / 's.npz', b)
    assert _run_shift(b, 1) == pytest.approx([0.25, 0.125])
    with pytest.raises(ValueError, match='rate'):
        extensions.ExponentialShift('lr', -1)


def test_observe_lr_and_value(tmp_path):
    trainer, _ = make_trainer(tmp_path, stop=(2, 'iteration'))
    observed = {}
    trainer.extend(extensions.observe_value('it', lambda t: t.updater.iteration),
                   trigger=(1, 'iteration'))
    trainer.extend(lambda t: observed.update(t.observation), name='grab')
    trainer.run()
    assert observed['it'] == 2
    ext = extensions.observe_lr()
    assert ext.priority == training.PRIORITY_WRITER
    fake = FakeTrainer()
    fake.updater.get_optimizer = lambda name: optimizers.SGD(lr=0.25)
    ext(fake)
    assert fake.observation == {'lr': 0.25}


def test_parameter_statistics(tmp_path):
    trainer, model = make_trainer(tmp_path, stop=(1, 'iteration'))
    stats = extensions.ParameterStatistics(model, trigger=(1, 'iteration'), prefix='p')
    stats.register_statistics('first', lambda x: x[0])
    trainer.extend(stats)
    observed = {}
    trainer.extend(lambda t: observed.update(t.observation), name='grab')
    trainer.run()
    W = model.predictor.l1.W  # the top link has no name: Chainer writes 'None'
    assert float(observed['p/None/predictor/l1/W/data/mean']) == pytest.approx(
        float(W.array.mean()), rel=1e-5)
    assert float(observed['p/None/predictor/l1/W/grad/max']) == pytest.approx(
        float(W.grad.max()), rel=1e-5)
    assert 'p/None/predictor/l2/b/data/percentile/6' in observed
    assert 'p/None/predictor/l1/b/grad/first' in observed


def test_fail_on_nonnumber(tmp_path):
    trainer, model = make_trainer(tmp_path, stop=(2, 'iteration'))
    ext = extensions.FailOnNonNumber()
    ext(trainer)  # finite: nothing happens
    model.predictor.l1.W.array[0, 0] = np.nan
    with pytest.raises(RuntimeError, match="optimizer 'main' diverge"):
        ext(trainer)


def test_micro_average(tmp_path):
    trainer, _ = make_trainer(tmp_path, stop=(4, 'iteration'))
    counts = iter([(1, 2), (3, 4), (0, 1), (1, 1)])

    def write_counts(trainer):
        correct, total = next(counts)
        trainer.observation.update(correct=correct, total=total)

    trainer.extend(write_counts, name='counts', priority=training.PRIORITY_WRITER)
    trainer.extend(extensions.MicroAverage('correct', 'total', 'acc', (2, 'iteration')))
    seen = []
    trainer.extend(lambda t: seen.append(t.observation.get('acc')), name='grab')
    trainer.run()
    assert seen == [None, pytest.approx(4 / 6), None, pytest.approx(1 / 2)]


def test_unchain_variables_and_dump_graph(tmp_path):
    trainer, _ = make_trainer(tmp_path, stop=(2, 'iteration'))
    trainer.extend(extensions.DumpGraph('main/loss', filename='graph.dot'))
    trainer.extend(extensions.unchain_variables())
    kept = []
    losses = []

    def look(trainer):
        loss = trainer.observation['main/loss']
        kept.append(loss.creator is not None)
        losses.append(loss)

    trainer.extend(look, name='look', priority=50)
    before = tracegrad.config.keep_graph_on_report
    trainer.run()
    dot = (tmp_path / 'graph.dot').read_text()
    assert dot.startswith('digraph graphname{rankdir=TB;')
    assert 'softmax' in dot.lower() and 'linear' in dot.lower()
    assert '->' in dot
    assert tracegrad.config.keep_graph_on_report == before
    # The graph was kept for the first iteration only, and unchained after it.
    assert kept == [True, False]
    assert losses[0].creator is None


def test_dump_graph_needs_a_variable():
    fake = FakeTrainer()
    fake.out = '.'
    fake.observation = {'x': 1.0}
    ext = extensions.DumpGraph('x')
    with pytest.raises(TypeError, match='not a Variable'):
        ext(fake)


def test_plot_report(tmp_path):
    pytest.importorskip('matplotlib')
    trainer, _ = make_trainer(tmp_path, stop=(2, 'epoch'))
    plot = extensions.PlotReport(['main/loss', 'main/accuracy'], 'epoch', filename='loss.png')
    trainer.extend(plot)
    trainer.run()
    assert (tmp_path / 'loss.png').stat().st_size > 0
    assert [x for x, _ in plot._data['main/loss']] == [1, 2]
    save_npz(tmp_path / 'p.npz', plot)
    other = extensions.PlotReport(['main/loss', 'main/accuracy'], 'epoch', filename='loss.png')
    load_npz(tmp_path / 'p.npz', other)
    assert other._data == plot._data

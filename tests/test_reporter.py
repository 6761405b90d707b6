import threading

import numpy as np
import pytest

import tracegrad
from tracegrad import Variable
from tracegrad import reporter as reporter_module
from tracegrad.reporter import DictSummary, Reporter, Summary, report, report_scope


def test_report_with_observer_prefix():
    r = Reporter()
    link = tracegrad.links.Linear(2, 2)
    r.add_observer('main', link)
    obs = {}
    with r.scope(obs):
        report({'loss': 1.5}, link)
        report({'raw': 2})
    assert obs == {'main/loss': 1.5, 'raw': 2}
    assert r.observation == {}  # restored after the scope


def test_add_observers_from_namedlinks():
    model = tracegrad.Chain(l1=tracegrad.links.Linear(1, 1))
    r = Reporter()
    r.add_observers('main', model.namedlinks(skipself=True))
    obs = {}
    with r.scope(obs):
        r.report({'x': 1}, model.l1)
    assert obs == {'main/l1/x': 1}


def test_unregistered_observer_raises():
    r = Reporter()
    with pytest.raises(KeyError, match='not registered'), r.scope({}):
        r.report({'x': 1}, object())


def test_report_without_reporter_is_a_noop_and_current_reporter():
    report({'x': 1})
    with pytest.raises(RuntimeError, match='no reporter'):
        reporter_module.get_current_reporter()
    r = Reporter()
    with r:
        assert tracegrad.get_current_reporter() is r
        inner = Reporter()
        with inner:
            assert tracegrad.get_current_reporter() is inner
        assert tracegrad.get_current_reporter() is r


def test_report_scope_redirects_current_reporter():
    r = Reporter()
    outer, inner = {}, {}
    with r.scope(outer):
        with report_scope(inner):
            report({'a': 1})
        report({'b': 2})
    assert inner == {'a': 1} and outer == {'b': 2}


def test_variables_are_cut_from_the_graph_unless_configured():
    x = Variable(np.array(2.0, np.float32))
    y = x * x
    obs = {}
    with Reporter().scope(obs):
        report({'y': y})
    assert obs['y'] is not y and obs['y'].creator is None
    assert float(obs['y'].array) == 4.0
    with tracegrad.using_config('keep_graph_on_report', True), Reporter().scope(obs):
        report({'y': y})
    assert obs['y'] is y


def test_reporters_are_per_thread():
    seen = []
    r = Reporter()
    with r:
        t = threading.Thread(target=lambda: seen.append(reporter_module._get_reporters()))
        t.start()
        t.join()
    assert seen == [[]]


def test_summary_mean_and_std():
    s = Summary()
    for v in (1.0, 2.0, 3.0, 4.0):
        s.add(np.float32(v))
    assert float(s.compute_mean()) == pytest.approx(2.5)
    mean, std = s.make_statistics()
    assert float(mean) == pytest.approx(2.5)
    assert float(std) == pytest.approx(np.std([1, 2, 3, 4]), rel=1e-5)
    w = Summary()
    w.add(1.0, weight=3)
    w.add(5.0, weight=1)
    assert float(w.compute_mean()) == pytest.approx(2.0)
    v = Summary()
    v.add(Variable(np.array(3.0, np.float32)))
    assert float(v.compute_mean()) == 3.0


def test_dict_summary():
    d = DictSummary()
    d.add({'loss': Variable(np.array(2.0, np.float32)), 'acc': np.array(0.5),
           'vec': np.ones(3), 'name': 'skip'})
    d.add({'loss': 4.0, 'acc': (np.array(1.0), 3)})
    means = d.compute_mean()
    assert set(means) == {'loss', 'acc'}
    assert float(means['loss']) == pytest.approx(3.0)
    assert float(means['acc']) == pytest.approx((0.5 + 3.0) / 4)
    stats = d.make_statistics()
    assert float(stats['loss.std']) == pytest.approx(1.0)
    with pytest.raises(ValueError, match='not scalar'):
        d.add({'loss': (1.0, np.ones(2))})


def test_classifier_reports_through_the_reporter():
    np.random.seed(0)
    model = tracegrad.links.Classifier(tracegrad.links.Linear(3, 4))
    r = Reporter()
    r.add_observer('main', model)
    obs = {}
    x = np.random.randn(5, 3).astype(np.float32)
    t = np.array([0, 1, 2, 3, 0], np.int32)
    with r.scope(obs):
        loss = model(x, t)
    assert set(obs) == {'main/loss', 'main/accuracy'}
    assert float(obs['main/loss'].array) == float(loss.array)


def test_dict_summary_serialize_roundtrip():
    npz = pytest.importorskip('tracegrad.serializers.npz')
    d = DictSummary()
    d.add({'loss': 1.0, 'acc': 0.5})
    d.add({'loss': 3.0, 'acc': 1.0})
    target = {}
    d.serialize(npz.DictionarySerializer(target))
    restored = DictSummary()
    restored.serialize(npz.NpzDeserializer(target))
    means = restored.compute_mean()
    assert float(means['loss']) == pytest.approx(2.0)
    assert float(means['acc']) == pytest.approx(0.75)

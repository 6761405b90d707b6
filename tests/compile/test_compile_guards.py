"""Guards: which changes reuse a cached specialisation and which retrace."""
import logging

import numpy as np
import pytest
from compile_helpers import twin
from test_compile_training import MLP, mlp_batches

import tracegrad
import tracegrad.links as L
from tracegrad import optimizers
from tracegrad.compile import api
from tracegrad.testing import training_step


def setup_mlp(backend_name, opt=None):
    np.random.seed(0)
    model = L.Classifier(MLP())
    opt = (opt or optimizers.SGD(lr=0.1)).setup(model)
    return model, opt, tracegrad.compile(training_step(model, opt), backend=backend_name)


def data(batch=5, dtype=np.float32, seed=0):
    rng = np.random.RandomState(seed)
    return rng.randn(batch, 6).astype(dtype), rng.randint(0, 4, batch).astype(np.int32)


def test_same_shape_hits_the_cache(backend_name):
    _model, _opt, step = setup_mlp(backend_name)
    for i in range(4):
        step(*data(seed=i))
    stats = step.statistics()
    assert stats['traces'] == 2  # without grads, then with grads
    assert stats['cache_hits'] == 2
    assert stats['specializations'] == 2
    assert stats['eager_calls'] == 0
    assert stats['compile_seconds'] >= 0


def test_new_input_shape_retraces_and_logs_why(backend_name, caplog):
    _model, _opt, step = setup_mlp(backend_name)
    step(*data())
    step(*data())
    caplog.clear()
    with caplog.at_level(logging.INFO, logger='tracegrad.compile'):
        step(*data(batch=7))
    assert step.statistics()['traces'] == 3
    msgs = [r.getMessage() for r in caplog.records if r.name == 'tracegrad.compile']
    assert any('retracing' in m and 'input shapes/dtypes changed' in m and '(5, 6)' in m
               and '(7, 6)' in m for m in msgs), msgs
    caplog.clear()
    with caplog.at_level(logging.INFO, logger='tracegrad.compile'):
        step(*data(batch=7, seed=3))  # the same new shape: cached now
        step(*data(batch=5, seed=4))  # and the old one still is
    assert step.statistics()['traces'] == 3
    assert not [r for r in caplog.records if 'retracing' in r.getMessage()]


def test_new_input_dtype_retraces(backend_name, caplog):
    _model, _opt, step = setup_mlp(backend_name)
    step(*data())
    step(*data())
    with caplog.at_level(logging.INFO, logger='tracegrad.compile'):
        x, t = data()
        step(x, t.astype(np.int64))
    assert step.statistics()['traces'] == 3
    assert any('int64' in r.getMessage() or '<i8' in r.getMessage() for r in caplog.records)


def test_changing_the_learning_rate_does_not_retrace(backend_name):
    model, opt, step = setup_mlp(backend_name)
    model_e, opt_e = twin(model, opt)
    step_e = training_step(model_e, opt_e)
    for i, (x, t) in enumerate(mlp_batches(np.float32, n=8)):
        step(x, t)
        step_e(x, t)
        opt.lr *= 0.5  # as ExponentialShift does
        opt_e.lr *= 0.5
        np.testing.assert_allclose(model.predictor.l1.W.array, model_e.predictor.l1.W.array,
                                   rtol=1e-5, atol=1e-6)
    assert step.statistics()['traces'] == 2
    assert opt.lr == opt_e.lr == 0.1 * 0.5 ** 8


def test_learning_rate_takes_effect(backend_name):
    model, opt, step = setup_mlp(backend_name)
    x, t = data()
    step(x, t)
    step(x, t)
    opt.lr = 0.0
    W = model.predictor.l1.W.array.copy()
    step(x, t)
    np.testing.assert_array_equal(model.predictor.l1.W.array, W)
    assert step.statistics()['traces'] == 2


def test_adam_alpha_schedule_does_not_retrace(backend_name):
    model, opt, step = setup_mlp(backend_name, optimizers.Adam(alpha=0.01))
    model_e, opt_e = twin(model, opt)
    step_e = training_step(model_e, opt_e)
    for x, t in mlp_batches(np.float32, n=5):
        step(x, t)
        step_e(x, t)
        opt.alpha *= 0.5
        opt_e.alpha *= 0.5
    np.testing.assert_allclose(model.predictor.l2.W.array, model_e.predictor.l2.W.array,
                               rtol=1e-5, atol=1e-6)
    assert step.statistics()['traces'] == 2


def test_per_rule_hyperparameter_override_is_a_runtime_input(backend_name):
    model, _opt, step = setup_mlp(backend_name)
    model.predictor.l1.W.update_rule.hyperparam.lr = 0.0  # freeze one parameter
    x, t = data()
    step(x, t)
    W = model.predictor.l1.W.array.copy()
    b = model.predictor.l1.b.array.copy()
    step(x, t)
    np.testing.assert_array_equal(model.predictor.l1.W.array, W)
    assert not np.array_equal(model.predictor.l1.b.array, b)
    model.predictor.l1.W.update_rule.hyperparam.lr = 0.1
    step(x, t)
    assert not np.array_equal(model.predictor.l1.W.array, W)
    assert step.statistics()['traces'] == 2


def test_config_train_retraces(backend_name, caplog):
    _model, _opt, step = setup_mlp(backend_name)
    step(*data())
    step(*data())
    with caplog.at_level(logging.INFO, logger='tracegrad.compile'), \
            tracegrad.using_config('train', False):
        step(*data())
    assert step.statistics()['traces'] == 3
    assert any('config changed' in r.getMessage() for r in caplog.records)
    step(*data())
    assert step.statistics()['traces'] == 3


def test_replacing_a_parameter_retraces_and_uses_the_new_one(backend_name, caplog):
    model, opt, step = setup_mlp(backend_name)
    x, t = data()
    step(x, t)
    step(x, t)
    lin = model.predictor.l2
    new_W = tracegrad.Parameter(np.zeros_like(lin.W.array))
    with lin.init_scope():
        lin.W = new_W
    new_W.update_rule = opt.create_update_rule()
    with caplog.at_level(logging.INFO, logger='tracegrad.compile'):
        step(x, t)
    assert step.statistics()['traces'] == 3
    assert any('model/optimizer state changed' in r.getMessage() for r in caplog.records)
    assert lin.W is new_W
    assert new_W.grad is not None
    assert np.abs(new_W.array).sum() > 0  # updated from zero by the compiled step


def test_replacing_a_parameter_array_in_place_shape_keeps_cache(backend_name):
    """Assigning a new array of the same shape (e.g. loading a snapshot) is read, not baked."""
    model, opt, step = setup_mlp(backend_name)
    x, t = data()
    step(x, t)
    step(x, t)
    model_e, opt_e = twin(model, opt)
    new = np.random.RandomState(5).randn(*model.predictor.l1.W.shape).astype(np.float32)
    model.predictor.l1.W.array = new.copy()
    model_e.predictor.l1.W.array = new.copy()
    step(x, t)
    training_step(model_e, opt_e)(x, t)
    np.testing.assert_allclose(model.predictor.l1.W.array, model_e.predictor.l1.W.array,
                               rtol=1e-5, atol=1e-6)
    assert step.statistics()['traces'] == 2


def test_specialisation_limit_falls_back_to_eager(backend_name, caplog, monkeypatch):
    monkeypatch.setattr(api, 'MAX_SPECIALIZATIONS', 3)
    _model, _opt, step = setup_mlp(backend_name)
    step(*data(batch=2))
    step(*data(batch=2))
    step(*data(batch=3))
    assert step.statistics()['specializations'] == 3
    with caplog.at_level(logging.WARNING, logger='tracegrad.compile'):
        loss = step(*data(batch=4))
    assert isinstance(loss, tracegrad.Variable)
    stats = step.statistics()
    assert stats['specializations'] == 3
    assert stats['eager_calls'] == 1
    assert any('specialisations reached' in r.getMessage() for r in caplog.records)
    step(*data(batch=3))  # cached ones keep working
    assert step.statistics()['cache_hits'] == 1


def test_statistics_before_the_first_call_is_an_error(backend_name):
    _model, _opt, step = setup_mlp(backend_name)
    with pytest.raises(RuntimeError, match='not compiled yet'):
        step.statistics()
    with pytest.raises(RuntimeError, match='not compiled yet'):
        _ = step.ir


def test_ir_text_names_the_state(backend_name):
    _model, _opt, step = setup_mlp(backend_name)
    step(*data())
    text = step.ir
    assert text.startswith('graph(')
    assert 'predictor/l1/W' in text and 'opt0/hp/lr' in text and 'matmul' in text
    assert isinstance(step.source, str)


def test_uninitialized_link_runs_eagerly_first(backend_name):
    np.random.seed(0)
    model = L.Classifier(L.Linear(None, 4))
    opt = optimizers.SGD(lr=0.1).setup(model)
    model_e, opt_e = twin(model, opt)
    step = tracegrad.compile(training_step(model, opt), backend=backend_name)
    step_e = training_step(model_e, opt_e)
    for x, t in mlp_batches(np.float32, n=3):
        np.random.seed(1)  # the lazy initialisation draws
        step(x, t)
        np.random.seed(1)
        step_e(x, t)
    assert step.statistics()['eager_calls'] == 1
    np.testing.assert_allclose(model.predictor.W.array, model_e.predictor.W.array, rtol=1e-5)

import numpy as np
import pytest

import tracegrad
import tracegrad.functions as F
import tracegrad.links as L
from tests.training.helpers import MLP, make_trainer, params_of, toy_dataset
from tracegrad import datasets, iterators, optimizers, training


def test_update_equals_manual_sgd_step():
    np.random.seed(0)
    model = L.Classifier(MLP())
    data = toy_dataset(10)
    x, t = data[0:4][0], data[0:4][1]
    x = np.stack([d[0] for d in data[0:4]])
    t = np.array([d[1] for d in data[0:4]])
    model(x, t)
    reference = model.copy(mode='copy')
    optimizer = optimizers.SGD(lr=0.1).setup(model)
    it = iterators.SerialIterator(data, 4, shuffle=False)
    updater = training.updaters.StandardUpdater(it, optimizer)
    updater.update()
    assert updater.iteration == 1 and updater.epoch == 0
    assert updater.epoch_detail == pytest.approx(0.4)
    loss = reference(x, t)
    reference.cleargrads()
    loss.backward()
    for (name, p), (_, q) in zip(model.namedparams(), reference.namedparams()):
        np.testing.assert_allclose(p.array, q.array - 0.1 * q.grad, rtol=1e-6, atol=1e-7,
                                   err_msg=name)


def test_loss_func_dict_batches_and_new_epoch():
    np.random.seed(0)
    link = L.Linear(3, 1)
    seen = []

    def loss_func(x, y):
        seen.append(x.shape)
        return F.mean_squared_error(link(x), y)

    data = datasets.DictDataset(x=np.ones((4, 3), np.float32), y=np.zeros((4, 1), np.float32))
    optimizer = optimizers.SGD().setup(link)
    it = iterators.SerialIterator(data, 2, shuffle=False)
    updater = training.updaters.StandardUpdater(it, optimizer, loss_func=loss_func)
    assert optimizer.use_auto_new_epoch
    for _ in range(3):
        updater.update()
    assert seen == [(2, 3)] * 3
    assert optimizer.epoch == 1 and updater.epoch == 1
    assert updater.get_optimizer('main') is optimizer
    assert updater.get_iterator('main') is it
    assert updater.get_all_optimizers() == {'main': optimizer}


def test_device_and_loss_scale_options():
    link = L.Linear(2, 2)
    optimizer = optimizers.SGD().setup(link)
    it = iterators.SerialIterator([(np.ones(2, np.float32),)], 1)
    updater = training.updaters.StandardUpdater(it, optimizer, device='@numpy', loss_scale=8.0,
                                                auto_new_epoch=False)
    assert updater.device == tracegrad.get_device('@numpy')
    assert updater.input_device == updater.device
    assert optimizer._loss_scale == 8.0
    assert not optimizer.use_auto_new_epoch
    with pytest.raises(ValueError, match="'main'"):
        training.updaters.StandardUpdater({'train': it}, optimizer)


def test_serialize_roundtrip_continues_identically(tmp_path):
    from tracegrad.serializers import load_npz, save_npz

    # Without shuffling: the global random state is the trainer's to save.
    trainer, model = make_trainer(tmp_path, stop=(4, 'iteration'), shuffle=False)
    trainer.run()
    save_npz(tmp_path / 'updater.npz', trainer.updater)
    other, other_model = make_trainer(tmp_path, stop=(4, 'iteration'), seed=3, shuffle=False)
    load_npz(tmp_path / 'updater.npz', other.updater)
    for _ in range(3):
        trainer.updater.update()
        other.updater.update()
    a, b = params_of(model), params_of(other_model)
    for name in a:
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)


@pytest.mark.parametrize('compile_option', [{'backend': 'reference'}])
def test_compile_gives_the_eager_parameters(tmp_path, compile_option):
    eager, eager_model = make_trainer(tmp_path, stop=(6, 'iteration'))
    eager.run()
    compiled, compiled_model = make_trainer(tmp_path, stop=(6, 'iteration'),
                                            compile=compile_option)
    observed = {}
    compiled.extend(lambda t: observed.update(t.observation), name='grab')
    compiled.run()
    step = compiled.updater._compiled_step
    assert step is not None and step.stats['cache_hits'] >= 3
    assert 'main/loss' in observed
    a, b = params_of(eager_model), params_of(compiled_model)
    for name in a:
        np.testing.assert_allclose(a[name], b[name], rtol=1e-5, atol=1e-6, err_msg=name)

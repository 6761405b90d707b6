import os

import numpy as np
import pytest

from tests.training.helpers import make_trainer, params_of
from tracegrad import serializers, training
from tracegrad.training import extensions


def snapshot_files(path):
    return sorted(n for n in os.listdir(path) if n.startswith('snapshot'))


def test_snapshot_filenames_and_n_retains(tmp_path):
    trainer, _ = make_trainer(tmp_path, stop=(8, 'iteration'))
    trainer.extend(extensions.snapshot(n_retains=2), trigger=(2, 'iteration'))
    trainer.extend(extensions.snapshot(filename='snap_{.updater.epoch}.npz'),
                   trigger=(1, 'epoch'))
    trainer.run()
    assert snapshot_files(tmp_path) == ['snapshot_iter_6', 'snapshot_iter_8']
    assert sorted(n for n in os.listdir(tmp_path) if n.startswith('snap_')) == ['snap_1.npz']
    assert not [n for n in os.listdir(tmp_path) if n.endswith('.tmp')]
    with np.load(tmp_path / 'snapshot_iter_8', allow_pickle=True) as npz:
        assert int(npz['updater/iteration']) == 8


def test_snapshot_object_callable_filename_and_condition(tmp_path):
    trainer, model = make_trainer(tmp_path, stop=(4, 'iteration'))
    trainer.extend(extensions.snapshot_object(model, lambda t: f'model_{t.updater.iteration}'),
                   trigger=(2, 'iteration'))
    trainer.extend(extensions.snapshot(filename='never', condition=lambda: False),
                   trigger=(1, 'iteration'))
    trainer.run()
    assert not os.path.exists(tmp_path / 'never')
    _, other_model = make_trainer(tmp_path, seed=7)
    serializers.load_npz(tmp_path / 'model_4', other_model)
    np.testing.assert_array_equal(other_model.predictor.l1.W.array,
                                  model.predictor.l1.W.array)
    with pytest.raises(TypeError, match='savefun'):
        extensions.snapshot(savefun=serializers.save_npz,
                            writer=extensions.snapshot_writers.SimpleWriter())


def _run_to_end(out, stop, resume_from=None, autoload=False):
    trainer, model = make_trainer(out, stop=stop)
    trainer.extend(extensions.LogReport(trigger=(1, 'epoch')))
    trainer.extend(extensions.ExponentialShift('alpha', 0.9), trigger=(1, 'epoch'))
    trainer.extend(extensions.snapshot(autoload=autoload), trigger=(3, 'iteration'))
    if resume_from is not None:
        serializers.load_npz(resume_from, trainer)
    trainer.run()
    return trainer, model


@pytest.mark.parametrize('autoload', [False, True])
def test_resume_gives_the_uninterrupted_parameters(tmp_path, autoload):
    """Stop at iteration 9 (mid epoch, shuffled data, Adam state, lr shift) and resume."""
    full, full_model = _run_to_end(tmp_path / 'full', (4, 'epoch'))
    _run_to_end(tmp_path / 'part', (9, 'iteration'))
    resumed, resumed_model = _run_to_end(
        tmp_path / 'part', (4, 'epoch'), autoload=autoload,
        resume_from=None if autoload else tmp_path / 'part' / 'snapshot_iter_9')
    assert resumed.updater.iteration == full.updater.iteration
    a, b = params_of(full_model), params_of(resumed_model)
    for name in a:
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)
    full_log = full.get_extension('LogReport').log
    resumed_log = resumed.get_extension('LogReport').log
    assert [e['main/loss'] for e in resumed_log] == [e['main/loss'] for e in full_log]
    assert resumed.updater.get_optimizer('main').alpha == full.updater.get_optimizer(
        'main').alpha


class _FailingExtension(training.Extension):
    """Saves a few entries and then fails, as a serializer dying mid-write would."""

    def __init__(self):
        self.fail = False

    def __call__(self, trainer):
        pass

    def serialize(self, serializer):
        serializer('first', np.zeros(3))
        if self.fail:
            raise OSError('disk full')


def _failing_savefun(path, target):
    with open(path, 'wb') as f:
        f.write(b'PK\x03\x04 half an archive')
        f.flush()
    raise OSError('disk full')


@pytest.mark.parametrize('failure', ['serialize', 'write'])
def test_interrupted_snapshot_leaves_previous_one_usable(tmp_path, failure):
    trainer, _ = make_trainer(tmp_path, stop=(4, 'iteration'))
    failing = _FailingExtension()
    trainer.extend(failing)
    writer = extensions.snapshot_writers.SimpleWriter()
    trainer.extend(extensions.snapshot(filename='snapshot', writer=writer),
                   trigger=(2, 'iteration'))
    trainer.extend(extensions.snapshot(n_retains=3), trigger=(2, 'iteration'))

    def break_at_4(t):
        if t.updater.iteration == 3:
            if failure == 'serialize':
                failing.fail = True
            else:
                writer._savefun = _failing_savefun

    trainer.extend(break_at_4, name='breaker')
    with pytest.raises(OSError, match='disk full'):
        trainer.run(show_loop_exception_msg=False)
    files = os.listdir(tmp_path)
    assert not [n for n in files if n.endswith('.tmp')]
    assert 'snapshot_iter_4' not in files or failure == 'write'
    # The fixed-name snapshot still holds iteration 2, complete.
    restored, _ = make_trainer(tmp_path, stop=(4, 'iteration'), seed=5)
    restored.extend(_FailingExtension())
    serializers.load_npz(tmp_path / 'snapshot', restored)
    assert restored.updater.iteration == 2
    # autoload picks the latest complete snapshot matching the template.
    auto, _ = make_trainer(tmp_path, stop=(4, 'iteration'), seed=5)
    auto.extend(_FailingExtension())
    auto.extend(extensions.snapshot(autoload=True), trigger=(100, 'iteration'))
    auto.run()
    assert auto.updater.iteration == 4  # resumed at 2 (or 4), then ran to the stop trigger
    loaded_from = max(n for n in os.listdir(tmp_path) if n.startswith('snapshot_iter_'))
    assert loaded_from in ('snapshot_iter_2', 'snapshot_iter_4')


def test_autoload_skips_a_truncated_file(tmp_path):
    trainer, _ = make_trainer(tmp_path, stop=(4, 'iteration'))
    trainer.extend(extensions.snapshot(), trigger=(2, 'iteration'))
    trainer.run()
    # A file cut short by a crash of some other writer, newer than the good ones.
    good = (tmp_path / 'snapshot_iter_4').read_bytes()
    (tmp_path / 'snapshot_iter_6').write_bytes(good[:len(good) // 2])
    os.utime(tmp_path / 'snapshot_iter_6', (1e10, 1e10))
    resumed, _ = make_trainer(tmp_path, stop=(5, 'iteration'), seed=3)
    resumed.extend(extensions.snapshot(autoload=True), trigger=(100, 'iteration'))
    seen = []
    resumed.extend(lambda t: seen.append(t.updater.iteration), name='seen')
    with pytest.warns(UserWarning, match='snapshot_iter_6'):
        resumed.run()
    assert seen == [5]


def test_autoload_without_snapshots_starts_fresh(tmp_path):
    trainer, _ = make_trainer(tmp_path / 'new', stop=(2, 'iteration'))
    trainer.extend(extensions.snapshot(autoload=True))
    trainer.run()
    assert trainer.updater.iteration == 2

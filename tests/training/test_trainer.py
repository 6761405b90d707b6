import numpy as np
import pytest

from tests.training.helpers import make_trainer
from tracegrad import training
from tracegrad.serializers import DictionarySerializer, NpzDeserializer
from tracegrad.training import extensions


def test_extend_names_priorities_and_order(tmp_path):
    trainer, _ = make_trainer(tmp_path, stop=(2, 'iteration'))
    calls = []

    @training.make_extension(trigger=(1, 'iteration'), priority=training.PRIORITY_READER)
    def reader(trainer):
        calls.append('reader')

    class Writer(training.Extension):
        priority = training.PRIORITY_WRITER

        def __call__(self, trainer):
            calls.append('writer')

    trainer.extend(reader)
    trainer.extend(Writer())
    trainer.extend(lambda t: calls.append('editor'), name='edit',
                   priority=training.PRIORITY_EDITOR)
    trainer.extend(Writer())
    assert trainer.get_extension('Writer_1').name == 'Writer_1'
    assert reader.name == 'reader'
    trainer.run()
    assert calls == ['writer', 'writer', 'editor', 'reader'] * 2
    with pytest.raises(ValueError, match='not found'):
        trainer.get_extension('missing')
    with pytest.raises(ValueError, match='training'):
        trainer.extend(Writer(), name='training')
    with pytest.raises(RuntimeError, match='twice'):
        trainer.run()


def test_extension_trigger_and_call_before_training(tmp_path):
    trainer, _ = make_trainer(tmp_path, stop=(10, 'iteration'))
    seen = []
    trainer.extend(lambda t: seen.append(t.updater.iteration), name='every3',
                   trigger=(3, 'iteration'), call_before_training=True)
    trainer.run()
    assert seen == [0, 3, 6, 9]
    assert trainer.elapsed_time > 0
    assert trainer.updater.iteration == 10


def test_observation_has_main_loss_and_reporter_observers(tmp_path):
    trainer, _ = make_trainer(tmp_path, stop=(1, 'iteration'))
    observed = {}
    trainer.extend(lambda t: observed.update(t.observation), name='grab')
    trainer.run()
    assert set(observed) >= {'main/loss', 'main/accuracy'}
    assert trainer.is_before_training is False


def test_initialize_finalize_and_on_error(tmp_path):
    trainer, _ = make_trainer(tmp_path, stop=(5, 'iteration'))
    events = []

    class Failing(training.Extension):
        def initialize(self, trainer):
            events.append('initialize')

        def __call__(self, trainer):
            if trainer.updater.iteration == 2:
                raise ValueError('boom')

        def on_error(self, trainer, exc, tb):
            events.append(('on_error', str(exc)))

        def finalize(self):
            events.append('finalize')

    trainer.extend(Failing())
    with pytest.raises(ValueError, match='boom'):
        trainer.run(show_loop_exception_msg=False)
    assert events == ['initialize', ('on_error', 'boom'), 'finalize']


def test_elapsed_time_before_run_raises(tmp_path):
    trainer, _ = make_trainer(tmp_path)
    with pytest.raises(RuntimeError, match='not been started'):
        _ = trainer.elapsed_time


def test_serialize_keys_and_roundtrip(tmp_path):
    trainer, model = make_trainer(tmp_path, stop=(7, 'iteration'))
    trainer.extend(extensions.LogReport(trigger=(2, 'iteration')))
    trainer.run()
    s = DictionarySerializer()
    trainer.serialize(s)
    keys = set(s.target)
    assert 'updater/iteration' in keys
    assert 'updater/model:main/predictor/l1/W' in keys
    assert 'updater/optimizer:main/t' in keys
    assert any(k.startswith('updater/iterator:main/') for k in keys)
    assert 'extensions/LogReport/_log' in keys
    assert 'extension_triggers/LogReport/previous_iteration' in keys
    assert '_snapshot_elapsed_time' in keys

    other, other_model = make_trainer(tmp_path, stop=(7, 'iteration'), seed=1)
    other.extend(extensions.LogReport(trigger=(2, 'iteration')))
    other.serialize(NpzDeserializer(s.target))
    assert other.updater.iteration == 7
    assert other.get_extension('LogReport').log == trainer.get_extension('LogReport').log
    np.testing.assert_array_equal(other_model.predictor.l1.W.array,
                                  model.predictor.l1.W.array)
    assert other._snapshot_elapsed_time == pytest.approx(trainer.elapsed_time)

import pytest

from tests.training.helpers import FakeTrainer, fire_pattern
from tracegrad import training
from tracegrad.serializers import DictionarySerializer, NpzDeserializer
from tracegrad.training import triggers


def roundtrip(src, dst):
    s = DictionarySerializer()
    src.serialize(s)
    dst.serialize(NpzDeserializer(s.target))


@pytest.mark.parametrize('period,unit,n,expected', [
    (3, 'iteration', 10, [3, 6, 9]),
    (1, 'epoch', 35, [10, 20, 30]),
    (0.5, 'epoch', 20, [5, 10, 15, 20]),
])
def test_interval_trigger(period, unit, n, expected):
    assert fire_pattern(triggers.IntervalTrigger(period, unit), n) == expected


def test_interval_trigger_not_called_every_iteration_fires_when_crossed():
    trigger = triggers.IntervalTrigger(4, 'iteration')
    trainer = FakeTrainer()
    fired = []
    for i in (1, 3, 5, 7, 9):  # 4 and 8 are skipped but crossed
        trainer.updater.iteration = i
        fired.append(trigger(trainer))
    assert fired == [False, False, True, False, True]


def test_interval_trigger_bad_unit_and_length():
    with pytest.raises(ValueError, match="IntervalTrigger: unit must be 'epoch' or 'iteration'"):
        triggers.IntervalTrigger(1, 'epochs')
    assert triggers.IntervalTrigger(5, 'epoch').get_training_length() == (5, 'epoch')
    assert str(triggers.IntervalTrigger(5, 'epoch')) == "IntervalTrigger(5, 'epoch')"


def test_interval_trigger_serialize_resumes():
    a = triggers.IntervalTrigger(4, 'iteration')
    trainer = FakeTrainer()
    for i in range(1, 7):
        trainer.updater.iteration = i
        a(trainer)
    b = triggers.IntervalTrigger(4, 'iteration')
    roundtrip(a, b)
    trainer.updater.iteration = 8
    assert b(trainer)


def test_manual_schedule_trigger():
    trigger = triggers.ManualScheduleTrigger([2, 5], 'iteration')
    assert fire_pattern(trigger, 8) == [2, 5]
    assert trigger.finished
    epoch_trigger = triggers.ManualScheduleTrigger(1.5, 'epoch')
    assert fire_pattern(epoch_trigger, 30) == [15]
    with pytest.raises(ValueError, match='ManualScheduleTrigger'):
        triggers.ManualScheduleTrigger(1, 'step')


def test_manual_schedule_trigger_serialize():
    a = triggers.ManualScheduleTrigger([2, 5], 'iteration')
    fire_pattern(a, 6)
    b = triggers.ManualScheduleTrigger([2, 5], 'iteration')
    roundtrip(a, b)
    assert b.finished and b._previous_iteration == 6


def test_min_max_value_triggers():
    values = {1: 3.0, 2: 2.0, 3: 2.5, 4: 1.0}
    observe = (lambda i: {'loss': values[i]})
    assert fire_pattern(triggers.MinValueTrigger('loss', (1, 'iteration')), 4,
                        observations=observe) == [1, 2, 4]
    assert fire_pattern(triggers.MaxValueTrigger('loss', (1, 'iteration')), 4,
                        observations=observe) == [1]
    # Values are averaged over the interval: (3+2)/2=2.5 then (2.5+1)/2=1.75.
    assert fire_pattern(triggers.MinValueTrigger('loss', (2, 'iteration')), 4,
                        observations=observe) == [2, 4]


def test_early_stopping_trigger():
    losses = [5, 4, 4.5, 4.6, 4.7, 1]
    trigger = triggers.EarlyStoppingTrigger(check_trigger=(1, 'iteration'), monitor='main/loss',
                                            patience=3, max_trigger=(100, 'iteration'))
    assert fire_pattern(trigger, 6, observations=lambda i: {'main/loss': losses[i - 1]}) == [5]
    acc = triggers.EarlyStoppingTrigger(monitor='main/accuracy')
    assert acc.best == float('-inf')
    assert acc.get_training_length() == (100, 'epoch')
    capped = triggers.EarlyStoppingTrigger(max_trigger=(3, 'iteration'))
    assert fire_pattern(capped, 3) == [3]
    with pytest.raises(TypeError, match='patience'):
        triggers.EarlyStoppingTrigger(patience=2, patients=2)


def test_once_and_time_triggers():
    once = triggers.OnceTrigger()
    assert fire_pattern(once, 3) == [1]
    assert once.finished
    resumed = triggers.OnceTrigger(call_on_resume=True)
    roundtrip(once, resumed)
    assert fire_pattern(resumed, 2) == [1]
    time_trigger = triggers.TimeTrigger(1.0)
    trainer = FakeTrainer()
    fired = []
    for t in (0.5, 1.2, 1.5, 2.1, 3.5):
        trainer.elapsed_time = t
        fired.append(time_trigger(trainer))
    assert fired == [False, True, False, True, True]


def test_get_trigger():
    assert isinstance(training.get_trigger((2, 'epoch')), triggers.IntervalTrigger)
    assert training.get_trigger(None)(None) is False
    fn = (lambda trainer: True)
    assert training.get_trigger(fn) is fn
    assert training.util.get_trigger is training.get_trigger
    with pytest.raises(TypeError, match='get_trigger'):
        training.get_trigger(5)

import io
import threading

import pytest

import tracegrad
from tracegrad import config, global_config, using_config


def test_defaults():
    assert config.train is True and config.enable_backprop is True
    assert config.type_check is True and config.debug is False
    assert str(config.dtype) == 'float32'


def test_using_config_nests_and_restores():
    with using_config('train', False):
        assert config.train is False
        with using_config('train', True):
            assert config.train is True
        assert config.train is False
    assert config.train is True


def test_using_config_restores_on_error():
    with pytest.raises(RuntimeError), using_config('train', False):
        raise RuntimeError('boom')
    assert config.train is True


def test_new_keys_disappear_after_block():
    with using_config('my_key', 3):
        assert config.my_key == 3
    assert not hasattr(config, 'my_key')


def test_thread_local_overrides_and_global_changes():
    seen = {}
    with using_config('train', False):
        t = threading.Thread(target=lambda: seen.setdefault('train', config.train))
        t.start()
        t.join()
    assert seen['train'] is True  # other threads see the global value

    global_config.debug = True
    try:
        assert config.debug is True
        seen.clear()
        t = threading.Thread(target=lambda: seen.setdefault('debug', config.debug))
        t.start()
        t.join()
        assert seen['debug'] is True
    finally:
        global_config.debug = False
    assert config.debug is False


def test_local_assignment_overrides_global():
    config.type_check = False
    try:
        global_config.type_check = True
        assert config.type_check is False
    finally:
        del config.type_check
        config._overridden.discard('type_check')
        config.type_check = True
        config._overridden.discard('type_check')


def test_show_lists_keys():
    out = io.StringIO()
    config.show(out)
    text = out.getvalue()
    assert 'enable_backprop' in text and 'train' in text and '_overridden' not in text


def test_is_debug():
    assert tracegrad.is_debug() is False
    with using_config('debug', True):
        assert tracegrad.is_debug() is True

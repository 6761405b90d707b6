"""Setup of the guide-page doctests.

* Each page runs in its own empty directory: Chainer's pages write files such as
  ``my.model`` into the current directory.
* Chainer's pages import from ``chainer`` (``from chainer import serializers``,
  ``from chainer.backends import cuda``); while a page runs, ``chainer`` and its
  submodules name tracegrad's modules, as after ``import tracegrad as chainer``.
"""
import importlib
import sys

import pytest

# Submodules that the pages import by their dotted name.
_SUBMODULES = ('backends', 'backends.cuda', 'testing', 'gradient_check', 'serializers',
               'training', 'training.extensions', 'utils', 'utils.type_check', 'reporter',
               'optimizers', 'optimizer_hooks', 'datasets', 'iterators', 'links', 'functions',
               'initializers')


@pytest.fixture(autouse=True)
def _run_in_tmp_dir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


@pytest.fixture(autouse=True)
def _chainer_is_tracegrad(monkeypatch):
    import tracegrad

    for name in _SUBMODULES:
        importlib.import_module(f'tracegrad.{name}')
    monkeypatch.setitem(sys.modules, 'chainer', tracegrad)
    for name, module in list(sys.modules.items()):
        if name.startswith('tracegrad.'):
            monkeypatch.setitem(sys.modules, 'chainer' + name[len('tracegrad'):], module)

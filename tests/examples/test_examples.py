"""The examples run, learn, and resume from their snapshots."""
import importlib.util
import os

import numpy as np
import pytest

EXAMPLES = os.path.join(os.path.dirname(__file__), '..', '..', 'examples')


def load_example(name):
    spec = importlib.util.spec_from_file_location(name, os.path.join(EXAMPLES, name + '.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def final_accuracy(trainer):
    return trainer.get_extension('LogReport').log[-1]['validation/main/accuracy']


@pytest.mark.slow  # about 10 s on an idle 2-core machine, 30 s under load; runs in CI
def test_train_mnist_reaches_97_percent_on_the_digits(tmp_path, capsys):
    """The Done-when of the training issue, with the example's default settings
    (20 epochs, 100 units, batch 32): about 5-10 s of training on 2 cores."""
    trainer, _ = load_example('train_mnist').main(
        ['--dataset', 'digits', '--out', str(tmp_path)])
    assert final_accuracy(trainer) >= 0.97
    out = capsys.readouterr().out
    assert 'validation/main/accuracy' in out and 'final validation accuracy' in out
    files = set(os.listdir(tmp_path))
    assert {'log', 'cg.dot'} <= files
    assert [n for n in files if n.startswith('snapshot_iter_')] == ['snapshot_iter_899']
    if load_example('train_mnist').extensions.PlotReport.available():
        assert {'loss.png', 'accuracy.png'} <= files


def _params(model):
    return {name: p.array.copy() for name, p in model.namedparams()}


def test_train_mnist_stopped_and_resumed_equals_uninterrupted(tmp_path):
    example = load_example('train_mnist')
    common = ['--dataset', 'digits', '--unit', '16', '--batchsize', '100', '--frequency', '1',
              '--quiet', '--noplot']
    _, full = example.main(common + ['--epoch', '3', '--out', str(tmp_path / 'full')])
    example.main(common + ['--epoch', '2', '--out', str(tmp_path / 'part')])
    trainer, resumed = example.main(common + ['--epoch', '3', '--autoload',
                                              '--out', str(tmp_path / 'part')])
    assert [e['epoch'] for e in trainer.get_extension('LogReport').log] == [1, 2, 3]
    a, b = _params(full), _params(resumed)
    for name in a:
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)
    # --resume with an explicit file gives the same.
    snapshot = [n for n in os.listdir(tmp_path / 'part') if n.startswith('snapshot_iter_')]
    assert snapshot == ['snapshot_iter_44']


def test_train_mnist_compile_flag(tmp_path):
    """--compile runs the steps through tracegrad.compile (the reference backend here, so
    the test does not depend on a C compiler)."""
    example = load_example('train_mnist')
    args = ['--dataset', 'digits', '--unit', '16', '--epoch', '1', '--quiet', '--noplot',
            '--out', str(tmp_path)]
    assert_compiled_trains_as_eager(example, args, ['--compile', 'reference'])


def assert_compiled_trains_as_eager(example, args, compile_args):
    """The example run with ``compile_args`` and without: same accuracy, same weights.
    Returns the two models (compiled, eager)."""
    compiled_trainer, compiled = example.main(args + compile_args)
    assert compiled_trainer.updater._compiled_step.stats['cache_hits'] > 0
    eager_trainer, eager = example.main(args)
    assert final_accuracy(compiled_trainer) == pytest.approx(final_accuracy(eager_trainer))
    a, b = _params(eager), _params(compiled)
    for name in a:
        np.testing.assert_allclose(a[name], b[name], rtol=1e-4, atol=1e-5, err_msg=name)
    return compiled, eager


def test_train_cnn_learns(tmp_path):
    trainer, model = load_example('train_cnn').main(['--epoch', '1', '--quiet',
                                                     '--out', str(tmp_path)])
    assert final_accuracy(trainer) > 0.8
    assert model.predictor.bn1.avg_mean.any()  # batch statistics were collected


def test_train_cnn_compiled_equals_eager(tmp_path):
    """--compile (the C backend: convolutions, batch normalization, max pooling and dropout
    in one compiled step) trains the CNN to the same weights and statistics as eager."""
    args = ['--epoch', '1', '--quiet', '--out', str(tmp_path)]
    compiled, eager = assert_compiled_trains_as_eager(load_example('train_cnn'), args,
                                                      ['--compile'])
    np.testing.assert_allclose(compiled.predictor.bn2.avg_var, eager.predictor.bn2.avg_var,
                               rtol=1e-4, atol=1e-6)


def test_train_cnn_on_cifar10_files(tmp_path, monkeypatch):
    """--dataset cifar10 reads get_cifar10's cache (arrays of 32x32 colour images); the
    network's input size is inferred from them."""
    folder = tmp_path / 'data' / 'cifar'
    folder.mkdir(parents=True)
    rng = np.random.RandomState(0)
    labels = rng.randint(0, 10, 80).astype(np.uint8)
    images = rng.randint(0, 256, (80, 3, 32, 32)).astype(np.uint8)
    np.savez(folder / 'cifar-10.npz', train_x=images[:64].reshape(64, -1),
             train_y=labels[:64], test_x=images[64:].reshape(16, -1), test_y=labels[64:])
    monkeypatch.setenv('TRACEGRAD_DATASET_ROOT', str(tmp_path / 'data'))
    trainer, model = load_example('train_cnn').main(
        ['--dataset', 'cifar10', '--epoch', '1', '--batchsize', '16', '--quiet',
         '--out', str(tmp_path / 'out')])
    assert model.predictor.conv1.W.shape == (16, 3, 3, 3)
    assert model.predictor.fc.W.shape == (10, 32 * 16 * 16)
    assert trainer.updater.iteration == 4


def test_train_ptb_learns_a_repetitive_corpus(tmp_path, monkeypatch):
    """Chainer's PTB example (LSTM language model, truncated BPTT, Evaluator with a state
    reset) on a tiny corpus in PTB's file format: perplexity falls far below the
    vocabulary size."""
    root = tmp_path / 'data' / 'ptb'
    root.mkdir(parents=True)
    sentence = 'the cat sat on the mat\n'
    for part, repeats in (('train', 60), ('valid', 5), ('test', 5)):
        (root / f'ptb.{part}.txt').write_text(sentence * repeats)
    monkeypatch.setenv('TRACEGRAD_DATASET_ROOT', str(tmp_path / 'data'))
    trainer, perplexity = load_example('train_ptb').main(
        ['--test', '--unit', '32', '--batchsize', '4', '--bproplen', '5', '--epoch', '30',
         '--quiet', '--out', str(tmp_path / 'out'), '--model', str(tmp_path / 'model.npz')])
    log = trainer.get_extension('LogReport').log
    assert len(log) == 15 and 'val_perplexity' in log[-1]
    assert log[0]['perplexity'] > 3  # 6 words, about uniform at first
    assert perplexity < 2
    assert (tmp_path / 'model.npz').exists()

"""A program written for Chainer's training API runs with only its import changed.

The script below is Chainer v7's examples/mnist/train_mnist.py in its usual form
(the `chainer.` names, argparse flags, the standard extensions), with
`import chainer` replaced by `import tracegrad as chainer` and two data-set
lines: the digits instead of MNIST, and a smaller run, so that it stays fast.
"""
import subprocess
import sys
import textwrap

CHAINER_SCRIPT = textwrap.dedent('''
    import argparse

    import tracegrad as chainer
    import tracegrad.functions as F
    import tracegrad.links as L
    from tracegrad import training
    from tracegrad.training import extensions


    class MLP(chainer.Chain):

        def __init__(self, n_units, n_out):
            super(MLP, self).__init__()
            with self.init_scope():
                self.l1 = L.Linear(None, n_units)
                self.l2 = L.Linear(None, n_units)
                self.l3 = L.Linear(None, n_out)

        def forward(self, x):
            h1 = F.relu(self.l1(x))
            h2 = F.relu(self.l2(h1))
            return self.l3(h2)


    def main():
        parser = argparse.ArgumentParser(description='Chainer example: MNIST')
        parser.add_argument('--batchsize', '-b', type=int, default=100)
        parser.add_argument('--epoch', '-e', type=int, default=20)
        parser.add_argument('--frequency', '-f', type=int, default=-1)
        parser.add_argument('--device', '-d', type=str, default='-1')
        parser.add_argument('--out', '-o', default='result')
        parser.add_argument('--resume', '-r', type=str)
        parser.add_argument('--autoload', action='store_true')
        parser.add_argument('--unit', '-u', type=int, default=1000)
        parser.add_argument('--noplot', dest='plot', action='store_false')
        args = parser.parse_args()

        device = chainer.get_device(args.device)
        print('Device: {}'.format(device))
        print('# unit: {}'.format(args.unit))

        model = L.Classifier(MLP(args.unit, 10))
        model.to_device(device)
        device.use()

        optimizer = chainer.optimizers.Adam()
        optimizer.setup(model)

        train, test = chainer.datasets.get_digits()   # was: chainer.datasets.get_mnist()
        train = chainer.datasets.split_dataset(train, 300)[0]

        train_iter = chainer.iterators.SerialIterator(train, args.batchsize)
        test_iter = chainer.iterators.SerialIterator(test, args.batchsize,
                                                     repeat=False, shuffle=False)

        updater = training.updaters.StandardUpdater(
            train_iter, optimizer, device=device)
        trainer = training.Trainer(updater, (args.epoch, 'epoch'), out=args.out)

        trainer.extend(extensions.Evaluator(test_iter, model, device=device),
                       call_before_training=True)
        trainer.extend(extensions.DumpGraph('main/loss'))

        frequency = args.epoch if args.frequency == -1 else max(1, args.frequency)
        trainer.extend(extensions.snapshot(n_retains=1, autoload=args.autoload),
                       trigger=(frequency, 'epoch'))
        trainer.extend(extensions.LogReport(), call_before_training=True)

        if args.plot and extensions.PlotReport.available():
            trainer.extend(
                extensions.PlotReport(['main/loss', 'validation/main/loss'],
                                      'epoch', filename='loss.png'),
                call_before_training=True)
            trainer.extend(
                extensions.PlotReport(
                    ['main/accuracy', 'validation/main/accuracy'],
                    'epoch', filename='accuracy.png'),
                call_before_training=True)

        trainer.extend(extensions.PrintReport(
            ['epoch', 'main/loss', 'validation/main/loss',
             'main/accuracy', 'validation/main/accuracy', 'elapsed_time']),
            call_before_training=True)
        trainer.extend(extensions.ProgressBar())

        if args.resume is not None:
            chainer.serializers.load_npz(args.resume, trainer)

        trainer.run()


    if __name__ == '__main__':
        main()
''')


def run_script(tmp_path, *args):
    path = tmp_path / 'train_mnist.py'
    path.write_text(CHAINER_SCRIPT)
    # '--device @numpy': Chainer also accepts its default '-1' here, which
    # tracegrad.get_device does not parse yet.
    return subprocess.run([sys.executable, str(path), '--out', str(tmp_path / 'result'),
                           '--device', '@numpy', *args], capture_output=True, text=True,
                          timeout=300, cwd=str(tmp_path), env=_env(), check=False)


def _env():
    import os

    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = dict(os.environ)
    env['PYTHONPATH'] = root + os.pathsep + env.get('PYTHONPATH', '')
    return env


def test_chainer_mnist_script_runs_and_resumes(tmp_path):
    first = run_script(tmp_path, '--epoch', '2', '--unit', '50')
    assert first.returncode == 0, first.stderr
    assert 'validation/main/accuracy' in first.stdout
    result = tmp_path / 'result'
    assert (result / 'log').exists() and (result / 'cg.dot').exists()
    assert (result / 'snapshot_iter_6').exists()
    # The log has the entry written before training and one per epoch.
    import json

    log = json.loads((result / 'log').read_text())
    assert [e['epoch'] for e in log] == [0, 1, 2]
    resumed = run_script(tmp_path, '--epoch', '3', '--unit', '50', '--resume',
                         str(result / 'snapshot_iter_6'))
    assert resumed.returncode == 0, resumed.stderr
    log = json.loads((result / 'log').read_text())
    assert [e['epoch'] for e in log] == [0, 1, 2, 3]

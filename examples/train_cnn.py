#!/usr/bin/env python3
"""Train a small convolutional network with batch normalization and dropout on the
8x8 handwritten digits (tracegrad.datasets.get_digits, no network needed), or on
CIFAR-10/100 (tracegrad.datasets.get_cifar10, downloaded on first use).

Two 3x3 convolutions (16 and 32 channels) with batch normalization and ReLU,
a 2x2 max pooling, dropout and a linear classifier. The defaults (5 epochs,
batch size 32, Adam) reach about 98% validation accuracy on the digits.

    python examples/train_cnn.py --epoch 5 --out result_cnn
    python examples/train_cnn.py --epoch 5 --compile    # each step compiled (C backend)
    python examples/train_cnn.py --dataset cifar10 --batchsize 64 --compile
"""
import argparse

import numpy

import tracegrad as chainer
import tracegrad.functions as F
import tracegrad.links as L
from tracegrad import training
from tracegrad.training import extensions


class ConvNet(chainer.Chain):
    """conv-BN-ReLU, conv-BN-ReLU, max pooling, dropout, linear."""

    def __init__(self, n_out=10, dropout=0.3):
        super().__init__()
        self.dropout = dropout
        with self.init_scope():
            self.conv1 = L.Convolution2D(None, 16, 3, pad=1, nobias=True)
            self.bn1 = L.BatchNormalization(16)
            self.conv2 = L.Convolution2D(16, 32, 3, pad=1, nobias=True)
            self.bn2 = L.BatchNormalization(32)
            self.fc = L.Linear(None, n_out)

    def forward(self, x):
        h = F.relu(self.bn1(self.conv1(x)))
        h = F.relu(self.bn2(self.conv2(h)))
        h = F.max_pooling_2d(h, 2)
        h = F.dropout(h, self.dropout)
        return self.fc(h)


def build_parser():
    parser = argparse.ArgumentParser(description='tracegrad example: a CNN on the digits')
    parser.add_argument('--dataset', choices=('digits', 'cifar10', 'cifar100'),
                        default='digits')
    parser.add_argument('--batchsize', '-b', type=int, default=32)
    parser.add_argument("--epoch", "-e", type=int, default=5)
    parser.add_argument('--device', '-d', type=str, default='@numpy')
    parser.add_argument('--out', '-o', default='result_cnn')
    parser.add_argument('--resume', '-r', type=str, help='Resume from this snapshot')
    parser.add_argument('--autoload', action='store_true',
                        help='Resume from the newest snapshot in --out, if any')
    parser.add_argument('--compile', nargs='?', const='auto', default=None, metavar='BACKEND',
                        help="Compile each training step with tracegrad.compile (the "
                             "device's backend by default: 'c' on the CPU, 'cuda' on a GPU; "
                             "or name one, e.g. 'reference')")
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--quiet', action='store_true')
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    numpy.random.seed(args.seed)
    device = chainer.get_device(args.device)
    if args.dataset == 'digits':
        (train, test), n_out = chainer.datasets.get_digits(ndim=3), 10
    elif args.dataset == 'cifar10':
        (train, test), n_out = chainer.datasets.get_cifar10(), 10
    else:
        (train, test), n_out = chainer.datasets.get_cifar100(), 100
    model = L.Classifier(ConvNet(n_out))
    model.to_device(device)
    optimizer = chainer.optimizers.Adam().setup(model)
    train_iter = chainer.iterators.SerialIterator(train, args.batchsize)
    test_iter = chainer.iterators.SerialIterator(test, 100, repeat=False, shuffle=False)
    compile_option = False if args.compile is None else (
        True if args.compile == 'auto' else {'backend': args.compile})
    updater = training.updaters.StandardUpdater(train_iter, optimizer, device=device,
                                                compile=compile_option)
    trainer = training.Trainer(updater, (args.epoch, 'epoch'), out=args.out)
    trainer.extend(extensions.Evaluator(test_iter, model, device=device))
    trainer.extend(extensions.snapshot(n_retains=1, autoload=args.autoload))
    trainer.extend(extensions.LogReport())
    if not args.quiet:
        trainer.extend(extensions.PrintReport(
            ['epoch', 'main/loss', 'validation/main/loss', 'main/accuracy',
             'validation/main/accuracy', 'elapsed_time']))
        trainer.extend(extensions.ProgressBar(update_interval=10))
    if args.resume:
        chainer.serializers.load_npz(args.resume, trainer)
    trainer.run()
    log = trainer.get_extension('LogReport').log
    print(f"final validation accuracy: {log[-1]['validation/main/accuracy']:.4f} "
          f"after {trainer.elapsed_time:.1f} s")
    return trainer, model


if __name__ == '__main__':
    main()

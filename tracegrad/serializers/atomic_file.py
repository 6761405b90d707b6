"""Atomic file replacement: a save either completes or leaves the old file as it was."""
from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from typing import IO, Union

PathLike = Union[str, 'os.PathLike[str]']


def _fsync_directory(directory: str) -> None:
    """Make the rename durable (POSIX); a no-op where directories cannot be opened."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_write(path: PathLike, mode: str = 'w+b') -> Iterator[IO[bytes]]:
    """Yield a new temporary file beside ``path`` that replaces ``path`` on success.

    The data is flushed and fsynced before :func:`os.replace` moves the file into
    place, so a crash or an exception at any point leaves either the old file or
    the complete new one; on an exception the temporary file is removed.

    Args:
        path: the file to write.
        mode: the binary mode to open the temporary file with.
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    tmp = os.path.join(directory, f'.{os.path.basename(path)}.{secrets.token_hex(6)}.tmp')
    # 0o666 lets the umask decide the permissions, as for a plain open().
    fd = os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, 'O_BINARY', 0), 0o666)
    try:
        with os.fdopen(fd, mode) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_directory(directory)

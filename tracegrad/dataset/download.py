"""Where data sets are kept, and fetching their files.

The root folder is, in order of precedence: the path given to
:func:`set_dataset_root`; the environment variable ``TRACEGRAD_DATASET_ROOT``;
``$XDG_CACHE_HOME/tracegrad/datasets``; ``~/.cache/tracegrad/datasets``.
Each data set has a subfolder (``mnist`` for :func:`tracegrad.datasets.get_mnist`).
"""
from __future__ import annotations

import os
import sys
import tempfile
import urllib.request

_dataset_root: str | None = None


def get_dataset_root() -> str:
    """Return the folder under which data sets are stored (see the module docstring)."""
    if _dataset_root is not None:
        return _dataset_root
    env = os.environ.get('TRACEGRAD_DATASET_ROOT')
    if env:
        return env
    cache = os.environ.get('XDG_CACHE_HOME') or os.path.join(os.path.expanduser('~'), '.cache')
    return os.path.join(cache, 'tracegrad', 'datasets')


def set_dataset_root(path: str | None) -> None:
    """Store data sets under ``path`` from now on (None: back to the environment's choice)."""
    global _dataset_root
    _dataset_root = None if path is None else os.fspath(path)


def get_dataset_directory(dataset_name: str, create_directory: bool = True) -> str:
    """Return ``<dataset root>/<dataset_name>`` (``/`` in the name separates folders).

    Args:
        dataset_name: name of the data set, e.g. ``'mnist'``.
        create_directory: create the folder when it does not exist.
    """
    path = os.path.join(get_dataset_root(), *dataset_name.split('/'))
    if create_directory:
        os.makedirs(path, exist_ok=True)
    return path


def download_file(url: str, path: str, timeout: float = 5.0, check=None) -> None:
    """Download ``url`` to ``path`` atomically: into a temporary file in the same
    folder, checked with ``check(temp_path)`` when given, then renamed. A failed or
    interrupted download leaves no file at ``path``.

    Raises:
        OSError: the download failed (including a timeout after ``timeout`` seconds
            without data); ``check`` may raise its own errors.
    """
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    # A hidden name ending like the target's, so that ``check`` sees the same suffix (.gz).
    fd, temp_path = tempfile.mkstemp(prefix='.', suffix='-' + os.path.basename(path), dir=folder)
    try:
        with os.fdopen(fd, 'wb') as out:
            sys.stderr.write(f'Downloading {url} ...\n')
            with urllib.request.urlopen(url, timeout=timeout) as response:
                while True:
                    chunk = response.read(1 << 16)
                    if not chunk:
                        break
                    out.write(chunk)
        if check is not None:
            check(temp_path)
        os.replace(temp_path, path)
    except BaseException:
        if os.path.exists(temp_path):
            os.remove(temp_path)
        raise

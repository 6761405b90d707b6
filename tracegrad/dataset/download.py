"""Where data sets are kept, and fetching their files.

The root folder is, in order of precedence: the path given to
:func:`set_dataset_root`; the environment variable ``TRACEGRAD_DATASET_ROOT``;
``$XDG_CACHE_HOME/tracegrad/datasets``; ``~/.cache/tracegrad/datasets``.
Each data set has a subfolder (``mnist`` for :func:`tracegrad.datasets.get_mnist`).
"""
from __future__ import annotations

import hashlib
import os
import shutil
import sys
import tempfile
import urllib.request
from collections.abc import Callable, Sequence
from typing import Any

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


def cached_download(url: str, timeout: float = 60.0) -> str:
    """Download ``url`` once and return the path of the cached copy.

    Copies live under ``<dataset root>/_dl_cache``, named by the MD5 of the URL; a
    later call with the same URL returns the cached path without touching the
    network. The download is atomic (see :func:`download_file`), so processes that
    fetch the same URL at once each end with a complete file.

    Args:
        url: where to fetch the file from (``file://`` URLs work too).
        timeout: seconds without data after which the download fails.

    Returns:
        str: the path of the cached file.
    """
    cache_root = get_dataset_directory('_dl_cache')
    path = os.path.join(cache_root, hashlib.md5(url.encode('utf-8')).hexdigest())
    if not os.path.exists(path):
        download_file(url, path, timeout)
    return path


def cache_or_load_file(path: str, creator: Callable[[str], Any],
                       loader: Callable[[str], Any]) -> Any:
    """Return ``loader(path)`` if ``path`` exists; else create it with ``creator``.

    ``creator(temp_path)`` writes the file at a temporary path (in a fresh folder
    next to ``path``, with the same base name, so suffix-adding writers such as
    ``numpy.savez`` name it right) and returns the content; the file is then renamed
    to ``path``. A creator that fails leaves nothing at ``path``.
    """
    if os.path.exists(path):
        return loader(path)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    temp_dir = tempfile.mkdtemp(prefix='.tmp-', dir=folder)
    try:
        temp_path = os.path.join(temp_dir, os.path.basename(path))
        content = creator(temp_path)
        os.replace(temp_path, path)
    finally:
        shutil.rmtree(temp_dir, ignore_errors=True)
    return content


def load_npz(path: str) -> dict:
    """The arrays of an ``.npz`` file as a dict, the file closed again (a ``loader`` for
    :func:`cache_or_load_file`)."""
    import numpy

    with numpy.load(path) as npz:
        return dict(npz)


def find_or_download(who: str, folder: str, name: str, urls: Sequence[str],
                     check: Callable[[str], Any] | None = None,
                     alternatives: Sequence[str] = (), expected: Sequence[str] = (),
                     hint: str = '', timeout: float = 5.0) -> str:
    """Return the path of the data file ``name`` in ``folder``, downloading it if missing.

    Files a user put in ``folder`` (``name`` or one of ``alternatives``, e.g. the
    uncompressed twin of a ``.gz``) are used as they are, so data sets work offline.
    Otherwise each URL is tried in turn and the file is saved as ``name``, checked with
    ``check(path)`` before it is kept. When nothing works, a RuntimeError names the
    function ``who``, the folder and the files still missing there (of ``expected``,
    else ``name``; a name counts as present with or without ``.gz``), followed by ``hint``.
    """
    for candidate in (*alternatives, name):
        path = os.path.join(folder, candidate)
        if os.path.exists(path):
            return path
    path = os.path.join(folder, name)
    errors = []
    for url in urls:
        try:
            download_file(url, path, timeout, check)
            return path
        except (OSError, ValueError) as e:
            errors.append(f'{url}: {e}')
    files = [f for f in (expected or [name])
             if not any(os.path.exists(os.path.join(folder, f + ext)) for ext in ('', '.gz'))]
    raise RuntimeError(
        f'{who}: the data file {name} is not in {folder} and could not be downloaded '
        f'({"; ".join(errors) or "no source configured"}).\n'
        f'Put these files there{hint}: {", ".join(files)}; or set TRACEGRAD_DATASET_ROOT '
        f'to a folder whose {os.path.basename(folder)}/ subfolder holds them.')

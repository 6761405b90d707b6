"""The on-disk kernel cache: compile C source once, load it everywhere.

Entries are keyed by a hash of the source, the compiler command and version,
the BLAS library and the Python ABI. Each entry is a shared library plus a
sidecar with its SHA-256; both are written to temporary names and renamed
into place, so two processes building the same kernel never see a partial
file, and a corrupt entry (failed checksum or load) is rebuilt.
"""
from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import platform
import shutil
import subprocess
import sys
import tempfile

logger = logging.getLogger('codegen.cache')

CFLAGS = ('-O3', '-march=native', '-fPIC', '-shared', '-std=c11', '-fno-math-errno',
          '-Werror=implicit-function-declaration')
# scipy-openblas32 prefixes its symbols (scipy_cblas_sgemm) so it never clashes with
# the BLAS that NumPy itself loads.
BLAS_PREFIX = 'scipy_'


class BuildError(Exception):
    """Raised when generated code cannot be compiled or loaded."""


def cache_dir() -> str:
    root = os.environ.get('TRACEGRAD_CACHE_DIR')
    if not root:
        base = os.environ.get('XDG_CACHE_HOME') or os.path.join(os.path.expanduser('~'), '.cache')
        root = os.path.join(base, 'tracegrad', 'kernels')
    os.makedirs(root, exist_ok=True)
    return root


@functools.cache
def compiler() -> tuple[str, str]:
    """(command, version line) of the C compiler; BuildError when there is none."""
    cc = os.environ.get('CC') or shutil.which('cc') or shutil.which('gcc') or shutil.which('clang')
    if not cc or not shutil.which(cc.split()[0]):
        raise BuildError('no C compiler found: install gcc or clang, or set CC '
                         '(or use tracegrad.compile(..., fallback="eager"))')
    try:
        version = subprocess.run([*cc.split(), '--version'], capture_output=True, text=True,
                                 timeout=30).stdout.splitlines()[0]
    except (OSError, IndexError, subprocess.TimeoutExpired) as e:
        raise BuildError(f'the C compiler {cc!r} does not run: {e}') from None
    return cc, version


@functools.cache
def blas() -> tuple[str, str, str]:
    """(include dir, library dir, library name) of scipy-openblas32."""
    try:
        import scipy_openblas32 as sob
    except ImportError:
        raise BuildError('scipy-openblas32 is not installed (pip install scipy-openblas32)') \
            from None
    return sob.get_include_dir(), sob.get_lib_dir(), sob.get_library()


@functools.cache
def blas_threads() -> int:
    """Threads for large GEMMs: OPENBLAS_NUM_THREADS (or OMP_NUM_THREADS) if set, else
    every core. Read once per process, as OpenBLAS itself reads it at start-up."""
    for var in ('OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS'):
        value = os.environ.get(var, '')
        if value.isdigit() and int(value) > 0:
            return int(value)
    return os.cpu_count() or 1


def _key(source: str, cmd: list) -> str:
    h = hashlib.sha256()
    for part in (source, ' '.join(cmd), compiler()[1], sys.implementation.cache_tag,
                 platform.machine(), _cpu_model()):
        h.update(part.encode())
        h.update(b'\0')
    return h.hexdigest()[:32]


@functools.cache
def _cpu_model() -> str:
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name') or line.startswith('flags'):
                    return line.strip()
    except OSError:
        pass
    return platform.processor()


def _command(src: str, out: str) -> list:
    cc, _ = compiler()
    include, libdir, lib = blas()
    return [*cc.split(), *CFLAGS, f'-I{include}', src, '-o', out, f'-L{libdir}', f'-l{lib}',
            f'-Wl,-rpath,{libdir}', '-lm']


def _sha(path: str) -> str:
    with open(path, 'rb') as f:
        return hashlib.sha256(f.read()).hexdigest()


_loaded: dict = {}


def load_or_build(key_material: str, produce):
    """Load the library for ``key_material`` from the cache, or build it.

    ``key_material`` names the program completely (for the C backend: the fused
    graph, the donations and a fingerprint of codegen's own sources), so a warm
    start neither renders nor compiles. ``produce()`` returns ``(source, meta)``
    and is called only on a miss; ``meta`` (JSON-serialisable) is stored beside
    the library and returned on later hits.

    Returns ``(lib, ffi, cache_hit, meta)``, where ``meta['source_path']`` is the
    generated C file.
    """
    import cffi

    key = _key(key_material, _command('SRC', 'OUT'))
    if key in _loaded:
        lib, ffi, meta = _loaded[key]
        return lib, ffi, True, meta
    root = cache_dir()
    so_path = os.path.join(root, f'{key}.so')
    meta_path = os.path.join(root, f'{key}.json')
    meta = _read_meta(so_path, meta_path)
    hit = meta is not None
    if not hit:
        meta = _compile(produce, root, key, so_path, meta_path)
    ffi = cffi.FFI()
    ffi.cdef('int tg_run(char* arena, void** io); void tg_init(int all_threads);')
    try:
        lib = ffi.dlopen(so_path)
    except OSError:
        if not hit:
            raise
        logger.warning('kernel cache entry %s does not load; rebuilding', so_path)
        meta = _compile(produce, root, key, so_path, meta_path)
        lib = ffi.dlopen(so_path)
        hit = False
    if os.environ.get('TRACEGRAD_DEBUG'):
        logger.warning('tracegrad: generated source %s', meta['source_path'])
    lib.tg_init(blas_threads())
    _loaded[key] = (lib, ffi, meta)
    return lib, ffi, hit, meta


def _read_meta(so_path: str, meta_path: str):
    """The sidecar of a complete, intact cache entry, else None."""
    if not (os.path.exists(so_path) and os.path.exists(meta_path)):
        return None
    try:
        with open(meta_path) as f:
            meta = json.load(f)
        if meta.get('sha256') == _sha(so_path):
            return meta
        logger.warning('kernel cache entry %s is corrupt; rebuilding', so_path)
    except (OSError, ValueError):
        logger.warning('kernel cache entry %s is unreadable; rebuilding', so_path)
    return None


def _compile(produce, root: str, key: str, so_path: str, meta_path: str) -> dict:
    source, meta = produce()
    meta = dict(meta)
    src_path = os.path.join(root, f'{key}.c')
    fd, tmp_src = tempfile.mkstemp(prefix=f'{key}.', suffix='.c', dir=root)
    with os.fdopen(fd, 'w') as f:
        f.write(source)
    os.replace(tmp_src, src_path)
    fd, tmp_so = tempfile.mkstemp(prefix=f'{key}.', suffix='.so.tmp', dir=root)
    os.close(fd)
    try:
        proc = subprocess.run(_command(src_path, tmp_so), capture_output=True, text=True,
                              timeout=300)
        if proc.returncode != 0:
            raise BuildError(f'the C compiler failed on {src_path}:\n{proc.stderr[-4000:]}')
        digest = _sha(tmp_so)
        os.replace(tmp_so, so_path)
    finally:
        if os.path.exists(tmp_so):
            os.unlink(tmp_so)
    meta.update(sha256=digest, source_path=src_path)
    fd, tmp_meta = tempfile.mkstemp(prefix=f'{key}.', suffix='.json.tmp', dir=root)
    with os.fdopen(fd, 'w') as f:
        json.dump(meta, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp_meta, meta_path)
    return meta

"""The C backend's build: the on-disk kernel cache, missing compilers, the source itself."""
import multiprocessing
import os
import re
import warnings

import numpy as np
import pytest

from codegen import Graph, cache, parse
from codegen.backends import c as cbackend


def small_graph(tag: float = 1.5) -> Graph:
    """exp(x) * tag + matmul(x, w): a fusion and a GEMM; ``tag`` makes the source unique."""
    g = Graph()
    x = g.input((3, 4), 'float32')
    w = g.input((4, 4), 'float32')
    k = g.add('fill', [], shape=(), value=tag, dtype='float32')
    y = g.add('add', [g.add('mul', [g.add('exp', [x]), k]), g.add('matmul', [x, w])])
    g.set_outputs([y])
    return g


def inputs():
    rng = np.random.RandomState(0)
    return [rng.uniform(-1, 1, (3, 4)).astype(np.float32),
            rng.uniform(-1, 1, (4, 4)).astype(np.float32)]


def expected(tag: float = 1.5):
    x, w = inputs()
    return np.exp(x) * np.float32(tag) + x @ w


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    """A fresh cache directory and an empty in-process table of loaded libraries."""
    d = tmp_path / 'kernels'
    monkeypatch.setenv('TRACEGRAD_CACHE_DIR', str(d))
    monkeypatch.setattr(cache, '_loaded', {})
    return d


def entries(d):
    return sorted(os.listdir(d))


def test_cache_dir_is_respected_and_second_build_hits(cache_dir):
    p1 = cbackend.build(small_graph())
    assert p1.stats['cache_hit'] is False
    names = entries(cache_dir)
    assert len(names) == 3 and {n.rsplit('.', 1)[1] for n in names} == {'c', 'so', 'json'}
    np.testing.assert_allclose(p1(inputs())[0], expected(), rtol=1e-5)
    # same process: the loaded library is reused
    assert cbackend.build(small_graph()).stats['cache_hit'] is True
    # a new process (an empty table of loaded libraries) reads the disk
    cache._loaded.clear()
    p2 = cbackend.build(small_graph())
    assert p2.stats['cache_hit'] is True
    np.testing.assert_allclose(p2(inputs())[0], expected(), rtol=1e-5)
    assert entries(cache_dir) == names


def test_default_cache_dir_without_the_variable(monkeypatch, tmp_path):
    monkeypatch.delenv('TRACEGRAD_CACHE_DIR', raising=False)
    monkeypatch.setenv('XDG_CACHE_HOME', str(tmp_path))
    assert cache.cache_dir() == os.path.join(str(tmp_path), 'tracegrad', 'kernels')


DAMAGES = {'garbage_so': 10.5, 'truncated_so': 11.5, 'garbage_sidecar': 12.5,
           'missing_sidecar': 13.5, 'so_matching_bad_sidecar': 14.5}


def _build_entries(d):
    """In a child process (this one must not map the libraries it will damage): build one
    cache entry per kind of damage; returns {tag: path of the .so}."""
    os.environ['TRACEGRAD_CACHE_DIR'] = d
    from codegen import cache
    from codegen.backends import c

    paths = {}
    for tag in DAMAGES.values():
        c.build(small_graph(tag))
        paths[tag] = next(os.path.join(d, k + '.so') for k in cache._loaded)
        cache._loaded.clear()
    return paths


@pytest.fixture(scope='module')
def damaged_dir(tmp_path_factory):
    d = str(tmp_path_factory.mktemp('kernels'))
    with multiprocessing.get_context('spawn').Pool(1) as pool:
        return d, pool.apply(_build_entries, (d,))


@pytest.mark.parametrize('damage', sorted(DAMAGES))
def test_corrupt_entry_is_rebuilt(damaged_dir, damage, monkeypatch):
    d, paths = damaged_dir
    monkeypatch.setenv('TRACEGRAD_CACHE_DIR', d)
    monkeypatch.setattr(cache, '_loaded', {})
    tag = DAMAGES[damage]
    so = paths[tag]
    meta = so[:-3] + '.json'
    assert os.path.exists(so) and os.path.exists(meta)
    if damage == 'truncated_so':
        with open(so, 'r+b') as f:
            f.truncate(100)
    elif damage == 'garbage_so':
        with open(so, 'wb') as f:
            f.write(b'\x7fELF not really')
    elif damage == 'garbage_sidecar':
        with open(meta, 'w') as f:
            f.write('{not json')
    elif damage == 'missing_sidecar':
        os.unlink(meta)
    else:
        # a sidecar that matches a broken library: the checksum passes, loading fails
        import hashlib
        import json
        with open(so, 'wb') as f:
            f.write(b'garbage')
        with open(meta, 'w') as f:
            json.dump({'sha256': hashlib.sha256(b'garbage').hexdigest()}, f)
    p = cbackend.build(small_graph(tag))
    assert p.stats['cache_hit'] is False
    np.testing.assert_allclose(p(inputs())[0], expected(tag), rtol=1e-5)
    # the entry is whole again: the next load is a hit
    cache._loaded.clear()
    assert cbackend.build(small_graph(tag)).stats['cache_hit'] is True
    assert not [n for n in entries(d) if 'tmp' in n]


def _build_in_child(args):
    d, tag = args
    os.environ['TRACEGRAD_CACHE_DIR'] = d
    from codegen.backends import c

    p = c.build(small_graph(tag))
    return p(inputs())[0].tolist()


def test_two_processes_build_the_same_graph(cache_dir):
    ctx = multiprocessing.get_context('spawn')
    with ctx.Pool(2) as pool:
        results = pool.map(_build_in_child, [(str(cache_dir), 3.5)] * 2)
    for r in results:
        np.testing.assert_allclose(np.array(r, np.float32), expected(3.5), rtol=1e-5)
    names = entries(cache_dir)
    assert len(names) == 3, names  # one entry, no temporary files left behind
    assert cbackend.build(small_graph(3.5)).stats['cache_hit'] is True


def test_failed_compile_is_a_build_error_and_leaves_no_temp_files(cache_dir, tmp_path,
                                                                  monkeypatch):
    cc = tmp_path / 'badcc'
    cc.write_text('#!/bin/sh\nif [ "$1" = "--version" ]; then echo "badcc 1.0"; exit 0; fi\n'
                  'echo "badcc: internal error" >&2\nexit 1\n')
    cc.chmod(0o755)
    monkeypatch.setenv('CC', str(cc))
    cache.compiler.cache_clear()
    try:
        with pytest.raises(cache.BuildError, match='badcc: internal error'):
            cbackend.build(small_graph(4.5))
    finally:
        cache.compiler.cache_clear()
    assert not [n for n in entries(cache_dir) if n.endswith(('.so', '.json')) or 'tmp' in n]


@pytest.fixture
def no_compiler(monkeypatch, cache_dir):
    monkeypatch.setenv('CC', '/nonexistent/cc')
    cache.compiler.cache_clear()
    yield
    cache.compiler.cache_clear()


def test_no_compiler_gives_a_clear_build_error(no_compiler):
    with pytest.raises(cache.BuildError, match='no C compiler found.*CC'):
        cbackend.build(small_graph(5.5))


def test_no_compiler_compile_falls_back_to_eager(no_compiler):
    import tracegrad
    import tracegrad.functions as F

    def f(x):
        return F.sum(F.exp(x) * 2)

    x = np.arange(6, dtype=np.float32).reshape(2, 3) / 6
    strict = tracegrad.compile(f, backend='c')
    with pytest.raises(Exception, match='no C compiler'):
        strict(x)
    eager = tracegrad.compile(f, backend='c', fallback='eager')
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter('always')
        y = eager(x)
        eager(x)
    assert sum('eagerly' in str(m.message) for m in w) == 1  # warned once
    np.testing.assert_allclose(y.array, np.sum(np.exp(x) * 2), rtol=1e-6)
    assert eager.stats['eager_calls'] == 2


def test_generated_source_is_deterministic():
    def make():
        g = Graph()
        x = g.input((7, 13), 'float32')
        m = g.add('max', [x], axes=(1,), keepdims=True)
        e = g.add('exp', [g.add('sub', [x, m])])
        s = g.add('sum', [e], axes=(1,), keepdims=True)
        w = g.input((13, 5), 'float32')
        g.set_outputs([g.add('matmul', [g.add('div', [e, s]), w])])
        return g
    a, _ = cbackend.render_source(cbackend.fuse(make()))
    b, _ = cbackend.render_source(cbackend.fuse(parse(make().to_text())))
    assert a == b


def test_generated_code_is_single_threaded():
    """OpenBLAS owns the threads: no OpenMP (or other threading) in generated loops."""
    source, _ = cbackend.render_source(cbackend.fuse(small_graph()))
    assert 'cblas_sgemm' in source
    assert not re.search(r'#\s*pragma\s+omp|omp_|pthread', source)
    assert not any('openmp' in f for f in cache.CFLAGS)


def test_blas_threads_follow_the_size_of_each_blas_call():
    """A GEMM of at least GEMM_PARALLEL_MIN multiply-adds may use all of OpenBLAS's threads;
    a batched matmul makes one BLAS call per batch element, so its calls' size decides
    (a convolution's GEMMs are 64 calls of under a million multiply-adds each)."""
    big = round(cbackend.GEMM_PARALLEL_MIN ** (1 / 3)) + 1
    g = Graph()
    a = g.input((big, big), 'float32')
    b = g.input((big, big), 'float32')
    xs = g.input((32, 64, 64), 'float32')
    w = g.input((64, 64), 'float32')
    g.set_outputs([g.add('matmul', [a, b]), g.add('matmul', [xs, g.add(
        'broadcast_to', [w], shape=(32, 64, 64))])])
    assert 64 ** 3 < cbackend.GEMM_PARALLEL_MIN <= min(big ** 3, 32 * 64 ** 3)
    source, _ = cbackend.render_source(cbackend.fuse(g))
    gemms = re.findall(r'/\* (batched )?GEMM [^*]*\*/\s*static void \w+\([^)]*\)\s*\{\s*'
                       r'tg_blas_threads\((\d)\);', source)
    assert sorted(gemms) == [('', '0'), ('batched ', '1')], gemms

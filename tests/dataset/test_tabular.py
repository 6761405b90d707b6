"""TabularDataset and its views, checked against the plain table they should show."""
import pickle

import numpy as np
import pytest

from tracegrad import dataset
from tracegrad.dataset import tabular


class Table(dataset.TabularDataset):
    """A 10x3 table (a: ints, b: strings, c: an array column) that records what it is
    asked to read, so tests can check that views read only what they need."""

    def __init__(self, mode=tuple, n=10):
        self.a = list(range(n))
        self.b = [f'b{i}' for i in range(n)]
        self.c = np.arange(n) * 10.
        self._mode = mode
        self.reads = []

    def __len__(self):
        return len(self.a)

    @property
    def keys(self):
        return ('a', 'b', 'c')

    @property
    def mode(self):
        return self._mode

    def get_examples(self, indices, key_indices):
        self.reads.append((indices, key_indices))
        rows = range(len(self))
        rows = list(rows if indices is None else rows[indices] if isinstance(indices, slice)
                    else indices)
        columns = (self.a, self.b, self.c)
        return tuple([columns[k][r] for r in rows] if k < 2 else columns[k][rows]
                     for k in (key_indices if key_indices is not None else (0, 1, 2)))


def test_examples_in_each_mode():
    t = Table()
    assert len(t) == 10 and t[3] == (3, 'b3', 30.)
    assert t.asdict()[4] == {'a': 4, 'b': 'b4', 'c': 40.}
    assert t.asdict().astuple()[4] == (4, 'b4', 40.)
    assert [x[0] for x in t] == list(range(10))
    assert t[2:4] == [(2, 'b2', 20.), (3, 'b3', 30.)]
    a, _b, c = t.fetch()
    assert a == t.a and isinstance(c, np.ndarray)
    assert t.asdict().fetch()['b'] == t.b


@pytest.mark.parametrize('rows', [slice(None), slice(2, 9, 3), slice(8, 1, -2),
                                  slice(None, None, -1), [7, 0, 7, -1], [True, False] * 5, []])
@pytest.mark.parametrize('keys', [None, ('c', 'a'), (1,), 'b', -1])
def test_slice_matches_the_table(rows, keys):
    t = Table()
    view = t.slice[rows] if keys is None else t.slice[rows, keys]
    if isinstance(rows, slice):
        expected_rows = list(range(10))[rows]
    elif rows and isinstance(rows[0], bool):
        expected_rows = [i for i, keep in enumerate(rows) if keep]
    else:
        expected_rows = [r % 10 for r in rows]
    names = {None: ('a', 'b', 'c'), ('c', 'a'): ('c', 'a'), (1,): ('b',), 'b': ('b',),
             -1: ('c',)}[keys]
    assert view.keys == names and len(view) == len(expected_rows)
    full = {'a': t.a, 'b': t.b, 'c': list(t.c)}
    expected = [tuple(full[k][r] for k in names) for r in expected_rows]
    single = keys is not None and not isinstance(keys, tuple)
    assert view.mode is (None if single else tuple)
    got = [ex if isinstance(ex, tuple) else (ex,) for ex in view]
    assert got == expected
    # A slice of the view is the slice of the slice.
    assert [ex if isinstance(ex, tuple) else (ex,) for ex in view.slice[::-1]] == expected[::-1]
    if len(view) > 1:
        picked = view.slice[[1, 0]]
        assert [ex if isinstance(ex, tuple) else (ex,) for ex in picked] == \
            [expected[1], expected[0]]


def test_slice_reads_only_its_rows_and_columns():
    t = Table()
    view = t.slice[2:8, ('c',)].slice[1::2]
    np.testing.assert_array_equal(view.fetch()[0], [30., 50., 70.])
    assert t.reads[-1] == (slice(3, 8, 2), (2,))  # one read, rows as a slice, one column


def test_slice_errors():
    t = Table()
    with pytest.raises(IndexError, match='row 10 is out of range for a table of 10 rows'):
        t.slice[[10]]
    with pytest.raises(ValueError, match='3 booleans for a table of 10 rows'):
        t.slice[[True, False, True]]
    with pytest.raises(KeyError, match="no column 'd'"):
        t.slice[:, ('a', 'd')]
    with pytest.raises(IndexError, match='column 3 is out of range'):
        t.slice[:, 3]


def test_concat():
    t1, t2 = Table(n=4), Table(n=3)
    both = t1.concat(t2)
    assert len(both) == 7 and both.keys == t1.keys
    assert [ex[0] for ex in both] == [0, 1, 2, 3, 0, 1, 2]
    assert both.slice[[5, 0, 6, 3], 'b'].fetch() == ['b1', 'b0', 'b2', 'b3']
    assert both.slice[::-3, 'a'].fetch() == [2, 3, 0]
    assert t2.reads[-1] == ([2], (0,))  # each table read once, for its own rows
    with pytest.raises(ValueError, match='concat: the tables have different keys'):
        t1.concat(t1.slice[:, ('a', 'b')])


def test_join():
    t = Table(n=3)
    other = tabular.from_data((('d', [7, 8, 9]), ('e', np.array([.5, .6, .7]))))
    joined = t.join(other)
    assert joined.keys == ('a', 'b', 'c', 'd', 'e') and joined.mode is tuple
    assert joined[1] == (1, 'b1', 10., 8, .6)
    assert joined.slice[:, ('e', 'a')][2] == (.7, 2)
    assert t.reads[-1] == ([2], (0,))  # only the row and the column asked for
    assert t.asdict().join(other)[0]['d'] == 7
    with pytest.raises(ValueError, match='join: the tables have different lengths'):
        t.join(Table(n=4).slice[:, ('a',)])
    with pytest.raises(ValueError, match=r"join: keys \['a'\] are in more than one table"):
        t.join(tabular.from_data(('a', [1, 2, 3])))


def test_transform():
    t = Table(n=4)
    squared = t.transform(('a2', 'b'), lambda a, b, c: (a * a, b.upper()))
    assert squared.mode is tuple and squared[3] == (9, 'B3')
    assert squared.slice[1:3, 'b'].fetch() == ['B1', 'B2']
    as_dict = t.asdict().transform('s', lambda a, b, c: {'s': a + c})
    assert as_dict.mode is dict and as_dict[2] == {'s': 22.}
    single = t.transform('a', lambda a, b, c: a)
    assert single.mode is None and single[1] == 1

    flip = iter([(1,), 2])
    changing = t.transform('x', lambda a, b, c: next(flip))
    with pytest.raises(ValueError, match='transform: the function returned a int after '
                                         'returning tuple'):
        changing.fetch()


def test_transform_batch():
    t = Table(n=5)
    scaled = t.transform_batch(('c2',), lambda a, b, c: (c * 2,))
    np.testing.assert_array_equal(scaled.slice[1:4].fetch()[0], [20., 40., 60.])
    assert scaled.mode is tuple
    short = t.transform_batch('x', lambda a, b, c: a[:-1])
    with pytest.raises(ValueError, match='transform_batch: the function must return columns '
                                         'of 5 rows'):
        short.fetch()


def test_convert_and_with_converter():
    t = Table(n=3)
    a, b, _c = t.convert(t.fetch())
    assert isinstance(a, np.ndarray) and a.tolist() == [0, 1, 2] and b.dtype.kind == 'U'
    converted = t.asdict().convert(t.asdict().fetch())
    assert set(converted) == {'a', 'b', 'c'}
    custom = t.with_converter(lambda a, b, c: sum(a))
    assert custom.convert(custom.fetch()) == 3
    # Views keep the converter of the table under them.
    assert custom.slice[:2].convert(custom.slice[:2].fetch()) == 1


def test_from_data():
    assert tabular.from_data([5, 6, 7])[1] == 6
    ds = tabular.from_data((np.arange(3), ('sq', lambda i: i * i)))
    assert ds.mode is tuple and ds[2] == (2, 4) and ds.keys[1] == 'sq'
    pair = tabular.from_data((('x', 'y'), lambda i: (i, -i)), size=3)
    assert pair.keys == ('x', 'y') and pair[2] == (2, -2)
    d = tabular.from_data({'a': [1, 2], 'b': lambda i: {'b': i}})
    assert d.mode is dict and d[1] == {'a': 2, 'b': 1}
    with pytest.raises(ValueError, match='from_data: a function of the row index needs size='):
        tabular.from_data(('f', lambda i: i))
    with pytest.raises(ValueError, match=r'from_data: a function needs its key\(s\)'):
        tabular.from_data((lambda i: i, [1, 2]))
    with pytest.raises(TypeError, match='from_data: expected a list, an array or a function'):
        tabular.from_data(3)


def test_delegate_dataset_and_pickled_views():
    class Words(tabular.DelegateDataset):
        def __init__(self):
            super().__init__(tabular.from_data((('w', ['x', 'y']), ('n', [1, 2]))))

    ds = Words()
    assert len(ds) == 2 and ds[1] == ('y', 2) and ds.keys == ('w', 'n')
    view = tabular.from_data((('w', ['x', 'y']), ('n', [1, 2]))).slice[::-1, 'w']
    assert pickle.loads(pickle.dumps(view)).fetch() == ['y', 'x']


def test_works_with_iterators_and_concat_examples():
    from tracegrad import iterators

    ds = tabular.from_data((np.arange(6, dtype=np.float32), np.arange(6) % 2))
    batch = next(iterators.SerialIterator(ds, 4, shuffle=False))
    x, t = dataset.concat_examples(batch)
    np.testing.assert_array_equal(x, [0., 1., 2., 3.])
    np.testing.assert_array_equal(t, [0, 1, 0, 1])

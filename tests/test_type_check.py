import numpy as np
import pytest

from tracegrad.utils import type_check
from tracegrad.utils.type_check import InvalidType


def types(*arrays):
    return type_check.get_types(arrays, 'in_types', False)


def test_expressions_render_and_evaluate():
    t = types(np.zeros((2, 3), np.float32), np.zeros((3, 4), np.float32))
    x, w = t
    type_check.expect(x.shape[1] == w.shape[0], x.ndim == 2, x.dtype == np.float32)
    with pytest.raises(InvalidType) as e:
        type_check.expect(x.shape[0] == w.shape[1])
    assert e.value.expect == 'in_types[0].shape[0] == in_types[1].shape[1]'
    assert e.value.actual == '2 != 4'


def test_argname_and_arithmetic():
    t = types(np.zeros((2, 6), np.float32))
    type_check._argname(t, ('x',))
    x, = t
    with pytest.raises(InvalidType) as e:
        type_check.expect(x.shape[1] * 2 < x.size)
    assert e.value.expect == 'x.shape[1] * 2 < x.size'
    assert e.value.actual == '12 >= 12'


def test_size_and_argname_count():
    t = types(np.zeros(1), np.zeros(1))
    with pytest.raises(InvalidType, match='in_types.size == 1'):
        type_check.expect(t.size() == 1)
    with pytest.raises(InvalidType):
        type_check._argname(t, ('x',))


def test_dtype_kind():
    x, = types(np.zeros(1, np.int32))
    with pytest.raises(InvalidType, match="Expect: in_types\\[0\\].dtype.kind == 'f'"):
        type_check.expect(x.dtype.kind == 'f')


def test_expression_is_not_a_bool():
    x, = types(np.zeros(1))
    with pytest.raises(RuntimeError, match='type_check.expect'):
        if x.ndim == 1:
            pass


def test_plain_bools_and_bad_conditions():
    type_check.expect(True)
    with pytest.raises(InvalidType):
        type_check.expect(False)
    with pytest.raises(TypeError, match='expected a condition'):
        type_check.expect('x')


def test_broadcast_shapes_and_same_types():
    type_check.expect_broadcast_shapes((2, 3), (3,))
    with pytest.raises(InvalidType, match=r'\(2, 3\), \(4,\)'):
        type_check.expect_broadcast_shapes((2, 3), (4,))
    assert type_check.same_types(np.zeros(1), np.zeros(2))
    assert not type_check.same_types(np.zeros(1), np.float32(1))


def test_invalid_type_pickles():
    import pickle

    e = InvalidType('a == b', '1 != 2')
    e2 = pickle.loads(pickle.dumps(e))
    assert str(e2) == str(e) and e2.expect == 'a == b'


def test_check_composite_names_the_function_and_the_arguments():
    # the checks of functions composed of others (no FunctionNode of their own)
    from tracegrad import Variable

    def expect(x_type, t_type):
        type_check.expect(x_type.ndim == 2, t_type.dtype.kind == 'i')

    x, t = Variable(np.zeros((2, 3), np.float32)), np.zeros(2, np.int32)
    type_check.check_composite('my_loss', ('x', 't'), (x, t), expect)  # passes
    with pytest.raises(type_check.InvalidType,
                       match=r'(?s)performed in: my_loss \(Forward\).*Expect: t\.dtype\.kind'):
        type_check.check_composite('my_loss', ('x', 't'), (x, t.astype(np.float32)), expect)
    with pytest.raises(type_check.InvalidType, match='performed in: my_loss'):
        type_check.check_composite('my_loss', ('x', 't'), (x,), expect)  # a missing input

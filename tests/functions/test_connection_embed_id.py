import numpy as np
import pytest

import tracegrad.functions as F
from tracegrad import Variable, testing
from tracegrad.utils.type_check import InvalidType


@testing.parameterize(*testing.product({
    'x_shape': [(5,), (2, 3), (1,)],
    'ignore_label': [None, -1, 2],
    'x_dtype': [np.int32, np.int64],
    'dtype': [np.float32, np.float64],
}))
class TestEmbedID(testing.FunctionTestCase):
    def setUp(self):
        if self.dtype == np.float32:
            self.check_backward_options = {'atol': 1e-3, 'rtol': 1e-2}
            self.check_double_backward_options = {'atol': 1e-2, 'rtol': 1e-2}

    def generate_inputs(self):
        # id 1 repeats so that the weight gradient must accumulate
        ids = np.array([1, -1, 1, 2, 0, 3][:int(np.prod(self.x_shape))], self.x_dtype)
        if self.ignore_label != -1:
            ids = np.where(ids < 0, 3, ids).astype(self.x_dtype)
        W = np.random.uniform(-1, 1, (4, 3)).astype(self.dtype)
        return ids.reshape(self.x_shape), W

    def forward(self, inputs, device):
        x, W = inputs
        return F.embed_id(x, W, ignore_label=self.ignore_label),

    def forward_expected(self, inputs):
        x, W = inputs
        y = np.zeros(x.shape + (W.shape[1],), self.dtype)
        for idx in np.ndindex(*x.shape):
            if x[idx] != self.ignore_label:
                y[idx] = W[x[idx]]
        return y,


def test_embed_id_weight_gradient_accumulates_and_skips_ignored():
    W = Variable(np.zeros((3, 2), np.float32))
    x = np.array([[1, 1], [2, 0]], np.int32)
    y = F.embed_id(x, W, ignore_label=2)
    y.grad = np.arange(8, dtype=np.float32).reshape(2, 2, 2)
    y.backward()
    np.testing.assert_array_equal(W.grad, [[6., 7.], [2., 4.], [0., 0.]])
    np.testing.assert_array_equal(y.array, np.zeros((2, 2, 2)))


def test_embed_id_out_of_range():
    W = np.zeros((3, 2), np.float32)
    with pytest.raises(ValueError, match=r'embed_id: .*0 <= x < len\(W\) = 3.*\[3\]'):
        F.embed_id(np.array([0, 3], np.int32), W)
    with pytest.raises(ValueError, match=r'embed_id: .*\[-2\]'):
        F.embed_id(np.array([-2, -1], np.int32), W, ignore_label=-1)


def test_embed_id_type_errors():
    W = np.zeros((3, 2), np.float32)
    with pytest.raises(InvalidType, match="EmbedIDFunction[\\s\\S]*x.dtype.kind == 'i'"):
        F.embed_id(np.array([0., 1.], np.float32), W)
    with pytest.raises(InvalidType, match='W.ndim == 2'):
        F.embed_id(np.array([0, 1], np.int32), np.zeros((3,), np.float32))
    with pytest.raises(InvalidType, match="W.dtype.kind == 'f'"):
        F.embed_id(np.array([0, 1], np.int32), np.zeros((3, 2), np.int32))
    with pytest.raises(InvalidType, match='x.ndim >= 1'):
        F.embed_id(np.array(1, np.int32), W)

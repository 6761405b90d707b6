import numpy as np
import pytest
from sklearn.metrics import r2_score as sk_r2_score

import tracegrad.functions as F
from tracegrad import testing
from tracegrad.utils.type_check import InvalidType


def _r2_ref(pred, true):
    ss_res = ((pred.astype(np.float64) - true) ** 2).sum(axis=0)
    ss_tot = ((true.astype(np.float64) - true.mean(axis=0)) ** 2).sum(axis=0)
    with np.errstate(divide='ignore', invalid='ignore'):
        return np.where(ss_tot == 0, 0., 1 - ss_res / ss_tot)


@testing.parameterize(*testing.product({
    'shape': [(5,), (7, 3), (1, 4), (4, 3, 2)],
    'dtype': [np.float32, np.float64],
    'multioutput': ['uniform_average', 'raw_values'],
}))
class TestR2Score(testing.FunctionTestCase):
    skip_backward_test = True  # not differentiable
    skip_double_backward_test = True

    def setUp(self):
        self.check_forward_options = {'atol': 1e-5, 'rtol': 1e-4}

    def generate_inputs(self):
        true = np.random.uniform(-1, 1, self.shape)
        pred = true + np.random.uniform(-0.3, 0.3, self.shape)
        return pred.astype(self.dtype), true.astype(self.dtype)

    def forward(self, inputs, device):
        return F.r2_score(*inputs, multioutput=self.multioutput),

    def forward_expected(self, inputs):
        score = _r2_ref(*inputs)
        if self.multioutput == 'uniform_average':
            score = score.mean()
        return np.asarray(score, dtype=self.dtype),


@pytest.mark.parametrize('shape', [(9,), (8, 3)])
@pytest.mark.parametrize('multioutput', ['uniform_average', 'raw_values'])
def test_matches_scikit_learn(shape, multioutput):
    rng = np.random.RandomState(0)
    true = rng.randn(*shape)
    pred = true + rng.randn(*shape) * 0.5
    np.testing.assert_allclose(F.r2_score(pred, true, multioutput=multioutput).array,
                               sk_r2_score(true, pred, multioutput=multioutput))


def test_constant_target_scores_zero():
    true = np.array([[1., 2.], [1., 3.], [1., 4.]], np.float32)
    pred = np.array([[0., 2.], [2., 3.], [1., 4.]], np.float32)
    np.testing.assert_array_equal(F.r2_score(pred, true, multioutput='raw_values').array,
                                  [0., 1.])
    assert F.r2_score(pred, true).array == 0.5


def test_sample_weight_is_not_supported():
    with pytest.raises(NotImplementedError, match='r2_score.*sample_weight'):
        F.r2_score(np.zeros(3, np.float32), np.zeros(3, np.float32), sample_weight=np.ones(3))


def test_bad_multioutput_raises():
    with pytest.raises(ValueError, match='r2_score.*multioutput'):
        F.r2_score(np.zeros(3, np.float32), np.zeros(3, np.float32), multioutput='variance')


@pytest.mark.parametrize('pred, true, match', [
    (np.zeros(3, np.float32), np.zeros(4, np.float32), 'pred.shape == true.shape'),
    (np.zeros(3, np.float32), np.zeros(3, np.float64), 'true.dtype == pred.dtype'),
    (np.zeros(3, np.int32), np.zeros(3, np.int32), "pred.dtype.kind == 'f'"),
    (np.zeros((), np.float32), np.zeros((), np.float32), 'pred.ndim >= 1'),
])
def test_bad_inputs_raise(pred, true, match):
    with pytest.raises(InvalidType, match=f'(?s)r2_score.*{match}'):
        F.r2_score(pred, true)

import numpy as np
import pytest

import tracegrad.functions as F
from tracegrad import testing


def _slice(i, stride, size, offset):
    start = min(max(int(np.floor(i * stride)) + offset, 0), size)
    end = min(max(int(np.ceil((i + 1) * stride)) + offset, 0), size)
    return slice(start, end)


def roi_reference(x, rois, roi_indices, outh, outw, scale, mode, inclusive, empty):
    """Chainer's CPU loops: one bin at a time."""
    n_rois = len(rois)
    _, c, h, w = x.shape
    y = np.full((n_rois, c, outh, outw), empty, np.float64)
    for r in range(n_rois):
        if roi_indices is None:
            idx, xmin, ymin, xmax, ymax = rois[r]
        else:
            idx = roi_indices[r]
            ymin, xmin, ymax, xmax = rois[r]
        ymin, xmin, ymax, xmax = (round(float(v) * scale) for v in (ymin, xmin, ymax, xmax))
        extra = 1 if inclusive else 0
        sh = max(ymax - ymin + extra, 1) / outh
        sw = max(xmax - xmin + extra, 1) / outw
        for i in range(outh):
            rows = _slice(i, sh, h, ymin)
            for j in range(outw):
                cols = _slice(j, sw, w, xmin)
                if rows.stop <= rows.start or cols.stop <= cols.start:
                    continue
                patch = x[int(idx), :, rows, cols].reshape(c, -1)
                y[r, :, i, j] = patch.max(axis=1) if mode == 'max' else patch.mean(axis=1)
    return y.astype(x.dtype)


def _distinct(shape, dtype):
    """Values at least 0.01 apart, so that maxima do not swap under finite differences."""
    return (np.random.permutation(int(np.prod(shape))).reshape(shape) * 0.01 - 1).astype(dtype)


# coordinates chosen so that ROI * scale never lands on a half (rounding ties differ by device)
_ROIS = np.array([[0.2, 1.1, 5.2, 6.3], [1.3, 0.1, 3.2, 2.1], [4.1, 4.2, 2.2, 1.1],
                  [-2.1, -1.2, 9.3, 12.4], [2.2, 3.1, 2.3, 3.2]])
_INDICES = np.array([0, 1, 1, 0, 1], np.int32)


@testing.parameterize(*testing.product({
    'func': ['roi_pooling_2d', 'roi_max_pooling_2d', 'roi_average_pooling_2d'],
    'outsize': [(2, 3), (1, 1), (4, 4)],
    'scale': [1., 0.6],
    'dtype': [np.float32, np.float64],
}))
class TestROIPooling(testing.FunctionTestCase):
    x_shape = (2, 3, 7, 6)

    def setUp(self):
        if self.dtype == np.float32:
            self.check_backward_options = {'atol': 1e-3, 'rtol': 1e-2, 'dtype': np.float64}
            self.check_double_backward_options = {'atol': 1e-3, 'rtol': 1e-2,
                                                  'dtype': np.float64}
        self.rois = _ROIS.astype(self.dtype)
        self.indices = _INDICES
        if self.func == 'roi_max_pooling_2d':
            # no ROI reaching outside the image: its empty bins would be -inf, where
            # finite differences are undefined (test_empty_bins covers them)
            self.rois, self.indices = self.rois[[0, 1, 2, 4]], _INDICES[[0, 1, 2, 4]]
        if self.func == 'roi_pooling_2d':  # (batch_index, x_min, y_min, x_max, y_max)
            self.rois = np.concatenate([_INDICES[:, None], _ROIS[:, [1, 0, 3, 2]]],
                                       axis=1).astype(self.dtype)

    def generate_inputs(self):
        return _distinct(self.x_shape, self.dtype),

    def _call(self, x, rois, indices):
        if self.func == 'roi_pooling_2d':
            return F.roi_pooling_2d(x, rois, *self.outsize, self.scale)
        return getattr(F, self.func)(x, rois, indices, self.outsize, self.scale)

    def forward(self, inputs, device):
        return self._call(inputs[0], device.send(self.rois), device.send(self.indices)),

    def forward_expected(self, inputs):
        x, = inputs
        if self.func == 'roi_pooling_2d':
            return roi_reference(x, self.rois, None, *self.outsize, self.scale, 'max', True, 0.),
        mode = 'max' if self.func == 'roi_max_pooling_2d' else 'average'
        empty = -np.inf if mode == 'max' else 0.
        return roi_reference(x, self.rois, self.indices, *self.outsize, self.scale, mode, False,
                             empty),



def test_empty_bins():
    x = _distinct((1, 1, 4, 4), np.float32)
    rois = np.array([[1., 2., 6., 9.]], np.float32)  # partly outside the 4x4 image
    y = F.roi_max_pooling_2d(x, rois, np.array([0]), 2, 1.).array
    expected = roi_reference(x, rois, [0], 2, 2, 1., 'max', False, -np.inf)
    assert np.isinf(expected).any()
    np.testing.assert_array_equal(y, expected)
    y = F.roi_average_pooling_2d(x, rois, np.array([0]), 2, 1.).array
    np.testing.assert_allclose(y, roi_reference(x, rois, [0], 2, 2, 1., 'average', False, 0.),
                               rtol=1e-6)
    assert np.isfinite(y).all()


def test_int_outsize_and_variable_rois():
    from tracegrad import Variable
    x = _distinct((1, 2, 5, 5), np.float64)
    rois = Variable(np.array([[0., 0., 4., 4.]]))
    y = F.roi_average_pooling_2d(x, rois, Variable(np.array([0], np.int32)), 1, 1.)
    np.testing.assert_allclose(y.array[0, :, 0, 0], x[0, :, :4, :4].mean(axis=(1, 2)))


def test_errors():
    x = np.zeros((1, 2, 4, 4), np.float32)
    rois4, idx = np.zeros((2, 4), np.float32), np.zeros(2, np.int32)
    with pytest.raises(ValueError, match='roi_pooling_2d: rois must be .* \\(R, 5\\)'):
        F.roi_pooling_2d(x, rois4, 2, 2, 1.)
    with pytest.raises(ValueError, match='roi_max_pooling_2d: x must be a 4-d'):
        F.roi_max_pooling_2d(np.zeros((2, 4, 4), np.float32), rois4, idx, 2, 1.)
    with pytest.raises(ValueError, match='roi_average_pooling_2d: roi_indices'):
        F.roi_average_pooling_2d(x, rois4, np.zeros(3, np.int32), 2, 1.)
    with pytest.raises(ValueError, match='roi_average_pooling_2d: outsize'):
        F.roi_average_pooling_2d(x, rois4, idx, (0, 2), 1.)
    with pytest.raises(TypeError, match='roi_max_pooling_2d: outsize'):
        F.roi_max_pooling_2d(x, rois4, idx, 2.5, 1.)

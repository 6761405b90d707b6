import numpy as np
import pytest

import tracegrad
import tracegrad.functions as F
from tracegrad import testing
from tracegrad.compile.tracer import CompileError


def _bounds(p, limit):
    if p < -1 or p > limit:
        return None
    low = int(np.floor(p))
    if low == limit:
        low -= 1
    high = low + 1
    if low <= -1:
        p = 0.
    elif high >= limit:
        p = limit - 1.
    return p, low, high


def align_reference(x, rois, roi_indices, outh, outw, scale, ratio, mode):
    """One output element at a time, one sample point at a time."""
    n_rois = len(rois)
    _, c, h, w = x.shape
    y = np.zeros((n_rois, c, outh, outw))
    for r in range(n_rois):
        y0, x0, y1, x1 = (float(v) * scale for v in rois[r])
        rh, rw = max(y1 - y0, 1.), max(x1 - x0, 1.)
        bh, bw = rh / outh, rw / outw
        gh = ratio[0] or int(np.ceil(rh / outh))
        gw = ratio[1] or int(np.ceil(rw / outw))
        img = x[roi_indices[r]]
        for ph in range(outh):
            for pw in range(outw):
                values = []
                for iy in range(gh):
                    by = _bounds(y0 + ph * bh + (iy + .5) * bh / gh, h)
                    for ix in range(gw):
                        bx = _bounds(x0 + pw * bw + (ix + .5) * bw / gw, w)
                        if by is None or bx is None:
                            continue
                        (py, ylo, yhi), (px, xlo, xhi) = by, bx
                        v = np.zeros(c)
                        for yy, wy in ((ylo, yhi - py), (yhi, py - ylo)):
                            for xx, wx in ((xlo, xhi - px), (xhi, px - xlo)):
                                if 0 <= yy < h and 0 <= xx < w:
                                    v += wy * wx * img[:, yy, xx]
                        values.append(v)
                if mode == 'average':
                    y[r, :, ph, pw] = np.sum(values, axis=0) / (gh * gw) if values else 0.
                else:
                    y[r, :, ph, pw] = np.max(values, axis=0) if values else -np.inf
    return y.astype(x.dtype)


_ROIS = np.array([[0.2, 1.1, 5.2, 4.3], [1.3, 0.1, 3.4, 2.1], [4.1, 4.2, 2.2, 1.1],
                  [-1.7, -0.6, 7.9, 6.8], [2.2, 3.1, 2.3, 3.2]])
_INDICES = np.array([0, 1, 1, 0, 1], np.int32)


@testing.parameterize(*testing.product({
    'func': ['roi_average_align_2d', 'roi_max_align_2d'],
    'outsize': [(2, 3), 1],
    'scale': [1., 0.6],
    'sampling_ratio': [None, 2, (1, 3)],
    'dtype': [np.float32, np.float64],
}))
class TestROIAlign(testing.FunctionTestCase):
    x_shape = (2, 3, 6, 5)

    def setUp(self):
        if self.dtype == np.float32:
            self.check_forward_options = {'atol': 1e-5, 'rtol': 1e-4}
            self.check_backward_options = {'atol': 1e-3, 'rtol': 1e-2, 'dtype': np.float64}
            self.check_double_backward_options = {'atol': 1e-3, 'rtol': 1e-2,
                                                  'dtype': np.float64}
        self.rois, self.indices = _ROIS.astype(self.dtype), _INDICES
        if self.func == 'roi_max_align_2d':
            # no ROI reaching far outside: bins without samples are -inf, where finite
            # differences are undefined (test_bins_without_samples covers them)
            self.rois, self.indices = self.rois[[0, 1, 4]], _INDICES[[0, 1, 4]]

    def generate_inputs(self):
        # distinct values, so that the largest sample of a bin is clear
        x = np.random.permutation(int(np.prod(self.x_shape))).reshape(self.x_shape) * 0.02 - 1
        return x.astype(self.dtype),

    def forward(self, inputs, device):
        func = getattr(F, self.func)
        return func(inputs[0], device.send(self.rois), device.send(self.indices), self.outsize,
                    self.scale, self.sampling_ratio),

    def forward_expected(self, inputs):
        outh, outw = self.outsize if isinstance(self.outsize, tuple) else (self.outsize,) * 2
        ratio = self.sampling_ratio if isinstance(self.sampling_ratio, tuple) else \
            (self.sampling_ratio,) * 2
        mode = 'average' if self.func == 'roi_average_align_2d' else 'max'
        return align_reference(inputs[0], self.rois, self.indices, outh, outw, self.scale, ratio,
                               mode),


def test_bins_without_samples():
    x = np.random.randn(1, 2, 4, 4)
    rois = np.array([[6., 6., 9., 9.]])  # wholly more than a pixel outside
    y = F.roi_max_align_2d(x, rois, np.array([0]), 2, 1.).array
    assert np.isneginf(y).all()
    y = F.roi_average_align_2d(x, rois, np.array([0]), 2, 1.).array
    np.testing.assert_array_equal(y, 0.)


def test_traced_rois_raise_compile_error():
    x = np.random.randn(1, 2, 4, 4)

    def step(rois):
        return F.roi_average_align_2d(x, rois, np.array([0]), 2, 1.)
    with pytest.raises(CompileError, match='roi_average_align_2d: the ROIs are traced'):
        tracegrad.compile(step, backend='reference')(np.array([[0., 0., 3., 3.]]))


def test_errors():
    x = np.zeros((1, 2, 4, 4), np.float32)
    rois, idx = np.zeros((2, 4), np.float32), np.zeros(2, np.int32)
    with pytest.raises(TypeError, match='roi_max_align_2d: sampling_ratio'):
        F.roi_max_align_2d(x, rois, idx, 2, 1., sampling_ratio=0)
    with pytest.raises(TypeError, match='roi_average_align_2d: sampling_ratio'):
        F.roi_average_align_2d(x, rois, idx, 2, 1., sampling_ratio=1.5)
    with pytest.raises(ValueError, match='roi_average_align_2d: spatial_scale'):
        F.roi_average_align_2d(x, rois, idx, 2, 0.)
    with pytest.raises(ValueError, match='roi_max_align_2d: rois'):
        F.roi_max_align_2d(x, np.zeros((2, 5), np.float32), idx, 2, 1.)


@pytest.mark.parametrize('func', ['roi_max_align_2d', 'roi_max_pooling_2d', 'roi_pooling_2d'])
def test_ties_send_the_gradient_to_one_element(func):
    """As Chainer's argmax: a bin of equal values passes its gradient on once, not per tie."""
    x = tracegrad.Variable(np.zeros((1, 2, 5, 5)))
    if func == 'roi_pooling_2d':
        y = F.roi_pooling_2d(x, np.array([[0., 0., 0., 4., 4.]]), 2, 2, 1.)
    else:
        y = getattr(F, func)(x, np.array([[0., 0., 4., 4.]]), np.array([0]), 2, 1.)
    y.grad = np.ones(y.shape)
    y.backward()
    assert x.grad.sum() == y.size

"""The new array functions inside compiled training steps equal eager training."""
import numpy as np
import pytest
from compile_helpers import tolerances, twin

import tracegrad
import tracegrad.functions as F
import tracegrad.links as L
from tracegrad import optimizers
from tracegrad.testing import training_step


class ArrayNet(tracegrad.Chain):
    """Uses each new array function once on the way from an image to class scores."""

    def __init__(self):
        super().__init__()
        with self.init_scope():
            self.conv = L.Convolution2D(2, 8, ksize=3, pad=1)
            self.loc = L.Linear(2 * 4 * 4, 6, initialW=0)
            self.fc = L.Linear(12, 3)
        self.loc.b.array[...] = [1., 0., 0., 0., 1., 0.]  # start from the identity warp
        self.order = np.array([3, 0, 2, 1], np.int32)

    def forward(self, x):
        theta = F.reshape(self.loc(x), (-1, 2, 3))
        h = F.spatial_transformer_sampler(x, F.spatial_transformer_grid(theta, (4, 4)))
        h = F.depth2space(self.conv(h), 2)                 # (n, 2, 8, 8)
        h = F.resize_images(h, (5, 3))                     # (n, 2, 5, 3)
        h = F.space2depth(F.resize_images(h, (4, 4), mode='nearest'), 2)  # (n, 8, 2, 2)
        h = F.permutate(F.reshape(h, (-1, 4, 2, 4)), self.order, axis=1, inv=True)
        d = F.diagonal(h, 0, 1, 3)                         # (n, 2, 4)
        h = F.scatter_add(F.reshape(h, (-1, 32)), (slice(None), slice(0, 8)),
                          F.reshape(d, (-1, 8)))
        return self.fc(F.reshape(h, (-1, 12, 8))[:, :, 0] + F.sum(h, axis=1, keepdims=True))


@pytest.mark.parametrize('dtype', [np.float32, np.float64])
def test_array_functions_training_matches_eager(dtype, backend_name):
    np.random.seed(0)
    with tracegrad.using_config('dtype', np.dtype(dtype)):
        model = L.Classifier(ArrayNet())
    opt = optimizers.Adam(alpha=0.01).setup(model)
    model_e, opt_e = twin(model, opt)
    step_c = tracegrad.compile(training_step(model, opt), backend=backend_name)
    step_e = training_step(model_e, opt_e)
    rng = np.random.RandomState(1)
    tol = tolerances(dtype)
    for i in range(3):
        x = rng.randn(3, 2, 4, 4).astype(dtype)
        t = rng.randint(0, 3, 3).astype(np.int32)
        np.testing.assert_allclose(step_c(x, t).array, step_e(x, t).array,
                                   err_msg=f'loss at {i}', **tol)
        for (name, pc), (_, pe) in zip(sorted(model.namedparams()),
                                       sorted(model_e.namedparams())):
            np.testing.assert_allclose(pc.array, pe.array, err_msg=f'{name} at {i}', **tol)
    assert step_c.statistics()['eager_calls'] == 0


class ROINet(tracegrad.Chain):
    def __init__(self):
        super().__init__()
        with self.init_scope():
            self.conv = L.Convolution2D(2, 3, ksize=3, pad=1)
            self.fc = L.Linear(5 * 2 * 2 * 3, 3)

    def forward(self, x):
        h = self.conv(x)
        rois = np.array([[0.2, 1.1, 5.2, 4.3], [1.3, 0.1, 3.2, 2.1]], h.dtype)
        indices = np.arange(2, dtype=np.int32) % h.shape[0]
        pooled = [F.roi_max_pooling_2d(h, rois, indices, 2, 1.),
                  F.roi_average_pooling_2d(h, rois, indices, (2, 2), 0.6),
                  F.roi_pooling_2d(h, np.concatenate([indices[:, None], rois], axis=1)
                                   .astype(h.dtype), 2, 2, 1.),
                  F.roi_average_align_2d(h, rois, indices, 2, 0.8),
                  F.roi_max_align_2d(h, rois, indices, (2, 2), 1., sampling_ratio=2)]
        return self.fc(F.reshape(F.concat(pooled, axis=1), (h.shape[0], -1)))


def test_roi_pooling_training_matches_eager(backend_name):
    np.random.seed(0)
    with tracegrad.using_config('dtype', np.dtype(np.float64)):
        model = L.Classifier(ROINet())
    opt = optimizers.SGD(lr=0.1).setup(model)
    model_e, opt_e = twin(model, opt)
    step_c = tracegrad.compile(training_step(model, opt), backend=backend_name)
    step_e = training_step(model_e, opt_e)
    rng = np.random.RandomState(1)
    tol = tolerances(np.float64)
    for i in range(3):
        x, t = rng.randn(2, 2, 6, 5), rng.randint(0, 3, 2).astype(np.int32)
        np.testing.assert_allclose(step_c(x, t).array, step_e(x, t).array, **tol)
        for (name, pc), (_, pe) in zip(sorted(model.namedparams()),
                                       sorted(model_e.namedparams())):
            np.testing.assert_allclose(pc.array, pe.array, err_msg=f'{name} at {i}', **tol)
    assert step_c.statistics()['eager_calls'] == 0

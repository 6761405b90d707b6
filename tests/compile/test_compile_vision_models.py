"""ResNet's bottleneck blocks (tracegrad.links.model.vision.resnet.BuildingBlock) in a
compiled training step: same parameters, batch statistics and losses as eager training."""
import numpy as np
from compile_helpers import tolerances, twin

import tracegrad
import tracegrad.functions as F
import tracegrad.links as L
from tracegrad import optimizers
from tracegrad.links.model.vision.resnet import BuildingBlock
from tracegrad.testing import training_step


class TinyResNet(tracegrad.Chain):
    def __init__(self):
        super().__init__()
        with self.init_scope():
            self.res = BuildingBlock(2, 3, 2, 6, stride=2, downsample_fb=True)
            self.fc = L.Linear(6, 4)

    def forward(self, x):
        return self.fc(F.mean(self.res(x), axis=(2, 3)))


def test_bottleneck_training_matches_eager(backend_name):
    np.random.seed(0)
    model = L.Classifier(TinyResNet())
    opt = optimizers.MomentumSGD(lr=0.05).setup(model)
    model_e, opt_e = twin(model, opt)
    step_c = tracegrad.compile(training_step(model, opt), backend=backend_name)
    step_e = training_step(model_e, opt_e)
    tol = tolerances(np.float32)
    rng = np.random.RandomState(1)
    for i in range(3):
        x = rng.randn(4, 3, 7, 7).astype(np.float32)
        t = rng.randint(0, 4, 4).astype(np.int32)
        loss_c, loss_e = step_c(x, t), step_e(x, t)
        np.testing.assert_allclose(loss_c.array, loss_e.array, err_msg=f'loss at {i}', **tol)
        for (name, pc), (_, pe) in zip(sorted(model.namedparams()),
                                       sorted(model_e.namedparams())):
            np.testing.assert_allclose(pc.array, pe.array, err_msg=f'{name} at {i}', **tol)
    bn_c, bn_e = model.predictor.res.b1.bn3, model_e.predictor.res.b1.bn3
    np.testing.assert_allclose(bn_c.avg_var, bn_e.avg_var, **tol)
    assert not np.allclose(bn_e.avg_var, 1.0)
    assert step_c.statistics()['eager_calls'] == 0

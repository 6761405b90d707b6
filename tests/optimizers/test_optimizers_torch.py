"""Optimizers against PyTorch's, where the two implement the same algorithm."""
import numpy as np
import pytest

import tracegrad
from tracegrad import optimizers

torch = pytest.importorskip('torch', reason='PyTorch is not installed; these comparisons need it')


class OneParam(tracegrad.Link):
    def __init__(self, array):
        super().__init__()
        with self.init_scope():
            self.p = tracegrad.Parameter(array)


# (ours, its arguments, torch's optimizer, its arguments). Adam's eps is 0 on both sides
# because Chainer adds eps to sqrt(v) and PyTorch to sqrt(v / (1 - beta2**t)); Chainer's
# decoupled weight decay is not multiplied by the step size, PyTorch's AdamW's is (lr * wd).
CASES = [
    (optimizers.SGD, {'lr': 0.1}, 'SGD', {'lr': 0.1}),
    (optimizers.MomentumSGD, {'lr': 0.1, 'momentum': 0.8}, 'SGD', {'lr': 0.1, 'momentum': 0.8}),
    (optimizers.CorrectedMomentumSGD, {'lr': 0.1, 'momentum': 0.8}, 'SGD',
     {'lr': 0.1, 'momentum': 0.8}),
    (optimizers.AdaGrad, {'lr': 0.1, 'eps': 1e-8}, 'Adagrad', {'lr': 0.1, 'eps': 1e-8}),
    (optimizers.AdaDelta, {'rho': 0.9, 'eps': 1e-6}, 'Adadelta',
     {'lr': 1.0, 'rho': 0.9, 'eps': 1e-6}),
    (optimizers.RMSprop, {'lr': 0.01, 'alpha': 0.9, 'eps': 1e-8}, 'RMSprop',
     {'lr': 0.01, 'alpha': 0.9, 'eps': 1e-8}),
    (optimizers.RMSpropGraves, {'lr': 0.01, 'alpha': 0.9, 'momentum': 0.5, 'eps': 0}, 'RMSprop',
     {'lr': 0.01, 'alpha': 0.9, 'momentum': 0.5, 'eps': 0, 'centered': True}),
    (optimizers.Adam, {'alpha': 0.01, 'beta1': 0.8, 'beta2': 0.9, 'eps': 0}, 'Adam',
     {'lr': 0.01, 'betas': (0.8, 0.9), 'eps': 0}),
    (optimizers.AMSGrad, {'alpha': 0.01, 'eps': 0}, 'Adam', {'lr': 0.01, 'eps': 0,
                                                            'amsgrad': True}),
    (optimizers.AdamW, {'alpha': 0.01, 'eps': 0, 'weight_decay_rate': 0.01 * 0.1}, 'AdamW',
     {'lr': 0.01, 'eps': 0, 'weight_decay': 0.1}),
]


@pytest.mark.parametrize('ours, our_args, theirs, their_args', CASES,
                         ids=[f'{c[0].__name__}-{i}' for i, c in enumerate(CASES)])
def test_matches_pytorch(ours, our_args, theirs, their_args):
    rng = np.random.RandomState(0)
    p0 = rng.uniform(-1, 1, (4, 3)).astype(np.float32)
    grads = [rng.uniform(-1, 1, (4, 3)).astype(np.float32) for _ in range(6)]

    link = OneParam(p0.copy())
    opt = ours(**our_args).setup(link)
    weight = torch.nn.Parameter(torch.tensor(p0.copy()))
    torch_opt = getattr(torch.optim, theirs)([weight], **their_args)
    for t, g in enumerate(grads, start=1):
        link.p.grad = g.copy()
        opt.update()
        weight.grad = torch.tensor(g.copy())
        torch_opt.step()
        np.testing.assert_allclose(link.p.array, weight.detach().numpy(), rtol=1e-5, atol=1e-6,
                                   err_msg=f'step {t}')

import numpy as np
import pytest

import tracegrad.functions as F
from tracegrad import Variable, testing
from tracegrad.utils.type_check import InvalidType


def _norm(v, p):
    return np.abs(v).sum() if p == 1 else np.sqrt((v ** 2).sum())


def _discriminative_ref(emb, labels, delta_v, delta_d, n_inst, p, alpha, beta, gamma):
    """Loops over instances, images and pixels, as the paper (and Chainer) define it."""
    emb = emb.astype(np.float64)
    n_batch = emb.shape[0]
    centres = np.zeros((n_inst, n_batch, emb.shape[1]))
    for c in range(n_inst):
        for b in range(n_batch):
            member = labels[b] == c + 1
            if member.any():
                centres[c, b] = emb[b][:, member].mean(axis=1)
    l_reg = sum(_norm(centres[c], p) for c in range(n_inst)) / (n_inst * n_batch)
    l_var = 0.
    for c in range(n_inst):
        terms = [max(_norm(centres[c, b] - emb[b, :, i, j], p) - delta_v, 0) ** 2
                 for b in range(n_batch) for i, j in zip(*np.nonzero(labels[b] == c + 1))]
        l_var += sum(terms) / max(len(terms), 1)
    l_var /= n_inst
    l_dist, count = 0., 0
    for a in range(n_inst):
        for b_ in range(a + 1, n_inst):
            l_dist += sum(max(2 * delta_d - _norm(centres[a, b] - centres[b_, b], p), 0) ** 2
                          for b in range(n_batch))
            count += 1
    l_dist /= max(count * n_batch, 1)
    return alpha * l_var, beta * l_dist, gamma * l_reg


@testing.parameterize(*testing.product({
    'shape': [(2, 3, 4, 5), (1, 2, 3, 3), (3, 3, 2, 5)],
    'norm': [1, 2],
    'dtype': [np.float32, np.float64],
}))
class TestDiscriminativeLoss(testing.FunctionTestCase):
    delta_v, delta_d = 0.3, 0.8
    weights = (1.5, 0.7, 0.01)

    def setUp(self):
        b, c, h, w = self.shape
        # labels 0 (background) .. c (instance c - 1); some instances may be absent
        self.labels = np.random.randint(0, c + 1, (b, h, w)).astype(np.int32)
        if self.dtype == np.float32:
            self.check_forward_options = {'atol': 1e-5, 'rtol': 1e-4}
            self.check_backward_options = {'atol': 1e-3, 'rtol': 1e-2}
            self.check_double_backward_options = {'atol': 1e-3, 'rtol': 1e-2}
        else:
            self.check_backward_options = {'atol': 1e-5, 'rtol': 1e-4}
            self.check_double_backward_options = {'atol': 1e-5, 'rtol': 1e-4}

    def generate_inputs(self):
        return np.random.uniform(-1, 1, self.shape).astype(self.dtype),

    def forward(self, inputs, device):
        return F.discriminative_margin_based_clustering_loss(
            inputs[0], device.send(self.labels), self.delta_v, self.delta_d, self.shape[1],
            self.norm, *self.weights)

    def forward_expected(self, inputs):
        return tuple(np.asarray(v, dtype=self.dtype) for v in _discriminative_ref(
            inputs[0], self.labels, self.delta_v, self.delta_d, self.shape[1], self.norm,
            *self.weights))


@pytest.mark.parametrize('dtype', [np.float16, np.float32])
@pytest.mark.parametrize('norm', [1, 2])
def test_absent_instances_and_single_pixels_give_finite_gradients(norm, dtype):
    values = np.random.uniform(-1, 1, (1, 4, 2, 2))
    emb = Variable(values.astype(dtype))
    labels = np.array([[[1, 0], [0, 2]]], np.int32)  # instances 3 and 4 absent
    losses = F.discriminative_margin_based_clustering_loss(emb, labels, 0.5, 1.5, 4, norm)
    F.sum(F.stack(losses)).backward()
    assert emb.grad.dtype == dtype
    assert np.isfinite(emb.grad).all()
    assert not emb.grad[0, :, 0, 1].any()  # background pixels get no gradient
    # the same gradient as in float64 (where the zero-norm floor is far below rounding)
    emb64 = Variable(values)
    losses = F.discriminative_margin_based_clustering_loss(emb64, labels, 0.5, 1.5, 4, norm)
    F.sum(F.stack(losses)).backward()
    np.testing.assert_allclose(emb.grad, emb64.grad, atol=2e-2 if dtype == np.float16 else 1e-5)


def test_default_weights():
    emb = np.random.uniform(-1, 1, (2, 2, 3, 3)).astype(np.float64)
    labels = np.random.randint(0, 3, (2, 3, 3)).astype(np.int32)
    got = F.discriminative_margin_based_clustering_loss(emb, labels, 0.5, 1.5, 2)
    expected = _discriminative_ref(emb, labels, 0.5, 1.5, 2, 1, 1.0, 1.0, 0.001)
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g.array, e, rtol=1e-10)


def test_bad_arguments_raise():
    emb = np.zeros((1, 2, 3, 3), np.float32)
    labels = np.zeros((1, 3, 3), np.int32)
    func = F.discriminative_margin_based_clustering_loss
    with pytest.raises(ValueError, match=f'{func.__name__}.*norm'):
        func(emb, labels, 0.5, 1.5, 2, norm=3)
    with pytest.raises(ValueError, match=f'{func.__name__}.*max_embedding_dim'):
        func(emb, labels, 0.5, 1.5, 0)


@pytest.mark.parametrize('emb, labels, match', [
    (np.zeros((1, 3, 3, 3), np.float32), np.zeros((1, 3, 3), np.int32),
     r'embeddings.shape\[1\] == 2'),
    (np.zeros((1, 2, 3, 3), np.float32), np.zeros((1, 3, 4), np.int32),
     r'labels.shape\[1:\] == embeddings.shape\[2:\]'),
    (np.zeros((1, 2, 3, 3), np.float32), np.zeros((2, 3, 3), np.int32),
     r'labels.shape\[0\] == embeddings.shape\[0\]'),
    (np.zeros((1, 2, 3, 3), np.float32), np.zeros((1, 3, 3), np.float32),
     "labels.dtype.kind == 'i'"),
    (np.zeros((2, 3, 3), np.float32), np.zeros((2, 3, 3), np.int32), 'embeddings.ndim == 4'),
])
def test_bad_inputs_raise(emb, labels, match):
    with pytest.raises(InvalidType,
                       match=f'(?s)discriminative_margin_based_clustering_loss.*{match}'):
        F.discriminative_margin_based_clustering_loss(emb, labels, 0.5, 1.5, 2)

"""Sigmoid cross entropy: binary classification loss on pre-sigmoid scores."""
from __future__ import annotations

from tracegrad import backend
from tracegrad.function_node import FunctionNode
from tracegrad.functions.loss._checks import check_reduce
from tracegrad.utils import type_check

__all__ = ['sigmoid_cross_entropy']

_IGNORE_LABEL = -1


class SigmoidCrossEntropy(FunctionNode):
    """Elementwise sigmoid followed by the binary cross entropy with labels 0/1 (-1 ignored)."""

    label = 'sigmoid_cross_entropy'

    def __init__(self, normalize=True, reduce='mean'):
        self.normalize = normalize
        self.reduce = reduce

    def check_type_forward(self, in_types):
        type_check._argname(in_types, ('x', 't'))
        x_type, t_type = in_types
        type_check.expect(
            x_type.dtype.kind == 'f',
            t_type.dtype.kind == 'i',
            x_type.shape == t_type.shape,
        )

    def forward(self, inputs):
        self.retain_inputs((0,))
        x, t = inputs
        xp = backend.get_array_module(x)
        dtype = x.dtype
        self.t = t
        valid = (t != _IGNORE_LABEL).astype(dtype)
        self.valid = valid
        # log(1 + exp(-|x|)) keeps exp from overflowing for large |x|.
        loss = -valid * (x * (t - (x >= 0)).astype(dtype) - xp.log1p(xp.exp(-xp.abs(x))))
        if self.reduce == 'no':
            self.count = None
            return loss.astype(dtype, copy=False),
        if self.normalize:
            self.count = xp.maximum(valid.sum(), dtype.type(1))
        else:
            self.count = dtype.type(max(len(x), 1))
        return xp.asarray(loss.sum() / self.count).astype(dtype, copy=False),

    def backward(self, indexes, grad_outputs):
        x, = self.get_retained_inputs()
        gx, = SigmoidCrossEntropyGrad(self).apply((x, grad_outputs[0]))
        return gx, None


class SigmoidCrossEntropyGrad(FunctionNode):
    """``(sigmoid(x) - t) * gy`` on labels that are not ignored, scaled by 1/count."""

    label = 'sigmoid_cross_entropy_grad'

    def __init__(self, forward_node: SigmoidCrossEntropy):
        self.t = forward_node.t
        self.valid = forward_node.valid
        self.count = forward_node.count

    def _scaled_mask(self):
        return self.valid if self.count is None else self.valid / self.count

    def forward(self, inputs):
        self.retain_inputs((0, 1))
        x, gy = inputs
        xp = backend.get_array_module(x)
        y = xp.tanh(x * x.dtype.type(0.5)) * x.dtype.type(0.5) + x.dtype.type(0.5)
        gx = gy * self._scaled_mask() * (y - self.t.astype(x.dtype))
        return gx.astype(x.dtype, copy=False),

    def backward(self, indexes, grad_outputs):
        from tracegrad import functions as F

        x, gy = self.get_retained_inputs()
        ggx, = grad_outputs
        y = F.sigmoid(x)
        weighted = ggx * self._scaled_mask()
        ret = []
        if 0 in indexes:
            ret.append(F.broadcast_to(gy, x.shape) * y * (1 - y) * weighted)
        if 1 in indexes:
            ggy = (y - self.t.astype(x.dtype)) * weighted
            ret.append(ggy if self.count is None else F.sum(ggy))
        return tuple(ret)


def sigmoid_cross_entropy(x, t, normalize=True, reduce='mean'):
    """Binary cross entropy of ``sigmoid(x)`` against integer labels ``t``.

    Args:
        x (~tracegrad.Variable or array): pre-sigmoid scores.
        t (~tracegrad.Variable or array): integer labels of ``x``'s shape, 0 or 1;
            entries equal to -1 are ignored (the loss is 0 if all are -1).
        normalize (bool): with ``reduce='mean'``, divide the summed loss by the number
            of labels that are not ignored if True, or by the batch size if False.
        reduce (str): ``'mean'`` for a scalar, ``'no'`` for the elementwise losses.

    Returns:
        ~tracegrad.Variable: the loss; differentiable with respect to ``x`` only.

    .. admonition:: Example

        >>> x = np.array([[-2.0, 3.0, 0.5], [5.0, 2.0, -0.5]]).\
astype(np.float32)
        >>> x
        array([[-2. ,  3. ,  0.5],
               [ 5. ,  2. , -0.5]], dtype=float32)
        >>> t = np.array([[0, 1, 0], [1, 1, -1]]).astype(np.int32)
        >>> t
        array([[ 0,  1,  0],
               [ 1,  1, -1]], dtype=int32)
        >>> F.sigmoid_cross_entropy(x, t)
        variable(0.25664714)
        >>> F.sigmoid_cross_entropy(x, t, normalize=False)
        variable(0.64161783)
        >>> y = F.sigmoid_cross_entropy(x, t, reduce='no')
        >>> y.shape
        (2, 3)
        >>> y.array
        array([[ 0.126928  ,  0.04858735,  0.974077  ],
               [ 0.00671535,  0.126928  , -0.        ]], dtype=float32)
    """
    check_reduce('sigmoid_cross_entropy', reduce, ('mean', 'no'))
    return SigmoidCrossEntropy(normalize, reduce).apply((x, t))[0]

import numpy as np
import pytest

from tracegrad import FunctionNode, Variable, gradient_check

# Every test here runs on both eager hot paths (C and Python; see conftest.py).
pytestmark = pytest.mark.usefixtures('hot_path')


class Cube(FunctionNode):
    def __init__(self, wrong=False):
        self.wrong = wrong

    def forward(self, inputs):
        self.retain_inputs((0,))
        return inputs[0] ** 3,

    def backward(self, indexes, grad_outputs):
        x, = self.get_retained_inputs()
        factor = 2.0 if self.wrong else 3.0   # the wrong one is off by a third
        return grad_outputs[0] * x * x * factor,


def cube(x, wrong=False):
    return Cube(wrong).apply((x,))[0]


def test_numerical_grad():
    x = np.array([1.0, -2.0, 0.5])
    gx, = gradient_check.numerical_grad(lambda: (x ** 3,), (x,), (np.ones(3),), eps=1e-4)
    np.testing.assert_allclose(gx, 3 * x ** 2, rtol=1e-6)
    np.testing.assert_array_equal(x, [1.0, -2.0, 0.5])  # restored


def test_numerical_grad_detects_kinks():
    x = np.array([0.0])
    with pytest.raises(gradient_check.NondifferentiableError):
        gradient_check.numerical_grad(lambda: (np.abs(x),), (x,), (np.ones(1),),
                                      detect_nondifferentiable=True)


@pytest.mark.parametrize('dtype', [np.float32, np.float64])
def test_check_backward_accepts_a_correct_backward(dtype):
    x = np.array([0.5, -1.0, 2.0], dtype)
    gy = np.array([1.0, 0.5, -1.0], dtype)
    tol = {'atol': 1e-2, 'rtol': 1e-2} if dtype == np.float32 else {}
    gradient_check.check_backward(cube, x, gy, **tol)


def test_check_backward_rejects_a_wrong_backward():
    x = np.array([0.5, -1.0, 2.0])
    gy = np.ones(3)
    with pytest.raises(AssertionError, match='disagrees with finite differences'):
        gradient_check.check_backward(lambda v: cube(v, wrong=True), x, gy)


def test_check_backward_with_params():
    w = Variable(np.array([2.0, 3.0]))
    x = np.array([1.0, -1.0])
    gradient_check.check_backward(lambda v: v * w * w, x, np.ones(2), params=(w,))


def test_check_double_backward():
    x = np.array([0.5, -1.0, 2.0])
    gradient_check.check_double_backward(cube, x, np.ones(3), np.array([1.0, -0.5, 0.25]))


def test_check_double_backward_catches_non_differentiable_backward():
    class FrozenGrad(FunctionNode):  # backward returns a constant, not a function of x
        def forward(self, inputs):
            self.retain_inputs((0,))
            return inputs[0] ** 3,

        def backward(self, indexes, grad_outputs):
            x, = self.get_retained_inputs()
            return grad_outputs[0] * Variable(3 * x.array ** 2),

    x = np.array([0.5, -1.0, 2.0])
    with pytest.raises(AssertionError):
        gradient_check.check_double_backward(lambda v: FrozenGrad().apply((v,))[0], x,
                                             np.ones(3), np.ones(3))


def test_y_grad_none_requires_scalar_output():
    with pytest.raises(ValueError, match='y_grad is None'):
        gradient_check.check_backward(cube, np.ones(3), None)
    gradient_check.check_backward(cube, np.ones(1), None)

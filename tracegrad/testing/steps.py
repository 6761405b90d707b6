"""The training step of Chainer's examples, for tests and benchmarks that run one step
eagerly and compiled side by side."""
from __future__ import annotations


def training_step(model, optimizer):
    """``step(x, t) -> loss``: the loss of ``model(x, t)`` (a Classifier), gradients cleared,
    backpropagated and applied by ``optimizer``, as a user writes it."""
    def step(x, t):
        loss = model(x, t)
        model.cleargrads()
        loss.backward()
        optimizer.update()
        return loss
    return step

"""The training step of Chainer's examples, for tests and benchmarks that run one step
eagerly and compiled side by side."""
from __future__ import annotations


def training_step(model, optimizer):
    """``step(*inputs) -> loss``: the loss of ``model(*inputs)`` (a Classifier's ``x, t``,
    or a model that computes its own loss from ``x``), gradients cleared, backpropagated
    and applied by ``optimizer``, as a user writes it."""
    def step(*inputs):
        loss = model(*inputs)
        model.cleargrads()
        loss.backward()
        optimizer.update()
        return loss
    return step

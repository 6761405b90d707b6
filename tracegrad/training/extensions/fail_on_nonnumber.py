"""FailOnNonNumber: stop training when a parameter becomes NaN or infinite."""
from __future__ import annotations

from tracegrad import backend
from tracegrad.training import extension


class FailOnNonNumber(extension.Extension):
    """Raises RuntimeError as soon as any parameter of any optimizer's target is
    not finite, naming the optimizer and the parameter."""

    def __call__(self, trainer) -> None:
        for name, optimizer in trainer.updater.get_all_optimizers().items():
            for param_name, param in optimizer.target.namedparams(include_uninit=False):
                xp = backend.get_array_module(param.array)
                if not bool(xp.isfinite(param.array).all()):
                    raise RuntimeError(
                        f"Kill the process since parameters in optimizer '{name}' diverge "
                        f"({param_name} has a non-finite value). R.I.P.")

"""The Updater interface: one training step per :meth:`update`."""
from __future__ import annotations


class Updater:
    """Base class of updaters: what a :class:`Trainer` calls to make one update.

    An updater owns the iterators and optimizers; it exposes ``iteration``,
    ``epoch``, ``epoch_detail``, ``previous_epoch_detail`` and ``is_new_epoch``
    for triggers, and saves its state with :meth:`serialize`.
    """

    def connect_trainer(self, trainer) -> None:
        """Called by the Trainer that drives this updater."""

    def finalize(self) -> None:
        """Release resources (worker processes of iterators)."""

    def get_optimizer(self, name: str):
        raise NotImplementedError

    def get_all_optimizers(self) -> dict:
        raise NotImplementedError

    def update(self) -> None:
        raise NotImplementedError

    def serialize(self, serializer) -> None:
        raise NotImplementedError

"""Updaters: how one training step is made."""
from tracegrad.training.updaters.standard_updater import StandardUpdater

__all__ = ['StandardUpdater']

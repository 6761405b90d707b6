"""``x log x`` with its limit 0 at ``x = 0`` (entropies of distributions with p = 0)."""
from __future__ import annotations


def xlogx(x):
    """``x * log(x)``, 0 where ``x`` is 0, with a finite gradient everywhere on x > 0."""
    from tracegrad.functions.array.where import where
    from tracegrad.functions.math.exponential import log

    xp = x.xp
    positive = x.array > 0
    safe = where(positive, x, xp.ones_like(x.array))
    return where(positive, x * log(safe), xp.zeros_like(x.array))

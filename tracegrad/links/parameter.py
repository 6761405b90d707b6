"""Parameter: a link that only holds one parameter array (deprecated in Chainer)."""
from __future__ import annotations

import numpy

from tracegrad import backend
from tracegrad import functions as F
from tracegrad.link import Link


class Parameter(Link):
    """A link holding the parameter ``W`` and returning it when called.

    Kept for old code, as Chainer keeps it: parameters are Variables, so a
    :class:`~tracegrad.Parameter` attribute of a link does the same job.

    Args:
        array: the initial value of ``W`` (NumPy or CuPy; the link is put on
            that array's device).

    >>> p = L.Parameter(np.array([1., 2.], np.float32))
    >>> p()
    variable([1., 2.])
    """

    def __init__(self, array):
        super().__init__()
        self.add_param('W', array.shape, dtype=array.dtype)
        self.W.array = array
        if not isinstance(array, numpy.ndarray):
            self.to_device(backend.get_device_from_array(array))

    def forward(self, volatile='off'):
        """Return ``W`` through an identity function (so that gradients reach it).

        Args:
            volatile: ignored; accepted for old callers (volatility was
                removed from Chainer in v2).
        """
        return F.identity(self.W)

"""DeviceResident: the base of objects that keep arrays on one device (Link is one)."""
from __future__ import annotations

import numpy

from tracegrad import backend


class DeviceResidentsVisitor:
    """Visits a device resident's arrays (override the ``visit_*`` methods)."""

    def visit_device_resident(self, device_resident: DeviceResident) -> None:
        """Called once per object; by default visits nothing else."""

    def visit_array(self, arr):
        """Return the array to keep in place of ``arr``."""
        return arr

    def visit_variable(self, param) -> None:
        """Called for each Variable or Parameter the object owns."""


class _ToDevice(DeviceResidentsVisitor):
    def __init__(self, device: backend.Device):
        self.device = device

    def visit_device_resident(self, device_resident: DeviceResident) -> None:
        device_resident.__dict__['_device'] = self.device

    def visit_array(self, arr):
        return self.device.send(arr)

    def visit_variable(self, param) -> None:
        param.to_device(self.device)


class DeviceResident:
    """An object whose arrays live on one device, moved together with :meth:`to_device`.

    Subclasses with arrays of their own override :meth:`device_resident_accept`,
    call the base method, and hand each array to ``visitor.visit_array`` (keeping
    what it returns) and each Variable to ``visitor.visit_variable``.
    :class:`~tracegrad.Link` moves its parameters and persistent values itself.

    >>> class Table(tracegrad.DeviceResident):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.values = np.arange(3.)
    ...     def device_resident_accept(self, visitor):
    ...         super().device_resident_accept(visitor)
    ...         self.values = visitor.visit_array(self.values)
    >>> t = Table().to_device('@numpy')
    >>> t.device, t.xp is np
    (<CpuDevice @numpy>, True)
    """

    _device = backend.CpuDevice()

    def __init__(self) -> None:
        self.__dict__['_device'] = backend.CpuDevice()

    def device_resident_accept(self, visitor: DeviceResidentsVisitor) -> None:
        """Let ``visitor`` visit this object (and, in subclasses, its arrays)."""
        visitor.visit_device_resident(self)

    @property
    def device(self) -> backend.Device:
        """The device the arrays live on."""
        return self._device

    @property
    def xp(self):
        """The array module of the device (``numpy`` or ``cupy``)."""
        return self._device.xp

    def to_device(self, device):
        """Move the arrays to ``device`` (``'@numpy'``, ``'@cupy:N'``, an int or a Device);
        returns self."""
        self.device_resident_accept(_ToDevice(backend.get_device(device)))
        return self

    def to_cpu(self):
        """Move the arrays to host memory (NumPy); returns self."""
        return self.to_device(backend.CpuDevice())

    def to_gpu(self, device=None):
        """Move the arrays to a GPU (the current one if ``device`` is None); returns self."""
        from tracegrad.backends import cuda

        cuda.check_cuda_available()
        if device is None:
            device = cuda.cupy.cuda.Device().id
        elif not isinstance(device, (int, numpy.integer)):
            device = backend.get_device(device)
        return self.to_device(device)

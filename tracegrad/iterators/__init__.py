"""Dataset iterators (Chainer's ``chainer.iterators``)."""
from tracegrad.iterators.multiprocess_iterator import MultiprocessIterator  # noqa: F401
from tracegrad.iterators.multithread_iterator import MultithreadIterator  # noqa: F401
from tracegrad.iterators.order_samplers import OrderSampler, ShuffleOrderSampler  # noqa: F401
from tracegrad.iterators.serial_iterator import SerialIterator  # noqa: F401

__all__ = ['MultiprocessIterator', 'MultithreadIterator', 'OrderSampler',
           'SerialIterator', 'ShuffleOrderSampler']

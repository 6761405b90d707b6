"""Dataset iterators (Chainer's ``chainer.iterators``)."""
from tracegrad.iterators.multiprocess_iterator import MultiprocessIterator
from tracegrad.iterators.multithread_iterator import MultithreadIterator
from tracegrad.iterators.order_samplers import OrderSampler, ShuffleOrderSampler
from tracegrad.iterators.serial_iterator import SerialIterator

__all__ = ['MultiprocessIterator', 'MultithreadIterator', 'OrderSampler',
           'SerialIterator', 'ShuffleOrderSampler']

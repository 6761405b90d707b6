"""Saving and loading links and optimizers (Chainer's ``chainer.serializers``).

>>> import tempfile, os
>>> model = L.Linear(3, 2)
>>> path = os.path.join(tempfile.mkdtemp(), 'model.npz')
>>> serializers.save_npz(path, model)
>>> other = L.Linear(3, 2)
>>> serializers.load_npz(path, other)
>>> bool((other.W.array == model.W.array).all())
True
"""
from tracegrad.serializers.hdf5 import (
    HDF5Deserializer,
    HDF5Serializer,
    load_hdf5,
    save_hdf5,
)
from tracegrad.serializers.npz import (
    DictionarySerializer,
    NpzDeserializer,
    load_npz,
    save_npz,
)

__all__ = ['DictionarySerializer', 'HDF5Deserializer', 'HDF5Serializer', 'NpzDeserializer',
           'load_hdf5', 'load_npz', 'save_hdf5', 'save_npz']

"""Connection functions: linear maps, convolutions and embeddings."""
from tracegrad.functions.connection.convolution_2d import convolution_2d
from tracegrad.functions.connection.deconvolution_2d import deconvolution_2d
from tracegrad.functions.connection.embed_id import embed_id
from tracegrad.functions.connection.linear import linear

__all__ = ['convolution_2d', 'deconvolution_2d', 'embed_id', 'linear']

"""``chainer.cuda``: the old name of :mod:`tracegrad.backends.cuda`, which much Chainer code
still imports (``from chainer import cuda``; ``chainer.cuda.to_cpu(x)``). Importing this
module gives that one, so both names share one state."""
import sys

from tracegrad.backends import cuda as _cuda

sys.modules[__name__] = _cuda

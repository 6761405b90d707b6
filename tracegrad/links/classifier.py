"""Classifier: wraps a predictor with a loss (and accuracy) for training."""
from __future__ import annotations

from tracegrad import functions as F
from tracegrad import reporter
from tracegrad.link import Chain


class Classifier(Chain):
    """``loss = lossfun(predictor(*inputs), t)``, reported as ``'loss'`` (and
    ``'accuracy'``) through the reporter, with this link as the observer.

    Args:
        predictor: the model (a link) that computes the prediction.
        lossfun: the loss function (default ``F.softmax_cross_entropy``).
        accfun: the accuracy function (default ``F.accuracy``).
        label_key: which argument is the label: an int position (default -1, the
            last) or a keyword name.

    Attributes:
        compute_accuracy: whether to compute and report the accuracy.
        y, loss, accuracy: the values of the last call.

    >>> def lossfun(x, t):
    ...     return F.softmax_cross_entropy(
    ...         x, t, enable_double_backprop=True)
    >>> predictor = L.Linear(10)
    >>> model = L.Classifier(predictor, lossfun=lossfun)
    """

    compute_accuracy = True

    def __init__(self, predictor, lossfun=F.softmax_cross_entropy, accfun=F.accuracy,
                 label_key=-1):
        if not isinstance(label_key, (int, str)):
            raise TypeError(f'label_key must be int or str, but is {type(label_key)}')
        super().__init__()
        self.lossfun = lossfun
        self.accfun = accfun
        self.y = None
        self.loss = None
        self.accuracy = None
        self.label_key = label_key
        with self.init_scope():
            self.predictor = predictor

    def forward(self, *args, **kwargs):
        """Split off the label, run the predictor, and return the loss."""
        key = self.label_key
        if isinstance(key, int):
            if not -len(args) <= key < len(args):
                raise ValueError(f'Label key {key} is out of bounds')
            t = args[key]
            args = args[:key] + args[key + 1:] if key != -1 else args[:-1]
        else:
            if key not in kwargs:
                raise ValueError(f'Label key "{key}" is not found')
            kwargs = dict(kwargs)
            t = kwargs.pop(key)
        self.y = None
        self.loss = None
        self.accuracy = None
        self.y = self.predictor(*args, **kwargs)
        self.loss = self.lossfun(self.y, t)
        reporter.report({'loss': self.loss}, self)
        if self.compute_accuracy:
            self.accuracy = self.accfun(self.y, t)
            reporter.report({'accuracy': self.accuracy}, self)
        return self.loss

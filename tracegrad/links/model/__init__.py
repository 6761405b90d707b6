"""Complete models built from links (Chainer's ``chainer.links.model``)."""

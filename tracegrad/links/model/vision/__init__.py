"""Image-recognition networks with Chainer's layer names, so Chainer's converted
pretrained weights load into them: :mod:`vgg`, :mod:`resnet`, :mod:`googlenet`."""

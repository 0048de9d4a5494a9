"""The models of ``minidl train``: a small CNN for images and an MLP for anything.

Both use He (Kaiming) initialization for the layers followed by ReLU, batch normalization
after each hidden layer, and dropout before the classifier.

Example:
    >>> model = build_model('mlp', input_shape=(2,), num_classes=3)
    >>> model.num_parameters()
    17539
"""
import math

from .. import nn

HE = 'kaiming_normal'


def cnn(in_channels, size, num_classes, widths=(32, 64), dropout=0.25):
    """Blocks ``Conv3x3 - BatchNorm2d - ReLU - MaxPool2`` (one per width, while the image is
    at least 4 pixels wide), then ``Flatten - Dropout - Linear``."""
    layers, channels = [], in_channels
    for width in widths:
        layers += [nn.Conv2d(channels, width, 3, padding=1, bias=False, weight_init=HE),
                   nn.BatchNorm2d(width), nn.ReLU()]
        if size >= 4:
            layers.append(nn.MaxPool2d(2))
            size //= 2
        channels = width
    layers += [nn.Flatten(), nn.Dropout(dropout), nn.Linear(channels * size * size, num_classes)]
    return nn.Sequential(*layers)


def mlp(in_features, num_classes, hidden=(128, 128), dropout=0.2):
    """``Flatten``, then ``Linear - BatchNorm1d - ReLU - Dropout`` per hidden width, then ``Linear``."""
    layers, features = [nn.Flatten()], in_features
    for width in hidden:
        layers += [nn.Linear(features, width, bias=False, weight_init=HE), nn.BatchNorm1d(width),
                   nn.ReLU(), nn.Dropout(dropout)]
        features = width
    return nn.Sequential(*layers, nn.Linear(features, num_classes))


def build_model(name, input_shape, num_classes):
    """``'cnn'`` (needs images, ``input_shape`` (C, H, W)) or ``'mlp'`` for samples of ``input_shape``."""
    if name == 'cnn':
        if len(input_shape) != 3:
            raise ValueError(f"the cnn model needs images (C, H, W), but the samples have shape "
                             f"{tuple(input_shape)}; use --model mlp")
        return cnn(input_shape[0], input_shape[1], num_classes)
    if name == 'mlp':
        return mlp(math.prod(input_shape), num_classes)
    raise ValueError(f"unknown model {name!r}; expected 'cnn' or 'mlp'")

"""Activation modules: thin Module wrappers around the functional activations
(``minidl.nn.functional``), so that they can sit in a ``Sequential``.

Example:
    >>> import minidl
    >>> from minidl import nn
    >>> nn.ReLU()(minidl.tensor([-1.0, 2.0]))
    tensor([0., 2.])
"""
from . import functional as F
from .module import Module


class ReLU(Module):
    """y = max(x, 0) (see ``F.relu``)."""

    def forward(self, x):
        return F.relu(x)


class Sigmoid(Module):
    """y = 1 / (1 + e⁻ˣ) (see ``F.sigmoid``)."""

    def forward(self, x):
        return F.sigmoid(x)


class Tanh(Module):
    """y = tanh x (see ``F.tanh``)."""

    def forward(self, x):
        return F.tanh(x)

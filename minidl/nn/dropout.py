"""Dropout layers: ``Dropout`` (single elements) and ``Dropout2d`` (whole channels).

In training mode (``model.train()``, the default) each element (or channel) is zeroed with
probability p and the survivors are scaled by 1/(1 - p); in evaluation mode
(``model.eval()``) the layer is the identity. See ``minidl.functional.dropout``.

Example:
    >>> import minidl
    >>> from minidl import nn
    >>> minidl.manual_seed(0)
    >>> drop = nn.Dropout(p=0.5)
    >>> drop(minidl.ones(6))
    tensor([2., 2., 2., 0., 0., 0.])
    >>> drop.eval()(minidl.ones(6))
    tensor([1., 1., 1., 1., 1., 1.])
"""
from .. import functional as F
from .module import Module


class _DropoutNd(Module):
    """Holds and checks ``p``, the probability that an element is dropped."""

    def __init__(self, p=0.5):
        super().__init__()
        if not 0 <= p <= 1:
            raise ValueError(f"{type(self).__name__}: dropout probability has to be between 0 and 1, "
                             f"but got {p}")
        self.p = p

    def extra_repr(self):
        return f"p={self.p}"


class Dropout(_DropoutNd):
    """Inverted dropout of single elements (Srivastava et al., 2014)."""

    def forward(self, x):
        return F.dropout(x, self.p, self.training)


class Dropout2d(_DropoutNd):
    """Spatial dropout of (N, C, H, W): drops whole channels (Tompson et al., 2015)."""

    def forward(self, x):
        return F.dropout2d(x, self.p, self.training)

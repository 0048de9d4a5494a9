"""Dropout: randomly silence units while training, so that no unit can rely on another.

*Inverted* dropout (Srivastava et al., "Dropout: A Simple Way to Prevent Neural Networks from
Overfitting", 2014) keeps each element with probability 1 - p and scales the survivors by
1/(1 - p), so that the expected output equals the input and evaluation needs no change::

    training:    y = x · m / (1 - p),   m ~ Bernoulli(1 - p) drawn afresh for every call
    evaluation:  y = x

    dL/dx = dL/dy · m / (1 - p)      (the same mask: y is linear in x)

E[y] = x · (1 - p) / (1 - p) = x. With p = 1 every element is dropped and y = 0 (the scale
is taken as 0, not 1/0). *Spatial* dropout (``dropout2d``; Tompson et al., "Efficient Object
Localization Using Convolutional Networks", 2015) draws one m per (sample, channel) and
drops whole feature maps, because neighbouring pixels of a map are too correlated for
per-pixel dropout to regularize.

The masks come from minidl's seeded generator (``minidl.manual_seed``), so a seeded run
drops the same units every time.

Example:
    >>> import minidl
    >>> import minidl.functional as F
    >>> minidl.manual_seed(0)
    >>> y = F.dropout(minidl.ones(8), p=0.5)
    >>> sorted(set(y.tolist()))              # dropped: 0, kept: 1 / (1 - p)
    [0.0, 2.0]
    >>> F.dropout(minidl.ones(3), p=0.5, training=False)
    tensor([1., 1., 1.])
"""
from .. import backend
from ..autograd.function import Function


class Dropout(Function):
    """y = x · m / (1 - p) with m ~ Bernoulli(1 - p);   dL/dx = dL/dy · m / (1 - p).

    m has x's shape; with ``channelwise=True`` it has shape (N, C, 1, ..., 1) and broadcasts
    over the trailing axes, dropping whole channels (spatial dropout).
    """

    def __init__(self, p, channelwise=False):
        self.p, self.channelwise = p, channelwise

    def forward(self, x):
        if x.dtype.kind != 'f':
            raise TypeError(f"dropout: expected a floating point tensor, got {x.dtype}")
        shape = x.shape[:2] + (1,) * (x.ndim - 2) if self.channelwise else x.shape
        # BEGIN SOLUTION
        keep = backend.uniform(shape, dtype=x.dtype, device=backend.device_of(x)) >= self.p
        scale = 1 / (1 - self.p) if self.p < 1 else 0.0
        self.mask = keep.astype(x.dtype) * x.dtype.type(scale)
        # END SOLUTION
        return x * self.mask

    def backward(self, gy):
        return gy * self.mask


def _check_p(p, name):
    if not 0 <= p <= 1:
        raise ValueError(f"{name}: dropout probability has to be between 0 and 1, but got {p}")


def dropout(x, p=0.5, training=True):
    """Inverted dropout of each element with probability ``p`` (identity unless ``training``)."""
    _check_p(p, 'dropout')
    if not training or p == 0:
        return x
    return Dropout(p)(x)


def dropout2d(x, p=0.5, training=True):
    """Spatial dropout of x of shape (N, C, H, W): zero whole channels with probability ``p``
    and scale the rest by 1/(1 - p) (identity unless ``training``).

    Example:
        >>> import minidl
        >>> import minidl.functional as F
        >>> minidl.manual_seed(0)
        >>> y = F.dropout2d(minidl.ones(1, 6, 2, 2), p=0.5)
        >>> y.sum(dim=(2, 3))           # per channel: all four pixels kept (4 · 2) or all dropped
        tensor([[8., 8., 8., 0., 0., 0.]])
    """
    _check_p(p, 'dropout2d')
    if x.ndim != 4:
        raise ValueError(f"dropout2d: expected input of shape (N, C, H, W), got {x.shape}")
    if not training or p == 0:
        return x
    return Dropout(p, channelwise=True)(x)

"""Pooling layers (no parameters): ``MaxPool2d``, ``AvgPool2d``, ``AdaptiveAvgPool2d``.
Formulas and derivatives are in ``minidl.functional.pooling``.

Example:
    >>> import minidl
    >>> from minidl import nn
    >>> nn.MaxPool2d(2)(minidl.randn(8, 16, 32, 32)).shape
    (8, 16, 16, 16)
"""
from . import functional as F
from .module import Module


class MaxPool2d(Module):
    """The maximum of each ``kernel_size`` window (stride defaults to kernel_size); the
    gradient goes to each window's (first) maximum.

    Example:
        >>> import minidl
        >>> from minidl import nn
        >>> nn.MaxPool2d(3, stride=2, padding=1)(minidl.randn(1, 4, 28, 28)).shape
        (1, 4, 14, 14)
    """

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
        super().__init__()
        self.kernel_size, self.stride, self.padding, self.dilation = kernel_size, stride, padding, dilation
        self.ceil_mode = ceil_mode

    def forward(self, x):
        return F.max_pool2d(x, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, stride={self.stride or self.kernel_size}, "
                f"padding={self.padding}, dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class AvgPool2d(Module):
    """The mean of each ``kernel_size`` window (stride defaults to kernel_size).

    Example:
        >>> import minidl
        >>> from minidl import nn
        >>> nn.AvgPool2d(2)(minidl.ones(1, 1, 4, 4))
        tensor([[[[1., 1.],
                  [1., 1.]]]])
    """

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False):
        super().__init__()
        self.kernel_size, self.stride, self.padding, self.ceil_mode = kernel_size, stride, padding, ceil_mode

    def forward(self, x):
        return F.avg_pool2d(x, self.kernel_size, self.stride, self.padding, self.ceil_mode)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, stride={self.stride or self.kernel_size}, padding={self.padding}, "
                f"ceil_mode={self.ceil_mode}")


class AdaptiveAvgPool2d(Module):
    """Average pooling to a fixed ``output_size``; ``AdaptiveAvgPool2d(1)`` is global average
    pooling (one number per channel, whatever the image size).

    Example:
        >>> import minidl
        >>> from minidl import nn
        >>> nn.AdaptiveAvgPool2d(1)(minidl.randn(8, 16, 7, 9)).shape
        (8, 16, 1, 1)
    """

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, x):
        return F.adaptive_avg_pool2d(x, self.output_size)

    def extra_repr(self):
        return f"output_size={self.output_size}"

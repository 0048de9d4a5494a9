"""Copying a tensor, and moving it between dtypes and devices, keeping the gradient flowing."""
from ..autograd.function import Function
from ..backend import device_of, to_device


class Cast(Function):
    """y = x converted to ``dtype``;   dL/dx = dL/dy converted back to x's dtype."""

    def __init__(self, dtype):
        self.dtype = dtype

    def forward(self, x):
        return x.astype(self.dtype)

    def backward(self, gy):
        return gy.to(self.input_dtypes[0])


class ToDevice(Function):
    """y = x copied to ``device``;   dL/dx = dL/dy copied back to x's device."""

    def __init__(self, device):
        self.device = device

    def forward(self, x):
        self.source = device_of(x)
        return to_device(x, self.device)

    def backward(self, gy):
        return gy.to(self.source)


class Clone(Function):
    """y = a copy of x with memory of its own (``t.clone()``);   dL/dx = dL/dy.

    A clone can be written in place when x cannot (an expanded view, whose elements share
    memory), and its changes leave x as it was."""

    def forward(self, x):
        return x.copy()

    def backward(self, gy):
        return gy


def clone(x):
    """A copy of ``x`` that the gradient flows through (PyTorch's ``Tensor.clone``).

    Example:
        >>> import minidl
        >>> x = minidl.tensor([1.0, 2.0])
        >>> y = x.clone()
        >>> y += 1
        >>> x, y
        (tensor([1., 2.]), tensor([2., 3.]))
    """
    return Clone()(x)

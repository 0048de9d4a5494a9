"""Moving a tensor between dtypes and devices, keeping the gradient flowing."""
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

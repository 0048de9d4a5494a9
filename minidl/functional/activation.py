"""Activation functions: elementwise nonlinearities and their derivatives.

Each derivative is written in terms of what is cheapest to keep: the output y when the
derivative is a function of y (sigmoid, tanh, relu), the input x otherwise.
"""
from ..autograd.function import Function
from ..backend import get_array_module


class ReLU(Function):
    """y = max(x, 0);   dL/dx = dL/dy · [x > 0]   (0 at x = 0, as in PyTorch)."""

    def forward(self, x):
        y = get_array_module(x).maximum(x, 0).astype(x.dtype, copy=False)
        self.save_for_backward(y)
        return y

    def backward(self, gy):
        y, = self.saved_tensors
        return gy * (y > 0)


class Sigmoid(Function):
    """y = σ(x) = 1 / (1 + e⁻ˣ);   dL/dx = dL/dy · y (1 - y).

    Stable for large |x|: with e = exp(-|x|) <= 1, σ(x) = 1/(1+e) for x >= 0 and e/(1+e)
    for x < 0, so exp never overflows.
    """

    def forward(self, x):
        xp = get_array_module(x)
        e = xp.exp(-xp.abs(x))
        y = xp.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)
        self.save_for_backward(y)
        return y

    def backward(self, gy):
        y, = self.saved_tensors
        return gy * y * (1 - y)


class Tanh(Function):
    """y = tanh x;   dL/dx = dL/dy · (1 - y²)."""

    def forward(self, x):
        y = get_array_module(x).tanh(x)
        self.save_for_backward(y)
        return y

    def backward(self, gy):
        y, = self.saved_tensors
        return gy * (1 - y * y)


def relu(x):
    """max(x, 0) elementwise."""
    return ReLU()(x)


def sigmoid(x):
    """1 / (1 + exp(-x)) elementwise, stable for large |x|."""
    return Sigmoid()(x)


def tanh(x):
    """Hyperbolic tangent elementwise."""
    return Tanh()(x)

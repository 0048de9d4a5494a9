"""``Linear``: the affine layer y = x Wᵀ + b.

Example:
    >>> import minidl
    >>> from minidl import nn
    >>> layer = nn.Linear(3, 2)
    >>> layer.weight.shape, layer.bias.shape, layer(minidl.randn(4, 3)).shape
    ((2, 3), (2,), (4, 2))
"""
from .. import functional as F
from ._weights import add_weight_and_bias
from .module import Module


class Linear(Module):
    """y = x Wᵀ + b for x of shape (*, in_features); W has shape (out_features, in_features).

    Gradients (derived in ``minidl.functional.linear``): dL/dx = dL/dy W,
    dL/dW = Σ_batch dL/dyᵀ x, dL/db = Σ_batch dL/dy.

    Args:
        in_features, out_features: sizes of the last axis of x and y.
        bias: add the learned b (default True).
        weight_init: a name (``'kaiming_normal'``, ``'xavier_uniform'``, ...) or a callable
            taking the weight tensor; default PyTorch's kaiming_uniform_(a=√5).
        weight_regularizer, bias_regularizer: penalties (``minidl.regularizers``) stored on
            the Parameters and summed by ``Module.regularization_loss()``.
        weight_constraint, bias_constraint: projections (``minidl.constraints``) applied by
            ``Module.apply_constraints()``.

    Example:
        >>> import minidl
        >>> from minidl import nn
        >>> layer = nn.Linear(784, 10, weight_init='xavier_uniform')
        >>> layer(minidl.zeros(32, 28, 28))
        Traceback (most recent call last):
        ...
        ValueError: Linear(in_features=784, out_features=10, bias=True): got input of shape (32, 28, 28), expected (*, 784)
    """

    def __init__(self, in_features, out_features, bias=True, weight_init=None, weight_regularizer=None,
                 bias_regularizer=None, weight_constraint=None, bias_constraint=None, dtype=None,
                 device=None):
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        add_weight_and_bias(self, (out_features, in_features), bias, weight_init, weight_regularizer,
                            bias_regularizer, weight_constraint, bias_constraint, dtype, device)

    def forward(self, x):
        if x.ndim == 0 or x.shape[-1] != self.in_features:
            raise ValueError(f"{type(self).__name__}({self.extra_repr()}): got input of shape "
                             f"{tuple(x.shape)}, expected (*, {self.in_features})")
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"

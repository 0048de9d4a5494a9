"""``Conv2d``: a learned 2-D convolution over NCHW images (im2col + one matrix product; the
formula, the nested-loop definition and the derivation are in ``minidl.functional.conv``).

Example:
    >>> import minidl
    >>> from minidl import nn
    >>> conv = nn.Conv2d(3, 16, kernel_size=3, padding=1)
    >>> conv(minidl.randn(8, 3, 32, 32)).shape
    (8, 16, 32, 32)
"""
from ..functional.conv import conv2d, named_padding, pair
from ._weights import add_weight_and_bias
from .module import Module


class Conv2d(Module):
    """y[n, o] = b[o] + Σ_c w[o, c] ⋆ x[n, c] (cross-correlation) with a weight of shape
    (out_channels, in_channels, k_h, k_w), so fan_in = in_channels·k_h·k_w.

    Args:
        in_channels, out_channels: channels of x and y.
        kernel_size, stride, padding, dilation: ints or (height, width) pairs; ``padding``
            may also be 'valid' (none) or 'same' (the output keeps the input's size, stride 1).
        bias, weight_init, weight_regularizer, bias_regularizer, weight_constraint,
            bias_constraint: as for :class:`minidl.nn.Linear` (default initialization is
            PyTorch's: U(-1/√fan_in, 1/√fan_in) for weight and bias).

    Example:
        >>> import minidl
        >>> from minidl import nn
        >>> nn.Conv2d(3, 16, 3)(minidl.zeros(8, 1, 28, 28))
        Traceback (most recent call last):
        ...
        ValueError: Conv2d(3, 16, kernel_size=(3, 3), stride=(1, 1)): expected input of shape (N, 3, H, W), got (8, 1, 28, 28)
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, bias=True,
                 weight_init=None, weight_regularizer=None, bias_regularizer=None, weight_constraint=None,
                 bias_constraint=None, dtype=None, device=None):
        super().__init__()
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = pair(kernel_size, 'kernel_size')
        self.stride, self.dilation = pair(stride, 'stride'), pair(dilation, 'dilation')
        if isinstance(padding, str):
            named_padding(padding, self.kernel_size, self.stride, self.dilation)     # checked here, once
            self.padding = padding
        else:
            self.padding = pair(padding, 'padding')
        add_weight_and_bias(self, (out_channels, in_channels) + self.kernel_size, bias, weight_init,
                            weight_regularizer, bias_regularizer, weight_constraint, bias_constraint, dtype, device)

    def forward(self, x):
        if x.ndim != 4 or x.shape[1] != self.in_channels:
            raise ValueError(f"{type(self).__name__}({self.extra_repr()}): expected input of shape "
                             f"(N, {self.in_channels}, H, W), got {tuple(x.shape)}")
        return conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation)

    def extra_repr(self):
        text = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0, 0):
            text += f", padding={self.padding!r}"
        if self.dilation != (1, 1):
            text += f", dilation={self.dilation}"
        if self.bias is None:
            text += ", bias=False"
        return text

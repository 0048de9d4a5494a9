"""Normalization layers: BatchNorm1d, BatchNorm2d, LayerNorm, GroupNorm.

Each standardizes its input over some axes and applies a learned per-feature scale γ
(``weight``, initialized to 1) and shift β (``bias``, initialized to 0); see
``minidl.functional.normalization`` for the formulas and the derivation of the backward.

**Training versus evaluation** matters only for batch normalization:

* ``model.train()``: each channel is normalized with the mean and (biased) variance of the
  *current batch*, and the running estimates are updated:
  ``running = (1 - momentum) · running + momentum · batch`` (unbiased variance), or, with
  ``momentum=None``, the plain average of all batches seen (``num_batches_tracked`` of them).
* ``model.eval()``: the running estimates replace the batch statistics, so the output of a
  sample no longer depends on the other samples in its batch.

LayerNorm and GroupNorm use the statistics of each sample alone, so they act the same in
both modes (and work with a batch of one).

Example:
    >>> import minidl
    >>> from minidl import nn
    >>> bn = nn.BatchNorm1d(2)
    >>> x = minidl.tensor([[0.0, 10.0], [200.0, 30.0]])
    >>> bn(x)
    tensor([[-1., -1.],
            [ 1.,  1.]], grad_fn=<AddBackward>)
    >>> bn.running_mean, bn.running_var      # 0.9 · (0, 1) + 0.1 · (batch mean, unbiased variance)
    (tensor([10.,  2.]), tensor([2000.9,   20.9]))
    >>> bn.eval()(x).shape                   # evaluation mode: uses the running statistics
    (2, 2)
"""
from .. import functional as F
from ..functional.normalization import check_num_groups
from ..autograd.tensor import ones, tensor, zeros
from .module import Module
from .parameter import Parameter


def _affine_parameters(module, shape, affine, dtype, device, bias=True):
    """Register γ = 1 (``weight``) and β = 0 (``bias``) of ``shape``, or None for both (for
    β alone with ``bias=False``)."""
    module.register_parameter('weight', Parameter(ones(shape, dtype=dtype, device=device)) if affine else None)
    module.register_parameter('bias', Parameter(zeros(shape, dtype=dtype, device=device))
                              if affine and bias else None)


class _BatchNorm(Module):
    """Batch normalization over (N, C, *), PyTorch semantics (Ioffe & Szegedy, 2015).

    Args:
        num_features: C, the number of channels.
        eps: ε added to the variance.
        momentum: weight of the new batch in the running statistics; None for a cumulative
            moving average.
        affine: learn γ and β (default True).
        track_running_stats: keep running statistics (buffers ``running_mean``,
            ``running_var``, ``num_batches_tracked``) and use them in evaluation mode; if
            False, batch statistics are used in both modes.
    """
    input_ndims, input_layout = (), ''                # set by the subclasses

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True,
                 dtype=None, device=None):
        super().__init__()
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        _affine_parameters(self, (num_features,), affine, dtype, device)
        if track_running_stats:
            self.register_buffer('running_mean', zeros(num_features, dtype=dtype, device=device))
            self.register_buffer('running_var', ones(num_features, dtype=dtype, device=device))
            self.register_buffer('num_batches_tracked', tensor(0, dtype='int64', device=device))
        else:
            for name in ('running_mean', 'running_var', 'num_batches_tracked'):
                self.register_buffer(name, None)

    def reset_running_stats(self):
        """Back to running_mean = 0, running_var = 1, no batches seen."""
        if self.track_running_stats:
            self.running_mean.data[...] = 0
            self.running_var.data[...] = 1
            self.num_batches_tracked.data[...] = 0

    def forward(self, x):
        if x.ndim not in self.input_ndims or x.shape[1] != self.num_features:
            raise ValueError(f"{type(self).__name__}({self.extra_repr()}): got input of shape "
                             f"{tuple(x.shape)}, expected {self.input_layout} with C={self.num_features}")
        momentum = self.momentum
        update = self.training and self.track_running_stats
        if update and momentum is None:               # cumulative average of the n batches seen
            momentum = 1.0 / (int(self.num_batches_tracked.item()) + 1)
        y = F.batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                         training=self.training or not self.track_running_stats,
                         momentum=momentum, eps=self.eps)
        if update:
            self.num_batches_tracked.data += 1
        return y

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch normalization of (N, C) features or (N, C, L) sequences, per channel C."""
    input_ndims, input_layout = (2, 3), '(N, C) or (N, C, L)'


class BatchNorm2d(_BatchNorm):
    """Batch normalization of (N, C, H, W) images, per channel C (over N, H and W).

    Example:
        >>> import minidl
        >>> from minidl import nn
        >>> nn.BatchNorm2d(3)(minidl.randn(4, 5, 8, 8))
        Traceback (most recent call last):
        ...
        ValueError: BatchNorm2d(3, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True): got input of shape (4, 5, 8, 8), expected (N, C, H, W) with C=3
    """
    input_ndims, input_layout = (4,), '(N, C, H, W)'


class LayerNorm(Module):
    """Layer normalization over the last axes, of shape ``normalized_shape``, of each sample
    (Ba et al., 2016); γ and β have shape ``normalized_shape`` (β is None with ``bias=False``,
    as in PyTorch 2.x).

    Example:
        >>> import minidl
        >>> from minidl import nn
        >>> nn.LayerNorm(3)(minidl.tensor([[1.0, 2.0, 3.0]])).shape
        (1, 3)
    """

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True, dtype=None,
                 device=None):
        super().__init__()
        if isinstance(normalized_shape, int):
            normalized_shape = (normalized_shape,)
        self.normalized_shape, self.eps = tuple(normalized_shape), eps
        self.elementwise_affine = elementwise_affine
        _affine_parameters(self, self.normalized_shape, elementwise_affine, dtype, device, bias)

    def forward(self, x):
        return F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"
                + ('' if self.bias is not None or not self.elementwise_affine else ', bias=False'))


class GroupNorm(Module):
    """Group normalization of (N, C, *): each sample's C channels in ``num_groups`` blocks
    (Wu & He, 2018); γ and β per channel. With num_groups=1 it is LayerNorm over (C, *),
    with num_groups=C it is instance normalization.

    Example:
        >>> import minidl
        >>> from minidl import nn
        >>> nn.GroupNorm(2, 4)(minidl.randn(1, 4, 3, 3)).shape     # works with a batch of one
        (1, 4, 3, 3)
    """

    def __init__(self, num_groups, num_channels, eps=1e-5, affine=True, dtype=None, device=None):
        super().__init__()
        check_num_groups(num_groups, num_channels, 'GroupNorm')
        self.num_groups, self.num_channels, self.eps, self.affine = num_groups, num_channels, eps, affine
        _affine_parameters(self, (num_channels,), affine, dtype, device)

    def forward(self, x):
        if x.ndim < 2 or x.shape[1] != self.num_channels:
            raise ValueError(f"{type(self).__name__}({self.extra_repr()}): got input of shape "
                             f"{tuple(x.shape)}, expected (N, C, *) with C={self.num_channels}")
        return F.group_norm(x, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}"

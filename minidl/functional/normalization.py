"""Normalization: batch, layer and group normalization, with their closed-form derivatives.

All three *standardize* x over a group of m elements G, then apply a learned affine map::

    μ = (1/m) Σ_G x,    σ² = (1/m) Σ_G (x - μ)²    (the biased variance),
    s = 1 / √(σ² + ε),  x̂ = (x - μ) · s,
    y = γ · x̂ + β

They differ only in which elements form a group:

    batch_norm   one group per channel c: x[:, c, ...] over the batch (and length / pixels)
                 (Ioffe & Szegedy, "Batch Normalization", 2015)
    layer_norm   one group per sample: its last len(normalized_shape) axes
                 (Ba, Kiros & Hinton, "Layer Normalization", 2016)
    group_norm   one group per sample and block of C/G channels (Wu & He, "Group Normalization", 2018)

**Backward of the standardization**, derived once for all three. x̂_i depends on x_j directly
and through μ and σ. With ∂μ/∂x_j = 1/m and ∂σ²/∂x_j = 2 (x_j - μ) / m (the μ-terms cancel
because Σ (x - μ) = 0), ∂s/∂x_j = -½ s³ · ∂σ²/∂x_j = -s² x̂_j / m, so

    ∂x̂_i/∂x_j = s (δ_ij - 1/m - x̂_i x̂_j / m)

and, writing g = dL/dx̂ and mean_G for the mean over the group,

    dL/dx = s · (g - mean_G(g) - x̂ · mean_G(g · x̂))

One fused op with this backward (``_Standardize``) needs the O(m) closed form instead of
building the graph of six primitive ops and walking back through it. The affine part is
ordinary ``*`` and ``+``, whose derivatives dL/dγ = Σ dL/dy · x̂ and dL/dβ = Σ dL/dy (summed
over the positions that share γ and β) autograd applies as for any broadcast op.

The backward is written with Tensor ops, so it can be differentiated again: under
``backward(create_graph=True)`` it rebuilds x̂ and s from x inside the graph (otherwise it
reuses the ones saved by forward, which are constants).

Example (training-mode batch normalization of a (N, C) batch: each column gets mean 0, variance 1):
    >>> import minidl
    >>> import minidl.functional as F
    >>> x = minidl.tensor([[1.0, 10.0], [3.0, 30.0]])
    >>> F.batch_norm(x, None, None, training=True, eps=0.0)
    tensor([[-1., -1.],
            [ 1.,  1.]])
"""
from .. import backend
from ..autograd.function import Function
from ..autograd.grad_mode import is_grad_enabled
from ..autograd.tensor import Tensor


class _Standardize(Function):
    """x̂ = (x - μ) / √(σ² + ε) over groups of elements; dL/dx = s (g - mean g - x̂ mean(g x̂)).

    The shared op behind the three normalizations (see the module docstring for the
    derivation). A subclass says which elements form a group with ``group_view(shape)``:
    the shape to view x in and the axes of that view a group runs over.
    """

    def __init__(self, eps=1e-5):
        self.eps = eps

    def group_view(self, shape):                      # abstract
        raise NotImplementedError

    def statistics(self, x):
        """μ, σ² (biased), s = 1/√(σ² + ε) per group and x̂ (shaped as x), from a Tensor x."""
        view_shape, axes = self.group_view(x.shape)
        v = x.reshape(view_shape)
        mean = v.mean(dim=axes, keepdim=True)
        centred = v - mean                                  # computed once, used twice
        var = (centred * centred).mean(dim=axes, keepdim=True)
        inv_std = 1 / (var + self.eps).sqrt()
        return mean, var, inv_std, (centred * inv_std).reshape(x.shape)

    def forward(self, x):
        if x.dtype.kind != 'f':
            raise TypeError(f"{type(self).__name__}: expected a floating point tensor, got {x.dtype}")
        self.mean, self.var, inv_std, x_hat = (t.data for t in self.statistics(Tensor(x)))
        self.save_for_backward(x, inv_std, x_hat)
        return x_hat

    def backward(self, g):
        x, inv_std, x_hat = self.saved_tensors
        if is_grad_enabled():                 # create_graph: s and x̂ depend on x, differentiate that too
            _, _, inv_std, x_hat = self.statistics(x)
        # BEGIN SOLUTION
        view_shape, axes = self.group_view(x.shape)
        g, x_hat = g.reshape(view_shape), x_hat.reshape(view_shape)
        gx = inv_std * (g - g.mean(dim=axes, keepdim=True)
                        - x_hat * (g * x_hat).mean(dim=axes, keepdim=True))
        return gx.reshape(x.shape)
        # END SOLUTION


class BatchNorm(_Standardize):
    """Standardize each channel of (N, C, *) over the batch and the remaining axes (training mode).

    Groups: x[:, c, ...] for each channel c, m = N · (product of the trailing sizes).
    """

    def group_view(self, shape):
        # BEGIN SOLUTION
        return shape, (0,) + tuple(range(2, len(shape)))
        # END SOLUTION

    def forward(self, x):
        if x.size // x.shape[1] <= 1:
            raise ValueError(f"BatchNorm: Expected more than 1 value per channel when training, "
                             f"got input of shape {tuple(x.shape)}")
        return super().forward(x)


class LayerNorm(_Standardize):
    """Standardize each sample over its last ``normalized_ndim`` axes."""

    def __init__(self, normalized_ndim, eps=1e-5):
        super().__init__(eps)
        self.normalized_ndim = normalized_ndim

    def group_view(self, shape):
        # BEGIN SOLUTION
        return shape, tuple(range(len(shape) - self.normalized_ndim, len(shape)))
        # END SOLUTION


class GroupNorm(_Standardize):
    """Standardize each sample of (N, C, *) over blocks of C / num_groups channels (and *)."""

    def __init__(self, num_groups, eps=1e-5):
        super().__init__(eps)
        self.num_groups = num_groups

    def group_view(self, shape):
        return (shape[0], self.num_groups, -1), (2,)


# ---------------------------------------------------------------------- public functions
def _channel_shape(x):
    """(1, C, 1, ..., 1): how a per-channel vector broadcasts against x of shape (N, C, *)."""
    return (1, x.shape[1]) + (1,) * (x.ndim - 2)


def _affine(x_hat, weight, bias, shape):
    """y = γ · x̂ + β, with γ and β (either may be None) viewed in ``shape`` to broadcast."""
    if weight is not None:
        x_hat = x_hat * weight.reshape(shape)
    if bias is not None:
        x_hat = x_hat + bias.reshape(shape)
    return x_hat


def batch_norm(x, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5):
    """Batch normalization of x of shape (N, C) or (N, C, *), as ``torch.nn.functional.batch_norm``.

    Training (or no running statistics given): normalize with the batch mean and biased
    variance of each channel, and, if running statistics are given, update them in place::

        running_mean = (1 - momentum) · running_mean + momentum · μ_batch
        running_var  = (1 - momentum) · running_var  + momentum · σ²_batch · m / (m - 1)

    (the running variance is the *unbiased* estimate). Evaluation: the running statistics
    stand in for the batch ones, y = (x - running_mean) / √(running_var + ε) · γ + β, a fixed
    affine map of each sample that no longer depends on the rest of the batch.

    Example:
        >>> import minidl
        >>> import minidl.functional as F
        >>> mean, var = minidl.zeros(1), minidl.ones(1)
        >>> y = F.batch_norm(minidl.tensor([[1.0], [3.0]]), mean, var, training=True, momentum=0.5)
        >>> mean, var            # batch mean 2 and unbiased variance 2, averaged in with weight 0.5
        (tensor([1.]), tensor([1.5]))
    """
    if x.ndim < 2:
        raise ValueError(f"batch_norm: expected input of shape (N, C) or (N, C, *), got {x.shape}")
    _check_running_stats(x, running_mean, running_var)
    shape = _channel_shape(x)
    if training or running_mean is None:
        op = BatchNorm(eps)
        x_hat = op(x)
        if training and running_mean is not None:
            m = x.numel() // x.shape[1]
            xp = backend.get_array_module(x.data)
            batch_mean = xp.reshape(op.mean, (-1,))
            batch_var = xp.reshape(op.var, (-1,)) * (m / (m - 1))
            running_mean.data[...] = (1 - momentum) * running_mean.data + momentum * batch_mean
            running_var.data[...] = (1 - momentum) * running_var.data + momentum * batch_var
    else:
        x_hat = (x - running_mean.reshape(shape)) / (running_var.reshape(shape) + eps).sqrt()
    return _affine(x_hat, weight, bias, shape)


def _check_running_stats(x, running_mean, running_var):
    """Refuse running statistics that batch_norm cannot use: only one of the two given (as
    in PyTorch), or either without one element per channel of x."""
    if (running_mean is None) != (running_var is None):
        raise ValueError("batch_norm: running_mean and running_var must either both be None or "
                         "neither be None")
    for name, stat in (('running_mean', running_mean), ('running_var', running_var)):
        if stat is not None and stat.numel() != x.shape[1]:
            raise ValueError(f"batch_norm: {name} of shape {tuple(stat.shape)} does not fit input of "
                             f"shape {tuple(x.shape)}: expected {x.shape[1]} elements, one per channel")


def check_num_groups(num_groups, num_channels, op, context=''):
    """Refuse a ``num_groups`` that does not split ``num_channels`` into equal blocks (0 and
    negative numbers included), with an error naming ``op`` (and ``context``, appended);
    shared by ``group_norm`` and ``nn.GroupNorm``."""
    if num_groups <= 0 or num_channels % num_groups != 0:
        raise ValueError(f"{op}: num_channels={num_channels} must be divisible by num_groups={num_groups}, "
                         f"a positive number{context}")


def layer_norm(x, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Layer normalization over the last ``len(normalized_shape)`` axes of x, which must equal
    ``normalized_shape``; γ and β have that shape.

    Example:
        >>> import minidl
        >>> import minidl.functional as F
        >>> F.layer_norm(minidl.tensor([[1.0, 3.0], [0.0, 10.0]]), (2,), eps=0.0)
        tensor([[-1.,  1.],
                [-1.,  1.]])
    """
    normalized_shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    k = len(normalized_shape)
    if k == 0 or x.ndim < k or x.shape[x.ndim - k:] != normalized_shape:
        raise ValueError(f"layer_norm: normalized_shape={normalized_shape} must match the last "
                         f"dimensions of the input, got input of shape {x.shape}")
    return _affine(LayerNorm(k, eps)(x), weight, bias, normalized_shape)


def group_norm(x, num_groups, weight=None, bias=None, eps=1e-5):
    """Group normalization of x of shape (N, C, *): each sample's channels are split into
    ``num_groups`` blocks of C / num_groups, each standardized (with its trailing axes);
    γ and β are per channel.

    Example:
        >>> import minidl
        >>> import minidl.functional as F
        >>> F.group_norm(minidl.tensor([[1.0, 3.0, 5.0, 7.0]]), 2, eps=0.0)
        tensor([[-1.,  1., -1.,  1.]])
    """
    if x.ndim < 2:
        raise ValueError(f"group_norm: expected input of shape (N, C, *), got input of shape {x.shape}")
    check_num_groups(num_groups, x.shape[1], 'group_norm', f", got input of shape {x.shape}")
    return _affine(GroupNorm(num_groups, eps)(x), weight, bias, _channel_shape(x))

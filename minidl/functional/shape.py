"""Shape operations: reshape/view, permute/transpose, expand, cat/stack, pad.

None of these changes a value, they only move values around; so each backward moves the
gradient back the same way (reshape back, permute by the inverse permutation, sum over the
expanded copies, split a concatenation, crop the padding).
"""
import math
import operator

import numpy

from ..autograd.function import Function
from ..backend import get_array_module
from ._util import normalize_dim, normalize_dims, promoted


def _resolve_shape(shape, numel, op, input_shape):
    """Fill in a -1 in ``shape`` and check that the element count is kept."""
    try:
        shape = tuple(operator.index(n) for n in shape)
    except TypeError:
        raise TypeError(f"{op}: sizes must be integers, got {shape}") from None
    if any(n < -1 for n in shape):
        raise ValueError(f"{op}: sizes must be >= 0, or -1 for one unknown size, got {shape} for a "
                         f"tensor of shape {input_shape}")
    if shape.count(-1) > 1:
        raise ValueError(f"{op}: only one dimension can be -1, got {shape}")
    known = math.prod(n for n in shape if n != -1)
    if -1 in shape:
        if known == 0 or numel % known:
            raise ValueError(f"{op}: cannot reshape a tensor of shape {input_shape} ({numel} elements) "
                             f"into {shape}")
        shape = tuple(numel // known if n == -1 else n for n in shape)
    if math.prod(shape) != numel:
        raise ValueError(f"{op}: cannot reshape a tensor of shape {input_shape} ({numel} elements) "
                         f"into {shape} ({math.prod(shape)} elements)")
    return shape


class Reshape(Function):
    """y = x with a new shape (same elements, row-major order);   dL/dx = dL/dy reshaped back."""
    backward_on_arrays = True           # (its backward reshapes, as arrays do: Function says why)

    def __init__(self, shape):
        self.shape = shape

    def forward(self, x):
        shape = _resolve_shape(self.shape, x.size, 'reshape', x.shape)
        return x if shape == x.shape else x.reshape(shape)     # no view object for a no-op

    def backward(self, gy):
        return gy.reshape(self.input_shapes[0])


class Permute(Function):
    """y = x with its axes reordered, y.shape[i] = x.shape[dims[i]];

    dL/dx = dL/dy permuted by the inverse permutation.
    """

    def __init__(self, dims):
        self.dims = tuple(dims)

    def forward(self, x):
        n = x.ndim
        axes = tuple([d + n if d < 0 else d for d in self.dims])
        if sorted(axes) != list(range(n)):
            raise ValueError(f"permute: dims {self.dims} are not a permutation of the {n} axes "
                             f"of a tensor of shape {x.shape}")
        self.axes = axes
        return x.transpose(axes)

    def backward(self, gy):
        inverse = [0] * len(self.axes)
        for i, axis in enumerate(self.axes):
            inverse[axis] = i
        return gy.permute(*inverse)


class Expand(Function):
    """y = x broadcast to a larger shape (a view, no copy);   dL/dx = dL/dy summed over the copies."""
    backward_on_arrays = True           # (sum_to_shape takes arrays too)

    def __init__(self, shape):
        self.shape = tuple(shape)

    def forward(self, x):
        lead = len(self.shape) - x.ndim
        if lead < 0:
            raise ValueError(f"expand: cannot expand shape {x.shape} to fewer dimensions {self.shape}")
        if -1 in self.shape[:lead]:
            raise ValueError(f"expand: -1 keeps an existing dimension, but {self.shape} puts it at a new "
                             f"leading one of shape {x.shape}")
        shape = tuple(x.shape[i - lead] if n == -1 else n for i, n in enumerate(self.shape))
        for i, n in enumerate(x.shape):
            if n != 1 and n != shape[lead + i]:
                raise ValueError(f"expand: cannot expand shape {x.shape} to {self.shape}: dimension "
                                 f"{i} has size {n}, which is not 1")
        return get_array_module(x).broadcast_to(x, shape)

    def backward(self, gy):
        from .reduction import sum_to_shape
        return sum_to_shape(gy, self.input_shapes[0])


def _promoted_all(arrays):
    """The arrays in one dtype, by the rule of ``_util.promoted`` (PyTorch's) folded over them:
    an integer array meeting a floating one takes the floating dtype, so int64 and float32
    make float32 where NumPy's concatenate would make float64. The fold runs on empty slices
    (ndim >= 1), so that only the final conversion touches the data."""
    dtype = arrays[0].dtype
    for x in arrays[1:]:
        if x.dtype != dtype:
            a, b = promoted(x[:0].astype(dtype), x[:0])
            dtype = numpy.result_type(a.dtype, b.dtype)
    return [x.astype(dtype, copy=False) for x in arrays]


class Cat(Function):
    """y = the inputs joined along ``dim``;   dL/dx_k = the slice of dL/dy where x_k went.

    Inputs of several dtypes are joined in PyTorch's common dtype (see :func:`_promoted_all`).
    """
    backward_on_arrays = True           # (its backward slices, as arrays do)

    def __init__(self, dim=0):
        self.dim = dim

    def forward(self, *xs):
        for k, x in enumerate(xs):
            if x.ndim == 0:
                raise ValueError(f"cat: tensor {k} is zero-dimensional, which cannot be concatenated "
                                 "(stack joins such tensors along a new dim)")
        xs = _promoted_all(xs)
        first = xs[0]
        self.axis = normalize_dim(self.dim, first.ndim, 'cat')
        for k, x in enumerate(xs):
            if x.ndim != first.ndim or any(a != b for i, (a, b) in enumerate(zip(x.shape, first.shape))
                                           if i != self.axis):
                raise ValueError(f"cat: tensor {k} has shape {x.shape}, which does not match tensor 0's "
                                 f"shape {first.shape} outside dim {self.dim}")
        return get_array_module(*xs).concatenate(xs, axis=self.axis)

    def backward(self, gy):
        grads, start = [], 0
        index = [slice(None)] * gy.ndim
        for shape in self.input_shapes:
            index[self.axis] = slice(start, start + shape[self.axis])
            grads.append(gy[tuple(index)])
            start += shape[self.axis]
        return tuple(grads)


class Pad(Function):
    """y = x with ``value`` added around it (PyTorch's ``pad`` order: last dim first,
    (left, right, top, bottom, ...));   dL/dx = dL/dy with the padding cropped off.
    """
    backward_on_arrays = True           # (its backward slices, as arrays do)

    def __init__(self, pad, value=0.0):
        try:
            pad = tuple(operator.index(p) for p in pad)
        except TypeError:
            raise TypeError(f"pad: pad sizes must be integers, got {pad}") from None
        if len(pad) % 2:
            raise ValueError(f"pad: expected an even number of pad sizes, got {pad}")
        if any(p < 0 for p in pad):
            raise ValueError(f"pad: negative padding {pad} is not supported")
        self.pad, self.value = pad, value

    def forward(self, x):
        pairs = [(0, 0)] * x.ndim
        if len(self.pad) // 2 > x.ndim:
            raise ValueError(f"pad: {len(self.pad) // 2} dimensions of padding for a tensor of shape {x.shape}")
        for k in range(len(self.pad) // 2):
            pairs[x.ndim - 1 - k] = (self.pad[2 * k], self.pad[2 * k + 1])
        self.pairs = pairs
        return get_array_module(x).pad(x, pairs, mode='constant', constant_values=self.value)

    def backward(self, gy):
        return gy[tuple(slice(lo, n - hi) for (lo, hi), n in zip(self.pairs, gy.shape))]


# ---------------------------------------------------------------------- public functions
def _shape_args(shape):
    return tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape


def reshape(x, *shape):
    """The same elements in a new shape; one dimension may be -1. ``x.reshape(2, -1)``."""
    return Reshape(_shape_args(shape))(x)


def permute(x, *dims):
    """Reorder the axes: ``x.permute(0, 2, 1)``."""
    return Permute(_shape_args(dims))(x)


def transpose(x, dim0, dim1):
    """Swap two axes (``x.mT``: the last two, which needs at least 2 dimensions)."""
    a, b = normalize_dim(dim0, x.ndim, 'transpose'), normalize_dim(dim1, x.ndim, 'transpose')
    dims = list(range(x.ndim))
    if x.ndim:                          # a 0-d tensor's one dim (0 or -1) is itself: nothing to swap
        dims[a], dims[b] = dims[b], dims[a]
    return Permute(dims)(x)


def expand(x, *shape):
    """Broadcast to ``shape`` without copying; -1 keeps a dimension."""
    return Expand(_shape_args(shape))(x)


def flatten(x, start_dim=0, end_dim=-1):
    """Merge the axes ``start_dim`` .. ``end_dim`` into one."""
    start, end = normalize_dim(start_dim, x.ndim, 'flatten'), normalize_dim(end_dim, x.ndim, 'flatten')
    if x.ndim == 0:                     # (its one dim is 0 or -1): one element, one axis
        return x.reshape(1)
    if start > end:
        raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
    return x.reshape(x.shape[:start] + (math.prod(x.shape[start:end + 1]),) + x.shape[end + 1:])


def squeeze(x, dim=None):
    """Remove axes of size 1: all of them, or those of ``dim`` (an int or a tuple) that have
    size 1 (others are kept, as in PyTorch)."""
    axes = range(x.ndim) if dim is None else normalize_dims(dim, x.ndim, 'squeeze')
    return x.reshape(tuple(n for i, n in enumerate(x.shape) if not (i in axes and n == 1)))


def _new_axis(dim, ndim, op):
    """Where ``dim`` puts the new axis of unsqueeze or stack, in their result of ``ndim``
    dimensions (a negative dim counts from the result's end)."""
    try:
        return normalize_dim(dim, ndim, op)
    except IndexError:
        raise IndexError(f"{op}: dim {dim} out of range for a result with {ndim} dimensions") from None


def unsqueeze(x, dim):
    """Insert an axis of size 1 at ``dim`` (negative counts from the end of the result)."""
    axis = _new_axis(dim, x.ndim + 1, 'unsqueeze')
    return x.reshape(x.shape[:axis] + (1,) + x.shape[axis:])


def cat(tensors, dim=0):
    """Join tensors along an existing axis."""
    tensors = list(tensors)
    if not tensors:
        raise ValueError("cat: expected a non-empty list of tensors")
    return Cat(dim)(*tensors)


def stack(tensors, dim=0):
    """Join tensors of one shape along a new axis ``dim``."""
    tensors = list(tensors)
    if not tensors:
        raise ValueError("stack: expected a non-empty list of tensors")
    shapes = {tuple(t.shape) for t in tensors}
    if len(shapes) > 1:
        raise ValueError(f"stack: expects tensors of one shape, got {sorted(shapes)}")
    axis = _new_axis(dim, tensors[0].ndim + 1, 'stack')
    return cat([unsqueeze(t, axis) for t in tensors], axis)


def pad(x, pad, mode='constant', value=0.0):
    """Constant padding, PyTorch order: ``pad(x, (1, 1))`` pads the last axis by one each side."""
    if mode != 'constant':
        raise ValueError(f"pad: only mode='constant' is supported, got {mode!r}")
    return Pad(pad, value)(x)

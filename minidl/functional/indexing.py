"""Indexing: ``x[key]`` and its adjoint, scatter-add.

Reading y = x[key] copies some elements of x (maybe some several times, with an integer
array key such as ``x[[0, 0, 1]]``). Each element of x then receives the sum of the
gradients of all its copies:

    dL/dx = zeros like x, then  dL/dx[key] += dL/dy      (repeated indices accumulate)

That backward is an op of its own, ``IndexAdd``, whose backward is indexing again, so the
pair can be differentiated any number of times. Keys may hold ints, slices, None, Ellipsis,
boolean masks and integer arrays (lists, NumPy/CuPy arrays or Tensors).
"""
from ..autograd.function import Function
from ..autograd.tensor import Tensor
from ..backend import get_array_module


def _normalize_key(key, xp):
    """Turn Tensors and lists in an index key into xp arrays; leave ints and slices alone."""
    parts = key if isinstance(key, tuple) else (key,)
    normal = []
    for part in parts:
        if isinstance(part, Tensor):
            part = part.data
        if isinstance(part, list):
            part = xp.asarray(part)
        if hasattr(part, 'dtype') and hasattr(part, 'shape'):
            part = xp.asarray(part)
            if part.dtype.kind not in 'biu':
                raise IndexError(f"indexing: index arrays must be integers or booleans, got dtype {part.dtype}")
        normal.append(part)
    return tuple(normal)


def _is_advanced(key):
    """True if the key holds an integer array: indices may repeat, so use add.at."""
    return any(hasattr(part, 'dtype') and part.dtype.kind in 'iu' and part.ndim > 0 for part in key)


def scatter_add(target, key, values):
    """target[key] += values, accumulating at repeated indices (NumPy ``add.at``)."""
    xp = get_array_module(target)
    if hasattr(xp.add, 'at'):
        xp.add.at(target, key, values)
    else:                                   # older CuPy
        import cupyx
        cupyx.scatter_add(target, key, values)


class GetItem(Function):
    """y = x[key];   dL/dx = IndexAdd(key)(dL/dy): zeros with dL/dy added in at key."""

    def __init__(self, key):
        self.key = key

    def forward(self, x):
        try:
            return x[self.key]
        except IndexError as error:
            raise IndexError(f"indexing a tensor of shape {x.shape}: {error}") from None

    def backward(self, gy):
        return IndexAdd(self.key, self.input_shapes[0])(gy)


class IndexAdd(Function):
    """y = zeros(shape) with y[key] += x (repeats accumulate);   dL/dx = dL/dy[key]."""

    def __init__(self, key, shape):
        self.key, self.shape = key, shape

    def forward(self, x):
        xp = get_array_module(x)
        y = xp.zeros(self.shape, dtype=x.dtype)
        if _is_advanced(self.key):
            scatter_add(y, self.key, x)
        else:
            y[self.key] = x
        return y

    def backward(self, gy):
        return gy[self.key]


def getitem(x, key):
    """``x[key]`` for Tensors: basic and advanced indexing, differentiable."""
    return GetItem(_normalize_key(key, get_array_module(x.data)))(x)

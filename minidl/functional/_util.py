"""Small helpers shared by the op families: dimension arguments, broadcasting, dtypes."""
import operator

import numpy

from ..backend import DTYPE_CATEGORY, get_default_dtype


def floating(x):
    """``x`` if it holds floating point (or complex) numbers; integers and bools converted to
    the default float dtype (float32). Ops whose values are not integers (exp, sigmoid,
    softmax, ...) compute an integer tensor this way, as PyTorch does, instead of in NumPy's
    float64 or, worse, cast back to integers."""
    return x if x.dtype.kind in 'fc' else x.astype(get_default_dtype())


def promoted(a, b):
    """The operands of a binary op, with PyTorch's rule where NumPy's differs.

    PyTorch ranks the operands: tensors with dimensions, then 0-d tensors (then Python
    numbers, which ``function._as_tensors`` has already given a dtype); and dtypes by category,
    bool < integer < floating. A 0-d tensor meeting a tensor with dimensions decides the dtype
    only if its category is higher: float32 (N,) + float64 0-d is float32 and uint8 (N,) - int64
    0-d is uint8 (1 - 2 = 255), where NumPy would widen both; int64 (N,) + float64 0-d is float64.
    Otherwise an integer (or bool) array meeting a floating one takes the floating one's dtype
    (int64 times float32 is float32, NumPy would give float64), and the rest is NumPy's rule
    (int8 + uint8 is int16, float32 + float64 is float64). Only the arrays that need it are
    converted. The ops call it only when the dtypes differ, so that the common case costs one
    comparison.
    """
    if (a.ndim == 0) != (b.ndim == 0):
        zero_dim, dimensioned = (a, b) if a.ndim == 0 else (b, a)
        higher = DTYPE_CATEGORY[zero_dim.dtype.kind] > DTYPE_CATEGORY[dimensioned.dtype.kind]
        target = zero_dim.dtype if higher else dimensioned.dtype
        return a.astype(target, copy=False), b.astype(target, copy=False)
    if a.dtype is b.dtype or (a.dtype.kind in 'fc') == (b.dtype.kind in 'fc'):
        return a, b
    target = a.dtype if a.dtype.kind in 'fc' else b.dtype
    if numpy.result_type(a.dtype, b.dtype) == target:
        return a, b
    return a.astype(target, copy=False), b.astype(target, copy=False)


def require_one_dtype(op, a, b, what='both operands'):
    """A product (matmul, linear, conv2d) does not promote, as in PyTorch: operands of two
    dtypes are an error naming the op, not a silent float64 product."""
    if a.dtype is not b.dtype and a.dtype != b.dtype:
        raise TypeError(f"{op}: expected {what} to have the same dtype, got {a.dtype} and {b.dtype}; "
                        "convert one of them with .to(dtype) first (e.g. .float() for float32)")


def normalize_dims(dim, ndim, op, empty_means_all=False):
    """``dim`` (None, an int or a tuple of ints, negatives allowed) as a sorted tuple of axes.

    None means every axis. An empty tuple (or list) means no axis (``squeeze``, ``all``), or,
    with ``empty_means_all``, every axis, as in PyTorch's reductions (``x.sum(dim=())`` sums
    all the elements). Any integer type counts as an int (``numpy.int64`` too, through
    ``operator.index``; a bool does not, as in PyTorch). A dim that is not an integer, or an
    axis out of range, raises an error naming the op.
    """
    if dim is None:
        return tuple(range(ndim))
    if type(dim) is int and -ndim <= dim < ndim:       # the common case, one valid axis
        return (dim + ndim if dim < 0 else dim,)
    try:
        dims = (_as_axis(dim),)
    except TypeError:
        try:
            dims = tuple(_as_axis(d) for d in dim)
        except TypeError:
            raise TypeError(f"{op}: dim must be an int or a tuple of ints, got {dim!r}") from None
    if not dims and empty_means_all:
        return tuple(range(ndim))
    axes = []
    for d in dims:
        if not -max(ndim, 1) <= d < max(ndim, 1):
            raise IndexError(f"{op}: dim {d} is out of range for a tensor with {ndim} dimensions")
        axes.append(d % ndim if ndim else 0)
    if len(set(axes)) != len(axes):
        raise ValueError(f"{op}: dim {dim} names an axis twice")
    return tuple(sorted(axes)) if ndim else ()


def normalize_dim(dim, ndim, op):
    """One ``dim`` (an int, negative allowed) as an axis, for the ops that take exactly one
    (argmax, cat, transpose, flatten, unsqueeze); None for a 0-d tensor, whose only dim, 0 or -1,
    is the tensor itself. A tuple, or anything else that is not an integer, raises an error
    naming the op."""
    if type(dim) is not int:
        try:
            dim = _as_axis(dim)
        except TypeError:
            raise TypeError(f"{op}: dim must be an int, got {dim!r}") from None
    axes = normalize_dims(dim, ndim, op)
    return axes[0] if axes else None


def _as_axis(d):
    """An integer of any type (``numpy.int64`` too) as an int; a bool is not a dim."""
    if isinstance(d, bool):
        raise TypeError
    return operator.index(d)


def kept_shape(shape, axes):
    """The shape after reducing ``axes`` with keepdim=True (those axes become 1)."""
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def broadcast_shape(*shapes, op='broadcast'):
    """NumPy's broadcast result of ``shapes``, or an error naming the op and the shapes."""
    ndim = max(len(s) for s in shapes)
    result = []
    for axis in range(ndim):
        sizes = {s[axis - ndim + len(s)] for s in shapes if axis - ndim + len(s) >= 0}
        sizes.discard(1)
        if len(sizes) > 1:
            raise ValueError(f"{op}: shapes {' and '.join(str(tuple(s)) for s in shapes)} cannot be "
                             "broadcast together")
        result.append(sizes.pop() if sizes else 1)
    return tuple(result)

"""Comparisons, logical and bitwise ops: they carry no gradient (their output is piecewise
constant, so the derivative is zero almost everywhere).

Comparisons and logical ops return bool tensors: ``logical_and(a, b)`` asks whether both are
nonzero, for any dtype. The operators ``&``, ``|`` and ``~`` are bitwise, as in PyTorch:
``bitwise_and`` of integers works bit by bit (``3 & 1`` is 1), and on bools it is the logical
and; floats have no bitwise ops.
"""
from ..autograd.function import _as_tensors
from ..autograd.tensor import Tensor
from ..backend import get_array_module
from ._util import promoted


def _compare(name, a, b, compute):
    """``compute`` on the arrays of ``a`` and ``b``, in the dtype PyTorch would promote them
    to (``_util.promoted``: float32 (N,) == float64 0-d compares in float32)."""
    if isinstance(a, Tensor) and type(b) in (int, float):     # x > 0: NumPy compares with the number itself
        x, y = a.data, b
    else:
        a, b = _as_tensors((a, b), name)
        x, y = a.data, b.data
        if x.dtype is not y.dtype:
            x, y = promoted(x, y)
    try:
        return Tensor(compute(x, y))
    except ValueError as error:                 # NumPy's words, made to name the op and shapes
        if 'broadcast' not in str(error):
            raise
        raise ValueError(f"{name}: shapes {x.shape} and {y.shape} cannot be broadcast together") from None
    except TypeError:                           # e.g. a float meeting a bitwise op
        raise TypeError(f"{name}: not supported for dtypes {x.dtype} and "
                        f"{getattr(y, 'dtype', type(y).__name__)}") from None


def lt(a, b):
    return _compare('lt (<)', a, b, lambda x, y: x < y)


def le(a, b):
    return _compare('le (<=)', a, b, lambda x, y: x <= y)


def gt(a, b):
    return _compare('gt (>)', a, b, lambda x, y: x > y)


def ge(a, b):
    return _compare('ge (>=)', a, b, lambda x, y: x >= y)


def eq(a, b):
    return _compare('eq (==)', a, b, lambda x, y: x == y)


def ne(a, b):
    return _compare('ne (!=)', a, b, lambda x, y: x != y)


def logical_and(a, b):
    """True where both ``a`` and ``b`` are nonzero (any dtypes).

    Example:
        >>> import minidl
        >>> minidl.functional.logical_and(minidl.tensor([1, 2, 0]), minidl.tensor([2, 0.5, 3]))
        tensor([ True,  True, False])
    """
    return _compare('logical_and', a, b, lambda x, y: get_array_module(x).logical_and(x, y))


def logical_or(a, b):
    """True where ``a`` or ``b`` is nonzero (any dtypes).

    Example:
        >>> import minidl
        >>> minidl.functional.logical_or(minidl.tensor([0.0, 2.0]), minidl.tensor([0, 0]))
        tensor([False,  True])
    """
    return _compare('logical_or', a, b, lambda x, y: get_array_module(x).logical_or(x, y))


def logical_not(a):
    """True where ``a`` is zero (any dtype).

    Example:
        >>> import minidl
        >>> minidl.functional.logical_not(minidl.tensor([0, 1, 2]))
        tensor([ True, False, False])
    """
    return Tensor(get_array_module(a.data).logical_not(a.data))


def bitwise_and(a, b):
    """``a & b``: bitwise for integers, logical for bools.

    Example:
        >>> import minidl
        >>> minidl.tensor([1, 2]) & minidl.tensor([3, 1])
        tensor([1, 0])
    """
    return _compare('bitwise_and (&)', a, b, lambda x, y: x & y)


def bitwise_or(a, b):
    """``a | b``: bitwise for integers, logical for bools.

    Example:
        >>> import minidl
        >>> minidl.tensor([1, 2]) | minidl.tensor([3, 1])
        tensor([3, 3])
    """
    return _compare('bitwise_or (|)', a, b, lambda x, y: x | y)


def bitwise_not(a):
    """``~a``: bitwise for integers (``~0`` is -1), logical for bools.

    Example:
        >>> import minidl
        >>> ~minidl.tensor([True, False]), ~minidl.tensor([0, 1])
        (tensor([False,  True]), tensor([-1, -2]))
    """
    if a.dtype.kind not in 'biu':
        raise TypeError(f"bitwise_not (~): expected a bool or integer tensor, got {a.dtype}")
    return Tensor(~a.data)


def isfinite(a):
    """True where the value is neither inf nor NaN."""
    return Tensor(get_array_module(a.data).isfinite(a.data))

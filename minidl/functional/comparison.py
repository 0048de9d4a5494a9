"""Comparisons and logical ops: they return bool tensors and carry no gradient
(their output is piecewise constant, so the derivative is zero almost everywhere)."""
from ..autograd.function import _as_tensors
from ..autograd.tensor import Tensor


def _compare(name, a, b, compute):
    if isinstance(a, Tensor) and type(b) in (int, float):     # x > 0: NumPy compares with the number itself
        return Tensor(compute(a.data, b))
    a, b = _as_tensors((a, b), name)
    try:
        return Tensor(compute(a.data, b.data))
    except ValueError as error:                 # NumPy's words, made to name the op and shapes
        if 'broadcast' not in str(error):
            raise
        raise ValueError(f"{name}: shapes {a.shape} and {b.shape} cannot be broadcast together") from None


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
    return _compare('logical_and (&)', a, b, lambda x, y: x & y)


def logical_or(a, b):
    return _compare('logical_or (|)', a, b, lambda x, y: x | y)


def logical_not(a):
    return Tensor(~a.data)


def isfinite(a):
    """True where the value is neither inf nor NaN."""
    from ..backend import get_array_module
    return Tensor(get_array_module(a.data).isfinite(a.data))

"""Elementwise arithmetic and math functions, with their derivatives.

Binary ops broadcast like NumPy; in backward, ``sum_to_shape`` sums each gradient back to
its input's shape. Each backward uses Tensor operations, so it is itself differentiable.
"""
import numbers

from ..autograd.function import Function
from ..autograd.tensor import Tensor
from ..backend import get_array_module
from ._util import broadcast_shape, floating, promoted
from .reduction import sum_to_shape


class _Binary(Function):
    """A broadcasting binary op; ``symbol`` names it in error messages, e.g. ``add (+)``."""
    symbol = None


class Add(_Binary):
    """y = a + b;   dL/da = dL/dy,  dL/db = dL/dy  (each summed back to its shape)."""
    symbol = '+'

    def forward(self, a, b):
        if a.dtype is not b.dtype:
            a, b = promoted(a, b)
        return a + b

    def backward(self, gy):
        shape_a, shape_b = self.input_shapes
        return sum_to_shape(gy, shape_a), sum_to_shape(gy, shape_b)


class Sub(_Binary):
    """y = a - b;   dL/da = dL/dy,  dL/db = -dL/dy.

    A bool operand is refused, as in PyTorch: True - True has no bool answer, and a mask
    subtracted from 1 is better written ~mask.
    """
    symbol = '-'

    def forward(self, a, b):
        if a.dtype is not b.dtype:
            if a.dtype.kind == 'b' or b.dtype.kind == 'b':
                raise _bool_subtraction(a, b)
            a, b = promoted(a, b)
        try:
            return a - b
        except TypeError:                   # NumPy's refusal of bool - bool
            raise _bool_subtraction(a, b) from None

    def backward(self, gy):
        shape_a, shape_b = self.input_shapes
        gb = -sum_to_shape(gy, shape_b) if self.needs_input_grad[1] else None
        return sum_to_shape(gy, shape_a), gb


def _bool_subtraction(a, b):
    return TypeError(f"sub (-): subtraction with a bool tensor is not supported (got {a.dtype} and {b.dtype}); "
                     "to invert a mask use ~mask or minidl.functional.logical_not(mask)")


class Mul(_Binary):
    """y = a · b;   dL/da = dL/dy · b,  dL/db = dL/dy · a."""
    symbol = '*'

    def forward(self, a, b):
        if a.dtype is not b.dtype:
            a, b = promoted(a, b)
        self.save_for_backward(a, b)
        return a * b

    def backward(self, gy):
        a, b = self.saved_tensors
        # BEGIN SOLUTION
        ga = sum_to_shape(gy * b, a.shape) if self.needs_input_grad[0] else None
        gb = sum_to_shape(gy * a, b.shape) if self.needs_input_grad[1] else None
        # END SOLUTION
        return ga, gb


class Div(_Binary):
    """y = a / b;   dL/da = dL/dy / b,  dL/db = -dL/dy · a / b²."""
    symbol = '/'

    def forward(self, a, b):
        if a.dtype.kind in 'iub' and b.dtype.kind in 'iub':   # true division, as in PyTorch
            a, b = floating(a), floating(b)
        if a.dtype is not b.dtype:
            a, b = promoted(a, b)
        self.save_for_backward(a, b)
        return a / b

    def backward(self, gy):
        a, b = self.saved_tensors
        # BEGIN SOLUTION
        ga = sum_to_shape(gy / b, a.shape) if self.needs_input_grad[0] else None
        gb = sum_to_shape(-gy * a / (b * b), b.shape) if self.needs_input_grad[1] else None
        # END SOLUTION
        return ga, gb


class Pow(_Binary):
    """y = a ** b;   dL/da = dL/dy · b · a^(b-1),  dL/db = dL/dy · y · ln a.

    Where a = 0 the formulas meet 0 · ∞ (b · a^(b-1) for b = 0, y · ln a for b >= 0) though
    the derivatives are 0 there (a⁰ = 1 is constant in a; 0^b = 0 is constant in b >= 0):
    those entries are set to 0, as in PyTorch.
    """
    symbol = '**'

    def forward(self, a, b):
        if a.dtype is not b.dtype:
            a, b = promoted(a, b)
        y = a ** b
        self.save_for_backward(a, b, y)
        return y

    def backward(self, gy):
        a, b, y = self.saved_tensors
        ga = gb = None
        if self.needs_input_grad[0]:
            ga = sum_to_shape(gy * where(b.data == 0, 0.0, b * a ** (b - 1)), a.shape)
        if self.needs_input_grad[1]:
            gb = sum_to_shape(gy * where((a.data == 0) & (b.data >= 0), 0.0, y * a.log()), b.shape)
        return ga, gb


class Neg(Function):
    """y = -x;   dL/dx = -dL/dy. Not for bools, as in PyTorch (~mask inverts a mask)."""

    def forward(self, x):
        if x.dtype.kind == 'b':
            raise TypeError("neg (-): not supported for a bool tensor; to invert a mask use ~mask "
                            "or minidl.functional.logical_not(mask)")
        return -x

    def backward(self, gy):
        return -gy


class Abs(Function):
    """y = |x|;   dL/dx = dL/dy · sign(x)   (0 at x = 0, a subgradient). Not for bools, as in PyTorch."""

    def forward(self, x):
        if x.dtype.kind == 'b':
            raise TypeError("abs: not supported for a bool tensor")
        xp = get_array_module(x)
        self.sign = xp.sign(x)
        return xp.abs(x)

    def backward(self, gy):
        return gy * self.sign


class Exp(Function):
    """y = eˣ;   dL/dx = dL/dy · y."""

    def forward(self, x):
        x = floating(x)
        y = get_array_module(x).exp(x)
        self.save_for_backward(y)
        return y

    def backward(self, gy):
        y, = self.saved_tensors
        return gy * y


class Log(Function):
    """y = ln x;   dL/dx = dL/dy / x."""

    def forward(self, x):
        x = floating(x)
        self.save_for_backward(x)
        return get_array_module(x).log(x)

    def backward(self, gy):
        x, = self.saved_tensors
        return gy / x


class Sqrt(Function):
    """y = √x;   dL/dx = dL/dy / (2y)."""

    def forward(self, x):
        x = floating(x)
        y = get_array_module(x).sqrt(x)
        self.save_for_backward(y)
        return y

    def backward(self, gy):
        y, = self.saved_tensors
        return gy / (2 * y)


class Sin(Function):
    """y = sin x;   dL/dx = dL/dy · cos x."""

    def forward(self, x):
        x = floating(x)
        self.save_for_backward(x)
        return get_array_module(x).sin(x)

    def backward(self, gy):
        x, = self.saved_tensors
        return gy * x.cos()


class Cos(Function):
    """y = cos x;   dL/dx = -dL/dy · sin x."""

    def forward(self, x):
        x = floating(x)
        self.save_for_backward(x)
        return get_array_module(x).cos(x)

    def backward(self, gy):
        x, = self.saved_tensors
        return -gy * x.sin()


class Clamp(Function):
    """y = min(max(x, lo), hi);   dL/dx = dL/dy where lo <= x <= hi, else 0."""

    def __init__(self, min=None, max=None):
        if min is None and max is None:
            raise ValueError("clamp: at least one of min and max must be given")
        self.min, self.max = min, max

    def forward(self, x):
        if any(b is not None and not isinstance(b, numbers.Integral) for b in (self.min, self.max)):
            x = floating(x)                 # an integer tensor clamped to 0.5 holds 0.5, as in PyTorch
        xp = get_array_module(x)
        inside = xp.ones(x.shape, dtype=bool)
        if self.min is not None:
            inside &= x >= self.min
        if self.max is not None:
            inside &= x <= self.max
        self.inside = inside
        return xp.clip(x, self.min, self.max).astype(x.dtype, copy=False)

    def backward(self, gy):
        return gy * self.inside


def _shares(a, b, a_loses, b_loses):
    """The shares of dL/dy that max(a, b) or min(a, b) sends to a and to b, as in PyTorch: all
    of it to an input unless it lost to the other (``a_loses``: a < b for max, a > b for min),
    and half of it to each where they tie (a = b). Where a or b is NaN, y is NaN, neither
    a < b nor a > b holds, and both get all of dL/dy, so that the NaN reaches both."""
    split = 1 - 0.5 * (a == b)
    return split * ~a_loses, split * ~b_loses


class _ElementwiseExtremum(_Binary):
    """max or min: backward hands each input the share of dL/dy that forward set aside."""

    def backward(self, gy):
        shape_a, shape_b = self.input_shapes
        return sum_to_shape(gy * self.share_a, shape_a), sum_to_shape(gy * self.share_b, shape_b)


class Maximum(_ElementwiseExtremum):
    """y = max(a, b) elementwise;   dL/da = dL/dy where a > b, half of it where a = b, 0 where
    a < b (dL/db likewise, a and b swapped); all of it to both where a or b is NaN (``_shares``)."""
    symbol = 'maximum'

    def forward(self, a, b):
        if a.dtype is not b.dtype:
            a, b = promoted(a, b)
        self.share_a, self.share_b = _shares(a, b, a < b, a > b)
        return get_array_module(a, b).maximum(a, b)


class Minimum(_ElementwiseExtremum):
    """y = min(a, b) elementwise;   dL/da = dL/dy where a < b, half of it where a = b, 0 where
    a > b (dL/db likewise, a and b swapped); all of it to both where a or b is NaN (``_shares``)."""
    symbol = 'minimum'

    def forward(self, a, b):
        if a.dtype is not b.dtype:
            a, b = promoted(a, b)
        self.share_a, self.share_b = _shares(a, b, a > b, a < b)
        return get_array_module(a, b).minimum(a, b)


class Where(_Binary):
    """y = a where cond else b;   dL/da = dL/dy where cond (else 0), dL/db = the rest."""
    symbol = 'where'

    def __init__(self, cond):
        self.cond = cond

    def forward(self, a, b):
        if a.dtype is not b.dtype:
            a, b = promoted(a, b)
        return get_array_module(a, b).where(self.cond, a, b)

    def backward(self, gy):
        shape_a, shape_b = self.input_shapes
        zero = gy * 0
        ga = sum_to_shape(where(self.cond, gy, zero), shape_a) if self.needs_input_grad[0] else None
        gb = sum_to_shape(where(self.cond, zero, gy), shape_b) if self.needs_input_grad[1] else None
        return ga, gb


# Backward formulas made of operators and ``sum_to_shape`` only, which work on arrays as on
# Tensors: outside create_graph they run on the raw arrays (``Function.backward_on_arrays``;
# set here, not in the classes, so that the coursework's copies of Mul and Div, A1, get
# Tensors as a student's own op).
for _op in (Add, Sub, Mul, Div, Neg, Abs, Exp, Log, Sqrt, Clamp, Maximum, Minimum):
    _op.backward_on_arrays = True


# ---------------------------------------------------------------------- public functions
def add(a, b):
    return Add()(a, b)


def sub(a, b):
    return Sub()(a, b)


def mul(a, b):
    return Mul()(a, b)


def div(a, b):
    return Div()(a, b)


def pow(a, b):
    return Pow()(a, b)


def neg(x):
    return Neg()(x)


def abs(x):
    return Abs()(x)


def exp(x):
    return Exp()(x)


def log(x):
    return Log()(x)


def sqrt(x):
    return Sqrt()(x)


def sin(x):
    return Sin()(x)


def cos(x):
    return Cos()(x)


def clamp(x, min=None, max=None):
    """Limit x to [min, max] (either bound may be None). Example: ``x.clamp(min=0)``."""
    return Clamp(min, max)(x)


def maximum(a, b):
    """Elementwise maximum of two tensors (broadcasting)."""
    return Maximum()(a, b)


def minimum(a, b):
    """Elementwise minimum of two tensors (broadcasting)."""
    return Minimum()(a, b)


def where(cond, a, b):
    """Elementwise ``a if cond else b``; ``cond`` is a bool tensor or array (no gradient)."""
    cond = cond.data if isinstance(cond, Tensor) else cond    # (an array's own .data is its buffer)
    if getattr(cond, 'dtype', None) != bool:
        raise TypeError(f"where: the condition must be a bool tensor (e.g. x > 0), got "
                        f"{getattr(cond, 'dtype', type(cond).__name__)}")
    broadcast_shape(getattr(cond, 'shape', ()), getattr(a, 'shape', ()), getattr(b, 'shape', ()),
                    op='where')
    return Where(cond)(a, b)

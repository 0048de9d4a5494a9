"""Reductions: sum, mean, var, max/min, logsumexp (and argmax/argmin, which have no gradient).

A reduction maps many inputs to one output, so its backward sends the output's gradient
back to every input that contributed: it *expands* gy over the reduced axes. The shared
helper ``sum_to_shape`` does the opposite: it undoes broadcasting in the backward of
elementwise ops by summing the gradient over the axes that were broadcast.
"""
import collections
import math

from ..autograd.function import Function
from ..autograd.tensor import Tensor
from ..backend import get_array_module
from ._util import floating, kept_shape, normalize_dim, normalize_dims


def sum_to_shape(g, shape):
    """Sum the gradient ``g`` down to ``shape``: the backward of broadcasting.

    If x of shape ``shape`` was broadcast to g.shape in forward, every element of x was used
    once per copy, so dL/dx is the sum of g over the copies: over the leading axes that were
    added, and over the axes where x had size 1. Built from Sum and Reshape, so it can be
    differentiated again.
    """
    # BEGIN SOLUTION
    shape = tuple(shape)
    if g.shape == shape:
        return g
    lead = g.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape)
                                      if n == 1 and g.shape[lead + i] != 1)
    if axes:
        g = Sum(axes, keepdim=True)(g)
    return g.reshape(shape)
    # END SOLUTION


def _expand_back(gy, axes, keepdim, shape):
    """The gradient of a reduction over ``axes``, expanded back to the input ``shape``."""
    if not keepdim:
        gy = gy.reshape(kept_shape(shape, axes))
    return gy.expand(shape)


class Sum(Function):
    """y = Σ_axes x;   dL/dx = dL/dy copied over the reduced axes."""

    def __init__(self, dim=None, keepdim=False):
        self.dim, self.keepdim = dim, keepdim

    def forward(self, x):
        self.axes = normalize_dims(self.dim, x.ndim, 'sum', empty_means_all=True)
        return x.sum(axis=self.axes, keepdims=self.keepdim)

    def backward(self, gy):
        return _expand_back(gy, self.axes, self.keepdim, self.input_shapes[0])


class Mean(Function):
    """y = (1/n) Σ_axes x  (n = number of reduced elements);   dL/dx = dL/dy / n, copied."""

    def __init__(self, dim=None, keepdim=False):
        self.dim, self.keepdim = dim, keepdim

    def forward(self, x):
        self.axes = normalize_dims(self.dim, x.ndim, 'mean', empty_means_all=True)
        if x.dtype.kind not in 'fc':
            raise TypeError(f"mean: expected a floating point tensor, got dtype {x.dtype}")
        return x.mean(axis=self.axes, keepdims=self.keepdim)

    def backward(self, gy):
        shape = self.input_shapes[0]
        n = 1
        for axis in self.axes:
            n *= shape[axis]
        return _expand_back(gy / n, self.axes, self.keepdim, shape)     # divide the small array


class Var(Function):
    """y = Σ (x - x̄)² / (n - correction)   (correction=1: unbiased, 0: biased);

    dL/dx = dL/dy · 2 (x - x̄) / (n - correction)   (the x̄ terms cancel, since Σ(x - x̄) = 0).
    """
    name = 'var'             # (Std's forward is this one: errors name the op that was called)

    def __init__(self, dim=None, correction=1, keepdim=False):
        self.dim, self.correction, self.keepdim = dim, correction, keepdim

    def forward(self, x):
        self.axes = normalize_dims(self.dim, x.ndim, self.name, empty_means_all=True)
        if x.dtype.kind not in 'fc':
            raise TypeError(f"{self.name}: expected a floating point tensor, got dtype {x.dtype}")
        self.save_for_backward(x)
        return get_array_module(x).var(x, axis=self.axes, ddof=self.correction, keepdims=self.keepdim)

    def backward(self, gy):
        x, = self.saved_tensors
        return self._backward_from(gy, x)

    def _backward_from(self, gy, x):
        n = 1
        for axis in self.axes:
            n *= x.shape[axis]
        centred = x - x.mean(dim=self.axes, keepdim=True)
        # n = correction (one value, unbiased): y is 0/0 = NaN, and so is its gradient, as in PyTorch
        scale = 2.0 / (n - self.correction) if n != self.correction else math.inf
        return _expand_back(gy, self.axes, self.keepdim, x.shape) * centred * scale


class Std(Var):
    """y = √var(x);   dL/dx = dL/dy / (2y) · dvar/dx   (the chain rule through the root),

    taken as 0 where y = 0: there all the values are equal, and the formula's 1/(2y) · (x - x̄)
    would be ∞ · 0 = NaN. PyTorch, too, gives 0 there.
    """
    name = 'std'

    def forward(self, x):
        y = get_array_module(x).sqrt(super().forward(x))
        self.save_for_backward(x, y)
        return y

    def backward(self, gy):
        x, y = self.saved_tensors
        nonzero = y.data != 0
        return self._backward_from(gy * nonzero / (2 * (y + ~nonzero)), x)    # (y + 1 where y = 0)


def _refuse_empty_dims(op, shape, axes):
    """An extremum (max, min, argmax, argmin) over a dim of size 0 does not exist: say so."""
    for axis in axes:
        if shape[axis] == 0:
            raise IndexError(f"{op}: cannot reduce over dim {axis}, which has size 0 in a tensor of "
                             f"shape {shape}")


class _Extremum(Function):
    """Shared by Max and Min: y = extremum over axes;

    dL/dx = dL/dy at the elements equal to the extremum, and 0 elsewhere (a subgradient:
    max is not differentiable where ties occur). Ties share it equally (``amax``, and ``max``
    over all elements), or, with ``first`` (``max(x, dim)``, which returns the indices too),
    it goes whole to the first extremum along the dim, the one whose index is returned; both
    as in PyTorch.
    """
    reduce = None            # 'max' or 'min'

    def __init__(self, dim=None, keepdim=False, first=False):
        self.dim, self.keepdim, self.first = dim, keepdim, first

    def forward(self, x):
        xp = get_array_module(x)
        name = self.reduce
        self.axes = normalize_dims(self.dim, x.ndim, name, empty_means_all=True)
        _refuse_empty_dims(name, x.shape, self.axes)
        y = getattr(xp, name)(x, axis=self.axes, keepdims=True)
        if self.first and self.axes:
            axis, = self.axes
            first = getattr(xp, 'arg' + name)(x, axis=axis, keepdims=True)
            positions = xp.arange(x.shape[axis]).reshape([-1 if i == axis else 1 for i in range(x.ndim)])
            self.share = (positions == first).astype(x.dtype)
        else:
            mask = (x == y)
            self.share = mask / mask.sum(axis=self.axes, keepdims=True).astype(x.dtype)
        return y if self.keepdim else y.reshape([n for i, n in enumerate(y.shape) if i not in self.axes])

    def backward(self, gy):
        return _expand_back(gy, self.axes, self.keepdim, self.input_shapes[0]) * self.share


class Max(_Extremum):
    """y = max over axes;   dL/dx = dL/dy at the maxima (on ties: see _Extremum), 0 elsewhere."""
    reduce = 'max'


class Min(_Extremum):
    """y = min over axes;   dL/dx = dL/dy at the minima (on ties: see _Extremum), 0 elsewhere."""
    reduce = 'min'


class LogSumExp(Function):
    """y = log Σ exp(x), computed stably as m + log Σ exp(x - m) with m = max x;

    dL/dx = dL/dy · exp(x - y)   (the softmax of x along the reduced axes).
    Over an empty dim the sum has no terms: y = log 0 = -inf, as in PyTorch.
    """

    def __init__(self, dim=None, keepdim=False):
        self.dim, self.keepdim = dim, keepdim

    def forward(self, x):
        xp = get_array_module(x)
        x = floating(x)
        self.axes = normalize_dims(self.dim, x.ndim, 'logsumexp', empty_means_all=True)
        if x.size:
            m = xp.max(x, axis=self.axes, keepdims=True)
        else:                                              # no elements, no max: any m will do
            m = xp.zeros(kept_shape(x.shape, self.axes), dtype=x.dtype)
        m = xp.where(xp.isfinite(m), m, 0)                 # all -inf: avoid -inf - -inf
        y = m + xp.log(xp.sum(xp.exp(x - m), axis=self.axes, keepdims=True))
        if not self.keepdim:
            y = y.reshape([n for i, n in enumerate(y.shape) if i not in self.axes])
        self.save_for_backward(x, y)
        return y

    def backward(self, gy):
        x, y = self.saved_tensors
        y_kept = y.reshape(kept_shape(x.shape, self.axes))
        return _expand_back(gy, self.axes, self.keepdim, x.shape) * (x - y_kept).exp()


# ---------------------------------------------------------------------- public functions
values_indices = collections.namedtuple('values_indices', ['values', 'indices'])


def sum(x, dim=None, keepdim=False):
    """Sum over ``dim`` (an int, a tuple, or None or () for all). Example: ``x.sum(dim=0)``."""
    return Sum(dim, keepdim)(x)


def mean(x, dim=None, keepdim=False):
    """Mean over ``dim`` (an int, a tuple, or None or () for all) of a floating point tensor."""
    return Mean(dim, keepdim)(x)


def var(x, dim=None, unbiased=True, keepdim=False, correction=None):
    """Variance over ``dim`` (an int, a tuple, or None or () for all) of a floating point
    tensor; unbiased (divides by n - 1) unless ``unbiased=False``."""
    correction = (1 if unbiased else 0) if correction is None else correction
    return Var(dim, correction, keepdim)(x)


def std(x, dim=None, unbiased=True, keepdim=False, correction=None):
    """Standard deviation: the square root of :func:`var` (gradient 0 where it is 0)."""
    correction = (1 if unbiased else 0) if correction is None else correction
    return Std(dim, correction, keepdim)(x)


def _extremum(cls, x, dim, keepdim, arg):
    if dim is None or isinstance(dim, (tuple, list)):
        return cls(dim, keepdim)(x)
    return values_indices(cls(dim, keepdim, first=True)(x), arg(x, dim, keepdim))


def max(x, dim=None, keepdim=False):
    """The largest value; with an int ``dim``, a (values, indices) pair as in PyTorch (with a
    tuple, values only, as :func:`amax`); with a Tensor in place of ``dim``, the elementwise
    :func:`maximum` of the two."""
    if isinstance(dim, Tensor):
        from .arithmetic import maximum
        return maximum(x, dim)
    return _extremum(Max, x, dim, keepdim, argmax)


def min(x, dim=None, keepdim=False):
    """The smallest value; with an int ``dim``, a (values, indices) pair as in PyTorch (with a
    tuple, values only, as :func:`amin`); with a Tensor in place of ``dim``, the elementwise
    :func:`minimum` of the two."""
    if isinstance(dim, Tensor):
        from .arithmetic import minimum
        return minimum(x, dim)
    return _extremum(Min, x, dim, keepdim, argmin)


def amax(x, dim=None, keepdim=False):
    """The largest value over ``dim`` (an int, a tuple, or None or () for all), values only."""
    return Max(dim, keepdim)(x)


def amin(x, dim=None, keepdim=False):
    """The smallest value over ``dim`` (an int, a tuple, or None or () for all), values only."""
    return Min(dim, keepdim)(x)


def logsumexp(x, dim=None, keepdim=False):
    """log Σ exp(x) over ``dim`` (an int, a tuple, or None or () for all), without overflow
    (see :class:`LogSumExp`); an integer tensor gives the default float dtype."""
    return LogSumExp(dim, keepdim)(x)


def _arg(name, x, dim, keepdim):
    xp = get_array_module(x.data)
    axis = None if dim is None else normalize_dim(dim, x.ndim, name)
    _refuse_empty_dims(name, x.shape, range(x.ndim) if axis is None else (axis,))
    if axis is None:                               # all of x (a 0-d tensor's one dim, 0 or -1, too)
        index = xp.asarray(getattr(xp, name)(x.data)).astype('int64')
        return Tensor(index.reshape((1,) * x.ndim) if keepdim else index)
    return Tensor(getattr(xp, name)(x.data, axis=axis, keepdims=keepdim).astype('int64'))


def argmax(x, dim=None, keepdim=False):
    """Index of the largest value (over the flattened tensor when ``dim`` is None). No gradient."""
    return _arg('argmax', x, dim, keepdim)


def argmin(x, dim=None, keepdim=False):
    """Index of the smallest value. No gradient."""
    return _arg('argmin', x, dim, keepdim)


def all(x, dim=None, keepdim=False):
    """True where every element (over ``dim``) is non-zero. No gradient."""
    xp = get_array_module(x.data)
    return Tensor(xp.asarray(xp.all(x.data, axis=normalize_dims(dim, x.ndim, 'all'), keepdims=keepdim)))


def any(x, dim=None, keepdim=False):
    """True where some element (over ``dim``) is non-zero. No gradient."""
    xp = get_array_module(x.data)
    return Tensor(xp.asarray(xp.any(x.data, axis=normalize_dims(dim, x.ndim, 'any'), keepdims=keepdim)))

"""Weight constraints (Keras semantics): projections applied to a weight after every update.

A constraint is a callable that maps a weight tensor w to the projected one. A Parameter
with a ``constraint`` is projected in place right after each optimizer step
(``minidl.nn.apply_constraint``), so the weights never leave the allowed set::

    MaxNorm(c):          w · clip(‖w_u‖, 0, c) / (ε + ‖w_u‖)       ‖w_u‖ <= c
    UnitNorm():          w / (ε + ‖w_u‖)                            ‖w_u‖ = 1
    MinMaxNorm(a, b, r): w · (r · clip(‖w_u‖, a, b) + (1 - r) · ‖w_u‖) / (ε + ‖w_u‖)
    NonNeg():            max(w, 0)  (Keras: w · [w >= 0])           w >= 0

with ε = 1e-7 (Keras' epsilon) and ‖w_u‖ the Euclidean norm of the weights *incoming to one
unit u*. Max-norm with dropout is the combination of Srivastava et al. (2014).

**Which axes hold a unit's incoming weights.** minidl stores weights PyTorch's way: Linear
as (out_features, in_features), Conv2d as (out_channels, in_channels, kh, kw), so the weights
incoming to output unit j are ``w[j]``: everything but the first axis. The default
``axis=None`` means exactly that, the norm over every axis except axis 0 (for a 1-D tensor
such as a bias: over the whole vector, like Keras). Keras stores a Dense kernel as (in, out)
and spells this ``axis=0``; here the same constraint of a Linear weight is ``axis=1``, and an
explicit ``axis`` (an int or a tuple) is always the axes the norm runs over.

Example:
    >>> import minidl
    >>> from minidl.constraints import MaxNorm, NonNeg
    >>> w = minidl.tensor([[3.0, 4.0], [0.3, 0.4]])      # two units with norms 5 and 0.5
    >>> MaxNorm(max_value=1.0)(w).numpy().round(4)     # the first is scaled down to norm 1
    array([[0.6, 0.8],
           [0.3, 0.4]], dtype=float32)
    >>> NonNeg()(minidl.tensor([-1.0, 2.0]))
    tensor([0., 2.])
"""
import math
import numbers

from .regularizers import _resolve

EPSILON = 1e-7


def _number(owner, name, value, low=0.0, high=math.inf):
    """A constraint's setting: a real number in [low, high]."""
    if not isinstance(value, numbers.Real) or isinstance(value, bool) or not low <= value <= high:
        bounds = f"in [{low:g}, {high:g}]" if high < math.inf else f">= {low:g}"
        raise ValueError(f"{owner}: {name} must be a number {bounds}, got {value!r}")
    return float(value)


class _NormConstraint:
    """Rescale each unit's weights from norm ‖w_u‖ to ``target(‖w_u‖)``:
    w · target / (ε + ‖w_u‖)."""

    def __init__(self, axis=None):
        axes = (axis,) if isinstance(axis, numbers.Integral) else axis
        if axes is not None and not (isinstance(axes, (tuple, list)) and
                                     all(isinstance(a, numbers.Integral) for a in axes)):
            raise TypeError(f"{type(self).__name__}: axis must be None, an int or a tuple of ints, got {axis!r}")
        self.axis = axis

    def target(self, norms):                          # abstract
        raise NotImplementedError

    def norm_axes(self, w):
        """The axes of w that a unit's norm runs over (see the module docstring)."""
        if self.axis is None:
            return tuple(range(1, w.ndim)) if w.ndim > 1 else None
        axes = (self.axis,) if isinstance(self.axis, numbers.Integral) else tuple(self.axis)
        if any(not -w.ndim <= a < w.ndim for a in axes):
            raise ValueError(f"{self!r}: axis {self.axis} is out of range for a weight of shape {tuple(w.shape)}")
        return axes

    def __call__(self, w):
        norms = (w * w).sum(dim=self.norm_axes(w), keepdim=True).sqrt()
        return w * (self.target(norms) / (EPSILON + norms))


class MaxNorm(_NormConstraint):
    """Limit the norm of each unit's incoming weights to ``max_value`` (Keras default 2)."""

    def __init__(self, max_value=2.0, axis=None):
        super().__init__(axis)
        self.max_value = _number('MaxNorm', 'max_value', max_value)

    def target(self, norms):
        return norms.clamp(0, self.max_value)

    def __repr__(self):
        return f"MaxNorm(max_value={self.max_value}, axis={self.axis})"


class UnitNorm(_NormConstraint):
    """Give each unit's incoming weights norm 1."""

    def target(self, norms):
        return 1.0

    def __repr__(self):
        return f"UnitNorm(axis={self.axis})"


class MinMaxNorm(_NormConstraint):
    """Move each unit's norm into [min_value, max_value]; ``rate`` < 1 moves it only part of
    the way each step: new norm = rate · clip(norm, min, max) + (1 - rate) · norm."""

    def __init__(self, min_value=0.0, max_value=1.0, rate=1.0, axis=None):
        super().__init__(axis)
        min_value, max_value = _number('MinMaxNorm', 'min_value', min_value), _number('MinMaxNorm', 'max_value', max_value)
        if min_value > max_value:
            raise ValueError(f"MinMaxNorm: need 0 <= min_value <= max_value, got {min_value}, {max_value}")
        self.min_value, self.max_value = min_value, max_value
        self.rate = _number('MinMaxNorm', 'rate', rate, high=1.0)

    def target(self, norms):
        return self.rate * norms.clamp(self.min_value, self.max_value) + (1 - self.rate) * norms

    def __repr__(self):
        return (f"MinMaxNorm(min_value={self.min_value}, max_value={self.max_value}, "
                f"rate={self.rate}, axis={self.axis})")


class NonNeg:
    """Zero every negative weight: max(w, 0)."""

    def __call__(self, w):
        return w.clamp(min=0)

    def __repr__(self):
        return "NonNeg()"


_BY_NAME = {'max_norm': MaxNorm, 'min_max_norm': MinMaxNorm, 'non_neg': NonNeg, 'unit_norm': UnitNorm,
            'MaxNorm': MaxNorm, 'MinMaxNorm': MinMaxNorm, 'NonNeg': NonNeg, 'UnitNorm': UnitNorm}


def get(identifier):
    """A constraint from what a layer was given, as Keras's ``constraints.get``: None, a
    callable (returned as it is), a class (made with its defaults) or a name
    (``'max_norm'``, ``'min_max_norm'``, ``'non_neg'``, ``'unit_norm'``).

    Example:
        >>> from minidl import constraints
        >>> constraints.get('max_norm')
        MaxNorm(max_value=2.0, axis=None)
    """
    return _resolve(identifier, _BY_NAME, 'constraint')

"""Weight regularizers (Keras semantics): penalties on the weights, added to the loss.

A regularizer is a callable that maps a weight tensor w to a scalar penalty in the graph,
so that ``loss + penalty`` pulls the weights towards 0 during training::

    L1(l1):       penalty = l1 · Σ |w|         d penalty / dw = l1 · sign(w)
    L2(l2):       penalty = l2 · Σ w²          d penalty / dw = 2 · l2 · w   (no 1/2, as in Keras)
    L1L2(l1, l2): the sum of both

L2 is "weight decay" (Krogh & Hertz, 1992): with plain SGD it shrinks every weight by the
factor (1 - 2 · lr · l2) each step. L1 drives small weights to exactly 0 (sparse models;
Tibshirani's lasso, 1996). Give one to a layer (``nn.Linear(..., weight_regularizer=L2(1e-4))``)
and add ``model.regularization_loss()`` to the loss.

Example:
    >>> import minidl
    >>> from minidl.regularizers import L1, L2, L1L2
    >>> w = minidl.tensor([1.0, -2.0], requires_grad=True)
    >>> L2(0.5)(w)                       # 0.5 · (1 + 4)
    tensor(2.5, grad_fn=<AddBackward>)
    >>> L1L2(l1=0.1, l2=0.5)(w).backward()
    >>> w.grad                           # 0.1 · sign(w) + 2 · 0.5 · w
    tensor([ 1.1, -2.1])
"""
import math
import numbers

from .autograd.tensor import zeros


def _coefficient(owner, name, value, default):
    """A penalty's coefficient: a finite real >= 0 (None: the default, as in Keras)."""
    if value is None:
        return default
    if not isinstance(value, numbers.Real) or isinstance(value, bool) or not math.isfinite(value) or value < 0:
        raise ValueError(f"{owner}: {name} must be a finite number >= 0, got {value!r}")
    return float(value)


class L1L2:
    """penalty = l1 · Σ|w| + l2 · Σ w²  (Keras defaults: l1 = l2 = 0)."""

    def __init__(self, l1=0.0, l2=0.0):
        name = type(self).__name__
        self.l1, self.l2 = _coefficient(name, 'l1', l1, 0.0), _coefficient(name, 'l2', l2, 0.0)

    def __call__(self, w):
        penalty = zeros((), dtype=w.dtype, device=w.device)
        if self.l1:
            penalty = penalty + self.l1 * w.abs().sum()
        if self.l2:
            penalty = penalty + self.l2 * (w * w).sum()
        return penalty

    def __repr__(self):
        return f"{type(self).__name__}(l1={self.l1}, l2={self.l2})"


class L1(L1L2):
    """penalty = l1 · Σ|w|  (Keras default l1 = 0.01); gradient l1 · sign(w)."""

    def __init__(self, l1=0.01):
        super().__init__(l1=_coefficient('L1', 'l1', l1, 0.01))

    def __repr__(self):
        return f"L1(l1={self.l1})"


class L2(L1L2):
    """penalty = l2 · Σ w²  (Keras default l2 = 0.01); gradient 2 · l2 · w."""

    def __init__(self, l2=0.01):
        super().__init__(l2=_coefficient('L2', 'l2', l2, 0.01))

    def __repr__(self):
        return f"L2(l2={self.l2})"


_BY_NAME = {'l1': L1, 'l2': L2, 'l1_l2': L1L2, 'L1': L1, 'L2': L2, 'L1L2': L1L2}


def get(identifier):
    """A regularizer from what a layer was given, as Keras's ``regularizers.get``: None, a
    callable (returned as it is), a class (made with its defaults) or a name (``'l1'``,
    ``'l2'``, ``'l1_l2'``: the defaults, so ``'l2'`` is ``L2(0.01)``).

    Example:
        >>> from minidl import regularizers
        >>> regularizers.get('l2')
        L2(l2=0.01)
    """
    return _resolve(identifier, _BY_NAME, 'regularizer')


def _resolve(identifier, by_name, kind):
    """Keras's ``get`` for regularizers and constraints (see ``get``)."""
    if isinstance(identifier, str):
        if identifier not in by_name:
            raise ValueError(f"unknown {kind} {identifier!r}; expected one of {sorted(by_name)}, an instance "
                             "or a callable")
        identifier = by_name[identifier]
    if isinstance(identifier, type):
        return identifier()
    if identifier is None or callable(identifier):
        return identifier
    raise ValueError(f"could not interpret {kind} {identifier!r} ({type(identifier).__name__}); expected None, "
                     f"a name such as {sorted(by_name)[0]!r}, a class, an instance or a callable")

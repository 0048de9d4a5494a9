"""Activation modules: Module wrappers around the functional activations
(``minidl.nn.functional``, where formulas and derivatives are written), so that they can sit
in a ``Sequential``. ``PReLU`` is the one with a parameter: its learned negative slope.

Example:
    >>> import minidl
    >>> from minidl import nn
    >>> nn.Sequential(nn.LeakyReLU(0.1), nn.Softmax(dim=-1))(minidl.tensor([[-10.0, 0.0]])).tolist()
    [[0.26894140243530273, 0.7310585975646973]]
"""
from ..autograd.tensor import full
from . import functional as F
from .module import Module
from .parameter import Parameter


class _Elementwise(Module):
    """An activation without parameters: ``forward(x) = function(x, **options)``."""
    function = None

    def __init__(self, **options):
        super().__init__()
        self.options = options

    def forward(self, x):
        return type(self).function(x, **self.options)

    def extra_repr(self):
        return ', '.join(f"{k}={v!r}" for k, v in self.options.items())


class ReLU(_Elementwise):
    """y = max(x, 0) (see ``F.relu``)."""
    function = staticmethod(F.relu)


class Sigmoid(_Elementwise):
    """y = 1 / (1 + e⁻ˣ) (see ``F.sigmoid``)."""
    function = staticmethod(F.sigmoid)


class Tanh(_Elementwise):
    """y = tanh x (see ``F.tanh``)."""
    function = staticmethod(F.tanh)


class LeakyReLU(_Elementwise):
    """y = x if x > 0 else negative_slope · x (see ``F.leaky_relu``)."""
    function = staticmethod(F.leaky_relu)

    def __init__(self, negative_slope=0.01):
        super().__init__(negative_slope=negative_slope)


class ELU(_Elementwise):
    """y = x if x > 0 else α (eˣ - 1) (see ``F.elu``)."""
    function = staticmethod(F.elu)

    def __init__(self, alpha=1.0):
        super().__init__(alpha=alpha)


class SELU(_Elementwise):
    """y = λ · elu(x, α), self-normalizing (see ``F.selu``)."""
    function = staticmethod(F.selu)


class GELU(_Elementwise):
    """y = x Φ(x), or its tanh approximation (see ``F.gelu``)."""
    function = staticmethod(F.gelu)

    def __init__(self, approximate='none'):
        super().__init__(approximate=approximate)


class SiLU(_Elementwise):
    """y = x σ(x) (see ``F.silu``)."""
    function = staticmethod(F.silu)


class Softplus(_Elementwise):
    """y = log(1 + exp(βx)) / β (see ``F.softplus``)."""
    function = staticmethod(F.softplus)

    def __init__(self, beta=1.0, threshold=20.0):
        super().__init__(beta=beta, threshold=threshold)


class Hardtanh(_Elementwise):
    """y = x clipped to [min_val, max_val] (see ``F.hardtanh``); as in PyTorch, the layer
    needs min_val < max_val (the function allows min_val = max_val)."""
    function = staticmethod(F.hardtanh)

    def __init__(self, min_val=-1.0, max_val=1.0):
        if not max_val > min_val:
            raise ValueError(f"Hardtanh: max_val ({max_val}) must be greater than min_val ({min_val})")
        super().__init__(min_val=min_val, max_val=max_val)


class Softmax(_Elementwise):
    """Softmax along ``dim`` (see ``F.softmax``; dim=None: PyTorch's implicit axis, with a warning)."""
    function = staticmethod(F.softmax)

    def __init__(self, dim=None):
        super().__init__(dim=dim)


class LogSoftmax(_Elementwise):
    """Log-softmax along ``dim`` (see ``F.log_softmax``; dim=None: as ``Softmax``)."""
    function = staticmethod(F.log_softmax)

    def __init__(self, dim=None):
        super().__init__(dim=dim)


class PReLU(Module):
    """y = x if x > 0 else a · x with a learned slope a: one shared (``num_parameters=1``) or
    one per channel (``num_parameters=C``, channels on axis 1), initialized to ``init``.

    Reference: He et al., "Delving Deep into Rectifiers", ICCV 2015.

    Example:
        >>> import minidl
        >>> from minidl import nn
        >>> act = nn.PReLU(num_parameters=2)
        >>> act(minidl.tensor([[-4.0, -8.0]]))
        tensor([[-1., -2.]], grad_fn=<PReLUBackward>)
    """

    def __init__(self, num_parameters=1, init=0.25, dtype=None, device=None):
        super().__init__()
        self.weight = Parameter(full((num_parameters,), float(init), dtype=dtype, device=device))

    def forward(self, x):
        return F.prelu(x, self.weight)

    def extra_repr(self):
        return f"num_parameters={self.weight.shape[0]}"

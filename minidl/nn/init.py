"""Weight initializers (PyTorch names): each fills ``tensor.data`` in place and returns it.
The random ones need a floating point tensor (as in PyTorch); ``constant_``, ``zeros_`` and
``ones_`` fill any.

Why the scale matters. A layer computes y_i = Σ_j W_ij x_j over n = fan_in inputs. With
W_ij independent of x, zero mean and variance Var(W), and the x_j of one variance,

    Var(y_i) = n · Var(W) · E[x_j²]

so each layer multiplies the size of the signal by n·Var(W) (times what the nonlinearity
keeps). Through L layers that factor is raised to the L-th power: a little above 1 and the
activations explode, a little below and they vanish. The initializers below pick Var(W) so
that the factor is exactly 1:

    LeCun (1998)        Var(W) = 1 / fan_in               linear or selu units, E[x²] = Var(x)
    Glorot (2010)       Var(W) = 2 / (fan_in + fan_out)   compromise: forward and backward pass
    He/Kaiming (2015)   Var(W) = 2 / fan_in               relu units: E[relu(z)²] = Var(z)/2,
                                                          the 2 gives the lost half back

A uniform U(-b, b) has variance b²/3, so a uniform initializer with standard deviation σ
uses the bound b = √3 · σ. ``gain`` (see :func:`calculate_gain`) rescales σ for a given
nonlinearity. Every sample is drawn from minidl's seeded generator (``minidl.manual_seed``).

Fans: a Linear weight has shape (out, in): fan_in = in, fan_out = out. A Conv2d weight has
shape (out, in, kh, kw): each output sees in·kh·kw inputs, so fan_in = in·kh·kw and
fan_out = out·kh·kw.

Example:
    >>> import minidl
    >>> from minidl.nn import init
    >>> w = init.kaiming_normal_(minidl.empty(256, 128), nonlinearity='relu')
    >>> round(float(w.std()) * (128 / 2) ** 0.5, 1)    # std ≈ √(2 / fan_in)
    1.0
"""
import math
import warnings

import numpy

from .. import backend


def calculate_gain(nonlinearity, param=None):
    """The factor by which to scale the standard deviation for a nonlinearity.

    linear, conv, sigmoid: 1;  tanh: 5/3;  relu: √2 (relu halves E[x²]);
    leaky_relu with slope a (default 0.01): √(2 / (1 + a²));  selu: 3/4 (as in PyTorch).

    Example:
        >>> from minidl.nn import init
        >>> round(init.calculate_gain('relu') ** 2, 6), init.calculate_gain('tanh')
        (2.0, 1.6666666666666667)
    """
    linear = ('linear', 'identity', 'conv1d', 'conv2d', 'conv3d', 'conv_transpose1d',
              'conv_transpose2d', 'conv_transpose3d', 'sigmoid')
    if nonlinearity in linear:
        return 1.0
    if nonlinearity == 'tanh':
        return 5.0 / 3
    if nonlinearity == 'relu':
        return math.sqrt(2.0)
    if nonlinearity == 'leaky_relu':
        slope = 0.01 if param is None else param
        if isinstance(slope, bool) or not isinstance(slope, (int, float)):
            raise ValueError(f"calculate_gain: negative_slope {slope!r} is not a number")
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == 'selu':
        return 3.0 / 4
    raise ValueError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r}")


def calculate_fan_in_and_fan_out(tensor):
    """(fan_in, fan_out) of a weight of shape (out, in, *kernel): (in·k, out·k), k = Π kernel.

    Example:
        >>> import minidl
        >>> from minidl.nn import init
        >>> init.calculate_fan_in_and_fan_out(minidl.empty(16, 3, 5, 5))
        (75, 400)
    """
    if tensor.ndim < 2:
        raise ValueError(f"fan in and fan out need a weight with at least 2 dimensions, got shape "
                         f"{tuple(tensor.shape)}")
    receptive_field = math.prod(tensor.shape[2:])
    return tensor.shape[1] * receptive_field, tensor.shape[0] * receptive_field


def _fan(tensor, mode):
    if mode not in ('fan_in', 'fan_out'):
        raise ValueError(f"mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == 'fan_in' else fan_out


def _fill(tensor, values):
    """Write ``values`` into ``tensor.data`` in place and return the tensor."""
    tensor.data[...] = values
    return tensor


def _require_floating(tensor, name):
    """Refuse, as PyTorch does, to draw random values into a tensor that is not floating point:
    written into integers they would be silently truncated (N(0, 1) samples mostly to 0)."""
    if tensor.dtype.kind != 'f':
        raise TypeError(f"{name}: expected a floating point tensor, got {tensor.dtype}; random "
                        "values would be truncated (convert it with .float() first)")


def _nothing_to_draw(tensor, name):
    """True, with PyTorch's warning, for a zero-element tensor (a layer with 0 inputs or
    outputs): its fans may be 0, so there is no scale to compute, and nothing to fill.
    A tensor that is not floating point is refused (``_require_floating``)."""
    _require_floating(tensor, name)
    if tensor.numel():
        return False
    warnings.warn(f"{name}: initializing a zero-element tensor is a no-op", stacklevel=3)
    return True


def uniform_(tensor, a=0.0, b=1.0):
    """Fill with samples of U(a, b): mean (a+b)/2, variance (b-a)²/12. A tensor that is not
    floating point, or a > b, is an error (as in PyTorch; a = b fills with a).

    Example:
        >>> import minidl
        >>> from minidl.nn import init
        >>> w = init.uniform_(minidl.empty(1000), -1.0, 1.0)
        >>> bool(w.min() >= -1.0) and bool(w.max() < 1.0)
        True
    """
    _require_floating(tensor, 'uniform_')
    if a > b:
        raise ValueError(f"uniform_: expected a <= b (the range [a, b)), got a={a} > b={b}")
    return _fill(tensor, backend.uniform(tensor.shape, a, b, dtype=tensor.dtype, device=tensor.device))


def normal_(tensor, mean=0.0, std=1.0):
    """Fill with samples of N(mean, std²). A tensor that is not floating point, or std < 0,
    is an error (as in PyTorch; std = 0 fills with mean).

    Example:
        >>> import minidl
        >>> from minidl.nn import init
        >>> round(float(init.normal_(minidl.empty(100000), 3.0, 0.5).mean()), 1)
        3.0
    """
    _require_floating(tensor, 'normal_')
    if std < 0:
        raise ValueError(f"normal_: expected std >= 0, got std={std}")
    return _fill(tensor, backend.normal(tensor.shape, mean, std, dtype=tensor.dtype, device=tensor.device))


def trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0):
    """Fill with N(mean, std²) conditioned on [a, b] (absolute bounds, as in PyTorch), by
    rejection sampling: samples of N(mean, std²) outside [a, b] are thrown away and more are
    drawn. A fraction p of the normal's mass lies in [a, b], so each round draws about
    (values still missing) / p samples, and a few rounds fill the tensor (more where a
    round's draw reaches its cap, ``_MOST_DRAWN``). Bounds that hold less than
    ``_LEAST_MASS`` (0.1%) of the mass, such as [4σ, 5σ] away from the mean (3·10⁻⁵), raise
    a ValueError: rejection would draw over a thousand samples per value kept.

    The variance is then below std² (for a = -2σ, b = 2σ it is about 0.774·std²).

    Example:
        >>> import minidl
        >>> from minidl.nn import init
        >>> w = init.trunc_normal_(minidl.empty(1000), std=1.0, a=-1.0, b=1.0)
        >>> bool(w.abs().max() <= 1.0)
        True
    """
    _require_floating(tensor, 'trunc_normal_')
    if not a < b:
        raise ValueError(f"trunc_normal_: expected a < b, got a={a}, b={b}")
    if not std > 0:
        raise ValueError(f"trunc_normal_: expected std > 0, got {std}")
    mass = _standard_normal_mass((a - mean) / std, (b - mean) / std)
    if mass < _LEAST_MASS:
        raise ValueError(f"trunc_normal_: [a, b] = [{a}, {b}] holds only {mass:.2g} of the mass of "
                         f"N({mean}, {std}²), too little to draw from by rejection; choose bounds "
                         "within a few std of the mean")
    missing, kept = tensor.numel(), []
    while missing:
        count = min(int(missing / mass * 1.1) + 64, _MOST_DRAWN)
        drawn = backend.normal((count,), mean, std, dtype=tensor.dtype, device=tensor.device)
        drawn = drawn[(drawn >= a) & (drawn <= b)][:missing]
        kept.append(drawn)
        missing -= drawn.size
    if not kept:
        return tensor
    xp = backend.get_array_module(kept[0])
    return _fill(tensor, xp.concatenate(kept).reshape(tensor.shape))


_LEAST_MASS = 1e-3          # trunc_normal_'s smallest mass of [a, b] under the normal
_MOST_DRAWN = 1 << 22       # and the most samples it draws in one round


def _standard_normal_mass(low, high):
    """P(low <= Z <= high) for Z ~ N(0, 1), accurate in the tails too: through erfc of the
    bounds' distances from the mean, not 1 - (a number close to 1)."""
    root2 = math.sqrt(2.0)
    if low > 0:                                     # both bounds above the mean
        return 0.5 * (math.erfc(low / root2) - math.erfc(high / root2))
    if high < 0:                                    # both below
        return 0.5 * (math.erfc(-high / root2) - math.erfc(-low / root2))
    return 1.0 - 0.5 * (math.erfc(-low / root2) + math.erfc(high / root2))


def constant_(tensor, value):
    """Fill with ``value``.

    Example:
        >>> import minidl
        >>> from minidl.nn import init
        >>> init.constant_(minidl.empty(3), 0.5)
        tensor([0.5, 0.5, 0.5])
    """
    return _fill(tensor, value)


def zeros_(tensor):
    """Fill with 0 (``constant_(tensor, 0)``). Example: ``init.zeros_(layer.bias)``."""
    return constant_(tensor, 0)


def ones_(tensor):
    """Fill with 1 (``constant_(tensor, 1)``). Example: ``init.ones_(bn.weight)``."""
    return constant_(tensor, 1)


def xavier_uniform_(tensor, gain=1.0):
    """Glorot/Xavier uniform: U(-b, b) with b = gain · √(6 / (fan_in + fan_out)).

    Derivation: the forward pass keeps Var(y) = Var(x) when fan_in·Var(W) = 1, the backward
    pass keeps Var(dL/dx) = Var(dL/dy) when fan_out·Var(W) = 1; Glorot and Bengio take the
    compromise Var(W) = 2 / (fan_in + fan_out), and b = √(3 Var(W)).
    Reference: Glorot & Bengio, "Understanding the difficulty of training deep feedforward
    neural networks", AISTATS 2010.

    Example:
        >>> import minidl
        >>> from minidl.nn import init
        >>> w = init.xavier_uniform_(minidl.empty(300, 100))
        >>> bool(w.abs().max() <= (6 / 400) ** 0.5)
        True
    """
    if _nothing_to_draw(tensor, 'xavier_uniform_'):
        return tensor
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound)


def xavier_normal_(tensor, gain=1.0):
    """Glorot/Xavier normal: N(0, σ²) with σ = gain · √(2 / (fan_in + fan_out)).

    Same variance as :func:`xavier_uniform_` (Glorot & Bengio, AISTATS 2010).

    Example:
        >>> import minidl
        >>> from minidl.nn import init
        >>> w = init.xavier_normal_(minidl.empty(500, 500))
        >>> round(float(w.std()) / (2 / 1000) ** 0.5, 1)
        1.0
    """
    if _nothing_to_draw(tensor, 'xavier_normal_'):
        return tensor
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)))


def _kaiming_std(tensor, a, mode, nonlinearity):
    return calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode))


def kaiming_uniform_(tensor, a=0.0, mode='fan_in', nonlinearity='leaky_relu'):
    """He/Kaiming uniform: U(-b, b) with b = √3 · gain / √fan, gain = calculate_gain(nonlinearity, a).

    Derivation (relu, mode='fan_in'): for y = W x with x = relu(z) of a previous layer whose
    z is symmetric around 0, E[x²] = Var(z)/2, so Var(y) = fan_in · Var(W) · Var(z) / 2.
    Var(W) = 2 / fan_in keeps Var(y) = Var(z) layer after layer. ``mode='fan_out'``
    keeps the variance of the gradients in the backward pass instead. ``a`` is the negative
    slope of a leaky relu (gain √(2 / (1 + a²))); with the defaults (a=0, 'leaky_relu') the
    gain is √2, as for relu.
    Reference: He et al., "Delving Deep into Rectifiers", ICCV 2015.

    Example:
        >>> import minidl
        >>> from minidl.nn import init
        >>> w = init.kaiming_uniform_(minidl.empty(64, 32), nonlinearity='relu')
        >>> bool(w.abs().max() <= (6 / 32) ** 0.5)
        True
    """
    if _nothing_to_draw(tensor, 'kaiming_uniform_'):
        return tensor
    bound = math.sqrt(3.0) * _kaiming_std(tensor, a, mode, nonlinearity)
    return uniform_(tensor, -bound, bound)


def kaiming_normal_(tensor, a=0.0, mode='fan_in', nonlinearity='leaky_relu'):
    """He/Kaiming normal: N(0, σ²) with σ = gain / √fan (derivation in :func:`kaiming_uniform_`).

    Reference: He et al., "Delving Deep into Rectifiers", ICCV 2015.

    Example:
        >>> import minidl
        >>> from minidl.nn import init
        >>> w = init.kaiming_normal_(minidl.empty(500, 500), mode='fan_out', nonlinearity='relu')
        >>> round(float(w.std()) / (2 / 500) ** 0.5, 1)
        1.0
    """
    if _nothing_to_draw(tensor, 'kaiming_normal_'):
        return tensor
    return normal_(tensor, 0.0, _kaiming_std(tensor, a, mode, nonlinearity))


def lecun_uniform_(tensor):
    """LeCun uniform: U(-b, b) with b = √(3 / fan_in), i.e. Var(W) = 1 / fan_in.

    Derivation: Var(y) = fan_in · Var(W) · Var(x) for linear (or selu, self-normalizing)
    units, which Var(W) = 1 / fan_in keeps equal to Var(x).
    Reference: LeCun et al., "Efficient BackProp", 1998; Klambauer et al., "Self-Normalizing
    Neural Networks", NeurIPS 2017.

    Example:
        >>> import minidl
        >>> from minidl.nn import init
        >>> w = init.lecun_uniform_(minidl.empty(10, 48))
        >>> bool(w.abs().max() <= 0.25)
        True
    """
    if _nothing_to_draw(tensor, 'lecun_uniform_'):
        return tensor
    bound = math.sqrt(3.0 / _fan(tensor, 'fan_in'))
    return uniform_(tensor, -bound, bound)


def lecun_normal_(tensor):
    """LeCun normal: N(0, 1 / fan_in) (derivation in :func:`lecun_uniform_`; Keras draws a
    rescaled truncated normal instead, with the same variance).

    Example:
        >>> import minidl
        >>> from minidl.nn import init
        >>> w = init.lecun_normal_(minidl.empty(400, 400))
        >>> round(float(w.std()) * 20, 1)
        1.0
    """
    if _nothing_to_draw(tensor, 'lecun_normal_'):
        return tensor
    return normal_(tensor, 0.0, 1.0 / math.sqrt(_fan(tensor, 'fan_in')))


def orthogonal_(tensor, gain=1.0):
    """A (semi-)orthogonal matrix times ``gain``; a weight of more than 2 dims is treated as
    (shape[0], the rest flattened).

    Method: Q of the QR decomposition of a matrix of N(0, 1) samples (rows >= cols; the
    transpose otherwise), with each column multiplied by the sign of R's diagonal so that Q
    is uniformly (Haar) distributed. Orthogonal W keeps every norm: |W x| = |x|, in the
    forward and the backward pass, the ideal for deep linear and recurrent nets.
    The QR runs in NumPy (float64, samples from minidl's CPU generator) and the result is
    moved to the tensor's device.
    Reference: Saxe et al., "Exact solutions to the nonlinear dynamics of learning in deep
    linear neural networks", ICLR 2014.

    Example:
        >>> import minidl
        >>> from minidl.nn import init
        >>> w = init.orthogonal_(minidl.empty(3, 5))
        >>> bool(minidl.allclose(w @ w.T, minidl.eye(3), atol=1e-6))
        True
    """
    if tensor.ndim < 2:
        raise ValueError(f"orthogonal_: expected a tensor with at least 2 dimensions, got shape "
                         f"{tuple(tensor.shape)}")
    if _nothing_to_draw(tensor, 'orthogonal_'):
        return tensor
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    flat = backend.normal((max(rows, cols), min(rows, cols)), dtype=numpy.float64, device='cpu')
    q, r = numpy.linalg.qr(flat)
    q = q * numpy.sign(numpy.diag(r))
    if rows < cols:
        q = q.T
    values = (gain * q).reshape(tensor.shape).astype(tensor.dtype)
    return _fill(tensor, backend.to_device(values, tensor.device))


_BY_NAME = {
    'uniform': uniform_, 'normal': normal_, 'trunc_normal': trunc_normal_, 'zeros': zeros_,
    'ones': ones_, 'xavier_uniform': xavier_uniform_, 'xavier_normal': xavier_normal_,
    'glorot_uniform': xavier_uniform_, 'glorot_normal': xavier_normal_,
    'kaiming_uniform': kaiming_uniform_, 'kaiming_normal': kaiming_normal_,
    'he_uniform': kaiming_uniform_, 'he_normal': kaiming_normal_,
    'lecun_uniform': lecun_uniform_, 'lecun_normal': lecun_normal_, 'orthogonal': orthogonal_,
}


def get(initializer):
    """The initializer function for a name (``'kaiming_normal'``, ``'xavier_uniform'``, a
    trailing ``_`` allowed, Keras's ``'glorot_*'``/``'he_*'`` too) or a callable (returned as is).

    Example:
        >>> from minidl.nn import init
        >>> init.get('he_normal') is init.kaiming_normal_
        True
    """
    if callable(initializer):
        return initializer
    name = str(initializer).rstrip('_')
    if name not in _BY_NAME:
        raise ValueError(f"unknown initializer {initializer!r}; expected a callable or one of "
                         f"{sorted(_BY_NAME)}")
    return _BY_NAME[name]

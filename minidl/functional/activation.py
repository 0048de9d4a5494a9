"""Activation functions: elementwise nonlinearities (and softmax) with their derivatives.

    relu leaky_relu prelu elu selu gelu silu softplus sigmoid tanh hardtanh softmax log_softmax

Each derivative is written in terms of what is cheapest to keep: the output y when the
derivative is a function of y (sigmoid, tanh, relu, elu, softmax), the input x otherwise.
Backward passes use Tensor ops, so every activation can be differentiated twice.
"""
import numbers
import warnings

from ..autograd.function import Function
from ..backend import get_array_module
from ._util import floating, normalize_dim
from .arithmetic import Clamp, where
from .reduction import sum_to_shape


class ReLU(Function):
    """y = max(x, 0);   dL/dx = dL/dy · [x > 0]   (0 at x = 0, as in PyTorch).

    Forward keeps the 0/1 mask [x > 0] = [y > 0] for backward: made while y is still in
    cache, and a quarter of y's size (one byte per element), where keeping y would mean
    reading it back from main memory in backward to compare it with 0 there.
    """

    def forward(self, x):
        y = get_array_module(x).maximum(x, 0).astype(x.dtype, copy=False)
        # BEGIN SOLUTION
        self.save_for_backward(y > 0)
        # END SOLUTION
        return y

    def backward(self, gy):
        mask, = self.saved_tensors
        # BEGIN SOLUTION
        return gy * mask
        # END SOLUTION


class Sigmoid(Function):
    """y = σ(x) = 1 / (1 + e⁻ˣ);   dL/dx = dL/dy · y (1 - y).

    Stable for large |x|: with e = exp(-|x|) <= 1, σ(x) = 1/(1+e) for x >= 0 and e/(1+e)
    for x < 0, so exp never overflows.
    """

    def forward(self, x):
        y = _stable_sigmoid(floating(x))
        self.save_for_backward(y)
        return y

    def backward(self, gy):
        y, = self.saved_tensors
        return gy * y * (1 - y)


def _stable_sigmoid(x):
    xp = get_array_module(x)
    e = xp.exp(-xp.abs(x))
    return xp.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)


class Tanh(Function):
    """y = tanh x;   dL/dx = dL/dy · (1 - y²)."""

    def forward(self, x):
        x = floating(x)
        y = get_array_module(x).tanh(x)
        self.save_for_backward(y)
        return y

    def backward(self, gy):
        y, = self.saved_tensors
        return gy * (1 - y * y)


def relu(x):
    """max(x, 0) elementwise."""
    return ReLU()(x)


def sigmoid(x):
    """1 / (1 + exp(-x)) elementwise, stable for large |x|."""
    return Sigmoid()(x)


def tanh(x):
    """Hyperbolic tangent elementwise."""
    return Tanh()(x)


class LeakyReLU(Function):
    """y = x for x > 0, a·x otherwise;   dL/dx = dL/dy · (1 if x > 0 else a).

    Keeps a small gradient a for negative inputs, so units cannot "die".
    Reference: Maas et al., "Rectifier Nonlinearities Improve Neural Network Acoustic
    Models", 2013.
    """

    def __init__(self, negative_slope=0.01):
        if not isinstance(negative_slope, numbers.Real):
            raise TypeError(f"leaky_relu: negative_slope must be a real number, got "
                            f"{type(negative_slope).__name__} {negative_slope!r}")
        self.negative_slope = negative_slope

    def forward(self, x):
        x = floating(x)
        xp = get_array_module(x)
        self.slope = xp.where(x > 0, 1, self.negative_slope).astype(x.dtype)
        return x * self.slope

    def backward(self, gy):
        return gy * self.slope


class PReLU(Function):
    """y = x for x > 0, w·x otherwise, with a learned slope w: one for all channels (w of
    shape (1,)) or one per channel (w of shape (C,), channels on axis 1);

    dL/dx = dL/dy · (1 if x > 0 else w),   dL/dw = Σ over the positions sharing w of
    dL/dy · min(x, 0).
    Reference: He et al., "Delving Deep into Rectifiers", ICCV 2015.
    """

    def forward(self, x, w):
        if w.ndim != 1 or (w.shape[0] != 1 and (x.ndim < 2 or x.shape[1] != w.shape[0])):
            raise ValueError(f"prelu: weight of shape {w.shape} does not fit input of shape {x.shape}: "
                             f"expected (1,) or (C,) with C = x.shape[1] channels")
        self.w_shape = _channel_shape(x, w)
        self.save_for_backward(x, w)
        return get_array_module(x).where(x > 0, x, x * w.reshape(self.w_shape))

    def backward(self, gy):
        x, w = self.saved_tensors
        positive = x.data > 0
        gx = where(positive, gy, gy * w.reshape(self.w_shape)) if self.needs_input_grad[0] else None
        gw = None
        if self.needs_input_grad[1]:
            gw = sum_to_shape(where(positive, gy * 0, gy * x), self.w_shape).reshape(w.shape)
        return gx, gw


def _channel_shape(x, w):
    """The shape that lines up a per-channel w with axis 1 of x: (1, C, 1, ..., 1); for an x
    without a channel axis (0-d or 1-d: w is then one shared slope), ones of x's rank."""
    if x.ndim < 2:
        return (1,) * x.ndim
    return (1, w.shape[0]) + (1,) * (x.ndim - 2)


class ELU(Function):
    """y = scale · (x if x > 0 else α (eˣ - 1));
    dL/dx = dL/dy · (scale if x > 0 else y + scale·α)   (since scale·α·eˣ = y + scale·α).

    With scale = 1 this is ELU (Clevert et al., "Fast and Accurate Deep Network Learning by
    Exponential Linear Units", ICLR 2016); SELU fixes α and scale.
    """

    def __init__(self, alpha=1.0, scale=1.0):
        self.alpha, self.scale = alpha, scale

    def forward(self, x):
        x = floating(x)
        xp = get_array_module(x)
        negative = self.alpha * xp.expm1(xp.minimum(x, 0))     # minimum: no overflow for x > 0
        y = (self.scale * xp.where(x > 0, x, negative)).astype(x.dtype, copy=False)
        self.positive = x > 0
        self.save_for_backward(y)
        return y

    def backward(self, gy):
        y, = self.saved_tensors
        return where(self.positive, gy * self.scale, gy * (y + self.scale * self.alpha))


class SELU(ELU):
    """y = λ · elu(x, α) with α ≈ 1.6733, λ ≈ 1.0507;  dL/dx = dL/dy · (λ if x > 0 else y + λα).

    The constants make zero mean and unit variance a fixed point of a layer with LeCun
    normal weights: activations self-normalize.
    Reference: Klambauer et al., "Self-Normalizing Neural Networks", NeurIPS 2017.
    """
    ALPHA = 1.6732632423543772848170429916717
    SCALE = 1.0507009873554804934193349852946

    def __init__(self):
        super().__init__(self.ALPHA, self.SCALE)


def _erf(x):
    """The error function on an xp array (SciPy's or CuPy's kernel; math.erf if no SciPy)."""
    xp = get_array_module(x)
    if xp.__name__ == 'cupy':
        import cupyx.scipy.special
        return cupyx.scipy.special.erf(x)
    try:
        from scipy.special import erf
    except ImportError:
        import math
        erf = xp.vectorize(math.erf, otypes=[x.dtype])
    return erf(x).astype(x.dtype, copy=False)


class _NormalCDF(Function):
    """y = Φ(x) = (1 + erf(x / √2)) / 2, the standard normal CDF;   dL/dx = dL/dy · φ(x),
    with φ(x) = exp(-x²/2) / √(2π) the density. Used by GELU's backward."""

    def forward(self, x):
        x = floating(x)
        self.save_for_backward(x)
        return 0.5 * (1 + _erf(x * 0.7071067811865476))

    def backward(self, gy):
        x, = self.saved_tensors
        return gy * _normal_pdf(x)


def _normal_pdf(x):
    """φ(x) = exp(-x²/2) / √(2π), with Tensor ops (differentiable)."""
    return (x * x * -0.5).exp() * 0.3989422804014327


class GELU(Function):
    """y = x · Φ(x) (Φ the standard normal CDF);   dL/dx = dL/dy · (Φ(x) + x φ(x)).

    approximate='tanh': y = x/2 · (1 + tanh u), u = √(2/π) (x + 0.044715 x³);
    dL/dx = dL/dy · (½(1 + tanh u) + ½ x (1 - tanh² u) √(2/π) (1 + 3·0.044715 x²)).
    Reference: Hendrycks & Gimpel, "Gaussian Error Linear Units (GELUs)", 2016.
    """
    C, K = 0.7978845608028654, 0.044715          # √(2/π) and the cubic coefficient

    def __init__(self, approximate='none'):
        if approximate not in ('none', 'tanh'):
            raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, x):
        x = floating(x)
        self.save_for_backward(x)
        if self.approximate == 'tanh':
            xp = get_array_module(x)
            return 0.5 * x * (1 + xp.tanh(self.C * (x + self.K * x ** 3)))
        return x * 0.5 * (1 + _erf(x * 0.7071067811865476))

    def backward(self, gy):
        x, = self.saved_tensors
        if self.approximate == 'tanh':
            t = (self.C * (x + self.K * x * x * x)).tanh()
            return gy * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * self.C * (1 + 3 * self.K * x * x))
        return gy * (_NormalCDF()(x) + x * _normal_pdf(x))


class SiLU(Function):
    """y = x · σ(x) (also called swish);   dL/dx = dL/dy · σ(x) (1 + x (1 - σ(x))).

    Reference: Elfwing et al., "Sigmoid-Weighted Linear Units", 2017; Ramachandran et al.,
    "Searching for Activation Functions", 2017.
    """

    def forward(self, x):
        x = floating(x)
        self.save_for_backward(x)
        return x * _stable_sigmoid(x)

    def backward(self, gy):
        x, = self.saved_tensors
        s = x.sigmoid()
        return gy * s * (1 + x * (1 - s))


class Softplus(Function):
    """y = (1/β) log(1 + exp(βx)), and y = x where βx > threshold (there the two agree to
    float precision);   dL/dx = dL/dy · σ(βx)  (1 in the linear region).

    Stable for any x: log(1 + eᶻ) = max(z, 0) + log1p(exp(-|z|)), so exp never overflows.
    """

    def __init__(self, beta=1.0, threshold=20.0):
        self.beta, self.threshold = beta, threshold

    def forward(self, x):
        x = floating(x)
        xp = get_array_module(x)
        z = self.beta * x
        self.linear = z > self.threshold
        soft = (xp.maximum(z, 0) + xp.log1p(xp.exp(-xp.abs(z)))) / self.beta
        self.save_for_backward(x)
        return xp.where(self.linear, x, soft).astype(x.dtype, copy=False)

    def backward(self, gy):
        x, = self.saved_tensors
        return where(self.linear, gy, gy * (x * self.beta).sigmoid())


class Softmax(Function):
    """y_i = exp(x_i - m) / Σ_j exp(x_j - m) along ``dim`` (m = max x: the same value, no
    overflow);   dL/dx = y ⊙ (dL/dy - Σ_j dL/dy_j y_j)   (the Jacobian is diag(y) - y yᵀ).
    """

    def __init__(self, dim):
        self.dim = dim

    def forward(self, x):
        x = floating(x)
        xp = get_array_module(x)
        e = xp.exp(x - xp.max(x, axis=self.dim, keepdims=True))
        y = e / xp.sum(e, axis=self.dim, keepdims=True)
        self.save_for_backward(y)
        return y

    def backward(self, gy):
        y, = self.saved_tensors
        return y * (gy - (gy * y).sum(dim=self.dim, keepdim=True))


class LogSoftmax(Function):
    """y = x - logsumexp(x) along ``dim`` (computed as x - m - log Σ exp(x - m), m = max x);
    dL/dx = dL/dy - softmax(x) · Σ_j dL/dy_j,   with softmax(x) = exp(y).
    """

    def __init__(self, dim):
        self.dim = dim

    def forward(self, x):
        x = floating(x)
        xp = get_array_module(x)
        shifted = x - xp.max(x, axis=self.dim, keepdims=True)
        y = shifted - xp.log(xp.sum(xp.exp(shifted), axis=self.dim, keepdims=True))
        self.save_for_backward(y)
        return y

    def backward(self, gy):
        y, = self.saved_tensors
        # BEGIN SOLUTION
        return gy - y.exp() * gy.sum(dim=self.dim, keepdim=True)
        # END SOLUTION


def leaky_relu(x, negative_slope=0.01):
    """x for x > 0, ``negative_slope`` · x otherwise.

    Example:
        >>> import minidl
        >>> minidl.functional.leaky_relu(minidl.tensor([-2.0, 3.0]), 0.1)
        tensor([-0.2,  3. ])
    """
    return LeakyReLU(negative_slope)(x)


def prelu(x, weight):
    """x for x > 0, weight · x otherwise; ``weight`` has shape (1,) or (C,) (per channel, axis 1).

    Example:
        >>> import minidl
        >>> minidl.functional.prelu(minidl.tensor([[-1.0, -1.0]]), minidl.tensor([0.5, 0.25]))
        tensor([[-0.5 , -0.25]])
    """
    return PReLU()(x, weight)


def elu(x, alpha=1.0):
    """x for x > 0, α (eˣ - 1) otherwise.

    Example:
        >>> import minidl
        >>> minidl.functional.elu(minidl.tensor([-100.0, 2.0]))
        tensor([-1.,  2.])
    """
    return ELU(alpha)(x)


def selu(x):
    """λ · elu(x, α) with the self-normalizing constants α ≈ 1.6733, λ ≈ 1.0507.

    Example:
        >>> import minidl
        >>> round(minidl.functional.selu(minidl.tensor([1.0])).item(), 4)
        1.0507
    """
    return SELU()(x)


def gelu(x, approximate='none'):
    """x · Φ(x), or its tanh approximation with ``approximate='tanh'``.

    Example:
        >>> import minidl
        >>> minidl.functional.gelu(minidl.tensor([0.0, 1.0])).tolist()
        [0.0, 0.8413447141647339]
    """
    return GELU(approximate)(x)


def silu(x):
    """x · σ(x) (swish).

    Example:
        >>> import minidl
        >>> minidl.functional.silu(minidl.tensor([0.0, 2.0]))
        tensor([0.      , 1.761594])
    """
    return SiLU()(x)


def softplus(x, beta=1.0, threshold=20.0):
    """(1/β) log(1 + exp(βx)), a smooth relu; linear where βx > ``threshold``.

    Example:
        >>> import minidl
        >>> minidl.functional.softplus(minidl.tensor([-1e4, 0.0, 1e4])).tolist()
        [0.0, 0.6931471824645996, 10000.0]
    """
    return Softplus(beta, threshold)(x)


def _softmax_dim(dim, ndim, op):
    """The axis ``op`` (softmax or log_softmax) runs along: ``dim``, an int in range (or an
    error naming the op), or, for dim=None, PyTorch's deprecated implicit choice, with its
    warning: 0 for 0-, 1- and 3-d input, 1 otherwise (a 3-d input was taken to be one
    unbatched (C, H, W) image, a 2-d or 4-d one a batch). None for a 0-d input (its one
    element is the whole tensor)."""
    if dim is None:
        warnings.warn(f"Implicit dimension choice for {op} has been deprecated. Change the call to "
                      "include dim=X as an argument.", UserWarning, stacklevel=3)
        dim = 0 if ndim in (0, 1, 3) else 1
    return normalize_dim(dim, ndim, op)


def softmax(x, dim=None):
    """exp(x) / Σ exp(x) along ``dim``: positive, summing to 1. ``dim=None`` picks an axis
    as PyTorch does, with a warning (see ``_softmax_dim``): always pass it.

    Example:
        >>> import minidl
        >>> minidl.functional.softmax(minidl.tensor([[1e4, 1e4, -1e4]]), dim=1)
        tensor([[0.5, 0.5, 0. ]])
    """
    return Softmax(_softmax_dim(dim, x.ndim, 'softmax'))(x)


def log_softmax(x, dim=None):
    """x - logsumexp(x) along ``dim``: the log of softmax, without computing the softmax.
    ``dim=None`` picks an axis as ``softmax`` does, with a warning.

    Example:
        >>> import minidl
        >>> minidl.functional.log_softmax(minidl.tensor([[0.0, 1e4]]), dim=1)
        tensor([[-10000.,      0.]])
    """
    return LogSoftmax(_softmax_dim(dim, x.ndim, 'log_softmax'))(x)


class Hardtanh(Clamp):
    """y = x clipped to [min_val, max_val];   dL/dx = dL/dy strictly inside, 0 elsewhere.

    The same values as ``clamp``, but at the bounds themselves the gradient is 0, where
    clamp passes it: the two conventions of PyTorch's hardtanh and clamp (both valid
    subgradients, the function having a kink there). And an integer tensor stays integer,
    the bounds truncated toward 0 (int64 [-2, 0, 3] gives int64 [-1, 0, 1]), where clamp
    with float bounds gives floats: PyTorch's hardtanh and clamp differ there too.
    """

    def __init__(self, min_val=-1.0, max_val=1.0):
        if min_val > max_val:
            raise ValueError(f"hardtanh: min_val cannot be greater than max_val, got min_val={min_val}, "
                             f"max_val={max_val}")
        super().__init__(min_val, max_val)

    def forward(self, x):
        if x.dtype.kind in 'iu':
            self.min, self.max = int(self.min), int(self.max)
        y = super().forward(x)
        self.inside &= (x != self.min) & (x != self.max)
        return y


def hardtanh(x, min_val=-1.0, max_val=1.0):
    """x clipped to [min_val, max_val] (gradient 1 strictly inside, 0 elsewhere: Hardtanh).

    Example:
        >>> import minidl
        >>> minidl.functional.hardtanh(minidl.tensor([-3.0, 0.5, 3.0]))
        tensor([-1. ,  0.5,  1. ])
    """
    return Hardtanh(min_val, max_val)(x)


# Backward formulas made of operators only, which work on arrays as on Tensors: outside
# create_graph they run on the raw arrays (``Function.backward_on_arrays``; set here, not in
# the classes, so that the coursework's copy of ReLU, A2, gets Tensors as a student's own op).
for _op in (ReLU, Sigmoid, Tanh, LeakyReLU):
    _op.backward_on_arrays = True

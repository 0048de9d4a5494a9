"""minidl: a deep-learning framework written from scratch on NumPy, with CuPy for the GPU.

Example: build y = f(x), differentiate it, check the derivative::

    >>> import minidl
    >>> x = minidl.tensor([0.5, -1.0, 2.0], requires_grad=True)
    >>> y = (x.sin() * x).sum()
    >>> y.backward()
    >>> bool(minidl.allclose(x.grad, x.cos() * x + x.sin()))
    True
    >>> minidl.gradcheck(lambda x: (x.sin() * x).sum(), [x])
    True
"""
import numpy as _numpy

from . import autograd, backend, functional
from .autograd import (Function, GradcheckError, Tensor, enable_grad, gradcheck, gradgradcheck,
                       is_grad_enabled, no_grad, set_grad_enabled)
from .autograd.tensor import (arange, empty, eye, full, full_like, linspace, ones, ones_like, rand,
                              randint, randn, tensor, zeros, zeros_like)
from .backend import (cuda_is_available, get_default_dtype, get_device, manual_seed,
                      set_default_dtype, set_device)
from .functional import (abs, add, all, amax, amin, any, argmax, argmin, cat, clamp, cos, div, eq,
                         exp, expand, flatten, ge, gt, isfinite, le, log, logsumexp, lt, matmul, max,
                         maximum, mean, min, minimum, mul, ne, neg, pad, permute, pow, relu, reshape,
                         sigmoid, sin, sqrt, squeeze, stack, std, sub, sum, tanh, transpose, unsqueeze,
                         var, where)

__version__ = '0.1.0'

from . import data, nn, optim  # noqa: E402  (after the core they build on)

float16, float32, float64 = _numpy.float16, _numpy.float32, _numpy.float64
int32, int64, bool_ = _numpy.int32, _numpy.int64, _numpy.bool_


def allclose(a, b, rtol=1e-5, atol=1e-8):
    """True if two tensors (or arrays) are equal within tolerances, elementwise."""
    a = a.numpy() if isinstance(a, Tensor) else backend.to_numpy(a)
    b = b.numpy() if isinstance(b, Tensor) else backend.to_numpy(b)
    return bool(_numpy.allclose(a, b, rtol=rtol, atol=atol))
from .serialization import load, save  # noqa: E402,F401  (checkpoints: .npz + JSON, no pickle)
from . import constraints, regularizers  # noqa: E402,F401  (Keras-style weight penalties and projections)

"""Shared by the layers with a weight and a bias (Linear, Conv2d): create and initialize them."""
import math

from ..autograd.tensor import empty
from . import init
from .parameter import Parameter


def add_weight_and_bias(module, weight_shape, bias, weight_init=None, weight_regularizer=None,
                        bias_regularizer=None, weight_constraint=None, bias_constraint=None,
                        dtype=None, device=None):
    """Register ``module.weight`` (shape ``weight_shape`` = (out, in, *kernel)) and
    ``module.bias`` (shape (out,), or None when ``bias`` is False).

    Default initialization is PyTorch's: ``kaiming_uniform_(weight, a=√5)``, whose gain
    √(2 / (1 + 5)) = √(1/3) makes the bound √3 · √(1/3) / √fan_in = 1/√fan_in, so the weight
    is U(-1/√fan_in, 1/√fan_in) (Var = 1 / (3 fan_in)), and so is the bias.
    ``weight_init`` (a name for :func:`init.get` or a callable taking the weight) replaces
    the weight's initialization; the bias keeps PyTorch's.
    """
    weight = Parameter(empty(*weight_shape, dtype=dtype, device=device),
                       regularizer=weight_regularizer, constraint=weight_constraint)
    if weight_init is None:
        init.kaiming_uniform_(weight, a=math.sqrt(5))
    else:
        init.get(weight_init)(weight)
    module.weight = weight
    if not bias:
        module.register_parameter('bias', None)
        return
    fan_in, _ = init.calculate_fan_in_and_fan_out(weight)
    bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0.0
    module.bias = Parameter(init.uniform_(empty(weight_shape[0], dtype=dtype, device=device), -bound, bound),
                            regularizer=bias_regularizer, constraint=bias_constraint)

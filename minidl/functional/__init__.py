"""Differentiable operations, one file per family; each op is a Function subclass.

    arithmetic   + - * / ** neg abs exp log sqrt sin cos clamp maximum minimum where
    activation   relu sigmoid tanh (more in the nn issue)
    reduction    sum mean var std max min logsumexp (argmax, argmin: no gradient)
    shape        reshape/view permute/transpose expand flatten squeeze unsqueeze cat stack pad
    indexing     x[key] and its adjoint, scatter-add
    matmul       @ with 1-D and batched operands
    conversion   dtype and device changes
    comparison   < <= > >= == != (bool results, no gradient)
"""
from . import methods  # noqa: F401  (attaches the ops to Tensor)
from .activation import relu, sigmoid, tanh
from .arithmetic import (abs, add, clamp, cos, div, exp, log, maximum, minimum, mul, neg, pow,
                         sin, sqrt, sub, where)
from .comparison import eq, ge, gt, isfinite, le, logical_and, logical_not, logical_or, lt, ne
from .indexing import getitem
from .matmul import matmul
from .reduction import (all, amax, amin, any, argmax, argmin, logsumexp, max, mean, min, std, sum,
                        sum_to_shape, var)
from .shape import cat, expand, flatten, pad, permute, reshape, squeeze, stack, transpose, unsqueeze
from .activation import elu, gelu, hardtanh, leaky_relu, log_softmax, prelu, selu, silu, softmax, softplus
from .loss import (binary_cross_entropy, binary_cross_entropy_with_logits, cross_entropy, huber_loss, l1_loss,
                   mse_loss, nll_loss, smooth_l1_loss)
from .dropout import dropout, dropout2d
from .normalization import batch_norm, group_norm, layer_norm
from .conv import col2im, conv2d, im2col
from .pooling import adaptive_avg_pool2d, avg_pool2d, max_pool2d

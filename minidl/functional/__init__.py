"""Differentiable operations, one file per family; each op is a Function subclass.

    arithmetic     + - * / ** neg abs exp log sqrt sin cos clamp maximum minimum where
    activation     relu leaky_relu prelu elu selu gelu silu softplus sigmoid tanh hardtanh
                   softmax log_softmax
    reduction      sum mean var std max min logsumexp (argmax, argmin: no gradient)
    shape          reshape/view permute/transpose expand flatten squeeze unsqueeze cat stack pad
    indexing       x[key] and its adjoint, scatter-add
    matmul         @ with 1-D and batched operands
    linear         y = x Wᵀ + b, the fully connected layer's op
    conv           conv2d as im2col + one matrix product (col2im in backward)
    pooling        max, average and adaptive average pooling
    normalization  batch_norm, layer_norm, group_norm (one closed-form backward)
    dropout        dropout, dropout2d
    loss           cross_entropy, nll_loss, kl_div, mse_loss, l1_loss, smooth_l1/huber, binary cross-entropy
    conversion     clone, dtype and device changes
    comparison     < <= > >= == != logical_and/or/not, & | ~ (bitwise; no gradient)
"""
from . import methods  # noqa: F401  (attaches the ops to Tensor)
from .activation import (elu, gelu, hardtanh, leaky_relu, log_softmax, prelu, relu, selu, sigmoid, silu,
                         softmax, softplus, tanh)
from .arithmetic import (abs, add, clamp, cos, div, exp, log, maximum, minimum, mul, neg, pow,
                         sin, sqrt, sub, where)
from .comparison import (bitwise_and, bitwise_not, bitwise_or, eq, ge, gt, isfinite, le, logical_and,
                         logical_not, logical_or, lt, ne)
from .conversion import clone
from .conv import col2im, conv2d, im2col
from .dropout import dropout, dropout2d
from .indexing import getitem
from .linear import linear
from .loss import (binary_cross_entropy, binary_cross_entropy_with_logits, cross_entropy, huber_loss, kl_div,
                   l1_loss, mse_loss, nll_loss, smooth_l1_loss)
from .matmul import matmul
from .normalization import batch_norm, group_norm, layer_norm
from .pooling import adaptive_avg_pool2d, avg_pool2d, max_pool2d
from .reduction import (all, amax, amin, any, argmax, argmin, logsumexp, max, mean, min, std, sum,
                        sum_to_shape, var)
from .shape import cat, expand, flatten, pad, permute, reshape, squeeze, stack, transpose, unsqueeze

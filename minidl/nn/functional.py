"""The functional interface of ``minidl.nn``, imported as ``F``: activations, losses,
linear maps, convolution, pooling, normalization and dropout as plain functions of tensors
(layers hold parameters; these don't).

Example:
    >>> import minidl
    >>> import minidl.nn.functional as F
    >>> F.relu(minidl.tensor([-1.0, 3.0]))
    tensor([0., 3.])
"""
from ..functional.activation import (elu, gelu, hardtanh, leaky_relu, log_softmax, prelu, relu,  # noqa: F401
                                     selu, sigmoid, silu, softmax, softplus, tanh)
from ..functional.conv import conv2d  # noqa: F401
from ..functional.dropout import dropout, dropout2d  # noqa: F401
from ..functional.linear import linear  # noqa: F401
from ..functional.loss import (binary_cross_entropy, binary_cross_entropy_with_logits, cross_entropy,  # noqa: F401
                               huber_loss, kl_div, l1_loss, mse_loss, nll_loss, smooth_l1_loss)
from ..functional.normalization import batch_norm, group_norm, layer_norm  # noqa: F401
from ..functional.pooling import adaptive_avg_pool2d, avg_pool2d, max_pool2d  # noqa: F401
from ..functional.shape import pad  # noqa: F401

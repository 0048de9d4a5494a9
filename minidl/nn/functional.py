"""The functional interface of ``minidl.nn``, imported as ``F``: activations, losses,
convolution and pooling as plain functions of tensors (layers hold parameters; these don't).

Example:
    >>> import minidl
    >>> import minidl.nn.functional as F
    >>> F.relu(minidl.tensor([-1.0, 3.0]))
    tensor([0., 3.])
"""
from ..functional.activation import relu, sigmoid, tanh  # noqa: F401
from ..functional.activation import (elu, gelu, hardtanh, leaky_relu, log_softmax, prelu, selu,  # noqa: F401
                                     silu, softmax, softplus)
from ..functional.loss import (binary_cross_entropy, binary_cross_entropy_with_logits, cross_entropy,  # noqa: F401
                               huber_loss, l1_loss, mse_loss, nll_loss, smooth_l1_loss)
from ..functional.conv import conv2d  # noqa: F401
from ..functional.pooling import adaptive_avg_pool2d, avg_pool2d, max_pool2d  # noqa: F401

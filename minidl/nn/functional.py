"""The functional interface of ``minidl.nn``, imported as ``F``: activations, losses,
convolution and pooling as plain functions of tensors (layers hold parameters; these don't).

Example:
    >>> import minidl
    >>> import minidl.nn.functional as F
    >>> F.relu(minidl.tensor([-1.0, 3.0]))
    tensor([0., 3.])
"""
from ..functional.activation import relu, sigmoid, tanh  # noqa: F401

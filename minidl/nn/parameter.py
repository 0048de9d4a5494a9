"""``Parameter``: a Tensor that a Module learns.

A Parameter is a leaf Tensor with ``requires_grad=True`` that a Module registers when it is
assigned as an attribute. It may carry a Keras-style ``regularizer`` (a penalty added to the
loss, see ``minidl.regularizers``) and a ``constraint`` (a projection applied after every
optimizer step, see ``minidl.constraints``).

Example:
    >>> import minidl
    >>> from minidl.nn import Parameter
    >>> w = Parameter(minidl.zeros(2, 3))
    >>> w.requires_grad, w.is_leaf
    (True, True)
"""
from .. import no_grad
from ..autograd.tensor import Tensor


class Parameter(Tensor):
    """A learnable leaf tensor (``requires_grad=True`` unless asked otherwise).

    Attributes:
        regularizer: None or a callable Tensor -> scalar Tensor penalty.
        constraint: None or a callable Tensor -> Tensor, the projected weights.
    """

    __slots__ = ('regularizer', 'constraint')

    def __init__(self, data, requires_grad=True, regularizer=None, constraint=None):
        data = data.data if isinstance(data, Tensor) else data
        super().__init__(data, requires_grad=requires_grad)
        self.regularizer = regularizer
        self.constraint = constraint

    def __repr__(self):
        return 'Parameter containing:\n' + super().__repr__()


def apply_constraint(parameter):
    """Project ``parameter`` in place with its constraint, if it has one (after a step)."""
    constraint = getattr(parameter, 'constraint', None)
    if constraint is None:
        return
    with no_grad():
        parameter.data[...] = constraint(Tensor(parameter.data)).data

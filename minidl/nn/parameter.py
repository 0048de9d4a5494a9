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
from .. import constraints, no_grad, regularizers
from ..autograd.tensor import Tensor


class Parameter(Tensor):
    """A learnable leaf tensor (``requires_grad=True`` unless asked otherwise).

    Attributes:
        regularizer: None or a callable Tensor -> scalar Tensor penalty (given as anything
            ``regularizers.get`` takes: ``'l2'``, ``L2``, ``L2(1e-4)``, a function).
        constraint: None or a callable Tensor -> Tensor, the projected weights (anything
            ``constraints.get`` takes: ``'max_norm'``, ``MaxNorm(3)``, a function).
    """

    __slots__ = ('regularizer', 'constraint')

    def __init__(self, data, requires_grad=True, regularizer=None, constraint=None):
        data = data.data if isinstance(data, Tensor) else data
        super().__init__(data, requires_grad=requires_grad)
        self.regularizer = regularizers.get(regularizer)
        self.constraint = constraints.get(constraint)

    def __repr__(self):
        return 'Parameter containing:\n' + super().__repr__()


def apply_constraint(parameter):
    """Project ``parameter`` in place with its constraint, if it has one (after a step).

    The change counts as one in place (``Tensor._changed_in_place``), so a graph that saved
    the old weights refuses to backward through them."""
    constraint = getattr(parameter, 'constraint', None)
    if constraint is None:
        return
    with no_grad():
        projected = constraint(Tensor(parameter.data))
    if not isinstance(projected, Tensor) or projected.shape != parameter.shape:
        raise ValueError(f"constraint {constraint!r} must return a Tensor of the weight's shape "
                         f"{tuple(parameter.shape)}, got {getattr(projected, 'shape', type(projected).__name__)}")
    parameter.data[...] = projected.data
    parameter._changed_in_place()

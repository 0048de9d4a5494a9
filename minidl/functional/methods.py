"""Attach the functional ops to ``Tensor`` as methods and operators.

``x + y`` calls ``add(x, y)``, ``x.exp()`` calls ``exp(x)``: one implementation, two
spellings, as in PyTorch. Reflected operators (``2 - x``) swap the operands.
"""
import functools
import numbers
import operator

import numpy

from .. import backend
from ..autograd import anomaly, grad_mode
from ..autograd.tensor import Tensor
from ..backend import get_array_module
from . import activation as A
from . import arithmetic as M
from . import comparison as C
from . import conversion
from . import indexing
from . import matmul as MM
from . import reduction as R
from . import shape as S
from ._util import normalize_dim


def _to(self, *args, dtype=None, device=None):
    """``t.to('cuda')``, ``t.to(minidl.float64)`` or ``t.to(device=..., dtype=...)``.

    Differentiable; returns ``self`` when nothing changes.
    """
    from ..backend import DEVICES
    for arg in args:
        if isinstance(arg, str) and arg in DEVICES:
            device = arg
        else:
            dtype = arg
    if dtype is not None:
        try:
            dtype = numpy.dtype(dtype)
        except TypeError:
            raise ValueError(f"Tensor.to: {dtype!r} is neither a dtype nor a known device; "
                             f"expected one of {DEVICES} or a dtype such as minidl.float64") from None
        if dtype.kind not in backend.DTYPE_CATEGORY:
            raise TypeError(f"Tensor.to: {dtype} is not a dtype a tensor can have; expected a bool, "
                            "integer, floating point or complex dtype")
    result = self
    if dtype is not None and dtype != self.dtype:
        result = conversion.Cast(dtype)(result)
    if device is not None and device != self.device:
        from ..backend import _check_device, xp_for
        _check_device(device)
        xp_for(device)                        # a clear error if CuPy or the GPU is missing
        result = conversion.ToDevice(device)(result)
    return result


def _size(self, dim=None):
    """The shape (a tuple), or its length along ``dim`` (an int, negative counts from the end)."""
    if dim is None:
        return self.shape
    axis = normalize_dim(dim, self.ndim, 'Tensor.size')
    if axis is None:                                # a 0-d tensor has no dim to measure
        raise IndexError(f"Tensor.size: dim {dim} is out of range for a tensor with 0 dimensions")
    return self.shape[axis]


_grad_state, _anomaly_state = grad_mode._state, anomaly._state      # read on the hot path


def _setitem(self, key, value, op='setitem'):
    """In-place assignment into a tensor that is not part of a graph (``t[mask] = 0``), or into
    any tensor under ``no_grad`` (initializing or clipping a weight by hand). ``op`` names the
    operation in errors (``fill_`` assigns through here too).

    minidl does not record in-place changes, so, while gradients are recorded, neither the
    tensor nor the value may require grad: the change would be missing from the gradient."""
    if _grad_state['enabled'] and (self.requires_grad or (isinstance(value, Tensor) and value.requires_grad)):
        raise RuntimeError(f"{op}: in-place assignment into a tensor, or of a value, that requires grad would "
                           "break the gradient; build a new tensor instead (e.g. with minidl.where), "
                           "or assign under minidl.no_grad() if no gradient should flow")
    _check_writable(self, op)
    xp = get_array_module(self.data)
    value = _same_device(self, value, op)
    target = indexing._normalize_key(key, xp)
    try:
        self.data[target] = value
    except ValueError as error:
        raise ValueError(f"{op}: cannot assign a value of shape {getattr(value, 'shape', ())} into "
                         f"the selected part of a tensor of shape {self.shape} ({error})") from None
    self._changed_in_place()


def _fill_(self, value):
    """Set every element to ``value`` (a number or a 0-d Tensor), in place, as ``t[...] = value``
    (and refused where that is). Returns the tensor."""
    if not (isinstance(value, numbers.Number) or (isinstance(value, Tensor) and value.ndim == 0)):
        what = f"a Tensor of shape {value.shape}" if isinstance(value, Tensor) else type(value).__name__
        raise TypeError(f"fill_: expected a number or a 0-d Tensor, got {what}")
    _setitem(self, Ellipsis, value, 'fill_')
    return self


def _zero_(self):
    """Set every element to 0, in place (``t.fill_(0)``). Returns the tensor."""
    _setitem(self, Ellipsis, 0, 'zero_')
    return self


def _check_writable(tensor, op):
    """Refuse to write into an expanded view (``t.expand(...)``), whose elements share memory
    (a stride of 0): one write would change them all. NumPy marks such views read-only, CuPy
    does not, and would race to write one location from many threads."""
    data = tensor.data
    if any(stride == 0 and size > 1 for stride, size in zip(data.strides, data.shape)):
        raise RuntimeError(f"{op}: more than one element of the tensor of shape {tensor.shape} refers to a "
                           "single memory location (an expanded view); write into t.clone() instead")


def _same_device(tensor, value, op):
    """``value`` (a Tensor, an array, a list or a number) made ready to be written into
    ``tensor``: a Tensor must be on the tensor's device, as must a GPU array; a NumPy array or
    a list is copied to the tensor's array library (CuPy writes its own arrays only)."""
    if isinstance(value, Tensor):
        if value.device != tensor.device:
            raise RuntimeError(f"{op}: tensors on {tensor.device} and {value.device}; move one first")
        return value.data
    xp = get_array_module(tensor.data)
    if hasattr(value, 'shape') and not isinstance(value, xp.ndarray):      # another library's array
        if backend.device_of(value) == 'cuda':
            raise RuntimeError(f"{op}: a GPU array cannot be written into a tensor on {tensor.device}; "
                               "move it to the CPU first")
        return xp.asarray(value)
    return xp.asarray(value) if isinstance(value, (list, tuple)) else value


def _in_place(op, ufunc, symbol):
    """The operator ``x {symbol}= y``, which changes x itself, as in PyTorch, where no graph is
    involved (under ``no_grad``, as in a hand-written update ``p -= lr * p.grad``, or on
    tensors that need no gradient): the result is cast to x's dtype and must keep x's shape.

    While gradients are recorded, minidl does not record a change in place as an op of the
    graph: a leaf that requires grad refuses, as PyTorch's does, and any other tensor of a
    graph gets a new tensor (``x = x + y``), which a second name for the old x does not see.
    A tensor that a
    graph saved may be changed in place before that graph's backward, but the backward then
    raises, as PyTorch's does: each change counts in the tensor's version, which the graph
    compares with the one it saw (``Function.saved_tensors``). Writes to ``.data`` and to
    views made by indexing are not counted.
    """
    def _operator(self, other):
        if _grad_state['enabled'] and (self.requires_grad or (isinstance(other, Tensor) and other.requires_grad)):
            if self.requires_grad and self.grad_fn is None:
                raise RuntimeError(f"a leaf tensor that requires grad is used in an in-place operation "
                                   f"({symbol}=); write the update under minidl.no_grad(), or x = x {symbol} y")
            return op(self, other)
        _check_writable(self, f"{symbol}=")
        other = _same_device(self, other, f"{symbol}=")
        try:
            getattr(get_array_module(self.data), ufunc)(self.data, other, out=self.data, casting='same_kind')
        except (TypeError, ValueError) as error:        # (NumPy's casting errors are TypeErrors)
            kind = TypeError if isinstance(error, TypeError) else ValueError
            raise kind(f"{symbol}= in place: the {self.dtype} tensor of shape {self.shape} cannot hold the "
                       f"result with {getattr(other, 'dtype', type(other).__name__)} of shape "
                       f"{getattr(other, 'shape', ())} ({error})") from None
        self._changed_in_place()
        return self
    _operator.__name__ = f"__i{op.__name__}__"
    return _operator


def _reflected(op):
    return lambda self, other: op(other, self)


def _without_graph_shortcut(op, array_op):
    """The operator ``op`` (``add``, ...), with a shortcut for when nothing is recorded.

    With gradients off (inside ``no_grad``, and in every backward without ``create_graph``,
    where backward formulas such as ``gy * b`` run), ``x + y`` on two Tensors of one device
    and one dtype is exactly its array operation: Add, Sub and Mul compute nothing else.
    Going through the Function machinery (input checks, the call, the output's wrapping) costs
    1.9 µs per call on 1-element tensors where the array operation and a new Tensor cost 0.8
    (``benchmarks/NOTES.md``, eighth pass). Everything else takes the full path: a Python
    number or an array as an operand, mixed devices, mixed dtypes (whose result follows
    PyTorch's rule, ``_util.promoted``, not NumPy's: int64 with float32 is float32, float32
    (N,) with float64 0-d is float32), anomaly detection, shapes that do not broadcast and
    bool subtraction (``op`` explains them), a 0-d result that NumPy hands back as a scalar.
    """
    @functools.wraps(op)
    def _operator(self, other):
        if not _grad_state['enabled'] and isinstance(other, Tensor) and not _anomaly_state['enabled']:
            a, b = self.data, other.data
            if type(a) is type(b) and a.dtype is b.dtype:
                try:
                    y = array_op(a, b)
                except (ValueError, TypeError):
                    return op(self, other)
                if type(y) is type(a):
                    return Tensor(y)
        return op(self, other)
    return _operator


_DTYPE_SHORTHANDS = {'half': numpy.float16, 'float': numpy.float32, 'double': numpy.float64,
                     'int': numpy.int32, 'long': numpy.int64, 'bool': numpy.bool_}


def _cast_to(dtype):
    """The method ``t.float()`` (or ``half``, ``int``, ...): ``t.to(dtype)``."""
    def _method(self):
        return _to(self, dtype)
    _method.__doc__ = f"This tensor as {numpy.dtype(dtype)}: ``t.to({numpy.dtype(dtype)})``."
    return _method


_METHODS = {
    # operators
    '__add__': _without_graph_shortcut(M.add, operator.add), '__radd__': _reflected(M.add),
    '__sub__': _without_graph_shortcut(M.sub, operator.sub), '__rsub__': _reflected(M.sub),
    '__mul__': _without_graph_shortcut(M.mul, operator.mul), '__rmul__': _reflected(M.mul),
    '__truediv__': M.div, '__rtruediv__': _reflected(M.div),
    '__iadd__': _in_place(M.add, 'add', '+'), '__isub__': _in_place(M.sub, 'subtract', '-'),
    '__imul__': _in_place(M.mul, 'multiply', '*'), '__itruediv__': _in_place(M.div, 'true_divide', '/'),
    '__pow__': M.pow, '__rpow__': _reflected(M.pow),
    '__matmul__': MM.matmul, '__rmatmul__': _reflected(MM.matmul),
    '__neg__': M.neg, '__abs__': M.abs,
    '__lt__': C.lt, '__le__': C.le, '__gt__': C.gt, '__ge__': C.ge, '__eq__': C.eq, '__ne__': C.ne,
    '__and__': C.bitwise_and, '__or__': C.bitwise_or, '__invert__': C.bitwise_not,
    '__getitem__': indexing.getitem, '__setitem__': _setitem, 'fill_': _fill_, 'zero_': _zero_,
    # math
    'add': M.add, 'sub': M.sub, 'mul': M.mul, 'div': M.div, 'pow': M.pow, 'neg': M.neg,
    'abs': M.abs, 'exp': M.exp, 'log': M.log, 'sqrt': M.sqrt, 'sin': M.sin, 'cos': M.cos,
    'clamp': M.clamp, 'maximum': M.maximum, 'minimum': M.minimum, 'matmul': MM.matmul,
    'relu': A.relu, 'sigmoid': A.sigmoid, 'tanh': A.tanh,
    # reductions
    'sum': R.sum, 'mean': R.mean, 'var': R.var, 'std': R.std, 'max': R.max, 'min': R.min,
    'amax': R.amax, 'amin': R.amin, 'logsumexp': R.logsumexp, 'argmax': R.argmax,
    'argmin': R.argmin, 'all': R.all, 'any': R.any,
    # shapes
    'reshape': S.reshape, 'view': S.reshape, 'permute': S.permute, 'transpose': S.transpose,
    'expand': S.expand, 'flatten': S.flatten, 'squeeze': S.squeeze, 'unsqueeze': S.unsqueeze,
    'size': _size,
    # conversion
    'to': _to, 'clone': conversion.clone,
    **{name: _cast_to(dtype) for name, dtype in _DTYPE_SHORTHANDS.items()},
    'cpu': lambda self: _to(self, 'cpu'),
    'cuda': lambda self: _to(self, 'cuda'),
}

for _name, _fn in _METHODS.items():
    setattr(Tensor, _name, _fn)

Tensor.T = property(lambda self: S.permute(self, *reversed(range(self.ndim))),
                    doc="The tensor with its axes reversed (the transpose of a matrix).")
Tensor.mT = property(lambda self: S.transpose(self, -1, -2),
                     doc="The transpose of the last two axes (a batch of matrices).")
Tensor.__iter__ = lambda self: (self[i] for i in range(len(self)))

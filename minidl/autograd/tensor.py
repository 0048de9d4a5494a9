"""``Tensor``: an xp array plus what reverse-mode differentiation needs to know about it.

A Tensor holds
    data           the array (NumPy or CuPy), free to be read, reassigned or written in place;
    requires_grad  whether gradients should flow back to it;
    grad_fn        the Function call that produced it (None for a leaf, a tensor the user made);
    grad           after ``backward()``, dL/d(this tensor) for a leaf, as a Tensor.

Operations (``+``, ``@``, ``.exp()``, ``.sum()``, indexing, ...) are Functions from
``minidl.functional``, attached to this class as methods in ``functional/methods.py``.

Example:
    >>> import minidl
    >>> x = minidl.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    >>> y = (x * x).sum()
    >>> y.backward()
    >>> x.grad
    tensor([[2., 4.],
            [6., 8.]])
"""
import numbers

import numpy

from .. import backend


class Tensor:
    """A multi-dimensional array that records the operations applied to it.

    Build one with :func:`minidl.tensor` (or the factories ``zeros``, ``randn``, ...);
    ``Tensor(array)`` wraps an existing NumPy/CuPy array without copying it.
    """

    __slots__ = ('data', '_grad', 'requires_grad', 'grad_fn', '_output_index', '_retains_grad',
                 '_version', '__weakref__')
    __array_priority__ = 1000       # ndarray + Tensor calls Tensor.__radd__
    __array_ufunc__ = None          # ... instead of numpy treating the Tensor as an array

    def __init__(self, data, requires_grad=False, grad_fn=None, output_index=0):
        if type(data) is not numpy.ndarray and (not (hasattr(data, 'dtype') and hasattr(data, 'shape'))
                                                or isinstance(data, numpy.generic)):
            data = _array_from_python(data, None, backend.get_device())
        self.data = data
        self._grad = None
        self.grad_fn = grad_fn
        self._output_index = output_index
        self._retains_grad = False
        self._version = None            # [count of in-place changes], made when first needed
        self.requires_grad = False
        if requires_grad and grad_fn is None:
            self.requires_grad_(True)
        elif requires_grad:
            self.requires_grad = True

    # ------------------------------------------------------------------ metadata
    @property
    def shape(self):
        return self.data.shape

    @property
    def ndim(self):
        return self.data.ndim

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def device(self):
        return backend.device_of(self.data)

    @property
    def is_leaf(self):
        """True for tensors the user made (and results of ops that need no gradient)."""
        return self.grad_fn is None

    @property
    def grad(self):
        """dL/d(this tensor), summed over the backward calls so far (for a leaf, or a tensor that
        called ``retain_grad()``); None before any. It may be assigned None, or a Tensor of this
        tensor's shape, dtype and device, as in PyTorch: anything else raises."""
        return self._grad

    @grad.setter
    def grad(self, grad):
        if grad is not None and not (isinstance(grad, Tensor) and grad.data.shape == self.data.shape
                                     and grad.data.dtype == self.data.dtype
                                     and type(grad.data) is type(self.data)):      # the common case, quickly
            self._check_grad(grad)
        self._grad = grad

    def _check_grad(self, grad):
        """Refuse a ``.grad`` that later gradients could not be added to, or an optimizer apply."""
        if not isinstance(grad, Tensor):
            raise TypeError(f"Tensor.grad: assigned grad expected to be a Tensor or None, "
                            f"got {type(grad).__name__}")
        for what, ours, theirs in (('shape', self.shape, grad.shape), ('dtype', self.dtype, grad.dtype),
                                   ('device', self.device, grad.device)):
            if ours != theirs:
                raise RuntimeError(f"Tensor.grad: assigned grad has {what} {theirs}, "
                                   f"but the tensor has {what} {ours}; they must match")

    def numel(self):
        return int(self.data.size)

    def dim(self):
        return self.data.ndim

    def __len__(self):
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    # ------------------------------------------------------------------ conversion
    def item(self):
        """The single value of a one-element tensor, as a Python number."""
        if self.data.size != 1:
            raise ValueError(f"item(): only one-element tensors can be converted, got shape {self.shape}")
        return backend.to_numpy(self.data.reshape(())).item()     # a read back (see backend.check_later)

    def numpy(self):
        """The values as a NumPy array (shares memory on the CPU, copies from the GPU)."""
        return backend.to_numpy(self.data)

    def tolist(self):
        return self.numpy().tolist()

    def __array__(self, dtype=None, copy=None):
        """NumPy's conversion protocol: ``numpy.array(t)`` copies, ``numpy.asarray(t)`` shares
        memory on the CPU, as for a PyTorch tensor. ``copy=True`` always copies, ``copy=False``
        never does (a ValueError where it would have to: another dtype, a GPU tensor), and
        ``copy=None`` copies only where it must."""
        array = self.numpy()                        # self.data on the CPU, a copy from the GPU
        copied = array is not self.data
        if dtype is not None and array.dtype != dtype:
            array, copied = array.astype(dtype), True
        if copy is False and copied:
            raise ValueError(f"Tensor.__array__: cannot give a {self.dtype} tensor on {self.device} as a "
                             f"NumPy array of dtype {array.dtype} without a copy (copy=False); "
                             "use numpy.asarray(t) to allow one")
        return array.copy() if copy and not copied else array

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __bool__(self):
        if self.data.size != 1:
            raise RuntimeError(f"the truth value of a tensor of shape {self.shape} is ambiguous; "
                               "use .any() or .all()")
        return bool(self.item())

    def __contains__(self, element):
        """``element in t``: whether some element of ``t`` equals ``element``, a number or a Tensor
        (compared with broadcasting: a row is in a matrix if it equals some row), as in PyTorch."""
        if not isinstance(element, (Tensor, numbers.Number)):
            raise TypeError(f"Tensor.__contains__: expected a Tensor or a number, got {type(element).__name__}")
        return bool((element == self).any())

    __hash__ = object.__hash__      # __eq__ is elementwise, identity stays the hash

    def detach(self):
        """A new leaf sharing this tensor's data, cut off from the graph.

        Its array is a view of this tensor's, not the same array object: an op that saves
        the detached values for backward must not be mistaken for one that saved this
        tensor's (``Function.saved_tensors`` tells them apart by identity)."""
        detached = Tensor(self.data.view())
        detached._version = self._version_cell()    # shared: a change to either is a change to both
        return detached

    def detach_(self):
        """Cut this tensor off from the graph, in place: it becomes a leaf that does not require
        grad (as ``detach()``, without a new tensor). Returns the tensor."""
        self.grad_fn = None
        self.requires_grad = False
        return self

    def _version_cell(self):
        """[the number of in-place changes so far]: a graph that saves this tensor's data keeps
        the cell and its count, and backward checks it (``Function.saved_tensors``)."""
        if self._version is None:
            self._version = [0]
        return self._version

    def _changed_in_place(self):
        self._version_cell()[0] += 1

    def requires_grad_(self, requires_grad=True):
        """Ask for (or stop asking for) this leaf's gradient. Returns the tensor."""
        if requires_grad and self.data.dtype.kind not in 'fc':
            raise RuntimeError(f"only floating point tensors can require gradients, got dtype {self.dtype}")
        if not self.is_leaf and not requires_grad:
            raise RuntimeError("requires_grad_(False) on a non-leaf tensor: use .detach() instead")
        self.requires_grad = bool(requires_grad)
        return self

    def retain_grad(self):
        """Keep ``.grad`` for this non-leaf tensor too after backward (for inspection)."""
        if not self.requires_grad:
            raise RuntimeError("retain_grad() on a tensor that does not require grad")
        if self.grad_fn is not None:
            self._retains_grad = True
            retained = self.grad_fn.__dict__.setdefault('_retained', {})
            retained[self._output_index] = self
        return self

    # ------------------------------------------------------------------ differentiation
    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Compute the gradient of this tensor with respect to every leaf that requires it.

        The gradients are *added* to each leaf's ``.grad`` (zero them between steps).
        ``gradient`` is dL/d(self), needed when this tensor is not a single number. The graph
        is freed afterwards unless ``retain_graph=True``; ``create_graph=True`` records the
        backward pass itself, for higher derivatives.
        """
        from .engine import backward
        backward([self], None if gradient is None else [gradient], retain_graph, create_graph,
                 inputs=inputs)

    def __repr__(self):
        body = numpy.array2string(self.numpy(), separator=', ', prefix='tensor(')
        empty = self.data.size == 0       # the body, [], shows neither the shape nor int from float
        extras = [f"size={self.shape}"] if empty and self.ndim > 1 else []
        if self.dtype != backend.get_default_dtype() and (empty or self.dtype not in (numpy.int64, numpy.bool_)):
            extras.append(f"dtype={self.dtype}")
        if self.device != 'cpu':
            extras.append(f"device='{self.device}'")
        if self.grad_fn is not None:
            extras.append(f"grad_fn={self.grad_fn!r}")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return f"tensor({body}{''.join(', ' + e for e in extras)})"


# ---------------------------------------------------------------------- construction
def _array_from_python(data, dtype, device):
    """An xp array from Python data with PyTorch's dtype rule.

    Python floats (or lists with any float) become the default float dtype (float32),
    Python ints int64, bools bool; a NumPy array keeps its dtype. ``dtype`` overrides.
    """
    xp = backend.xp_for(device)
    if hasattr(data, 'dtype') and hasattr(data, 'shape') and not isinstance(data, numpy.generic):
        array = backend.to_device(data, device)
        return array if dtype is None else array.astype(dtype, copy=False)
    if isinstance(data, numpy.generic):
        array = numpy.asarray(data)
    else:
        try:
            array = numpy.asarray(data)
        except ValueError:                          # NumPy refuses rows of different lengths
            raise ValueError("minidl.tensor: the nested lists have different lengths; a tensor needs "
                             "equally long rows at every level") from None
        if array.dtype.kind in 'OUSV':
            raise TypeError(f"minidl.tensor: cannot make a tensor from {type(data).__name__} "
                            "(expected numbers, nested lists of numbers, or an array)")
        if dtype is None:
            if array.dtype.kind == 'f':
                array = array.astype(backend.get_default_dtype())
            elif array.dtype.kind in 'iu':
                array = array.astype(numpy.int64)
    if dtype is not None:
        array = array.astype(dtype)
    return xp.asarray(array)


def tensor(data, dtype=None, requires_grad=False, device=None):
    """A new leaf tensor holding a copy of ``data``.

    Python numbers and lists become float32 (ints: int64, bools: bool); a NumPy or CuPy
    array keeps its dtype; ``dtype=`` overrides. ``device=`` defaults to the current device
    (``minidl.set_device``), or ``'cuda'`` for a CuPy array.

    Example:
        >>> import minidl
        >>> minidl.tensor([1, 2]).dtype, minidl.tensor([1.0, 2]).dtype
        (dtype('int64'), dtype('float32'))
    """
    if isinstance(data, Tensor):
        data = data.data
    if device is None:                          # a CuPy array stays on the GPU
        device = 'cuda' if backend.device_of(data) == 'cuda' else backend.get_device()
    array = _array_from_python(data, dtype, device)
    if array is data:                           # torch.tensor always copies
        array = array.copy()
    return Tensor(array, requires_grad=requires_grad)


def _factory(fill, shape, dtype, device, requires_grad):
    shape = tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else tuple(shape)
    if not all(isinstance(n, numbers.Integral) and not isinstance(n, bool) and n >= 0 for n in shape):
        raise ValueError(f"minidl: a tensor's shape must be integers >= 0, got {shape}")
    dtype = numpy.dtype(dtype) if dtype is not None else backend.get_default_dtype()
    return Tensor(fill(backend.xp_for(device), shape, dtype), requires_grad=requires_grad)


def zeros(*shape, dtype=None, device=None, requires_grad=False):
    """A tensor of zeros: ``zeros(2, 3)`` or ``zeros((2, 3))``."""
    return _factory(lambda xp, s, d: xp.zeros(s, dtype=d), shape, dtype, device, requires_grad)


def ones(*shape, dtype=None, device=None, requires_grad=False):
    """A tensor of ones: ``ones(2, 3)`` or ``ones((2, 3))``."""
    return _factory(lambda xp, s, d: xp.ones(s, dtype=d), shape, dtype, device, requires_grad)


def empty(*shape, dtype=None, device=None, requires_grad=False):
    """An uninitialized tensor (its values are whatever memory held)."""
    return _factory(lambda xp, s, d: xp.empty(s, dtype=d), shape, dtype, device, requires_grad)


def full(shape, fill_value, dtype=None, device=None, requires_grad=False):
    """A tensor of ``shape`` filled with ``fill_value``."""
    if dtype is None and isinstance(fill_value, (bool, numbers.Integral)):
        dtype = numpy.bool_ if isinstance(fill_value, bool) else numpy.int64
    return _factory(lambda xp, s, d: xp.full(s, fill_value, dtype=d), (shape,), dtype, device,
                    requires_grad)


def zeros_like(t, dtype=None, device=None, requires_grad=False):
    return zeros(t.shape, dtype=dtype or t.dtype, device=device or t.device, requires_grad=requires_grad)


def ones_like(t, dtype=None, device=None, requires_grad=False):
    return ones(t.shape, dtype=dtype or t.dtype, device=device or t.device, requires_grad=requires_grad)


def full_like(t, fill_value, dtype=None, device=None, requires_grad=False):
    return full(t.shape, fill_value, dtype=dtype or t.dtype, device=device or t.device,
                requires_grad=requires_grad)


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False):
    """Values from ``start`` to ``end`` (excluded) by ``step``; int64 unless a bound is a float."""
    if end is None:
        start, end = 0, start
    if step == 0:
        raise ValueError("arange: step must not be 0")
    if dtype is None:
        floats = any(isinstance(v, float) for v in (start, end, step))
        dtype = backend.get_default_dtype() if floats else numpy.int64
    xp = backend.xp_for(device)
    return Tensor(xp.arange(start, end, step).astype(dtype), requires_grad=requires_grad)


def linspace(start, end, steps, dtype=None, device=None, requires_grad=False):
    """``steps`` evenly spaced values from ``start`` to ``end`` (both included)."""
    dtype = dtype or backend.get_default_dtype()
    xp = backend.xp_for(device)
    return Tensor(xp.linspace(start, end, steps).astype(dtype), requires_grad=requires_grad)


def eye(n, m=None, dtype=None, device=None, requires_grad=False):
    """The identity matrix (n x m)."""
    dtype = dtype or backend.get_default_dtype()
    return Tensor(backend.xp_for(device).eye(n, m, dtype=dtype), requires_grad=requires_grad)


def rand(*shape, dtype=None, device=None, requires_grad=False):
    """Samples of U[0, 1) from minidl's seeded generator."""
    return _factory(lambda xp, s, d: backend.uniform(s, dtype=d, device=device), shape, dtype,
                    device, requires_grad)


def randn(*shape, dtype=None, device=None, requires_grad=False):
    """Samples of N(0, 1) from minidl's seeded generator."""
    return _factory(lambda xp, s, d: backend.normal(s, dtype=d, device=device), shape, dtype,
                    device, requires_grad)


def randint(low, high, size, device=None):
    """Uniform int64 samples from [low, high) from minidl's seeded generator."""
    return Tensor(backend.integers(low, high, tuple(size), device=device))

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
import functools
import itertools
import math
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
def _numeric_dtype(fn, dtype, source=None):
    """``dtype`` as a NumPy dtype, refused (TypeError naming ``fn``, and the type ``source`` of
    the data if given) unless it holds numbers: bool, integer, floating or complex. Strings,
    objects and dates make no tensor."""
    try:
        dtype = numpy.dtype(dtype)
    except TypeError:
        raise TypeError(f"{fn}: {dtype!r} is not a dtype") from None
    if dtype.kind not in backend.DTYPE_CATEGORY:
        source = '' if source is None else f"from {source.__name__} "
        raise TypeError(f"{fn}: cannot make a tensor {source}of dtype {dtype}: a tensor holds numbers "
                        "(bool, integer, floating or complex)")
    return dtype


def _python_number_dtype(kind):
    """The dtype PyTorch gives a Python number of type ``kind``: bool, int64, the default float
    dtype, or the complex dtype that pairs with it (complex64 for float32)."""
    if issubclass(kind, bool):
        return numpy.dtype(numpy.bool_)
    if issubclass(kind, numbers.Integral):
        return numpy.dtype(numpy.int64)
    if issubclass(kind, numbers.Real):
        return backend.get_default_dtype()
    return numpy.result_type(backend.get_default_dtype(), numpy.complex64)


def _inferred_dtype(data):
    """The dtype ``torch.tensor`` infers for a number or nested lists of numbers (None if none).

    Each number has a dtype: a NumPy number, a 0-d tensor or an array inside the lists its own,
    a Python number :func:`_python_number_dtype`'s. The result promotes those of the highest
    category present (bool < integer < floating < complex; a complex result also takes in the
    floats' precision), so integers never widen floats: ``[np.int64(1), 2.0]`` is float32,
    ``[np.float64(1), 2.0]`` float64.
    """
    dtypes, level = set(), [data]
    while level:                                # one depth of the nesting at a time
        deeper = []
        for kind in set(map(type, level)):      # by type: one pass in C over a long list of floats
            if issubclass(kind, numpy.generic):
                dtypes.add(numpy.dtype(kind))
            elif issubclass(kind, numbers.Number):
                dtypes.add(_python_number_dtype(kind))
            elif issubclass(kind, (list, tuple, range)):
                deeper.extend(itertools.chain.from_iterable(item for item in level if type(item) is kind))
            elif hasattr(kind, 'dtype'):        # arrays, and tensors (0-d only)
                for item in level:
                    if type(item) is not kind:
                        continue
                    if isinstance(item, Tensor) and item.ndim != 0:
                        raise ValueError(f"minidl.tensor: only 0-d tensors (one number) can be list "
                                         f"elements, got one of shape {item.shape}; use minidl.stack")
                    dtypes.add(item.dtype)
        level = deeper
    category = backend.DTYPE_CATEGORY
    numeric = [d for d in dtypes if d.kind in category]
    if len(numeric) <= 1:                       # the common case: nothing to promote
        return numeric[0] if numeric else None
    top = max(category[d.kind] for d in numeric)
    return functools.reduce(numpy.promote_types, [d for d in numeric if category[d.kind] >= min(top, 2)])


def _fit(fn, array, dtype):
    """``array`` (NumPy, made from Python values) converted to ``dtype``, refusing what NumPy
    would change silently: a value outside an integer dtype's range (it would wrap round), NaN
    or inf as an integer, a complex number as a real one (its imaginary part would be lost)."""
    if array.dtype.kind == 'c' and dtype.kind != 'c':
        raise TypeError(f"{fn}: cannot convert complex values to {dtype}")
    if dtype.kind in 'iu' and array.dtype != dtype and array.size:
        info = numpy.iinfo(dtype)
        low, high = array.min(), array.max()
        if not (low >= info.min and high < info.max + 1):          # NaN fails both comparisons
            value = high if low >= info.min else low
            raise OverflowError(f"{fn}: the value {value} does not fit in {dtype} "
                                f"(range {info.min} to {info.max})")
    return array.astype(dtype, copy=False)


def _array_from_python(data, dtype, device):
    """An xp array from Python data with PyTorch's dtype rule.

    Python floats become the default float dtype (float32), Python ints int64, bools bool,
    complex numbers the matching complex dtype (complex64); a NumPy number or a 0-d tensor
    keeps its dtype, and nested lists promote their numbers' dtypes (:func:`_inferred_dtype`).
    A NumPy or CuPy array keeps its dtype. ``dtype`` overrides. Only numbers make a tensor;
    a Python value that the dtype cannot hold raises OverflowError (:func:`_fit`).
    """
    xp = backend.xp_for(device)
    if dtype is not None:
        dtype = _numeric_dtype('minidl.tensor', dtype)
    if hasattr(data, 'dtype') and hasattr(data, 'shape') and not isinstance(data, numpy.generic):
        _numeric_dtype('minidl.tensor', data.dtype, type(data))
        array = backend.to_device(data, device)
        return array if dtype is None else array.astype(dtype, copy=False)
    try:
        array = numpy.asarray(data)
    except ValueError:                              # NumPy refuses rows of different lengths
        raise ValueError("minidl.tensor: the nested lists have different lengths; a tensor needs "
                         "equally long rows at every level") from None
    _numeric_dtype('minidl.tensor', array.dtype, type(data))
    if dtype is None:
        dtype = _inferred_dtype(data)
    if dtype is None:                               # no numbers: [] is float32, as in PyTorch
        dtype = backend.get_default_dtype()
    return xp.asarray(_fit('minidl.tensor', array, dtype))


def tensor(data, dtype=None, requires_grad=False, device=None):
    """A new leaf tensor holding a copy of ``data``.

    Python floats and lists of them become float32 (ints: int64, bools: bool, complex numbers:
    complex64); NumPy numbers, 0-d tensors and NumPy or CuPy arrays keep their dtype;
    ``dtype=`` overrides (:func:`_array_from_python` has the whole rule). ``device=``
    defaults to the current device (``minidl.set_device``), or ``'cuda'`` for a CuPy array.

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


def _number(fn, value, kind, expected):
    """``value`` (a Python number, a NumPy number or a 0-d tensor) as a Python number, refused
    with ``fn: expected, got ...`` unless it is an instance of ``kind`` (a ``numbers`` class)."""
    if isinstance(value, (Tensor, numpy.generic)) and value.ndim == 0:
        value = value.item()
    if not isinstance(value, kind):
        raise TypeError(f"{fn}: {expected}, got {type(value).__name__}")
    return value


def _factory(name, fill, shape, dtype, device, requires_grad):
    """A new leaf tensor ``fill(xp, shape, dtype)``, for the factory called ``name``. ``shape``
    is as the factories take it, sizes or one tuple or list of sizes; ``dtype`` None means
    the default float dtype."""
    shape = tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else tuple(shape)
    if not all(isinstance(n, numbers.Integral) and not isinstance(n, bool) and n >= 0 for n in shape):
        raise ValueError(f"{name}: a tensor's shape must be integers >= 0, got {shape}")
    dtype = _numeric_dtype(name, dtype) if dtype is not None else backend.get_default_dtype()
    return Tensor(fill(backend.xp_for(device), shape, dtype), requires_grad=requires_grad)


def zeros(*shape, dtype=None, device=None, requires_grad=False):
    """A tensor of zeros: ``zeros(2, 3)`` or ``zeros((2, 3))``."""
    return _factory('minidl.zeros', lambda xp, s, d: xp.zeros(s, dtype=d), shape, dtype, device,
                    requires_grad)


def ones(*shape, dtype=None, device=None, requires_grad=False):
    """A tensor of ones: ``ones(2, 3)`` or ``ones((2, 3))``."""
    return _factory('minidl.ones', lambda xp, s, d: xp.ones(s, dtype=d), shape, dtype, device,
                    requires_grad)


def empty(*shape, dtype=None, device=None, requires_grad=False):
    """An uninitialized tensor (its values are whatever memory held)."""
    return _factory('minidl.empty', lambda xp, s, d: xp.empty(s, dtype=d), shape, dtype, device,
                    requires_grad)


def full(shape, fill_value, dtype=None, device=None, requires_grad=False):
    """A tensor of ``shape`` filled with ``fill_value``, a number or a 0-d tensor.

    Its dtype, unless given, is the fill's: a 0-d tensor's own, else bool, int64, the default
    float dtype or its complex partner for a bool, int, float or complex. A fill the dtype
    cannot hold (300 as uint8, inf as int64) raises OverflowError.

    Example:
        >>> import minidl
        >>> minidl.full((2,), 7)
        tensor([7, 7])
    """
    if dtype is None and isinstance(fill_value, Tensor):
        dtype = fill_value.dtype
    fill = _number('minidl.full', fill_value, numbers.Complex, 'fill_value must be a number')
    dtype = _python_number_dtype(type(fill)) if dtype is None else _numeric_dtype('minidl.full', dtype)
    value = _fit('minidl.full', numpy.asarray(fill), dtype)[()]
    return _factory('minidl.full', lambda xp, s, d: xp.full(s, value, dtype=d), (shape,), dtype, device,
                    requires_grad)


def _check_tensor(fn, t):
    if not isinstance(t, Tensor):
        raise TypeError(f"{fn}: expected a Tensor, got {type(t).__name__}")


def zeros_like(t, dtype=None, device=None, requires_grad=False):
    """Zeros of ``t``'s shape, and of its dtype and device unless given."""
    _check_tensor('minidl.zeros_like', t)
    return zeros(t.shape, dtype=dtype or t.dtype, device=device or t.device, requires_grad=requires_grad)


def ones_like(t, dtype=None, device=None, requires_grad=False):
    """Ones of ``t``'s shape, and of its dtype and device unless given."""
    _check_tensor('minidl.ones_like', t)
    return ones(t.shape, dtype=dtype or t.dtype, device=device or t.device, requires_grad=requires_grad)


def full_like(t, fill_value, dtype=None, device=None, requires_grad=False):
    """``fill_value`` in ``t``'s shape, and of its dtype and device unless given."""
    _check_tensor('minidl.full_like', t)
    return full(t.shape, fill_value, dtype=dtype or t.dtype, device=device or t.device,
                requires_grad=requires_grad)


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False):
    """Values from ``start`` to ``end`` (excluded) by ``step``: ``arange(end)`` starts at 0.

    The bounds and step are real numbers (Python, NumPy or 0-d tensors). The dtype, unless
    given, is int64, or the default float dtype if any of them is a float. For an integer
    dtype they are truncated to integers first, as in PyTorch: ``arange(0, 5, 0.5,
    dtype=int64)`` has step 0, and is refused.

    Example:
        >>> import minidl
        >>> minidl.arange(0, 1, 0.25)
        tensor([0.  , 0.25, 0.5 , 0.75])
    """
    if end is None:
        start, end = 0, start
    start, end, step = (_number('minidl.arange', v, numbers.Real, 'start, end and step must be real numbers')
                        for v in (start, end, step))
    if not all(math.isfinite(v) for v in (start, end, step)):
        raise ValueError(f"minidl.arange: unsupported range {start} -> {end} by step {step}")
    if dtype is None:
        floats = any(isinstance(v, float) for v in (start, end, step))
        dtype = backend.get_default_dtype() if floats else numpy.int64
    dtype = _numeric_dtype('minidl.arange', dtype)
    if dtype.kind in 'iu':
        start, end, step = int(start), int(end), int(step)
    if step == 0:
        raise ValueError("minidl.arange: step must be nonzero")
    if (end - start) * step < 0:
        raise ValueError(f"minidl.arange: upper bound and lower bound inconsistent with step sign "
                         f"(from {start} to {end} by {step})")
    xp = backend.xp_for(device)
    return Tensor(xp.arange(start, end, step).astype(dtype), requires_grad=requires_grad)


def linspace(start, end, steps, dtype=None, device=None, requires_grad=False):
    """``steps`` evenly spaced values from ``start`` to ``end`` (both included)."""
    return _factory('minidl.linspace', lambda xp, s, d: xp.linspace(start, end, steps).astype(d),
                    (steps,), dtype, device, requires_grad)


def eye(n, m=None, dtype=None, device=None, requires_grad=False):
    """The identity matrix (n x m; m defaults to n)."""
    return _factory('minidl.eye', lambda xp, s, d: xp.eye(*s, dtype=d), (n, n if m is None else m),
                    dtype, device, requires_grad)


def _random(name, draw, shape, dtype, device, requires_grad):
    """A new leaf tensor of ``draw(shape, dtype=, device=)`` samples (``backend.uniform`` or
    ``normal``), for ``rand`` and ``randn``: these draw floating dtypes only."""
    if dtype is not None and _numeric_dtype(name, dtype).kind != 'f':
        raise TypeError(f"{name}: random samples need a floating dtype, got {numpy.dtype(dtype)}")
    return _factory(name, lambda xp, s, d: draw(s, dtype=d, device=device), shape, dtype, device,
                    requires_grad)


def rand(*shape, dtype=None, device=None, requires_grad=False):
    """Samples of U[0, 1) from minidl's seeded generator."""
    return _random('minidl.rand', backend.uniform, shape, dtype, device, requires_grad)


def randn(*shape, dtype=None, device=None, requires_grad=False):
    """Samples of N(0, 1) from minidl's seeded generator."""
    return _random('minidl.randn', backend.normal, shape, dtype, device, requires_grad)


def randint(low, high=None, size=None, *, dtype=None, device=None, requires_grad=False):
    """Uniform samples of the integers in [low, high) from minidl's seeded generator, int64
    unless ``dtype`` says otherwise: ``randint(low, high, size)``, or ``randint(high, size)``
    from 0. ``size`` is a tuple (or list) of sizes.

    Example:
        >>> import minidl
        >>> minidl.randint(10, (2, 3)).shape
        (2, 3)
    """
    if size is None:
        low, high, size = 0, low, high
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"minidl.randint: size must be a tuple of ints, got {type(size).__name__}")
    low, high = (_number('minidl.randint', v, numbers.Integral, 'low and high must be integers')
                 for v in (low, high))
    if low >= high:
        raise ValueError(f"minidl.randint: low must be less than high, got low={low}, high={high}")
    dtype = _numeric_dtype('minidl.randint', numpy.int64 if dtype is None else dtype)
    _fit('minidl.randint', numpy.asarray([low, high - 1]), dtype)      # every sample fits the dtype
    return _factory('minidl.randint',
                    lambda xp, s, d: backend.integers(low, high, s, device=device).astype(d, copy=False),
                    (size,), dtype, device, requires_grad)

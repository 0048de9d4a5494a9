"""``Module``: the base class of every layer and model, and the containers built on it.

A Module is a function with state. Its ``forward`` says how it computes; its state lives in
three ordered dictionaries that ``__setattr__`` fills as attributes are assigned:

    _parameters   Parameters (learned, seen by the optimizer)
    _buffers      Tensors that are state but not learned (running statistics, ...)
    _modules      sub-Modules (so a model is a tree)

Everything else (``parameters()``, ``state_dict()``, ``to(device)``, ``train()``, the repr)
is a walk over that tree. Names follow PyTorch: ``fc1.weight`` is the ``weight`` parameter
of the sub-module ``fc1``.

Example:
    >>> import minidl
    >>> from minidl import nn
    >>> class TwoLayer(nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.fc1 = nn.Linear(2, 8)
    ...         self.fc2 = nn.Linear(8, 1)
    ...     def forward(self, x):
    ...         return self.fc2(self.fc1(x).relu())
    >>> model = TwoLayer()
    >>> [name for name, _ in model.named_parameters()]
    ['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']
    >>> model(minidl.randn(5, 2)).shape
    (5, 1)
"""
import collections
import math

import numpy

from .. import backend
from ..autograd.grad_mode import no_grad
from ..autograd.tensor import Tensor, zeros
from .parameter import Parameter, apply_constraint

IncompatibleKeys = collections.namedtuple('IncompatibleKeys', ['missing_keys', 'unexpected_keys'])


def _is_numeric_array(value, dtype):
    """Whether ``value`` is an array (NumPy, CuPy or a NumPy scalar) whose numbers fit a
    tensor of ``dtype``: bool, integer or real values for a real tensor (cast to its dtype,
    as PyTorch's ``load_state_dict`` casts them); complex ones only for a complex tensor."""
    kinds = 'biufc' if numpy.dtype(dtype).kind == 'c' else 'biuf'
    value_dtype = _numpy_dtype(value)
    return hasattr(value, 'shape') and value_dtype is not None and value_dtype.kind in kinds


def _numpy_dtype(value):
    """``value.dtype`` if it is a NumPy (or CuPy) dtype, None otherwise (no dtype, or another
    library's, such as torch's, which has no ``kind``)."""
    dtype = getattr(value, 'dtype', None)
    return dtype if isinstance(dtype, numpy.dtype) else None


def _checkpoint_array(value):
    """A ``load_state_dict`` value as an array: a Tensor's array; an array (NumPy, CuPy) as it
    is; another object that converts itself (``__array__``: a torch tensor from
    ``torch_module.state_dict()``) through ``numpy.asarray``, so that weights port from PyTorch;
    anything else, or an object that fails to convert (a torch tensor that requires grad), as
    it is, for ``load_state_dict`` to refuse, naming its key and its type."""
    if isinstance(value, Tensor):
        return value.data
    if _numpy_dtype(value) is not None or not hasattr(value, '__array__'):
        return value
    try:
        return numpy.asarray(value)
    except (TypeError, ValueError, RuntimeError):
        return value


class Module:
    """Base class of layers and models: subclass it, assign layers and Parameters in
    ``__init__`` (after ``super().__init__()``), and define ``forward``.

    Attributes:
        training: True in training mode (the default), False after ``eval()``; layers such
            as Dropout and BatchNorm behave differently in the two modes.
    """

    def __init__(self):
        object.__setattr__(self, '_parameters', collections.OrderedDict())
        object.__setattr__(self, '_buffers', collections.OrderedDict())
        object.__setattr__(self, '_non_persistent', set())
        object.__setattr__(self, '_modules', collections.OrderedDict())
        object.__setattr__(self, 'training', True)

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    # ------------------------------------------------------------------ registration
    def __setattr__(self, name, value):
        if '_parameters' not in self.__dict__:
            if isinstance(value, (Parameter, Module)):
                raise AttributeError(f"{type(self).__name__}: call super().__init__() before assigning "
                                     f"parameters or modules (assigning {name!r})")
            object.__setattr__(self, name, value)          # a plain attribute may come first
            return
        # A name that is already registered keeps its place in its table (the order of
        # parameters(), state_dict() and a Sequential's layers), as in PyTorch.
        if isinstance(value, Parameter):
            if name not in self._parameters:
                self._forget(name)
            self._parameters[name] = value
        elif isinstance(value, Module):
            if name not in self._modules:
                self._forget(name)
            self._modules[name] = value
        elif name in self._parameters:
            self._parameters[name] = self._checked_value(name, value, Parameter, 'parameter', 'nn.Parameter')
        elif name in self._modules:
            self._modules[name] = self._checked_value(name, value, Module, 'child module', 'a Module')
        elif name in self._buffers:
            self._buffers[name] = self._checked_value(name, value, Tensor, 'buffer', 'a Tensor')
        else:
            object.__setattr__(self, name, value)

    def _checked_value(self, name, value, kind, role, wanted):
        """``value`` if it may replace the registered ``role`` ``name`` (a ``kind``, or None)."""
        if value is not None and not isinstance(value, kind):
            raise TypeError(f"{type(self).__name__}: cannot assign a {type(value).__name__} as the {role} "
                            f"{name!r}; assign {wanted} (or None)")
        return value

    def _check_new_name(self, name, table, role):
        """A name for a new parameter, buffer or child: a non-empty str without '.' (the dots
        of state_dict keys join names) that no other attribute has, as PyTorch requires."""
        if not isinstance(name, str):
            raise TypeError(f"{type(self).__name__}: a {role} name must be a str, got {type(name).__name__}")
        if not name or '.' in name:
            raise KeyError(f"{type(self).__name__}: a {role} name must be non-empty and without '.', got {name!r}")
        if name not in table and hasattr(self, name):
            raise KeyError(f"{type(self).__name__}: attribute {name!r} already exists; a {role} cannot take its name")

    def _forget(self, name):
        """Remove ``name`` from every table and from the plain attributes."""
        for table in (self._parameters, self._buffers, self._modules):
            table.pop(name, None)
        self._non_persistent.discard(name)
        self.__dict__.pop(name, None)

    def __getattr__(self, name):                 # only called when normal lookup fails
        for table in ('_parameters', '_buffers', '_modules'):
            entries = self.__dict__.get(table)
            if entries is not None and name in entries:
                return entries[name]
        raise AttributeError(f"{type(self).__name__} has no attribute {name!r}")

    def __delattr__(self, name):
        if any(name in t for t in (self._parameters, self._buffers, self._modules)):
            self._forget(name)
        else:
            object.__delattr__(self, name)

    def register_parameter(self, name, parameter):
        """Add a Parameter (or None, a declared but absent one such as ``bias=False``)."""
        if parameter is not None and not isinstance(parameter, Parameter):
            raise TypeError(f"register_parameter: {name!r} must be a Parameter or None, "
                            f"got {type(parameter).__name__}")
        self._check_new_name(name, self._parameters, 'parameter')
        self._parameters[name] = parameter

    def register_buffer(self, name, tensor, persistent=True):
        """Add non-learned state (e.g. BatchNorm's ``running_mean``): it moves with ``to()``
        and, if ``persistent``, is saved in ``state_dict()``; optimizers never see it."""
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"register_buffer: {name!r} must be a Tensor or None, got {type(tensor).__name__}")
        self._check_new_name(name, self._buffers, 'buffer')
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent.discard(name)
        else:
            self._non_persistent.add(name)

    def add_module(self, name, module):
        """Add a child module (or None) under ``name``, as ``setattr`` does, with PyTorch's
        checks: the name is a new one (or the child's own) and the value a Module."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(self).__name__}: {name!r} must be a Module, got {type(module).__name__}")
        self._check_new_name(name, self._modules, 'child module')
        self._modules[name] = module

    # ------------------------------------------------------------------ walking the tree
    def named_modules(self, prefix=''):
        """(name, module) for this module ('' for itself) and every descendant, each once."""
        seen, stack = set(), [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if id(module) in seen:
                continue
            seen.add(id(module))
            yield name, module
            children = [(f"{name}.{child}" if name else child, m)
                        for child, m in module._modules.items() if m is not None]
            stack.extend(reversed(children))

    def modules(self):
        return (m for _, m in self.named_modules())

    def named_children(self):
        """(name, child) for each direct child, a child registered twice once."""
        seen = set()
        for name, m in self._modules.items():
            if m is not None and id(m) not in seen:
                seen.add(id(m))
                yield name, m

    def children(self):
        return (m for _, m in self.named_children())

    def _named_members(self, table, recurse):
        seen = set()
        modules = self.named_modules() if recurse else [('', self)]
        for prefix, module in modules:
            for name, value in getattr(module, table).items():
                if value is None or id(value) in seen:
                    continue
                seen.add(id(value))
                yield (f"{prefix}.{name}" if prefix else name), value

    def named_parameters(self, recurse=True):
        """(dotted name, Parameter) pairs in registration order; a shared one appears once."""
        return self._named_members('_parameters', recurse)

    def parameters(self, recurse=True):
        return (p for _, p in self.named_parameters(recurse))

    def named_buffers(self, recurse=True):
        return self._named_members('_buffers', recurse)

    def buffers(self, recurse=True):
        return (b for _, b in self.named_buffers(recurse))

    def apply(self, fn):
        """Call ``fn(module)`` on every sub-module (children first), then on self; returns self."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    # ------------------------------------------------------------------ modes and devices
    def train(self, mode=True):
        """Set training mode (``mode=False``: evaluation mode) here and, through each child's
        own ``train`` (which a layer may override), below; returns self."""
        if not isinstance(mode, bool):
            raise ValueError(f"{type(self).__name__}.train: mode must be a bool, got {mode!r}")
        object.__setattr__(self, 'training', mode)
        for child in self.children():
            child.train(mode)
        return self

    def eval(self):
        """Evaluation mode: ``train(False)``."""
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        """Freeze (False) or unfreeze every parameter; returns self."""
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def _convert(self, convert):
        """Replace the data (and grad) of every parameter and buffer by ``convert(data)``.

        The Tensor objects stay the same, so an optimizer that holds them keeps working.
        """
        with no_grad():
            for t in list(self.parameters()) + list(self.buffers()):
                t.data = convert(t.data)
                if t.grad is not None:
                    t.grad = Tensor(convert(t.grad.data))
        return self

    def to(self, *args, device=None, dtype=None):
        """Move parameters and buffers to a device and/or cast floating ones to a dtype,
        in place: ``model.to('cuda')``, ``model.to(minidl.float64)``. Returns self."""
        for arg in args:
            if isinstance(arg, str) and arg in backend.DEVICES:
                device = arg
            else:
                dtype = arg
        if device is not None:
            backend.xp_for(device)                  # a clear error if CuPy or the GPU is missing
            self._convert(lambda a: backend.to_device(a, device))
        if dtype is not None:
            dtype = numpy.dtype(dtype)
            self._convert(lambda a: a.astype(dtype) if a.dtype.kind == 'f' else a)
        return self

    def double(self):
        """Cast floating parameters and buffers to float64 (e.g. for gradcheck)."""
        return self.to(dtype=numpy.float64)

    def float(self):
        """Cast floating parameters and buffers to float32."""
        return self.to(dtype=numpy.float32)

    def cpu(self):
        return self.to(device='cpu')

    def cuda(self):
        return self.to(device='cuda')

    # ------------------------------------------------------------------ gradients and penalties
    def zero_grad(self, set_to_none=True):
        """Forget the gradients: ``.grad = None`` (default) or fill them with zeros."""
        for p in self.parameters():
            if set_to_none:
                p.grad = None
            elif p.grad is not None:
                p.grad.data.fill(0)                          # in place, as the optimizers' zero_grad

    def regularization_loss(self):
        """Σ p.regularizer(p) over the trainable parameters that have a regularizer
        (Keras-style penalties, added to the data loss; a frozen parameter, with
        ``requires_grad=False``, is left out as Keras leaves out non-trainable weights); a zero
        tensor when none has one."""
        penalties = [p.regularizer(p) for p in self.parameters() if p.regularizer is not None and p.requires_grad]
        if not penalties:
            first = next(self.parameters(), None)
            if first is None:
                return zeros(())
            return Tensor(backend.get_array_module(first.data).zeros((), dtype=first.dtype))
        total = penalties[0]
        for penalty in penalties[1:]:
            total = total + penalty
        return total

    def apply_constraints(self):
        """Project every parameter with its constraint, if any (call after each optimizer step)."""
        for p in self.parameters():
            apply_constraint(p)

    def grad_norms(self):
        """{name: L2 norm of the gradient, a float} for every parameter with a gradient."""
        norms = {}
        for name, p in self.named_parameters():
            if p.grad is not None:
                g = p.grad.data
                norms[name] = math.sqrt(float((g * g).sum()))
        return norms

    # ------------------------------------------------------------------ saving and loading
    def state_dict(self):
        """An ordered {dotted name: Tensor} of every parameter and persistent buffer.

        Each value is a new Tensor holding a *copy* of the data (on the same device, no
        gradient), so later training does not change a saved state.
        """
        state = collections.OrderedDict()
        for prefix, module in self.named_modules():
            entries = list(module._parameters.items()) + [
                (name, b) for name, b in module._buffers.items() if name not in module._non_persistent]
            for name, value in entries:
                if value is not None:
                    state[f"{prefix}.{name}" if prefix else name] = Tensor(value.data.copy())
        return state

    def load_state_dict(self, state_dict, strict=True):
        """Copy the values of ``state_dict`` (Tensors or arrays) into this module's
        parameters and buffers, keeping their dtype and device. Another array-like value (a
        torch tensor: ``torch_module.state_dict()``) is converted with ``numpy.asarray``.

        Everything is checked and converted before anything is written: keys missing from
        ``state_dict``, keys this module does not have (both only with ``strict=True``), shape
        mismatches and values that are not numeric arrays (a None, a string, complex numbers
        for a real parameter) raise one ValueError listing them all, and the module is left
        unchanged. Returns (missing_keys, unexpected_keys).

        Example:
            >>> from minidl import nn
            >>> a, b = nn.Linear(3, 2), nn.Linear(3, 2)
            >>> b.load_state_dict(a.state_dict())
            IncompatibleKeys(missing_keys=[], unexpected_keys=[])
            >>> nn.Linear(4, 2).load_state_dict(a.state_dict())
            Traceback (most recent call last):
            ...
            ValueError: load_state_dict for Linear failed, nothing was loaded:
              shape mismatches: weight: checkpoint (2, 3) vs model (2, 4)
        """
        own = {}
        for prefix, module in self.named_modules():
            for table in (module._parameters, module._buffers):
                for name, value in table.items():
                    if value is not None and not (table is module._buffers and name in module._non_persistent):
                        own[f"{prefix}.{name}" if prefix else name] = value
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        not_arrays, mismatched, converted = [], [], {}
        for key, value in state_dict.items():
            if key not in own:
                continue
            array = _checkpoint_array(value)
            target = own[key]
            if not _is_numeric_array(array, target.dtype):
                kind = _numpy_dtype(array) or type(array).__name__
                not_arrays.append(f"{key}: got {kind}, expected a numeric array for a {target.dtype} tensor")
            elif tuple(array.shape) != target.shape:
                mismatched.append(f"{key}: checkpoint {tuple(array.shape)} vs model {target.shape}")
            else:
                converted[key] = backend.to_device(
                    backend.get_array_module(array).asarray(array), target.device).astype(target.dtype)
        problems = []
        if strict and missing:
            problems.append(f"missing keys: {', '.join(missing)}")
        if strict and unexpected:
            problems.append(f"unexpected keys: {', '.join(unexpected)}")
        if mismatched:
            problems.append(f"shape mismatches: {'; '.join(mismatched)}")
        if not_arrays:
            problems.append(f"not numeric arrays: {'; '.join(not_arrays)}")
        if problems:
            raise ValueError(f"load_state_dict for {type(self).__name__} failed, nothing was loaded:\n  "
                             + '\n  '.join(problems))
        for key, array in converted.items():            # only now is anything written
            own[key].data = array
        return IncompatibleKeys(missing, unexpected)

    # ------------------------------------------------------------------ printing
    def extra_repr(self):
        """The arguments shown between the parentheses of the repr (override in layers)."""
        return ''

    def num_parameters(self):
        """The number of learned scalars (elements of all parameters)."""
        return sum(p.numel() for p in self.parameters())

    def __repr__(self):
        count = Module.num_parameters(self)
        note = f"  # {count:,} parameter{'s' if count > 1 else ''}" if count else ''
        children = list(self.named_children())
        if not children:
            return f"{type(self).__name__}({self.extra_repr()}){note}"
        lines = [f"{type(self).__name__}({self.extra_repr()}{note}"]
        for name, child in children:
            body = repr(child).replace('\n', '\n  ')
            lines.append(f"  ({name}): {body}")
        return '\n'.join(lines) + '\n)'


# ---------------------------------------------------------------------- containers
class Sequential(Module):
    """Modules applied one after the other: ``Sequential(a, b, c)(x) = c(b(a(x)))``.

    Takes modules, or one ``OrderedDict`` name -> module. Indexing gives a module (or a
    Sequential for a slice).

    Example:
        >>> import minidl
        >>> from minidl import nn
        >>> net = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
        >>> net(minidl.randn(5, 4)).shape, len(net), type(net[1]).__name__
        ((5, 2), 3, 'ReLU')
    """

    def __init__(self, *modules):
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], dict):         # an OrderedDict (or a dict)
            for name, module in modules[0].items():
                self.add_module(name, module)
        else:
            for i, module in enumerate(modules):
                self.add_module(str(i), module)

    def forward(self, x):
        for module in self._modules.values():
            x = module(x)
        return x

    def append(self, module):
        self.add_module(str(len(self)), module)
        return self

    def __getitem__(self, index):
        items = list(self._modules.items())
        if isinstance(index, slice):
            return type(self)(collections.OrderedDict(items[index]))
        return items[index][1]

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())


class ModuleList(Module):
    """A list of modules whose parameters are registered (a plain list's would be invisible).

    Example:
        >>> from minidl import nn
        >>> layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
        >>> len(layers), len(list(layers.parameters()))
        (3, 6)
    """

    def __init__(self, modules=()):
        super().__init__()
        self.extend(modules)

    def append(self, module):
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules):
        for module in modules:
            self.append(module)
        return self

    def insert(self, index, module):
        items = list(self._modules.values())
        items.insert(index, module)
        self._modules.clear()
        self.extend(items)

    def __getitem__(self, index):
        values = list(self._modules.values())
        return ModuleList(values[index]) if isinstance(index, slice) else values[index]

    def __setitem__(self, index, module):
        self.add_module(str(range(len(self))[index]), module)       # in place: the order stays

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())


class ModuleDict(Module):
    """A dict of modules whose parameters are registered, in insertion order.

    Example:
        >>> from minidl import nn
        >>> heads = nn.ModuleDict({'a': nn.Linear(4, 2), 'b': nn.Linear(4, 3)})
        >>> list(heads.keys()), heads['b'].out_features
        (['a', 'b'], 3)
    """

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def update(self, modules):
        items = modules.items() if hasattr(modules, 'items') else modules
        for name, module in items:
            self[name] = module

    def __getitem__(self, name):
        return self._modules[name]

    def __setitem__(self, name, module):
        if not isinstance(module, Module):
            raise TypeError(f"ModuleDict: {name!r} must be a Module, got {type(module).__name__}")
        self.add_module(name, module)

    def __delitem__(self, name):
        del self._modules[name]

    def __contains__(self, name):
        return name in self._modules

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules)

    def keys(self):
        return self._modules.keys()

    def values(self):
        return self._modules.values()

    def items(self):
        return self._modules.items()


class Identity(Module):
    """y = x (a placeholder, e.g. to remove a layer from a model).

    Example:
        >>> import minidl
        >>> from minidl import nn
        >>> nn.Identity()(minidl.tensor([1.0, 2.0]))
        tensor([1., 2.])
    """

    def forward(self, x):
        return x


class Flatten(Module):
    """Merge the axes ``start_dim`` .. ``end_dim`` (default: all but the batch axis).

    Example:
        >>> import minidl
        >>> from minidl import nn
        >>> nn.Flatten()(minidl.zeros(8, 3, 4, 4)).shape
        (8, 48)
    """

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x):
        return x.flatten(self.start_dim, self.end_dim)

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"

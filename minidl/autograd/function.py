"""``Function``: the unit of differentiation.

Reverse-mode automatic differentiation rests on one fact, the chain rule. If the loss L
depends on x only through y = f(x), then

    dL/dx = dL/dy · dy/dx        (a vector-Jacobian product: gx = Jᵀ gy)

so each operation only has to know how to turn the gradient of its output, ``gy``, into the
gradient of each input, ``gx``. A Function subclass says exactly that, in two methods:

* ``forward(self, *arrays)`` computes the output from raw xp arrays (NumPy or CuPy) and
  keeps what backward will need with ``self.save_for_backward(...)``;
* ``backward(self, *grad_outputs)`` returns one gradient per input, written with minidl
  Tensor operations, so that it reads like the math and can itself be differentiated
  (``backward(create_graph=True)`` gives second derivatives). minidl's own elementwise,
  shape and Linear ops write theirs with operators that arrays share too, and run them on
  the raw arrays when nothing is recorded (``backward_on_arrays``, below).

Calling a Function instance on tensors runs forward and, when gradients are wanted, records
the call as a node of the graph: which tensors went in (its "edges" to earlier nodes) and
what it saved. ``Tensor.backward()`` later walks these nodes from the loss back to the
leaves (see ``engine.py``).

Example, a Function a student might write and check::

    >>> import minidl
    >>> from minidl.autograd import Function
    >>> class Cube(Function):
    ...     '''y = x³;  dL/dx = dL/dy · 3x²'''
    ...     def forward(self, x):
    ...         self.save_for_backward(x)
    ...         return x ** 3
    ...     def backward(self, gy):
    ...         x, = self.saved_tensors
    ...         return gy * 3 * x * x
    >>> x = minidl.tensor([1.0, 2.0], requires_grad=True)
    >>> Cube()(x).sum().backward()
    >>> x.grad
    tensor([ 3., 12.])
    >>> minidl.gradcheck(Cube(), [minidl.tensor([0.5, -1.5], requires_grad=True)])
    True
"""
import itertools
import numbers

import numpy

from .. import backend
from . import anomaly, grad_mode
from .tensor import Tensor

_ndarray = numpy.ndarray
_grad_state = grad_mode._state          # read directly on the hot path: {'enabled': bool}
_anomaly_state = anomaly._state         # {'enabled': bool, 'check_nan': bool, 'in_backward': bool}
_creation_numbers = itertools.count()   # numbers the recorded nodes in order (see engine.py)


class Function:
    """Base class of every differentiable operation (see the module docstring).

    Attributes available in ``backward``:
        saved_tensors: what forward passed to ``save_for_backward``, as Tensors. When
            backward is itself recorded (``create_graph=True``), an input or an output of
            this call comes back attached to the graph, so that backward can be
            differentiated again; any other array comes back as a constant.
        needs_input_grad: one bool per input, False where no gradient is wanted (backward
            may return None there and skip the work).
        input_shapes: the shape of each input, e.g. to undo broadcasting.

    ``backward_on_arrays``: False here, so backward always gets Tensors. An op whose backward
    uses only what xp arrays and Tensors share (operators, ``.shape``, ``.T``, ``.reshape``,
    ``.sum(0)``) may set it True: outside ``create_graph`` its backward then gets the output
    gradients and ``saved_tensors`` as raw arrays and may return arrays, which spares each
    gradient a Tensor around it (on 1-element tensors the Tensors around a Mul's two products
    cost more than the products: ``benchmarks/NOTES.md``, eighteenth pass); under
    ``create_graph`` it gets Tensors, as any other. The flag describes a backward formula, so a
    subclass that writes its own backward gets Tensors unless it sets the flag itself.
    """

    backward_on_arrays = False
    _edges = None           # the recorded call's edges; None until a call is recorded (see _record)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if 'backward' in cls.__dict__ and 'backward_on_arrays' not in cls.__dict__:
            cls.backward_on_arrays = False          # a new formula: Tensors, unless it says otherwise

    # ------------------------------------------------------------------ user interface
    def forward(self, *arrays):                         # abstract
        raise NotImplementedError(f"{type(self).__name__} must define forward(*arrays)")

    def backward(self, *grad_outputs):                  # abstract
        raise NotImplementedError(f"{type(self).__name__} must define backward(*grad_outputs)")

    def save_for_backward(self, *arrays):
        """Keep arrays for backward; read them back there as ``self.saved_tensors``."""
        self._to_save = arrays

    @classmethod
    def apply(cls, *inputs, **params):
        """PyTorch-style spelling: ``Exp.apply(x)`` is ``Exp()(x)``."""
        return cls(**params)(*inputs)

    # ------------------------------------------------------------------ recording the call
    def __call__(self, *inputs):
        # The hot path of every op: kept free of helper calls and generators, so that the
        # Python around a small op costs about as much as the op itself.
        tensors = _as_tensors(inputs, self)
        arrays = [t.data for t in tensors]
        record = False
        if _grad_state['enabled']:
            for t in tensors:
                if t.requires_grad:
                    if self._edges is not None:     # before forward, which may overwrite what it saved
                        self._refuse_second_record()
                    record = True
                    break
        # What forward saves waits in _to_save and becomes _saved only if the call is recorded:
        # an unrecorded call must not replace what an earlier recorded call of it saved.
        self._to_save = ()
        try:
            outputs = self.forward(*arrays)
        except ValueError as error:            # NumPy's words, made to name the op and shapes
            if 'broadcast' not in str(error):
                raise
            shapes = ' and '.join(str(a.shape) for a in arrays)
            raise ValueError(f"{self._name()}: shapes {shapes} cannot be broadcast together") from None
        single = type(outputs) is not tuple
        if single:
            raw_outputs = (outputs,)
            outputs = (outputs if type(outputs) is _ndarray else _as_array(outputs, arrays),)
        else:
            raw_outputs, outputs = outputs, tuple([_as_array(y, arrays) for y in outputs])
        if _anomaly_state['enabled'] and _anomaly_state['check_nan'] and not _anomaly_state['in_backward']:
            for i, y in enumerate(outputs):
                anomaly.raise_if_nan(y, self, f"forward output {i}", backward=False)
        if record:
            return self._record(tensors, arrays, raw_outputs, outputs, single)
        if single:
            return Tensor(outputs[0])
        return tuple([Tensor(y) for y in outputs])

    def _record(self, tensors, arrays, raw_outputs, outputs, single):
        """Remember the graph edges, the input metadata and what backward will need, and
        return the output Tensors (one, if forward returned one array, else a tuple; an
        integer or bool output has no gradient: it is a leaf).

        ``raw_outputs`` are what forward returned (NumPy turns 0-d results into scalars),
        ``outputs`` the arrays made of them. The saved arrays are kept as they are: which of
        them are inputs or outputs matters only to a recorded backward, and ``saved_tensors``
        finds that out then, from the edges and the outputs' ids (a recording costs less than
        a lookup per save). Only whether an output was saved is found out here (by identity),
        to give that output a version cell, as every input of a call that saves has.

        The node does not keep its outputs, only their ``id``s (and, with several outputs,
        their shapes and dtypes, for the zero gradient of an output nobody used), as PyTorch's
        nodes keep only their outputs' metadata. Most outputs are needed by nobody once the
        next op has run: a convolution's result once ReLU has made its own, ReLU's once max
        pooling has. Kept by their nodes, they would all stay alive until backward: half as
        much memory again at the peak of a training step (the benchmark CNN at batch 64: 23.9
        MB of arrays against 15.5; ``benchmarks/NOTES.md``, fourteenth pass). An id is enough
        to recognise a saved output later: a saved array and the outputs were all alive at
        this call, so their ids are equal only if they are the same array; the same holds for
        an input and the id its producer recorded for it.
        """
        shapes, dtypes, needs, edges = [], [], [], []
        for t, a in zip(tensors, arrays):
            shapes.append(a.shape)
            dtypes.append(a.dtype)
            if t.requires_grad:
                needs.append(True)
                node = t.grad_fn
                edges.append((t, None) if node is None else (node, t._output_index))    # None: a leaf
            else:
                needs.append(False)
                edges.append(None)
        self.input_shapes = tuple(shapes)
        self.input_dtypes = tuple(dtypes)
        self.needs_input_grad = tuple(needs)
        self._edges = tuple(edges)
        if len(outputs) == 1:                       # the common case, without map's setup
            self._output_ids = (id(outputs[0]),)
        else:
            self._output_ids = tuple(map(id, outputs))
            self._output_metadata = tuple([(y.shape, y.dtype) for y in outputs])
        self._number = next(_creation_numbers)
        if single:
            y = outputs[0]
            results = Tensor(y, True, self) if y.dtype.kind == 'f' else Tensor(y)
        else:
            results = tuple([Tensor(y, True, self, i) if y.dtype.kind == 'f' else Tensor(y)
                             for i, y in enumerate(outputs)])
        to_save = self._saved = self.__dict__.pop('_to_save')
        if to_save:
            if raw_outputs[0] is not outputs[0] or not single:  # a 0-d result may have been wrapped
                to_save = self._saved = tuple([_wrapped_output(a, raw_outputs, outputs) for a in to_save])
            versions = []                           # to tell, in backward, if a saved tensor was changed
            for t, a in zip(tensors, arrays):
                cell = t._version
                if cell is None:                    # (Tensor._version_cell, inlined: the hot path)
                    cell = t._version = [0]
                versions.append((cell, cell[0], id(a)))
            if single:                              # an output saved too gets its cell (Exp saves y)
                y = outputs[0]
                for a in to_save:
                    if a is y:                      # (_add_output_versions, inlined: the hot path)
                        cell = results._version = [0]
                        versions.append((cell, 0, id(y)))
                        break
            else:
                _add_output_versions(versions, results, to_save)
            self._versions = versions
        if _anomaly_state['enabled']:
            self._creation_stack = anomaly.creation_stack()
        return results

    def _refuse_second_record(self):
        """A Function instance is the graph node of the call it recorded, so it cannot record
        a second one (an unrecorded call, under ``no_grad`` or on constants, is allowed)."""
        name = type(self).__name__
        raise RuntimeError(
            f"{self._name()}: this {name} instance was already called with gradients recorded; it is "
            "that call's node in the graph and can record only one call. Make a new instance for "
            f"each call, e.g. {name}()(x) or {name}.apply(x).")

    # ------------------------------------------------------------------ used by backward
    @property
    def saved_tensors(self):
        for cell, count, array_id in self.__dict__.get('_versions', ()):
            if cell[0] != count:
                self._check_unchanged(array_id)
        if not _grad_state['enabled']:              # backward is not recorded: values suffice
            return self._saved if self.backward_on_arrays else tuple([Tensor(a) for a in self._saved])
        return tuple([self._saved_on_graph(a) for a in self._saved])

    def _check_unchanged(self, array_id):
        """Raise if the input or output whose array has ``array_id``, changed in place since
        forward (its version moved on), is one that forward saved: backward would compute
        with the new values. (The ids are those of arrays alive at the recording, saved ones
        included.)"""
        if any(id(a) == array_id for a in self._saved):
            ids = self._output_ids
            which = f"output {ids.index(array_id)}" if array_id in ids else "an input"
            raise RuntimeError(
                f"{self._name()}: a tensor that forward saved for backward was changed in place since "
                "(with +=, -=, *=, /=, t[...] = ... or an optimizer step), so the gradient would use its "
                f"new values (the tensor is {which} of {self._name()}). Run backward before changing it, "
                "or change a copy.")

    def _saved_on_graph(self, array):
        """A saved array as a Tensor in its place in the graph, for a recorded backward
        (``create_graph``): an input (a leaf, or an output of an earlier node), an output of
        this call, or else a constant."""
        for edge in self._edges:
            if edge is None:
                continue
            target, index = edge
            if index is None:                       # a leaf
                if target.data is array:
                    return target
            else:
                ids = target.__dict__.get('_output_ids')      # None once the node is released
                if ids is not None and ids[index] == id(array):     # that input's array (see _record)
                    return Tensor(array, requires_grad=True, grad_fn=target, output_index=index)
        for i, output_id in enumerate(self._output_ids):
            if output_id == id(array):
                return Tensor(array, requires_grad=True, grad_fn=self, output_index=i)
        return Tensor(array)

    def _name(self):
        """How error messages name this op, e.g. ``add (+)``."""
        symbol = getattr(self, 'symbol', None)
        name = type(self).__name__.lower()
        return f"{name} ({symbol})" if symbol else name

    def __repr__(self):
        return f"<{type(self).__name__}Backward>"


# ---------------------------------------------------------------------- helpers
def _as_tensors(inputs, op):
    """Turn the inputs of an op into Tensors: Python/NumPy scalars and arrays are constants.

    A Python number takes the dtype of the Tensor it meets (a float meeting an integer tensor
    becomes the default float dtype), as in PyTorch. All Tensors must be on one device.
    ``op`` (the Function, or a name) names the op in error messages.
    """
    array_type = type(inputs[0].data) if inputs and isinstance(inputs[0], Tensor) else None
    for x in inputs:
        if not isinstance(x, Tensor) or type(x.data) is not array_type:
            break
    else:
        return inputs                                   # the common case: nothing to convert
    op_name = op if isinstance(op, str) else type(op).__name__
    reference = array_type = None
    for x in inputs:
        if isinstance(x, Tensor):
            reference, array_type = x, type(x.data)
            break
    tensors, float_scalar = [], False
    for x in inputs:
        if isinstance(x, Tensor):
            if type(x.data) is not array_type and x.device != reference.device:
                device = reference.device
                raise RuntimeError(
                    f"{op_name}: expected all tensors on one device, but found tensors on "
                    f"{device} and {x.device}. Move them with .to('{device}') or .to('{x.device}').")
            tensors.append(x)
        elif type(x) is float or type(x) is int or isinstance(x, (numbers.Number, numpy.generic)):
            tensors.append(Tensor(_scalar_array(x, reference)))
            float_scalar |= isinstance(x, (float, numpy.floating))
        elif hasattr(x, 'dtype') and hasattr(x, 'shape'):
            if reference is not None and backend.device_of(x) != reference.device:
                raise RuntimeError(
                    f"{op_name}: got an array on {backend.device_of(x)} and a tensor on "
                    f"{reference.device}; move one of them first.")
            tensors.append(Tensor(x))
        else:
            raise TypeError(f"{op_name}: expected Tensors, numbers or arrays, got {type(x).__name__}")
    if float_scalar and reference is not None and reference.dtype.kind in 'iub':   # int tensor * 2.5 -> float32, as in PyTorch
        tensors = [Tensor(t.data.astype(backend.get_default_dtype())) if t.dtype.kind in 'iub' else t
                   for t in tensors]
    return tensors


def _scalar_array(value, reference):
    """A 0-d array for a Python/NumPy scalar, with the dtype PyTorch would give it."""
    if reference is None:
        return numpy.asarray(value, dtype=_default_scalar_dtype(value))
    ref = reference.data.dtype
    if ref.kind == 'f' and (type(value) is float or type(value) is int):     # the common case
        dtype = ref
    elif isinstance(value, (bool, numpy.bool_)):
        dtype = ref
    elif isinstance(value, (numbers.Integral, numpy.integer)):
        dtype = ref if ref.kind in 'iuf' else numpy.dtype(numpy.int64)
    else:
        dtype = ref if ref.kind == 'f' else backend.get_default_dtype()
    return backend.get_array_module(reference.data).asarray(value, dtype=dtype)


def _default_scalar_dtype(value):
    if isinstance(value, (bool, numpy.bool_)):
        return numpy.bool_
    if isinstance(value, (numbers.Integral, numpy.integer)):
        return numpy.int64
    return backend.get_default_dtype()


def _as_array(y, inputs):
    """NumPy reductions return scalars, not 0-d arrays: wrap them back."""
    if type(y) is numpy.ndarray:
        return y
    if isinstance(y, numpy.generic):
        return numpy.asarray(y)
    if not hasattr(y, 'shape'):
        return backend.get_array_module(*inputs).asarray(y)
    return y


def _add_output_versions(versions, results, saved):
    """Give each output Tensor in ``results`` that forward saved (its array is in ``saved``)
    a new version cell, and add it to the node's ``versions``: a change in place of the
    output (``y += 1`` under ``no_grad``) is then caught by ``saved_tensors``, as one of a
    saved input is. Only a call that saved an output pays for this."""
    for y in results:
        if any(a is y.data for a in saved):
            cell = y._version = [0]
            versions.append((cell, 0, id(y.data)))


def _wrapped_output(array, raw_outputs, outputs):
    """A saved raw output (a NumPy scalar) replaced by the 0-d array the caller received."""
    for raw, y in zip(raw_outputs, outputs):
        if array is raw:
            return y
    return array

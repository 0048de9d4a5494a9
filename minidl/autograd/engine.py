"""The backward pass: walk the graph from the outputs to the leaves, applying the chain rule.

Every recorded Function call is a node; its edges lead to the nodes (or leaf tensors) that
produced its inputs. ``backward`` does three things:

1. **Order.** A node may only run its backward once the gradients of *all* its outputs are
   complete, i.e. after every node that used those outputs. Every node that used an output
   was created later than the node that made it, so the nodes are numbered as they are
   recorded, and backward always runs the pending node with the *largest* number: a heap of
   the nodes that have received a gradient so far. No separate sort of the graph and no
   recursion (a chain of 10,000 operations is fine); PyTorch's engine orders its work the
   same way. Why it is enough: when a node N is taken, any consumer C of N that backward
   reaches lies on a path from the root whose first unfinished node is already in the heap,
   and that node's number is at least C's, which is larger than N's, so it would have been
   taken first.
2. **Propagate.** In that order, each node turns the gradients of its outputs into
   gradients of its inputs (``Function.backward``); a tensor used several times receives
   the *sum* of the gradients of its uses (the multivariate chain rule).
3. **Deliver and free.** Gradients that reach a leaf are added to its ``.grad`` (or, for
   ``minidl.autograd.grad``, returned instead); each node frees its saved arrays as soon as
   it has run, unless ``retain_graph=True``. Checks that ops on a GPU deferred (such as
   cross_entropy's targets, see ``backend.check_later``) are verified before that delivery.

Without ``create_graph`` the backward computations run under ``no_grad``, and the gradients
travel between nodes as raw arrays: only a backward that asks for Tensors (every Function a
user writes) gets them wrapped, and sums are array sums. With ``create_graph`` they are
Tensors and everything is recorded too, so the gradients can be differentiated again.

Example (a Hessian-vector product):
    >>> import minidl
    >>> x = minidl.tensor([1.0, 2.0], requires_grad=True)
    >>> y = (x ** 3).sum()
    >>> g, = minidl.autograd.grad(y, x, create_graph=True)      # 3x²
    >>> hv, = minidl.autograd.grad(g, x, grad_outputs=minidl.tensor([1.0, 0.0]))
    >>> hv                                                       # 6x · v
    tensor([6., 0.])
"""
import heapq

from ..backend import get_array_module, verify_checks
from . import anomaly, grad_mode
from .function import _as_array
from .tensor import Tensor, ones_like


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Add the gradients of ``tensors`` to the ``.grad`` of the leaves (``Tensor.backward``).

    With ``inputs`` (leaves or intermediate tensors), only those receive gradients.
    """
    if inputs is not None:
        inputs = _checked_inputs(inputs, 'backward')
    roots, root_grads = _prepare_roots(tensors, grad_tensors, 'backward')
    retain_graph = create_graph if retain_graph is None else retain_graph
    only = None if inputs is None else {id(t) for t in inputs}
    inner = [] if inputs is None else list({id(t): t for t in inputs if not t.is_leaf}.values())  # once each
    leaf_grads, captured = _run(roots, root_grads, retain_graph, create_graph, capture=inner)
    verify_checks()                 # a check a GPU op deferred fails here, before any .grad changes
    handed_out = {id(g.data) for g in root_grads}      # arrays someone else may hold
    delivered = list(leaf_grads.values()) + [(inner[i], g) for i, g in captured.items()]
    for tensor, grad in delivered:
        if only is not None and id(tensor) not in only:
            continue
        if not create_graph:
            grad = Tensor(_owned(grad, handed_out))
        tensor.grad = grad if tensor.grad is None else tensor.grad + grad


def _owned(array, handed_out):
    """``array``, or a copy of it if it may share memory with another gradient.

    A ``.grad`` must own its memory (optimizers and clipping update it in place), but a
    backward may pass one array on unchanged: Add gives ``gy`` to both inputs, Reshape gives a
    view of it. A view (``array.base`` set) or an array already handed out is copied; a fresh
    result, such as a matrix product, is kept as it is.
    """
    if array.base is not None or id(array) in handed_out:
        array = array.copy()
    handed_out.add(id(array))
    return array


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         allow_unused=False):
    """The gradients of ``outputs`` with respect to ``inputs``, returned as a tuple.

    Nothing is added to any ``.grad``. ``inputs`` may be leaves or intermediate tensors.
    With ``create_graph=True`` the results are part of a graph themselves, so they can be
    differentiated again (second derivatives, Hessian-vector products).
    """
    inputs = _checked_inputs(inputs, 'autograd.grad')
    roots, root_grads = _prepare_roots(outputs, grad_outputs, 'autograd.grad')
    retain_graph = create_graph if retain_graph is None else retain_graph
    leaf_grads, captured = _run(roots, root_grads, retain_graph, create_graph, capture=inputs)
    verify_checks()
    results = []
    for i, t in enumerate(inputs):
        g = leaf_grads[id(t)][1] if t.is_leaf and id(t) in leaf_grads else captured.get(i)
        if g is None and not allow_unused:
            raise RuntimeError(f"autograd.grad: input {i} (shape {t.shape}) was not used to compute "
                               "the outputs; pass allow_unused=True to get None for it")
        results.append(g if g is None or create_graph else Tensor(g))
    return tuple(results)


# ---------------------------------------------------------------------- internals
def _as_list(x):
    return [x] if isinstance(x, Tensor) else list(x)


def _checked_inputs(inputs, caller):
    """The ``inputs`` of backward() or grad() as a list, refused (RuntimeError naming
    ``caller``) if empty or if one is not a Tensor that requires grad, as in PyTorch."""
    inputs = _as_list(inputs)
    if not inputs:
        raise RuntimeError(f"{caller}: the `inputs` argument cannot be empty (as in PyTorch)")
    for i, t in enumerate(inputs):
        if not isinstance(t, Tensor) or not t.requires_grad:
            what = f"a tensor of shape {t.shape} that does not require grad" if isinstance(t, Tensor) \
                else type(t).__name__
            raise RuntimeError(f"{caller}: every one of `inputs` must be a Tensor with requires_grad=True; "
                               f"input {i} is {what}")
    return inputs


def _prepare_roots(tensors, grad_tensors, caller):
    tensors = _as_list(tensors)
    if grad_tensors is not None and not isinstance(grad_tensors, (Tensor, list, tuple)):
        raise TypeError(f"{caller}: gradients must be Tensors or None (one, or a list of them), "
                        f"got {type(grad_tensors).__name__}")
    grads = [None] * len(tensors) if grad_tensors is None else _as_list(grad_tensors)
    for g in grads:
        if g is not None and not isinstance(g, Tensor):
            raise TypeError(f"{caller}: gradients must be Tensors or None, got {type(g).__name__}")
    if len(grads) != len(tensors):
        raise RuntimeError(f"{caller}: got {len(tensors)} outputs but {len(grads)} gradients")
    roots, root_grads = [], []
    for t, g in zip(tensors, grads):
        if not t.requires_grad:
            raise RuntimeError(f"{caller}: the tensor (shape {t.shape}) does not require grad and has "
                               "no grad_fn; did you set requires_grad=True on the inputs, or compute it "
                               "under no_grad()?")
        if g is None:
            if t.numel() != 1:
                raise RuntimeError(f"{caller}: gradient can only be implied for a single-element "
                                   f"output, got shape {t.shape}; pass gradient=, a tensor of that shape")
            g = ones_like(t)
        if g.shape != t.shape:
            raise RuntimeError(f"{caller}: gradient of shape {g.shape} given for an output of shape {t.shape}")
        if g.dtype != t.dtype:          # as PyTorch's engine: a root's gradient takes the root's dtype
            g = g.to(t.dtype)
        roots.append((t.grad_fn, t._output_index) if t.grad_fn is not None else (t, None))
        root_grads.append(g)
    return roots, root_grads


def _run(roots, root_grads, retain_graph, create_graph, capture):
    """The backward pass proper. Returns ({id(leaf): (leaf, grad)}, {capture index: grad}).

    Without ``create_graph`` nothing is recorded, so the gradients travel as raw arrays: a
    backward gets them as Tensors only if it asks for Tensors (``Function.backward_on_arrays``
    is False, as for every Function a user writes), and the sums of gradients are array sums.
    With ``create_graph`` they travel as Tensors, so that every sum and every backward is
    recorded. The gradients returned are in the same form.
    """
    node_grads = {}                  # id(node) -> [grad of each output]
    leaf_grads = {}                  # id(leaf) -> (leaf, summed grad)
    pending = []                     # heap of (-creation number, node): the latest node first
    wanted = {}                      # (id(node), output index) -> [positions in capture]
    for i, t in enumerate(capture):
        if t.grad_fn is not None:
            wanted.setdefault((id(t.grad_fn), t._output_index), []).append(i)
    captured = {}
    anomaly_mode = anomaly.is_anomaly_enabled()
    check_nan = anomaly_mode and anomaly.is_anomaly_check_nan_enabled()
    if not roots:
        return leaf_grads, captured
    edges, input_grads = roots, root_grads if create_graph else [g.data for g in root_grads]
    array_type = None if create_graph else type(input_grads[0])     # numpy.ndarray or cupy.ndarray
    with grad_mode.set_grad_enabled(create_graph):
        while True:
            # Deliver the gradients (first the roots', then each node's): each adds to what
            # its edge's target has received, a leaf (index None) or a node's output; a node
            # receiving its first gradient joins the heap of pending nodes.
            for edge, g in zip(edges, input_grads):
                if edge is None or g is None:
                    continue
                target, index = edge
                key = id(target)
                if index is None:
                    previous = leaf_grads.get(key)
                    leaf_grads[key] = (target, g if previous is None else _add(previous[1], g))
                    continue
                slots = node_grads.get(key)
                if slots is None:
                    output_ids = target.__dict__.get('_output_ids')
                    if output_ids is None:              # its graph was freed by a backward before
                        raise RuntimeError(_FREED.format(type(target).__name__))
                    slots = node_grads[key] = [None] * len(output_ids)
                    heapq.heappush(pending, (-target._number, target))
                previous = slots[index]
                slots[index] = g if previous is None else _add(previous, g)
            if not pending:
                break
            # Run the latest pending node's backward: its outputs' gradients are complete.
            node = heapq.heappop(pending)[1]
            grads = node_grads.pop(id(node))
            if len(grads) > 1:       # a multi-output node: outputs nobody used get zeros
                used = next(g for g in grads if g is not None)
                for i, g in enumerate(grads):
                    if g is None:
                        grads[i] = _zeros_for(node, i, used)
            if wanted:
                for i, g in enumerate(grads):
                    for position in wanted.get((id(node), i), ()):     # grad(y, [h, h]): both
                        captured[position] = g
            if '_retained' in node.__dict__:             # retain_grad(): summed over backward calls
                for i, t in node._retained.items():
                    g = grads[i] if create_graph else Tensor(grads[i].copy())
                    t.grad = g if t.grad is None else t.grad + g
            if not (create_graph or node.backward_on_arrays):
                grads = [Tensor(g) for g in grads]
            if anomaly_mode:
                with anomaly.inside_backward(node):
                    input_grads = node.backward(*grads)
            else:
                input_grads = node.backward(*grads)
            if type(input_grads) is not tuple:
                input_grads = (input_grads,)
            input_grads = _checked_input_grads(node, input_grads, array_type, check_nan)
            edges = node._edges
            if not retain_graph:
                node.__dict__.clear()        # free what the node holds: its part of the graph is used up
    return leaf_grads, captured


_FREED = ("Trying to backward through {} a second time, but its saved values were freed after the "
          "first backward. Pass retain_graph=True to the first backward() if you need to call it twice.")


def _add(a, b):
    """The sum of two gradients: recorded under ``create_graph`` (Tensors), else an array sum
    (NumPy returns a scalar for two 0-d arrays: it is made a 0-d array again)."""
    return _as_array(a + b, (a,))


def _zeros_for(node, index, used):
    """A zero gradient for an output of ``node`` that nothing downstream used, on the device
    and in the form (array or Tensor) of ``used``, the gradient of another output."""
    shape, dtype = node._output_metadata[index]
    if isinstance(used, Tensor):
        return Tensor(get_array_module(used.data).zeros(shape, dtype=dtype))
    return get_array_module(used).zeros(shape, dtype=dtype)


def _checked_input_grads(node, input_grads, array_type, check_nan):
    """The gradients a backward returned, in the engine's form (arrays, or Tensors under
    ``create_graph``), after catching a backward that returns the wrong number or shape of
    gradients (and, with ``check_nan``, in anomaly mode, one holding NaN).

    A backward returns Tensors; one that ``backward_on_arrays`` may return arrays when it was
    given arrays (of ``array_type``, None under ``create_graph``). A gradient always has its
    input's dtype (a float32 leaf gets a float32 .grad).
    """
    if len(input_grads) != len(node._edges):
        _refuse_count(node, input_grads)
    shapes, dtypes, checked = node.input_shapes, node.input_dtypes, []
    create_graph, arrays_taken = array_type is None, node.backward_on_arrays
    for i, g in enumerate(input_grads):
        if g is not None:
            if type(g) is not array_type or not arrays_taken:
                g = _in_engine_form(node, i, g, create_graph)
            if g.shape != shapes[i]:
                raise RuntimeError(f"{type(node).__name__}.backward returned a gradient of shape "
                                   f"{tuple(g.shape)} for input {i}, which has shape {shapes[i]}")
            if check_nan:
                anomaly.raise_if_nan(g.data if create_graph else g, node,
                                     f"backward, gradient for input {i}", backward=True)
            if g.dtype is not dtypes[i] and g.dtype != dtypes[i]:
                g = g.to(dtypes[i]) if create_graph else g.astype(dtypes[i])
        checked.append(g)
    return checked


def _refuse_count(node, input_grads):
    """The error for a backward that returned the wrong number of gradients, or a list."""
    name = type(node).__name__
    if len(input_grads) == 1 and type(input_grads[0]) is list:
        raise TypeError(f"{name}.backward returned a list; return the gradients as a tuple, one per "
                        f"input (the op has {len(node._edges)} inputs)")
    raise RuntimeError(f"{name}.backward returned {len(input_grads)} gradients, but the op has "
                       f"{len(node._edges)} inputs")


def _in_engine_form(node, i, g, create_graph):
    """Gradient ``g`` for input ``i`` of ``node`` as the engine carries it: a Tensor under
    ``create_graph``, else an array (a Tensor's own, or an array a ``backward_on_arrays``
    returned, a NumPy scalar made a 0-d array)."""
    if isinstance(g, Tensor):
        return g if create_graph else g.data
    if not create_graph and node.backward_on_arrays and hasattr(g, 'dtype') and hasattr(g, 'shape'):
        return _as_array(g, ())
    raise TypeError(f"{type(node).__name__}.backward must return Tensors (or None), got "
                    f"{type(g).__name__} for input {i}")

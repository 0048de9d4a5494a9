"""Gradient checking: compare a backward pass with finite differences.

The derivative of a function f at x along a direction r is the limit of

    (f(x + δr) - f(x - δr)) / (2δ)        (a *central* difference: its error is O(δ²))

and backpropagation claims it equals ⟨∇f(x), r⟩. With δ = 1e-6 in float64 the two agree to
about 1e-9 for a correct backward; in float32 rounding (about 1e-7 relative) divided by δ
swamps the comparison, which is why the check upcasts to float64 first.

``gradcheck`` reduces each output y_k of ``fn`` to one number, s_k = ⟨w_k, y_k⟩ with fixed
random weights w_k, so that one backward per output gives the gradient of s_k with respect to
every input (a bug cannot hide behind a symmetric output: the weights are not all equal).
By default it then checks

    every element of every input: two evaluations of ``fn`` each (x ± δ in that element),
    which give the differences of every s_k at once, compared with the backward's value.

It reports the worst element of each (output, input) pair in a table, as PyTorch names a
mismatch "for output k with respect to input i". This is PyTorch's default
(``fast_mode=False``), up to one difference: PyTorch compares every entry of the Jacobian
∂y_k/∂x_i (a backward per output element), minidl every element of w_kᵀ ∂y_k/∂x_i, the
Jacobian's rows weighted and summed (one backward per output); a wrong entry goes unseen only
if its error, times its random weight, falls below the tolerance.

``fast_mode=True`` (PyTorch's name for it) checks instead one random direction r over all
inputs at once, Σ_k ⟨∇s_k, r⟩ against its central difference: two evaluations of ``fn`` in all,
whatever the size of the inputs. It is fast but weak: of n input elements, one wrong element
enters that single number with a weight of about 1/√n, so a 1% error in one element of a
thousand passes the tolerance. Use it for large inputs whose op is checked fully elsewhere;
if the direction fails, every element is checked, to name the culprit.

Non-differentiable points (kinks, e.g. relu at 0) make the two one-sided differences
disagree; the check detects that and says so rather than blaming the backward.

Example: check a student's Function (``gradcheck`` is public API for exactly this)::

    >>> import minidl
    >>> from minidl.autograd import Function
    >>> class Square(Function):
    ...     def forward(self, x):
    ...         self.save_for_backward(x)
    ...         return x * x
    ...     def backward(self, gy):
    ...         x, = self.saved_tensors
    ...         return gy * 2 * x
    >>> x = minidl.randn(3, 4, requires_grad=True)
    >>> minidl.gradcheck(Square(), [x])
    True
"""
import contextlib
import copy

import numpy

from ..backend import get_array_module
from . import grad_mode
from .function import Function
from .tensor import Tensor

GRADES = ((1e-7, 'fine'), (1e-4, 'look closer'), (1e-2, 'suspicious'), (numpy.inf, 'wrong'))


class GradcheckError(AssertionError):
    """Raised when analytic and numeric gradients disagree; the message holds the table.

    ``report`` is the list of per-(output, input) rows (dicts) the table was made from.
    """

    def __init__(self, message, report):
        super().__init__(message)
        self.report = report


def grade(relative_error):
    """The classic reading of a gradient check's relative error, in words."""
    for limit, word in GRADES:
        if relative_error < limit:
            return word
    return 'wrong'


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-4, *, fast_mode=False, seed=0, full=None):
    """Check the gradients of ``fn`` at ``inputs`` against central differences, in float64.

    Args:
        fn: a callable taking ``*inputs`` and returning a Tensor or a tuple of Tensors
            (a Function instance works: each evaluation calls a copy of it). It may reach
            some inputs through a closure instead of its arguments, e.g. a layer's parameters:
            ``gradcheck(lambda x, *params: layer(x), [x, *layer.parameters()])``;
            the check perturbs the tensor objects themselves.
        inputs: a Tensor or a sequence; the Tensors with ``requires_grad=True`` are checked.
            Their data are upcast to float64 (in place, restored afterwards). Real floating
            point only: complex tensors are refused.
        eps: the finite-difference step δ.
        atol, rtol: an element passes when |analytic - numeric| <= atol + rtol·|numeric|.
        fast_mode: check one random direction instead of every element (see the module
            docstring); every element is still checked if that direction fails.
        seed: seed of the random output weights and direction (not minidl's generator).
        full: the older spelling of the same choice, kept for existing callers:
            ``full=True`` is ``fast_mode=False``, ``full=False`` is ``fast_mode=True``.

    Returns:
        True if the gradients match.

    Raises:
        GradcheckError: with a table of output, input, shape, worst index, analytic vs numeric
            value, relative error |a - n| / max(|a|, |n|, atol) and its grade.
    """
    fast_mode = _fast_mode(fast_mode, full)
    fn = _one_instance_per_call(fn)
    inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    checked = [t for t in inputs if isinstance(t, Tensor) and t.requires_grad]
    if not checked:
        raise ValueError("gradcheck: none of the inputs has requires_grad=True; nothing to check")
    _refuse_complex_inputs(inputs)
    with _upcast_to_float64(inputs):
        check = _Check(fn, inputs, checked, seed, eps, atol, rtol)
        if fast_mode and check.directional():
            return True
        rows = check.elementwise()
    failed = [row for row in rows if not row['passed']]
    if failed:
        raise GradcheckError(_table(rows, failed, atol, rtol), rows)
    return True


def gradgradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-4, *, fast_mode=False, seed=0, full=None):
    """Check second derivatives: gradcheck of x -> ∇ₓ⟨w, fn(x)⟩ (backward with create_graph).

    This verifies that every backward used by ``fn`` is itself correctly differentiable.
    Output k of the checked function is the gradient with respect to the k-th checked input.
    """
    fn = _one_instance_per_call(fn)
    inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    from .engine import grad

    def first_derivative(*xs):
        wrt = [t for t in xs if isinstance(t, Tensor) and t.requires_grad]
        with grad_mode.enable_grad():             # also when gradcheck evaluates under no_grad
            s = _weighted_sum(fn(*xs), numpy.random.default_rng(seed + 1))
            if not s.requires_grad:
                return tuple(Tensor(get_array_module(t.data).zeros_like(t.data)) for t in wrt)
            grads = grad(s, wrt, create_graph=True, allow_unused=True)
        return tuple(g if g is not None else Tensor(get_array_module(t.data).zeros_like(t.data))
                     for g, t in zip(grads, wrt))

    return gradcheck(first_derivative, inputs, eps, atol, rtol, fast_mode=_fast_mode(fast_mode, full),
                     seed=seed)


# ---------------------------------------------------------------------- internals
def _fast_mode(fast_mode, full):
    """``fast_mode``, or the opposite of ``full`` where a caller still uses that name."""
    if full is None:
        return fast_mode
    if fast_mode:
        raise ValueError("gradcheck: pass fast_mode= or its older spelling full=, not both")
    return not full


def _one_instance_per_call(fn):
    """``fn``, or, for a Function instance, a function that calls a copy of it each time: an
    instance is the graph node of the one call it records, and a check records several
    (gradgradcheck one per evaluation)."""
    if isinstance(fn, Function):
        return lambda *inputs: copy.copy(fn)(*inputs)
    return fn


def _refuse_complex_inputs(inputs):
    for i, t in enumerate(inputs):
        if isinstance(t, Tensor) and t.dtype.kind == 'c':
            raise TypeError(f"gradcheck: input {i} is complex ({t.dtype}); minidl differentiates "
                            "real-valued functions of real tensors only. Check the real and "
                            "imaginary parts as two real inputs instead.")


@contextlib.contextmanager
def _upcast_to_float64(inputs):
    """Give every floating input float64 data for the check; put the originals back after."""
    originals = [(t, t.data) for t in inputs if isinstance(t, Tensor) and t.dtype.kind == 'f']
    for t, data in originals:
        t.data = data.astype(numpy.float64)
    try:
        yield
    finally:
        for t, data in originals:
            t.data = data


def _outputs(result):
    """The floating point outputs of ``fn`` as (position in its result, Tensor) pairs."""
    outputs = result if isinstance(result, (tuple, list)) else (result,)
    floating = []
    for k, y in enumerate(outputs):
        if isinstance(y, Tensor) and y.dtype.kind == 'c':
            raise TypeError(f"gradcheck: fn's output {k} is complex ({y.dtype}); minidl "
                            "differentiates real-valued functions only. Return the real and "
                            "imaginary parts as two real outputs instead.")
        if isinstance(y, Tensor) and y.dtype.kind == 'f':
            floating.append((k, y))
    if not floating:
        got = ', '.join(f"a Tensor of dtype {y.dtype}" if isinstance(y, Tensor) else type(y).__name__
                        for y in outputs)
        raise ValueError(f"gradcheck: fn returned no floating point Tensor (got {got})")
    return floating


def _weighted_sum(result, rng):
    """s = Σ_k ⟨w_k, y_k⟩ with fixed random weights: one scalar standing for all outputs."""
    total = None
    for _, y in _outputs(result):
        w = get_array_module(y.data).asarray(rng.standard_normal(y.shape))
        term = (y * w).sum()
        total = term if total is None else total + term
    return total


class _Check:
    """One gradient check: the analytic gradients once, then finite differences on demand.

    ``analytic[k][i]`` is ∂s_k/∂x_i, the gradient of output k's weighted sum with respect to
    the i-th checked input, as a float64 NumPy array.
    """

    def __init__(self, fn, inputs, checked, seed, eps, atol, rtol):
        self.fn, self.inputs, self.checked = fn, inputs, checked
        self.eps, self.atol, self.rtol = eps, atol, rtol
        self.rng = numpy.random.default_rng(seed)
        with grad_mode.enable_grad():             # a backward needs a graph, also under no_grad
            outputs = _outputs(fn(*inputs))
            self.positions = [k for k, _ in outputs]
            self.weights = [get_array_module(y.data).asarray(self.rng.standard_normal(y.shape))
                            for _, y in outputs]
            self.analytic = [self._gradients((y * w).sum())
                             for (_, y), w in zip(outputs, self.weights)]
        self.centre = self.f()

    def _gradients(self, s):
        """∂s/∂x_i for every checked input (zeros where s does not depend on it)."""
        from .engine import grad
        grads = (grad(s, self.checked, retain_graph=True, allow_unused=True) if s.requires_grad
                 else [None] * len(self.checked))
        return [numpy.zeros(t.shape) if g is None else g.numpy().astype(numpy.float64)
                for g, t in zip(grads, self.checked)]

    def f(self):
        """Every s_k at the current input values (an array, one per output), without a graph."""
        with grad_mode.no_grad():
            outputs = _outputs(self.fn(*self.inputs))
        return numpy.array([(y.data * w).sum().item() for (_, y), w in zip(outputs, self.weights)])

    def directional(self):
        """Fast check: Σ_k ⟨∇s_k, r⟩ against the central difference of Σ_k s_k along one
        random unit direction r over all inputs."""
        directions = [self.rng.standard_normal(t.shape) for t in self.checked]
        norm = numpy.sqrt(sum(float((r * r).sum()) for r in directions)) or 1.0
        directions = [r / norm for r in directions]
        analytic = sum(float((g * r).sum()) for grads in self.analytic for g, r in zip(grads, directions))
        values = []
        for sign in (1, -1):
            for t, r in zip(self.checked, directions):
                t.data += sign * self.eps * get_array_module(t.data).asarray(r)
            values.append(self.f().sum())
            for t, r in zip(self.checked, directions):
                t.data -= sign * self.eps * get_array_module(t.data).asarray(r)
        numeric = (values[0] - values[1]) / (2 * self.eps)
        return abs(analytic - numeric) <= self.atol + self.rtol * abs(numeric)

    def _differences(self, t):
        """Every s_k at x + δe and at x - δe, for the unit vector e of each element of ``t``:
        two arrays of shape (number of outputs, *t.shape)."""
        plus = numpy.empty((len(self.weights),) + t.shape)
        minus = numpy.empty_like(plus)
        for index in numpy.ndindex(*t.shape):
            original = t.data[index].item()
            t.data[index] = original + self.eps
            plus[(slice(None),) + index] = self.f()
            t.data[index] = original - self.eps
            minus[(slice(None),) + index] = self.f()
            t.data[index] = original
        return plus, minus

    def elementwise(self):
        """Per-element check; one row per output and checked input, describing the worst element."""
        rows = []
        position = {id(t): i for i, t in enumerate(self.inputs)}
        for i, t in enumerate(self.checked):
            if t.data.size == 0:                 # an empty tensor: nothing to compare
                continue
            plus, minus = self._differences(t)
            for k, output in enumerate(self.positions):
                centre = self.centre[k]
                row = self._worst(self.analytic[k][i], (plus[k] - minus[k]) / (2 * self.eps),
                                  (plus[k] - centre) / self.eps, (centre - minus[k]) / self.eps)
                rows.append(dict(output=output, input=position[id(t)], shape=t.shape, **row))
        return rows

    def _worst(self, analytic, numeric, forward, backward):
        """The element whose analytic and numeric values differ most for the tolerance."""
        excess = numpy.abs(analytic - numeric) / (self.atol + self.rtol * numpy.abs(numeric))
        index = numpy.unravel_index(numpy.argmax(excess), excess.shape)   # (a NaN counts as worst)
        a, n = float(analytic[index]), float(numeric[index])
        relative = abs(a - n) / max(abs(a), abs(n), self.atol)
        f, b = forward[index], backward[index]
        kink = abs(f - b) > 1e-3 * (1 + max(abs(f), abs(b)))
        return dict(index=tuple(int(j) for j in index), analytic=a, numeric=n, relative_error=relative,
                    grade=grade(relative), passed=bool(excess[index] <= 1), kink=bool(kink))


def _table(rows, failed, atol, rtol):
    pairs = '; '.join(f"output {row['output']} with respect to input {row['input']}" for row in failed)
    lines = [f"gradcheck failed: the analytic gradient (backward) does not match central differences "
             f"for {pairs}.",
             f"(an element passes when |analytic - numeric| <= {atol:g} + {rtol:g}·|numeric|)",
             f"{'output':>6} {'input':>5}  {'shape':<14} {'worst index':<14} {'analytic':>12} "
             f"{'numeric':>12} {'rel. error':>10}  grade"]
    for row in rows:
        note = row['grade'] + ('' if row['passed'] else '  <- FAILED')
        if row['kink']:
            note += ("  (kink: the one-sided differences disagree, so the function is not "
                     "differentiable within eps of this point, e.g. relu at 0; move the inputs "
                     "away from it)")
        lines.append(f"{row['output']:>6} {row['input']:>5}  {str(row['shape']):<14} "
                     f"{str(row['index']):<14} {row['analytic']:>12.5g} {row['numeric']:>12.5g} "
                     f"{row['relative_error']:>10.2e}  {note}")
    return '\n'.join(lines)

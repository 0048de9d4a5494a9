"""Gradient checking: compare a backward pass with finite differences.

The derivative of a function f at x along a direction r is the limit of

    (f(x + δr) - f(x - δr)) / (2δ)        (a *central* difference: its error is O(δ²))

and backpropagation claims it equals ⟨∇f(x), r⟩. With δ = 1e-6 in float64 the two agree to
about 1e-9 for a correct backward; in float32 rounding (about 1e-7 relative) divided by δ
swamps the comparison, which is why the check upcasts to float64 first.

``gradcheck`` reduces the outputs of ``fn`` to one number, s = Σ_k ⟨w_k, y_k⟩ with fixed
random weights w_k, so that a single backward gives the gradient of s with respect to every
input. It then checks

1. one random direction over all inputs at once (two evaluations of f: fast), and, if that
   fails or ``full=True``,
2. every element of every input (two evaluations each), reporting the worst element of each
   input in a table.

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

import numpy

from ..backend import get_array_module
from . import grad_mode
from .tensor import Tensor

GRADES = ((1e-7, 'fine'), (1e-4, 'look closer'), (1e-2, 'suspicious'), (numpy.inf, 'wrong'))


class GradcheckError(AssertionError):
    """Raised when analytic and numeric gradients disagree; the message holds the table.

    ``report`` is the list of per-input rows (dicts) the table was made from.
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


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-4, full=False, seed=0):
    """Check the gradients of ``fn`` at ``inputs`` against central differences, in float64.

    Args:
        fn: a callable taking ``*inputs`` and returning a Tensor or a tuple of Tensors
            (a Function instance works). It may reach some inputs through a closure instead
            of its arguments, e.g. a layer's parameters:
            ``gradcheck(lambda x, *params: layer(x), [x, *layer.parameters()])``;
            the check perturbs the tensor objects themselves.
        inputs: a Tensor or a sequence; the Tensors with ``requires_grad=True`` are checked.
            Their data are upcast to float64 (in place, restored afterwards).
        eps: the finite-difference step δ.
        atol, rtol: an element passes when |analytic - numeric| <= atol + rtol·|numeric|.
        full: always run the per-element check (otherwise only if the fast one fails).
        seed: seed of the random output weights and direction (not minidl's generator).

    Returns:
        True if the gradients match.

    Raises:
        GradcheckError: with a table of input, shape, worst index, analytic vs numeric value,
            relative error |a - n| / max(|a|, |n|, atol) and its grade.
    """
    inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    checked = [t for t in inputs if isinstance(t, Tensor) and t.requires_grad]
    if not checked:
        raise ValueError("gradcheck: none of the inputs has requires_grad=True; nothing to check")
    with _upcast_to_float64(inputs):
        rng = numpy.random.default_rng(seed)
        check = _Check(fn, inputs, checked, rng, eps, atol, rtol)
        if not full and check.directional():
            return True
        rows = check.elementwise()
    failed = [row for row in rows if not row['passed']]
    if failed:
        raise GradcheckError(_table(rows, atol, rtol), rows)
    return True


def gradgradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-4, full=False, seed=0):
    """Check second derivatives: gradcheck of x -> ∇ₓ⟨w, fn(x)⟩ (backward with create_graph).

    This verifies that every backward used by ``fn`` is itself correctly differentiable.
    """
    inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    from .engine import grad

    def first_derivative(*xs):
        wrt = [t for t in xs if isinstance(t, Tensor) and t.requires_grad]
        with grad_mode.enable_grad():             # also when gradcheck evaluates under no_grad
            s = _weighted_sum(fn(*xs), numpy.random.default_rng(seed + 1))
        if not s.requires_grad:
            return tuple(Tensor(get_array_module(t.data).zeros_like(t.data)) for t in wrt)
        with grad_mode.enable_grad():
            grads = grad(s, wrt, create_graph=True, allow_unused=True)
        return tuple(g if g is not None else Tensor(get_array_module(t.data).zeros_like(t.data))
                     for g, t in zip(grads, wrt))

    return gradcheck(first_derivative, inputs, eps, atol, rtol, full, seed)


# ---------------------------------------------------------------------- internals
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
    outputs = result if isinstance(result, (tuple, list)) else (result,)
    return [y for y in outputs if isinstance(y, Tensor) and y.dtype.kind == 'f']


def _weighted_sum(result, rng):
    """s = Σ_k ⟨w_k, y_k⟩ with fixed random weights: one scalar standing for all outputs."""
    total = None
    for y in _outputs(result):
        xp = get_array_module(y.data)
        w = xp.asarray(rng.standard_normal(y.shape))
        term = (y * w).sum()
        total = term if total is None else total + term
    if total is None:
        raise ValueError("gradcheck: fn returned no floating point Tensor")
    return total


class _Check:
    """One gradient check: the analytic gradient once, then finite differences on demand."""

    def __init__(self, fn, inputs, checked, rng, eps, atol, rtol):
        from .engine import grad
        self.fn, self.inputs, self.checked = fn, inputs, checked
        self.eps, self.atol, self.rtol = eps, atol, rtol
        self.weight_seed = int(rng.integers(2 ** 31))
        self.rng = rng
        s = _weighted_sum(fn(*inputs), numpy.random.default_rng(self.weight_seed))
        if s.requires_grad:
            grads = grad(s, checked, allow_unused=True)
        else:
            grads = [None] * len(checked)
        self.analytic = [numpy.zeros(t.shape) if g is None else g.numpy().astype(numpy.float64)
                         for g, t in zip(grads, checked)]

    def f(self):
        """The scalar s at the current input values, without recording a graph."""
        with grad_mode.no_grad():
            s = _weighted_sum(self.fn(*self.inputs), numpy.random.default_rng(self.weight_seed))
        return float(s.item())

    def directional(self):
        """Fast check: ⟨∇s, r⟩ against (s(x + δr) - s(x - δr)) / 2δ for one random unit r."""
        directions = [self.rng.standard_normal(t.shape) for t in self.checked]
        norm = numpy.sqrt(sum(float((r * r).sum()) for r in directions)) or 1.0
        directions = [r / norm for r in directions]
        analytic = sum(float((g * r).sum()) for g, r in zip(self.analytic, directions))
        values = []
        for sign in (1, -1):
            for t, r in zip(self.checked, directions):
                t.data += sign * self.eps * get_array_module(t.data).asarray(r)
            values.append(self.f())
            for t, r in zip(self.checked, directions):
                t.data -= sign * self.eps * get_array_module(t.data).asarray(r)
        numeric = (values[0] - values[1]) / (2 * self.eps)
        return abs(analytic - numeric) <= self.atol + self.rtol * abs(numeric)

    def _differences(self, t, index):
        """s at x + δe, x and x - δe for the unit vector e of one element."""
        original = t.data[index].item()
        values = []
        for value in (original + self.eps, original - self.eps):
            t.data[index] = value
            values.append(self.f())
        t.data[index] = original
        return values[0], self.f(), values[1]

    def elementwise(self):
        """Per-element check; one row per checked input, describing its worst element."""
        rows = []
        position = {id(t): i for i, t in enumerate(self.inputs)}
        for t, analytic in zip(self.checked, self.analytic):
            worst = None
            for index in numpy.ndindex(*t.shape):
                plus, centre, minus = self._differences(t, index)
                numeric = (plus - minus) / (2 * self.eps)
                a = float(analytic[index])
                excess = abs(a - numeric) / (self.atol + self.rtol * abs(numeric))
                if worst is None or excess > worst['excess']:
                    worst = dict(index=index, analytic=a, numeric=numeric, excess=excess,
                                 one_sided=((plus - centre) / self.eps, (centre - minus) / self.eps))
            if worst is None:                    # an empty tensor: nothing to compare
                continue
            a, n = worst['analytic'], worst['numeric']
            relative = abs(a - n) / max(abs(a), abs(n), self.atol)
            forward, backward = worst['one_sided']
            kink = abs(forward - backward) > 1e-3 * (1 + max(abs(forward), abs(backward)))
            rows.append(dict(input=position[id(t)], shape=t.shape, index=worst['index'], analytic=a,
                             numeric=n, relative_error=relative, grade=grade(relative),
                             passed=worst['excess'] <= 1, kink=kink))
        return rows


def _table(rows, atol, rtol):
    lines = ["gradcheck failed: the analytic gradient (backward) does not match central differences.",
             f"(an element passes when |analytic - numeric| <= {atol:g} + {rtol:g}·|numeric|)",
             f"{'input':>5}  {'shape':<14} {'worst index':<14} {'analytic':>12} {'numeric':>12} "
             f"{'rel. error':>10}  grade"]
    for row in rows:
        note = row['grade'] + ('' if row['passed'] else '  <- FAILED')
        if row['kink']:
            note += ("  (kink: the one-sided differences disagree, so the function is not "
                     "differentiable within eps of this point, e.g. relu at 0; move the inputs "
                     "away from it)")
        lines.append(f"{row['input']:>5}  {str(row['shape']):<14} {str(row['index']):<14} "
                     f"{row['analytic']:>12.5g} {row['numeric']:>12.5g} {row['relative_error']:>10.2e}  {note}")
    return '\n'.join(lines)

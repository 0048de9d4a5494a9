"""The autograder: run an assignment's checks on a student's file and print a table.

Each check is a function of the student's module that returns normally when it passes and
raises :class:`Failed` (an error and a hint) when it does not. The helpers here do the
comparing: :func:`expect_close` against the reference with *signatures* of classic mistakes
(a transposed or unreduced gradient shows in its shape; other mistakes are recognized by
matching the result of a reference variant that makes exactly that mistake), and
:func:`expect_gradcheck` around :func:`minidl.gradcheck`.

Whatever else the student's code does in a check (raise, call exit(), loop for ever) fails
that check and no other: :func:`run_checks` reports it with the student's line, and
:func:`time_limit` stops a check that runs too long. A file whose import fails is one
:class:`StudentFileError`.

Example:
    >>> import numpy as np
    >>> expect_close('dL/dW', np.ones((3, 2)), np.ones((2, 3)))
    Traceback (most recent call last):
    ...
    minidl.coursework.grader.Failed: dL/dW: shape (3, 2), expected (2, 3)
"""
import ast
import contextlib
import importlib.util
import os
import re
import signal
import textwrap
import threading
import traceback

import numpy

from .. import backend
from ..autograd import GradcheckError, grad, gradcheck, gradgradcheck, no_grad
from ..autograd.tensor import Tensor
from .generator import unimplemented

TRANSPOSED = ("transposed gradient: dL/dW must have W's shape; for y = a @ b, dL/da = dL/dy @ bᵀ and "
              "dL/db = aᵀ @ dL/dy")
BATCH_SUM = ("missing sum over the batch: every sample of the batch contributes to the gradient of a "
             "shared weight, so sum their contributions (sum_to_shape, or a matrix product over the batch)")
BATCH_MEAN = ("averaged over the batch instead of summed: the loss's own mean already divides by N; "
              "the backward must sum the per-sample contributions")
BROADCAST = ("forgotten broadcast reduction: an input that was broadcast in forward gets the SUM of the "
             "gradient over its copies; reduce with sum_to_shape(g, input_shape)")
NOT_DIFFERENTIABLE = ("the first derivatives are right, their own derivatives are not: build backward from "
                      "Tensor ops (gy * b, sum_to_shape, ...), not from .data or NumPy arrays, so that "
                      "backward(create_graph=True) can differentiate it again")
UNIMPLEMENTED_HINT = "replace the `raise NotImplementedError(...)` placeholder with your code"
EXITED = ("your code called exit() or sys.exit(), which ends the grading: return the result, or raise an "
          "error where something is wrong")
TOO_SLOW = ("an endless loop, or code far too slow (a Python loop over every element instead of array "
            "operations?); `minidl assignment check --time-limit SECONDS` changes the limit")
TIME_LIMIT = 60.0           # seconds for one check (or the import of the file); the reference takes < 1 s


class Failed(AssertionError):
    """A check failed: ``error`` says what was wrong, ``hint`` how to fix it (may be '')."""

    def __init__(self, error, hint=''):
        super().__init__(error)
        self.error, self.hint = error, hint


def as_numpy(x):
    return backend.to_numpy(x.data if isinstance(x, Tensor) else x)


def _transposed(got, want):
    """Whether shape ``got`` is shape ``want`` with its last two axes swapped."""
    return len(got) == len(want) >= 2 and got == want[:-2] + want[:-3:-1]


def _shape_hint(got, want):
    """The classic mistake that a gradient of shape ``got`` where ``want`` was due shows (or '')."""
    if _transposed(got, want):
        return TRANSPOSED
    if len(got) > len(want) and got[len(got) - len(want):] == want:
        return BATCH_SUM
    if len(got) == len(want) and all(g == w or w == 1 for g, w in zip(got, want)):
        return BROADCAST
    return ''


def expect_close(label, got, want, variants=(), rtol=1e-5, atol=1e-6):
    """Pass if ``got`` equals ``want`` (tolerances as numpy.allclose); otherwise raise Failed,
    with the hint of the first ``(value, hint)`` variant that ``got`` matches instead."""
    if got is None:
        raise Failed(f"{label}: got None")
    got, want = numpy.asarray(as_numpy(got), dtype=numpy.float64), numpy.asarray(as_numpy(want), dtype=numpy.float64)
    if got.shape != want.shape:
        raise Failed(f"{label}: shape {got.shape}, expected {want.shape}", _shape_hint(got.shape, want.shape))
    if numpy.allclose(got, want, rtol=rtol, atol=atol):
        return
    hint = ''
    if got.ndim >= 2 and got.shape[-1] == got.shape[-2] and numpy.allclose(numpy.swapaxes(got, -1, -2), want,
                                                                            rtol=rtol, atol=atol):
        hint = TRANSPOSED
    for value, variant_hint in variants:
        if not hint and numpy.allclose(got, as_numpy(value), rtol=rtol, atol=atol):
            hint = variant_hint
    bad = numpy.unravel_index(numpy.argmax(numpy.abs(got - want)), got.shape) if got.size else ()
    raise Failed(f"{label}: differs from the reference, e.g. at {tuple(int(i) for i in bad)}: "
                 f"{got[bad]:.6g} instead of {want[bad]:.6g}", hint)


def expect_gradcheck(label, fn, inputs, twice=False):
    """:func:`minidl.gradcheck` (or, ``twice``, gradgradcheck) of ``fn`` at ``inputs`` as a
    check; a failure names the worst input.

    A second-order failure whose first derivatives pass is a backward that is right but not
    differentiable (computed on raw arrays): its hint says so.
    """
    try:
        (gradgradcheck if twice else gradcheck)(fn, inputs)
    except GradcheckError as error:
        row = max(error.report, key=lambda r: r['relative_error'])
        hint = "the backward does not match finite differences; see the reference checks for more"
        if twice and _passes_gradcheck(fn, inputs):
            hint = NOT_DIFFERENTIABLE
        raise Failed(f"{label}: gradient of input {row['input']} {tuple(row['shape'])} is {row['grade']} "
                     f"(relative error {row['relative_error']:.2g} at {row['index']}: analytic "
                     f"{row['analytic']:.5g}, numeric {row['numeric']:.5g})", hint) from None


def _passes_gradcheck(fn, inputs):
    try:
        gradcheck(fn, inputs)
    except GradcheckError:
        return False
    return True


def on_device(array):
    """A NumPy array moved to the device the checks run on (``MINIDL_DEVICE``)."""
    return backend.to_device(array, backend.get_device())


def random_tensor(rng, *shape, positive=False, requires_grad=True):
    """A float64 Tensor of standard normal values (or in [0.5, 2] with ``positive``)."""
    data = rng.uniform(0.5, 2.0, shape) if positive else rng.standard_normal(shape)
    return Tensor(on_device(data), requires_grad=requires_grad)


def raw_backward(function, inputs, gy):
    """What ``function.backward`` returns for ``inputs`` and output gradient ``gy`` (a tuple
    of numpy arrays or None), called directly: a wrong shape is seen, not rejected."""
    function(*inputs)
    with no_grad():
        grads = function.backward(Tensor(on_device(gy)))
    grads = grads if isinstance(grads, tuple) else (grads,)
    return tuple(None if g is None else as_numpy(g) for g in grads)


def gradients(fn, inputs, seed=0):
    """dL/dx for each input of ``fn``, L = ⟨w, fn(*inputs)⟩ with fixed random weights w."""
    y = fn(*inputs)
    w = numpy.random.default_rng(seed).standard_normal(y.shape)
    loss = (y * Tensor(on_device(w))).sum()
    return tuple(as_numpy(g) for g in grad(loss, inputs))


# ---------------------------------------------------------------------- running the checks
class Checklist(list):
    """The checks of an assignment, registered in order with ``@checks('name')``."""

    def __call__(self, name):
        def register(fn):
            self.append((name, fn))
            return fn
        return register


class TimeLimitExceeded(BaseException):
    """Raised into the student's code when it runs past its time limit.

    A BaseException, like KeyboardInterrupt, so that an ``except Exception`` in the student's
    code does not swallow it.
    """


@contextlib.contextmanager
def time_limit(seconds):
    """Stop the code run inside after ``seconds`` by raising :class:`TimeLimitExceeded` in it.

    The alarm is SIGALRM from ``signal.setitimer``, the one way to interrupt a Python loop
    from within its own thread; it exists on Linux and macOS, in the main thread. Elsewhere
    (Windows, a worker thread) the code runs without a limit; so does it with ``seconds=None``.
    The exception arrives between two Python bytecodes: one long NumPy call finishes first.
    The limit takes SIGALRM over while it runs: an alarm set before it is cancelled.
    """
    in_main_thread = threading.current_thread() is threading.main_thread()
    if seconds is None or not hasattr(signal, 'setitimer') or not in_main_thread:
        yield
        return

    def expire(signum, frame):
        raise TimeLimitExceeded(f"stopped after the time limit of {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous if previous is not None else signal.SIG_DFL)


class StudentFileError(Exception):
    """The student's file cannot be graded; the message is one line, ``file:line: Error: message``."""


def load_student(path, seconds=TIME_LIMIT):
    """Import a student's file as a module (under a name outside the ``minidl.`` package).

    Anything its top level raises (an error, exit(), running past ``seconds``) becomes a
    :class:`StudentFileError` that points at the line; only KeyboardInterrupt (Ctrl-C) passes.
    """
    name = 'minidl_student_' + os.path.splitext(os.path.basename(path))[0]
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None:
        raise StudentFileError(f"{path}: not a Python file (its name must end in .py)")
    module = importlib.util.module_from_spec(spec)
    try:
        with time_limit(seconds):
            spec.loader.exec_module(module)
    except KeyboardInterrupt:
        raise
    except BaseException as error:
        frame = _student_frame(error, path)
        line = error.lineno if isinstance(error, SyntaxError) else frame and frame.lineno
        where = f"{path}:{line}" if line else path
        raise StudentFileError(f"{where}: {_one_line(error)}") from None
    return module


def _student_frame(error, path):
    """The innermost frame of ``error``'s traceback that runs code of the file ``path`` (or None):
    the student's line, not one inside NumPy or minidl that it called."""
    path = os.path.abspath(path)
    frames = [f for f in traceback.extract_tb(error.__traceback__) if os.path.abspath(f.filename) == path]
    return frames[-1] if frames else None


def _one_line(error):
    """'ErrorType: message' on one line."""
    if isinstance(error, SyntaxError):
        message = error.msg                     # str() would add the file and line, given apart
    elif isinstance(error, SystemExit):
        message = f"exit({error.code!r}) was called"
    else:
        message = ' '.join(str(error).split())
    return f"{type(error).__name__}: {message}" if message else type(error).__name__


def _error_text(error, path):
    """One line for an unexpected exception, with the line of the student's file it came from."""
    frame = _student_frame(error, path)
    where = f" (line {frame.lineno}: {frame.line})" if frame else ''
    return _one_line(error) + where


def run_checks(checks, student, seconds=TIME_LIMIT):
    """One row (test, passed, error, hint) per check; each check may run for ``seconds``.

    Whatever the student's code raises fails its check, exit() (SystemExit) included: only
    KeyboardInterrupt (Ctrl-C) stops the grading.
    """
    rows = []
    for name, check in checks:
        backend.manual_seed(0)
        try:
            with time_limit(seconds):
                check(student)
            rows.append((name, True, '', ''))
        except Failed as failure:
            rows.append((name, False, failure.error, failure.hint))
        except NotImplementedError as error:
            todo = unimplemented(f'NotImplementedError("{error}")')
            message = f"not implemented yet: {todo[0]}" if todo else f"NotImplementedError: {error}"
            rows.append((name, False, message, UNIMPLEMENTED_HINT))
        except KeyboardInterrupt:
            raise
        except BaseException as error:          # the student's code crashed, exited or hung: report, go on
            rows.append((name, False, _error_text(error, student.__file__), _crash_hint(error)))
    return rows


def _crash_hint(error):
    if isinstance(error, SystemExit):
        return EXITED
    if isinstance(error, TimeLimitExceeded):
        return TOO_SLOW
    return _shape_hint_from_message(str(error))


# the autograd engine's refusal of a gradient whose shape is not its input's (engine.py)
WRONG_SHAPE = re.compile(r"backward returned a gradient of shape (\(.*?\)) for input \d+, which has shape (\(.*?\))")


def _shape_hint_from_message(message):
    """For the engine's refusal of a gradient of the wrong shape: transposed, if its two shapes
    say so, else (most often) an input that was broadcast in forward."""
    match = WRONG_SHAPE.search(message)
    if not match:
        return ''
    got, want = (ast.literal_eval(shape) for shape in match.groups())
    return "each gradient must have its input's shape: " + (TRANSPOSED if _transposed(got, want) else BROADCAST)


def format_table(rows, width=150):
    """The rows as a text table; long errors and hints wrap inside their columns."""
    name_width = max(len('test'), *(len(r[0]) for r in rows)) if rows else 4
    rest = max(30, width - name_width - 10)
    error_width = rest // 2
    hint_width = rest - error_width
    lines = [f"{'test':<{name_width}}  passed  {'error':<{error_width}}  hint",
             '-' * (name_width + 10 + rest)]
    for name, passed, error, hint in rows:
        errors = textwrap.wrap(error, error_width) or ['']
        hints = textwrap.wrap(hint, hint_width) or ['']
        for i in range(max(len(errors), len(hints))):
            first = i == 0
            lines.append(f"{name if first else '':<{name_width}}  {('yes' if passed else 'NO') if first else '':<6}  "
                         f"{errors[i] if i < len(errors) else '':<{error_width}}  "
                         f"{hints[i] if i < len(hints) else ''}".rstrip())
    return '\n'.join(lines)


def summary(rows, source_text):
    """The closing lines: counts, and the placeholders still in the file."""
    failed = sum(not passed for _, passed, _, _ in rows)
    todo = unimplemented(source_text)
    lines = [f"{len(rows) - failed} of {len(rows)} checks passed."]
    if todo:
        lines.append(f"Still unimplemented: {', '.join(todo)}.")
    return '\n'.join(lines)

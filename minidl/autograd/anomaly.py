"""Anomaly detection: find the operation that first produced NaN or inf.

Inside ``with minidl.autograd.detect_anomaly():`` every Function checks its forward outputs
and its backward gradients; the first non-finite value raises a ``FloatingPointError`` that
names the operation and, for a backward, shows where that operation was created in forward.
It costs a pass over every array, so it is for debugging, not for training runs.

Example:
    >>> import minidl
    >>> x = minidl.tensor([-1.0], requires_grad=True)
    >>> with minidl.autograd.detect_anomaly():
    ...     try:
    ...         x.log()
    ...     except FloatingPointError as error:
    ...         print(str(error).splitlines()[0])
    Function Log produced nan in its forward output 0 (shape (1,))
"""
import contextlib
import traceback

from ..backend import get_array_module

_state = {'enabled': False, 'in_backward': False}


def is_anomaly_enabled():
    return _state['enabled']


def check_forward():
    """Whether ops should check their outputs now: in anomaly mode, outside a backward
    (inside one, the engine checks the gradients that the node returns instead)."""
    return _state['enabled'] and not _state['in_backward']


@contextlib.contextmanager
def inside_backward():
    """Marks the engine running a node's backward, whose ops are checked as a whole."""
    previous = _state['in_backward']
    _state['in_backward'] = True
    try:
        yield
    finally:
        _state['in_backward'] = previous


@contextlib.contextmanager
def detect_anomaly():
    """Context manager: raise at the first op whose forward or backward makes NaN/inf."""
    previous = _state['enabled']
    _state['enabled'] = True
    try:
        yield
    finally:
        _state['enabled'] = previous


def creation_stack():
    """Where the current op is being created (kept on the node in anomaly mode)."""
    return ''.join(traceback.format_stack()[:-3])


def check_finite(array, function, where):
    """Raise FloatingPointError if ``array`` holds NaN or inf; ``where`` says which value."""
    xp = get_array_module(array)
    if array.dtype.kind not in 'fc' or bool(xp.isfinite(array).all()):
        return
    kind = 'nan' if bool(xp.isnan(array).any()) else 'inf'
    message = f"Function {type(function).__name__} produced {kind} in its {where} (shape {tuple(array.shape)})"
    stack = getattr(function, '_creation_stack', None)
    if stack:
        message += "\nThe operation was created here (forward):\n" + stack
    raise FloatingPointError(message)

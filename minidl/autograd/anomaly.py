"""Anomaly detection: find the operation that first produced NaN.

Inside ``with minidl.autograd.detect_anomaly():``, as in PyTorch,

1. every operation remembers where it was created (the Python stack of the forward call),
   so that an error in its backward can say which line of the forward made it: as a
   warning for any exception its backward raises, in the message of the NaN check below;
2. with ``check_nan=True`` (the default), the first backward that returns a NaN gradient
   raises a ``FloatingPointError`` that names the operation and where it was created.

minidl also checks the *forward* outputs for NaN in this mode (PyTorch does not): a NaN is
then caught at the op that made it, with the forward line in the traceback, instead of in
backward after it has spread through the loss. This is a teaching aid; PyTorch users find the
same op from the backward's report.

Only NaN is an error, not inf: infinities are legitimate in working code, e.g. a mask of
-inf added to scores before softmax (``exp(-inf) = 0``), or the infinite gradient of sqrt
at 0, and they become NaN (inf - inf, 0 · inf) exactly where they do harm.

Anomaly mode costs a stack capture per op and a pass over every array, so it is for
debugging, not for training runs.

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
import warnings

from ..backend import get_array_module
from .grad_mode import _ModeSwitch

_state = {'enabled': False, 'check_nan': True, 'in_backward': False}


def is_anomaly_enabled():
    """True inside ``detect_anomaly()`` (or after ``set_detect_anomaly(True)``)."""
    return _state['enabled']


def is_anomaly_check_nan_enabled():
    """True when anomaly mode, if on, raises on NaN (``check_nan``)."""
    return _state['check_nan']


class detect_anomaly(_ModeSwitch):
    """Turn anomaly mode on inside a ``with`` block or a decorated function, and restore the
    previous mode after it (see the module docstring).

    Args:
        check_nan: raise at the first NaN a forward output or a backward gradient holds.
            With ``False`` the mode only records where operations were created, for the
            report of an error raised in backward.

    Example:
        >>> import minidl
        >>> with minidl.autograd.detect_anomaly(check_nan=False):
        ...     minidl.autograd.is_anomaly_enabled(), minidl.autograd.is_anomaly_check_nan_enabled()
        (True, False)
    """

    def __init__(self, check_nan=True):
        self.check_nan = bool(check_nan)
        self._previous = []                         # re-entrant: a decorated function may recurse

    def __enter__(self):
        self._previous.append((_state['enabled'], _state['check_nan']))
        _state['enabled'], _state['check_nan'] = True, self.check_nan
        return self

    def __exit__(self, *exc):
        _state['enabled'], _state['check_nan'] = self._previous.pop()
        return False


class set_detect_anomaly:
    """Turn anomaly mode on or off at once, as PyTorch's: called as a function it stays set;
    used in a ``with`` block, the previous mode is restored after the block.

    Args:
        mode: True to turn anomaly mode on, False to turn it off.
        check_nan: as for :class:`detect_anomaly`.

    Example:
        >>> import minidl
        >>> with minidl.autograd.set_detect_anomaly(True):
        ...     minidl.autograd.is_anomaly_enabled()
        True
        >>> minidl.autograd.is_anomaly_enabled()
        False
    """

    def __init__(self, mode, check_nan=True):
        self._previous = (_state['enabled'], _state['check_nan'])
        _state['enabled'], _state['check_nan'] = bool(mode), bool(check_nan)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        _state['enabled'], _state['check_nan'] = self._previous
        return False


@contextlib.contextmanager
def inside_backward(node):
    """Marks the engine running ``node``'s backward, whose ops are not checked one by one
    (the engine checks the gradients the node returns). An exception raised there is
    reported with where ``node`` was created, as a warning (PyTorch's words), then raised."""
    previous = _state['in_backward']
    _state['in_backward'] = True
    try:
        yield
    except Exception:
        warnings.warn(f"Error detected in {type(node).__name__}. {forward_information(node)}")
        raise
    finally:
        _state['in_backward'] = previous


def creation_stack():
    """Where the current op is being created (kept on the node in anomaly mode)."""
    return ''.join(traceback.format_stack()[:-3])


def forward_information(node):
    """Where ``node`` was created, or why that is unknown (it was recorded outside anomaly
    mode), for a report about its backward."""
    stack = getattr(node, '_creation_stack', None)
    if stack:
        return "The operation was created here (forward):\n" + stack
    return ("No forward pass information available: the operation was recorded outside anomaly "
            "mode. Enable detect anomaly during the forward pass for more information.")


def raise_if_nan(array, function, where, backward):
    """Raise FloatingPointError if ``array`` holds NaN; ``where`` says which value. For a
    backward the message adds where ``function`` was created (a forward's own traceback
    shows that)."""
    if array.dtype.kind not in 'fc' or not bool(get_array_module(array).isnan(array).any()):
        return
    message = f"Function {type(function).__name__} produced nan in its {where} (shape {tuple(array.shape)})"
    if backward:
        message += "\n" + forward_information(function)
    raise FloatingPointError(message)

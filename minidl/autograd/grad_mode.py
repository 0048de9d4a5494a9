"""Whether operations record the graph: ``no_grad``, ``enable_grad``, ``set_grad_enabled``.

Recording costs memory (every op keeps what its backward needs), so evaluation and
optimizer updates switch it off::

    with minidl.no_grad():
        prediction = model(x)          # no graph is built

    @minidl.no_grad()
    def evaluate(model, x): ...        # works as a decorator too
"""
import contextlib

_state = {'enabled': True}


def is_grad_enabled():
    """True when new operations record the graph for backward."""
    return _state['enabled']


class set_grad_enabled(contextlib.ContextDecorator):
    """Context manager (and decorator) that turns graph recording on or off.

    Example:
        >>> import minidl
        >>> x = minidl.tensor([1.0], requires_grad=True)
        >>> with minidl.set_grad_enabled(False):
        ...     y = x * 2
        >>> y.requires_grad
        False
    """

    def __init__(self, mode):
        self.mode = bool(mode)
        self._previous = []

    def __enter__(self):
        self._previous.append(_state['enabled'])
        _state['enabled'] = self.mode
        return self

    def __exit__(self, *exc):
        _state['enabled'] = self._previous.pop()
        return False


class no_grad(set_grad_enabled):
    """Turn graph recording off inside a ``with`` block or a decorated function.

    Example:
        >>> import minidl
        >>> x = minidl.tensor([1.0, 2.0], requires_grad=True)
        >>> with minidl.no_grad():
        ...     y = x * 2
        >>> y.requires_grad
        False
    """

    def __init__(self):
        super().__init__(False)


class enable_grad(set_grad_enabled):
    """Turn graph recording back on (inside a ``no_grad`` block, for instance)."""

    def __init__(self):
        super().__init__(True)

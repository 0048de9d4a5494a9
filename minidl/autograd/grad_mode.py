"""Whether operations record the graph: ``no_grad``, ``enable_grad``, ``set_grad_enabled``.

Recording costs memory (every op keeps what its backward needs), so evaluation and
optimizer updates switch it off::

    with minidl.no_grad():
        prediction = model(x)          # no graph is built

    @minidl.no_grad()
    def evaluate(model, x): ...        # works as a decorator too
"""
import contextlib
import functools
import inspect

_state = {'enabled': True}


def is_grad_enabled():
    """True when new operations record the graph for backward."""
    return _state['enabled']


class _ModeSwitch(contextlib.ContextDecorator):
    """Base of the mode switches (grad mode, anomaly mode): a context manager that decorates
    functions too. A decorated generator function runs each of its steps (each ``next``,
    ``send`` or ``throw``) in the mode and gives the caller back its own mode in between, as
    PyTorch's decorators do: the mode must not leak into the loop that consumes it."""

    def __call__(self, function):
        if inspect.isgeneratorfunction(function):
            return self._wrap_generator(function)
        return super().__call__(function)

    def _wrap_generator(self, function):
        @functools.wraps(function)
        def generator(*args, **kwargs):
            steps = function(*args, **kwargs)
            request, error = None, None
            while True:
                try:
                    with self:
                        response = steps.send(request) if error is None else steps.throw(error)
                except StopIteration as stop:
                    return stop.value
                try:
                    request, error = (yield response), None
                except GeneratorExit:
                    with self:
                        steps.close()
                    raise
                except BaseException as thrown:     # gen.throw(...) by the caller: passed on
                    request, error = None, thrown
        return generator


class _GradMode(_ModeSwitch):
    """A context manager and decorator that sets the recording mode inside its block and
    restores the previous one after (re-entrant: a decorated function may call itself)."""

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


class set_grad_enabled(_GradMode):
    """Turn graph recording on or off: at once when called as a function, as PyTorch's does
    (``minidl.set_grad_enabled(False)``), or inside a ``with`` block or a decorated function,
    restoring the previous mode after it.

    Example:
        >>> import minidl
        >>> x = minidl.tensor([1.0], requires_grad=True)
        >>> with minidl.set_grad_enabled(False):
        ...     y = x * 2
        >>> y.requires_grad
        False
    """

    def __init__(self, mode):
        if not isinstance(mode, bool):
            raise TypeError(f"set_grad_enabled: mode must be a bool (True or False), got {type(mode).__name__}")
        super().__init__(mode)
        self._before = _state['enabled']            # the mode before this call switched it
        _state['enabled'] = self.mode

    def __enter__(self):
        if self._before is not None:                # ``with set_grad_enabled(m):`` after the call
            self._previous.append(self._before)
            self._before = None
            _state['enabled'] = self.mode           # (set again: the mode may have changed since)
            return self
        return super().__enter__()

    def __call__(self, function):
        """As a decorator: the mode applies inside each call only, so the switch made when
        the decorator was built is undone."""
        if self._before is not None:
            _state['enabled'], self._before = self._before, None
        return super().__call__(function)


class _FixedMode(_GradMode):
    """A mode switch without arguments, usable as ``@switch()`` or bare ``@switch``, as PyTorch's."""
    mode = None

    def __new__(cls, function=None):
        if function is None:
            return super().__new__(cls)
        return cls()(function)                      # ``@no_grad`` without the parentheses

    def __init__(self, function=None):
        super().__init__(self.mode)


class no_grad(_FixedMode):
    """Turn graph recording off inside a ``with`` block or a decorated function.

    Example:
        >>> import minidl
        >>> x = minidl.tensor([1.0, 2.0], requires_grad=True)
        >>> with minidl.no_grad():
        ...     y = x * 2
        >>> y.requires_grad
        False
    """
    mode = False


class enable_grad(_FixedMode):
    """Turn graph recording back on (inside a ``no_grad`` block, for instance)."""
    mode = True

"""Gradient clipping: the standard cure for exploding gradients.

In a deep or recurrent network a gradient can grow by a factor at every layer it passes back
through, and one huge step then throws the weights far away. Clipping bounds the step
(Pascanu, Mikolov & Bengio, "On the difficulty of training recurrent neural networks", 2013).
Call it between ``loss.backward()`` and ``optimizer.step()``:

* ``clip_grad_norm_``: treat all gradients as one long vector g; if its norm ‖g‖ exceeds
  ``max_norm``, rescale it to that norm. The direction of the step is kept::

      total = ‖(‖g_1‖, ‖g_2‖, ...)‖_p = (Σ_i Σ |g_i|^p)^(1/p)     (max |g| for p = inf)
      g ← g · max_norm / (total + 1e-6)     only when that factor is < 1

* ``clip_grad_value_``: clamp every gradient element into [-clip_value, clip_value]. The
  direction changes, but it is simple and cheap.

Example:
    >>> import minidl
    >>> from minidl.optim import clip_grad_norm_
    >>> w = minidl.tensor([0.0, 0.0], requires_grad=True)
    >>> (w * minidl.tensor([3.0, 4.0])).sum().backward()     # gradient (3, 4), norm 5
    >>> clip_grad_norm_([w], max_norm=1.0)                   # returns the norm before clipping
    tensor(5.)
    >>> w.grad.numpy().round(4)                               # (3, 4) · 1 / (5 + 1e-6)
    array([0.6, 0.8], dtype=float32)
"""
from ..autograd.tensor import Tensor, zeros
from ..backend import get_array_module


def _gradients(parameters):
    """The ``.grad`` arrays of ``parameters`` (a Tensor or an iterable), skipping missing ones."""
    parameters = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    return [p.grad.data for p in parameters if p.grad is not None]


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False):
    """Rescale the gradients in place so that their total ``norm_type``-norm is at most
    ``max_norm``; return the total norm *before* clipping, as a 0-d Tensor.

    ``norm_type`` may be ``float('inf')`` (the largest |g|). A non-finite total norm raises a
    RuntimeError if ``error_if_nonfinite``; otherwise the usual rule applies, as in PyTorch:
    the factor min(1, max_norm / norm) is 0 for an infinite norm (an infinite element
    becomes NaN, the others 0) and NaN for a NaN norm (every gradient becomes NaN, so that
    the step visibly fails instead of updating only the parameters with finite gradients).
    """
    grads = _gradients(parameters)
    if not grads:
        return zeros(())
    norm_type = float(norm_type)
    xp = get_array_module(*grads)
    norms = xp.stack([xp.linalg.norm(g.ravel(), ord=norm_type) for g in grads])
    total = xp.linalg.norm(norms, ord=norm_type)
    if error_if_nonfinite and not bool(xp.isfinite(total)):
        raise RuntimeError(
            f"clip_grad_norm_: the total norm of order {norm_type} of the gradients is {float(total)}, "
            "so it cannot be clipped. Find the op that produced a NaN with "
            "minidl.autograd.detect_anomaly() (inf is no anomaly there), or pass "
            "error_if_nonfinite=False to clip anyway.")
    coefficient = max_norm / (float(total) + 1e-6)
    if not coefficient >= 1:                        # (a NaN coefficient scales too)
        for g in grads:
            g *= g.dtype.type(coefficient)
    return Tensor(xp.asarray(total))


def clip_grad_value_(parameters, clip_value):
    """Clamp every gradient element of ``parameters`` into [-clip_value, clip_value], in place.

    Example:
        >>> import minidl
        >>> from minidl.optim import clip_grad_value_
        >>> w = minidl.tensor([1.0, 1.0], requires_grad=True)
        >>> (w * minidl.tensor([-5.0, 0.5])).sum().backward()
        >>> clip_grad_value_([w], 1.0)
        >>> w.grad
        tensor([-1. ,  0.5])
    """
    if clip_value < 0:
        raise ValueError(f"clip_grad_value_: clip_value must be >= 0, got {clip_value}")
    for g in _gradients(parameters):
        xp = get_array_module(g)
        xp.clip(g, -clip_value, clip_value, out=g)

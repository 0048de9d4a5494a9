"""RMSprop: divide the gradient by a running root-mean-square of recent gradients."""
from ..backend import get_array_module
from .optimizer import Optimizer


class RMSprop(Optimizer):
    """RMSprop (Hinton, Srivastava & Swersky, 2012, Coursera lecture 6e); centered form
    from Graves (2013), "Generating sequences with recurrent neural networks".

    For each parameter θ with gradient g (g = -∇f with ``maximize=True``)::

        g ← g + weight_decay · θ                        (if weight_decay ≠ 0)
        v ← alpha · v + (1 - alpha) · g²                 (square_avg, v₀ = 0)
        if centered:
            ḡ ← alpha · ḡ + (1 - alpha) · g              (grad_avg, ḡ₀ = 0)
            avg ← sqrt(v - ḡ²) + eps
        else:
            avg ← sqrt(v) + eps
        if momentum > 0:
            b ← momentum · b + g / avg                   (b₀ = 0)
            θ ← θ - lr · b
        else:
            θ ← θ - lr · g / avg

    Example:
        >>> import minidl
        >>> from minidl.nn import Parameter
        >>> w = Parameter(minidl.tensor([1.0, -2.0]))
        >>> opt = minidl.optim.RMSprop([w], lr=0.01)
        >>> (w * w).sum().backward()
        >>> opt.step()                        # first step: lr · g / sqrt(0.01 g²) = 10 · lr
        >>> [round(v, 4) for v in w.tolist()]
        [0.9, -1.9]
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, maximize=False):
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                                      momentum=momentum, centered=centered, maximize=maximize))

    def _check_hyperparameters(self, group):
        super()._check_hyperparameters(group)
        if group['alpha'] < 0:
            raise ValueError(f"RMSprop: invalid alpha={group['alpha']}: it must be >= 0")

    def update(self, param, grad, state, group):
        xp = get_array_module(param)
        lr, alpha, eps, momentum = group['lr'], group['alpha'], group['eps'], group['momentum']
        if not state:
            state['step'] = 0
            state['square_avg'] = xp.zeros_like(param)
            if momentum > 0:
                state['momentum_buffer'] = xp.zeros_like(param)
            if group['centered']:
                state['grad_avg'] = xp.zeros_like(param)
        state['step'] += 1
        if group['weight_decay'] != 0:
            grad = grad + group['weight_decay'] * param

        # BEGIN SOLUTION
        square_avg = state['square_avg']
        square_avg *= alpha
        square_avg += (1 - alpha) * grad * grad
        if group['centered']:
            grad_avg = state['grad_avg']
            grad_avg *= alpha
            grad_avg += (1 - alpha) * grad
            avg = xp.sqrt(square_avg - grad_avg * grad_avg) + eps
        else:
            avg = xp.sqrt(square_avg) + eps

        if momentum > 0:
            buf = state['momentum_buffer']
            buf *= momentum
            buf += grad / avg
            param -= lr * buf
        else:
            param -= lr * grad / avg
        # END SOLUTION

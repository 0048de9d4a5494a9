"""Adagrad: per-coordinate learning rates from the sum of all past squared gradients."""
from ..backend import get_array_module
from .optimizer import Optimizer


class Adagrad(Optimizer):
    """Adagrad (Duchi, Hazan & Singer, 2011, "Adaptive subgradient methods for online
    learning and stochastic optimization", JMLR).

    For each parameter θ with gradient g (g = -∇f with ``maximize=True``), step t = 1, 2, ...::

        g ← g + weight_decay · θ                  (if weight_decay ≠ 0)
        clr ← lr / (1 + (t - 1) · lr_decay)
        s ← s + g²                                (sum, s₀ = initial_accumulator_value)
        θ ← θ - clr · g / (sqrt(s) + eps)

    Coordinates that saw large gradients take small steps, rare ones large steps; since s
    only grows, the effective rate decays by itself.

    Example:
        >>> import minidl
        >>> from minidl.nn import Parameter
        >>> w = Parameter(minidl.tensor([1.0, -2.0]))
        >>> opt = minidl.optim.Adagrad([w], lr=0.1)
        >>> (w * w).sum().backward()
        >>> opt.step()                        # first step: lr · g / |g| = lr · sign(g)
        >>> [round(v, 4) for v in w.tolist()]
        [0.9, -1.9]
    """

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
                 eps=1e-10, maximize=False):
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value, eps=eps,
                                      maximize=maximize))

    def _check_hyperparameters(self, group):
        super()._check_hyperparameters(group)
        for name in ('lr_decay', 'initial_accumulator_value'):
            if group[name] < 0:
                raise ValueError(f"Adagrad: invalid {name}={group[name]}: it must be >= 0")

    def update(self, param, grad, state, group):
        xp = get_array_module(param)
        if not state:
            state['step'] = 0
            state['sum'] = xp.full_like(param, group['initial_accumulator_value'])
        state['step'] += 1
        if group['weight_decay'] != 0:
            grad = grad + group['weight_decay'] * param
        clr = group['lr'] / (1 + (state['step'] - 1) * group['lr_decay'])
        state['sum'] += grad * grad
        param -= clr * grad / (xp.sqrt(state['sum']) + group['eps'])

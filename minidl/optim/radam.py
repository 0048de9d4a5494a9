"""RAdam: Adam whose adaptive step is switched on gradually, as its variance estimate firms up."""
import math

from ..backend import get_array_module
from .adam import update_moments, weight_decayed
from .optimizer import Optimizer


class RAdam(Optimizer):
    """RAdam (Liu et al., 2020, "On the variance of the adaptive learning rate and beyond", ICLR).

    For each parameter θ with gradient g (g = -∇f with ``maximize=True``), step t = 1, 2, ...::

        g ← g + weight_decay · θ          (or θ ← θ - lr · weight_decay · θ if decoupled)
        m ← beta1 · m + (1 - beta1) · g                  (exp_avg)
        v ← beta2 · v + (1 - beta2) · g²                 (exp_avg_sq)
        m̂ ← m / (1 - beta1^t)                            (bias_correction1)
        ρ_∞ ← 2 / (1 - beta2) - 1
        ρ_t ← ρ_∞ - 2 t · beta2^t / (1 - beta2^t)
        if ρ_t > 5:                                      (the variance of v is tractable)
            r ← sqrt((ρ_t - 4)(ρ_t - 2) ρ_∞ / ((ρ_∞ - 4)(ρ_∞ - 2) ρ_t))    (rectification)
            θ ← θ - lr · m̂ · r · sqrt(1 - beta2^t) / (sqrt(v) + eps)
        else:
            θ ← θ - lr · m̂                               (SGD with momentum)

    Example:
        >>> import minidl
        >>> from minidl.nn import Parameter
        >>> w = Parameter(minidl.tensor([1.0, -2.0]))
        >>> opt = minidl.optim.RAdam([w], lr=0.1)
        >>> (w * w).sum().backward()
        >>> opt.step()                        # ρ_1 = 1: a plain momentum step, θ - lr · g
        >>> [round(v, 4) for v in w.tolist()]
        [0.8, -1.6]
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 decoupled_weight_decay=False, maximize=False):
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                                      maximize=maximize, decoupled_weight_decay=decoupled_weight_decay))

    def update(self, param, grad, state, group):
        xp = get_array_module(param)
        lr, eps = group['lr'], group['eps']
        beta1, beta2 = group['betas']
        grad = weight_decayed(param, grad, lr, group['weight_decay'], group['decoupled_weight_decay'])
        step, exp_avg, exp_avg_sq = update_moments(state, param, grad, beta1, beta2)
        bias_correction1 = 1 - beta1 ** step
        bias_correction2 = 1 - beta2 ** step
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * step * beta2 ** step / bias_correction2
        if rho_t > 5:
            rect = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
            adaptive_lr = math.sqrt(bias_correction2) / (xp.sqrt(exp_avg_sq) + eps)
            param -= (lr * rect / bias_correction1) * exp_avg * adaptive_lr
        else:
            param -= (lr / bias_correction1) * exp_avg

"""Adam and AdamW: momentum plus per-coordinate scaling, with bias-corrected moment estimates.

The helpers here (the moment estimates, coupled or decoupled weight decay) are shared with
the Adam variants NAdam and RAdam.
"""
import math

from ..backend import get_array_module
from .optimizer import Optimizer


def weight_decayed(param, grad, lr, weight_decay, decoupled):
    """Apply weight decay: decoupled shrinks θ in place (AdamW), coupled returns g + λθ."""
    if weight_decay == 0:
        return grad
    if decoupled:
        param *= 1 - lr * weight_decay          # θ ← θ - lr · λ · θ
        return grad
    return grad + weight_decay * param          # g ← g + λ · θ


def update_moments(state, param, grad, beta1, beta2):
    """One step of the moment estimates; returns the step count t and (m, v).

    m ← beta1 · m + (1 - beta1) · g     (exp_avg, m₀ = 0)
    v ← beta2 · v + (1 - beta2) · g²    (exp_avg_sq, v₀ = 0)
    """
    if not state:
        xp = get_array_module(param)
        state['step'] = 0
        state['exp_avg'] = xp.zeros_like(param)
        state['exp_avg_sq'] = xp.zeros_like(param)
    state['step'] += 1
    exp_avg, exp_avg_sq = state['exp_avg'], state['exp_avg_sq']
    # BEGIN SOLUTION
    exp_avg *= beta1
    exp_avg += (1 - beta1) * grad
    exp_avg_sq *= beta2
    exp_avg_sq += (1 - beta2) * grad * grad
    # END SOLUTION
    return state['step'], exp_avg, exp_avg_sq


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015, "Adam: a method for stochastic optimization", ICLR);
    AMSGrad from Reddi, Kale & Kumar (2018), "On the convergence of Adam and beyond".

    For each parameter θ with gradient g (g = -∇f with ``maximize=True``), step t = 1, 2, ...::

        g ← g + weight_decay · θ                     (if weight_decay ≠ 0, coupled: Adam)
        θ ← θ - lr · weight_decay · θ                (if decoupled_weight_decay: AdamW)
        m ← beta1 · m + (1 - beta1) · g              (exp_avg)
        v ← beta2 · v + (1 - beta2) · g²             (exp_avg_sq)
        m̂ ← m / (1 - beta1^t)                        (bias_correction1)
        v̂ ← v / (1 - beta2^t)                        (bias_correction2)
        v_max ← max(v_max, v),  v̂ ← v_max / (1 - beta2^t)    (if amsgrad)
        θ ← θ - lr · m̂ / (sqrt(v̂) + eps)

    The moments start at zero, so early m and v are biased towards zero; dividing by
    1 - beta^t removes that bias. The code computes the same update as
    ``θ ← θ - (lr / bias_correction1) · m / (sqrt(v) / sqrt(bias_correction2) + eps)``.

    Example:
        >>> import minidl
        >>> from minidl.nn import Parameter
        >>> w = Parameter(minidl.tensor([1.0, -2.0]))
        >>> opt = minidl.optim.Adam([w], lr=0.1)
        >>> (w * w).sum().backward()
        >>> opt.step()                        # first step: lr · m̂ / sqrt(v̂) = lr · sign(g)
        >>> [round(v, 4) for v in w.tolist()]
        [0.9, -1.9]
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, maximize=False, decoupled_weight_decay=False):
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                                      amsgrad=amsgrad, maximize=maximize,
                                      decoupled_weight_decay=decoupled_weight_decay))

    def update(self, param, grad, state, group):
        xp = get_array_module(param)
        lr, eps = group['lr'], group['eps']
        beta1, beta2 = group['betas']
        grad = weight_decayed(param, grad, lr, group['weight_decay'], group['decoupled_weight_decay'])
        step, exp_avg, exp_avg_sq = update_moments(state, param, grad, beta1, beta2)
        # BEGIN SOLUTION
        bias_correction1 = 1 - beta1 ** step
        bias_correction2 = 1 - beta2 ** step
        if group['amsgrad']:
            if 'max_exp_avg_sq' not in state:
                state['max_exp_avg_sq'] = xp.zeros_like(param)
            exp_avg_sq = xp.maximum(state['max_exp_avg_sq'], exp_avg_sq, out=state['max_exp_avg_sq'])
        denom = xp.sqrt(exp_avg_sq) / math.sqrt(bias_correction2) + eps
        param -= (lr / bias_correction1) * exp_avg / denom
        # END SOLUTION


class AdamW(Adam):
    """AdamW: Adam with decoupled weight decay (Loshchilov & Hutter, 2019, "Decoupled weight
    decay regularization", ICLR).

    The same algorithm as :class:`Adam` with ``decoupled_weight_decay=True``: instead of
    adding weight_decay · θ to the gradient (where Adam's scaling would shrink it for
    coordinates with large gradients), each step first shrinks the weights directly::

        θ ← θ - lr · weight_decay · θ

    and then takes the Adam step. The default weight_decay is 1e-2.

    Example:
        >>> import minidl
        >>> from minidl.nn import Parameter
        >>> w = Parameter(minidl.tensor([1.0, -2.0]))
        >>> opt = minidl.optim.AdamW([w], lr=0.1, weight_decay=0.5)
        >>> (w * w).sum().backward()
        >>> opt.step()                        # θ (1 - 0.05) - 0.1 · sign(g)
        >>> [round(v, 4) for v in w.tolist()]
        [0.85, -1.8]
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, maximize=False):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                         amsgrad=amsgrad, maximize=maximize, decoupled_weight_decay=True)

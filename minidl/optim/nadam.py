"""NAdam: Adam with Nesterov momentum."""
from ..backend import get_array_module
from .adam import update_moments, weight_decayed
from .optimizer import Optimizer


class NAdam(Optimizer):
    """NAdam (Dozat, 2016, "Incorporating Nesterov momentum into Adam", ICLR workshop),
    with PyTorch's momentum schedule.

    For each parameter θ with gradient g (g = -∇f with ``maximize=True``), step t = 1, 2, ...::

        g ← g + weight_decay · θ          (or θ ← θ - lr · weight_decay · θ if decoupled)
        μ_t     ← beta1 · (1 - ½ · 0.96^(t · momentum_decay))
        μ_{t+1} ← beta1 · (1 - ½ · 0.96^((t+1) · momentum_decay))
        m ← beta1 · m + (1 - beta1) · g                  (exp_avg)
        v ← beta2 · v + (1 - beta2) · g²                 (exp_avg_sq)
        v̂ ← v / (1 - beta2^t)                            (bias_correction2)
        θ ← θ - lr · (1 - μ_t) / (1 - Π_{i≤t} μ_i) · g / (sqrt(v̂) + eps)
              - lr · μ_{t+1} / (1 - Π_{i≤t+1} μ_i) · m / (sqrt(v̂) + eps)

    The first term is the current gradient, the second the momentum looked one step ahead:
    the Nesterov idea. ``state['mu_product']`` keeps Π_{i≤t} μ_i.

    Example:
        >>> import minidl
        >>> from minidl.nn import Parameter
        >>> w = Parameter(minidl.tensor([1.0, -2.0]))
        >>> opt = minidl.optim.NAdam([w], lr=0.1)
        >>> for _ in range(3):
        ...     opt.zero_grad()
        ...     (w * w).sum().backward()
        ...     opt.step()
        >>> [round(v, 3) for v in w.tolist()]
        [0.753, -1.748]
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 momentum_decay=4e-3, decoupled_weight_decay=False, maximize=False):
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                                      momentum_decay=momentum_decay, maximize=maximize,
                                      decoupled_weight_decay=decoupled_weight_decay))

    def _check_hyperparameters(self, group):
        super()._check_hyperparameters(group)
        if group['momentum_decay'] < 0:
            raise ValueError(f"NAdam: invalid momentum_decay={group['momentum_decay']}: it must be >= 0")

    def update(self, param, grad, state, group):
        xp = get_array_module(param)
        lr, eps, psi = group['lr'], group['eps'], group['momentum_decay']
        beta1, beta2 = group['betas']
        grad = weight_decayed(param, grad, lr, group['weight_decay'], group['decoupled_weight_decay'])
        step, exp_avg, exp_avg_sq = update_moments(state, param, grad, beta1, beta2)
        state.setdefault('mu_product', 1.0)
        mu = beta1 * (1 - 0.5 * 0.96 ** (step * psi))
        mu_next = beta1 * (1 - 0.5 * 0.96 ** ((step + 1) * psi))
        state['mu_product'] *= mu
        mu_product, mu_product_next = state['mu_product'], state['mu_product'] * mu_next
        bias_correction2 = 1 - beta2 ** step
        denom = xp.sqrt(exp_avg_sq / bias_correction2) + eps
        param -= (lr * (1 - mu) / (1 - mu_product)) * grad / denom
        param -= (lr * mu_next / (1 - mu_product_next)) * exp_avg / denom

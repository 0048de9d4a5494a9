"""Stochastic gradient descent, with optional (Nesterov) momentum and weight decay."""
from ..backend import add_scaled_
from .optimizer import Optimizer


class SGD(Optimizer):
    """Stochastic gradient descent (Robbins & Monro, 1951), momentum as in PyTorch.

    For each parameter θ with gradient g (g = -∇f with ``maximize=True``), step t::

        g ← g + weight_decay · θ                       (if weight_decay ≠ 0)
        if momentum ≠ 0:
            b ← g                                      (t = 1)
            b ← momentum · b + (1 - dampening) · g     (t > 1)
            g ← g + momentum · b   if nesterov   else   b
        θ ← θ - lr · g

    This is the "heavy ball" of Polyak (1964) written the way Sutskever et al. (2013) and
    PyTorch do (lr multiplies the buffer, not the gradient inside it); ``nesterov=True``
    gives Nesterov's accelerated gradient (1983) in the same form. Nesterov momentum needs
    ``momentum > 0`` and ``dampening = 0``.

    Example:
        >>> import minidl
        >>> from minidl.nn import Parameter
        >>> w = Parameter(minidl.tensor([1.0, -2.0]))
        >>> opt = minidl.optim.SGD([w], lr=0.1, momentum=0.9)
        >>> for _ in range(3):
        ...     opt.zero_grad()
        ...     (w * w).sum().backward()      # gradient 2w
        ...     opt.step()
        >>> [round(v, 4) for v in w.tolist()]
        [0.062, -0.124]
    """

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False,
                 maximize=False):
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov, maximize=maximize))

    def _check_hyperparameters(self, group):
        super()._check_hyperparameters(group)
        if group['nesterov'] and (group['momentum'] <= 0 or group['dampening'] != 0):
            raise ValueError(f"SGD: Nesterov momentum needs momentum > 0 and dampening = 0, got "
                             f"momentum={group['momentum']}, dampening={group['dampening']}")

    def update(self, param, grad, state, group):
        lr, momentum, dampening = group['lr'], group['momentum'], group['dampening']
        weight_decay = group['weight_decay']
        if weight_decay != 0:
            grad = grad + weight_decay * param
        # BEGIN SOLUTION
        if momentum != 0:
            if 'momentum_buffer' not in state:
                buf = state['momentum_buffer'] = grad.copy()
            else:
                buf = state['momentum_buffer']
                buf *= momentum
                add_scaled_(buf, 1 - dampening, grad)
            grad = grad + momentum * buf if group['nesterov'] else buf
        add_scaled_(param, -lr, grad)                   # θ ← θ - lr·g, in place
        # END SOLUTION

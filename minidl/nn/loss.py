"""Loss modules: ``criterion = nn.CrossEntropyLoss(); loss = criterion(logits, target)``.

Each holds its options (``reduction`` and the loss's own) and calls the function of the
same name in ``minidl.nn.functional``, where the formulas and derivatives are written.

Example:
    >>> import minidl
    >>> from minidl import nn
    >>> nn.MSELoss(reduction='sum')(minidl.tensor([1.0, 2.0]), minidl.tensor([0.0, 0.0]))
    tensor(5.)
"""
from . import functional as F
from .module import Module


class _Loss(Module):
    """A loss module: ``forward(input, target)`` calls ``function`` with the stored options."""
    function = None

    def __init__(self, reduction='mean', **options):
        super().__init__()
        if reduction not in ('mean', 'sum', 'none'):
            raise ValueError(f"{type(self).__name__}: reduction must be 'mean', 'sum' or 'none', "
                             f"got {reduction!r}")
        self.reduction, self.options = reduction, options

    def forward(self, input, target):
        return type(self).function(input, target, reduction=self.reduction, **self.options)

    def extra_repr(self):
        return ', '.join([f"reduction={self.reduction!r}"] + [f"{k}={v!r}" for k, v in self.options.items()
                                                                 if not hasattr(v, 'shape')])


class CrossEntropyLoss(_Loss):
    """Cross-entropy from logits (see ``F.cross_entropy``): integer or probability targets.

    Example:
        >>> import minidl
        >>> from minidl import nn
        >>> criterion = nn.CrossEntropyLoss()
        >>> round(criterion(minidl.zeros(4, 10), minidl.tensor([0, 1, 2, 3])).item(), 4)   # log 10
        2.3026
    """
    function = staticmethod(F.cross_entropy)

    def __init__(self, ignore_index=-100, reduction='mean', label_smoothing=0.0):
        super().__init__(reduction, ignore_index=ignore_index, label_smoothing=label_smoothing)


class NLLLoss(_Loss):
    """Negative log-likelihood of log-probabilities (see ``F.nll_loss``)."""
    function = staticmethod(F.nll_loss)

    def __init__(self, ignore_index=-100, reduction='mean'):
        super().__init__(reduction, ignore_index=ignore_index)


class MSELoss(_Loss):
    """Mean squared error (see ``F.mse_loss``)."""
    function = staticmethod(F.mse_loss)


class L1Loss(_Loss):
    """Mean absolute error (see ``F.l1_loss``)."""
    function = staticmethod(F.l1_loss)


class SmoothL1Loss(_Loss):
    """Quadratic below ``beta``, linear above (see ``F.smooth_l1_loss``)."""
    function = staticmethod(F.smooth_l1_loss)

    def __init__(self, reduction='mean', beta=1.0):
        super().__init__(reduction, beta=beta)


class HuberLoss(_Loss):
    """Quadratic below ``delta``, linear with slope ``delta`` above (see ``F.huber_loss``)."""
    function = staticmethod(F.huber_loss)

    def __init__(self, reduction='mean', delta=1.0):
        super().__init__(reduction, delta=delta)


class BCELoss(_Loss):
    """Binary cross-entropy of probabilities (see ``F.binary_cross_entropy``)."""
    function = staticmethod(F.binary_cross_entropy)

    def __init__(self, weight=None, reduction='mean'):
        super().__init__(reduction, weight=weight)


class BCEWithLogitsLoss(_Loss):
    """Binary cross-entropy from logits, stable (see ``F.binary_cross_entropy_with_logits``).

    Example:
        >>> import minidl
        >>> from minidl import nn
        >>> nn.BCEWithLogitsLoss(reduction='sum')(minidl.tensor([1e4, -1e4]), minidl.tensor([0.0, 0.0]))
        tensor(10000.)
    """
    function = staticmethod(F.binary_cross_entropy_with_logits)

    def __init__(self, weight=None, reduction='mean'):
        super().__init__(reduction, weight=weight)

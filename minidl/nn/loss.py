"""Loss modules: ``criterion = nn.CrossEntropyLoss(); loss = criterion(logits, target)``.

Each holds its options (``reduction`` and the loss's own) and calls the function of the
same name in ``minidl.nn.functional``, where the formulas and derivatives are written.

Example:
    >>> import minidl
    >>> from minidl import nn
    >>> nn.MSELoss(reduction='sum')(minidl.tensor([1.0, 2.0]), minidl.tensor([0.0, 0.0]))
    tensor(5.)
"""
from ..autograd.tensor import Tensor
from . import functional as F
from .module import Module


class _Loss(Module):
    """A loss module: ``forward(input, target)`` calls ``function`` with the stored options
    and buffers."""
    function = None
    reductions = ('mean', 'sum', 'none')

    def __init__(self, reduction='mean', **options):
        super().__init__()
        if reduction not in self.reductions:
            raise ValueError(f"{type(self).__name__}: reduction must be one of {self.reductions}, got {reduction!r}")
        self.reduction, self.options = reduction, options

    def forward(self, input, target):
        return type(self).function(input, target, reduction=self.reduction, **self._buffers, **self.options)

    def extra_repr(self):
        return ', '.join([f"reduction={self.reduction!r}"] + [f"{k}={v!r}" for k, v in self.options.items()
                                                                 if not hasattr(v, 'shape')])


class _WeightedLoss(_Loss):
    """A loss with PyTorch's ``weight`` (and, for BCEWithLogitsLoss, ``pos_weight``): each is a
    buffer, so ``to()`` moves it with the module and ``state_dict()`` saves it."""

    def __init__(self, weight=None, reduction='mean', buffers=(), **options):
        super().__init__(reduction, **options)
        for name, value in (('weight', weight),) + tuple(buffers):
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"{type(self).__name__}: {name} must be a Tensor or None, got "
                                f"{type(value).__name__}")
            self.register_buffer(name, value)


class CrossEntropyLoss(_WeightedLoss):
    """Cross-entropy from logits (see ``F.cross_entropy``): integer or probability targets,
    optional class weights.

    Example:
        >>> import minidl
        >>> from minidl import nn
        >>> criterion = nn.CrossEntropyLoss()
        >>> round(criterion(minidl.zeros(4, 10), minidl.tensor([0, 1, 2, 3])).item(), 4)   # log 10
        2.3026
    """
    function = staticmethod(F.cross_entropy)

    def __init__(self, weight=None, ignore_index=-100, reduction='mean', label_smoothing=0.0):
        super().__init__(weight, reduction, ignore_index=ignore_index, label_smoothing=label_smoothing)


class NLLLoss(_WeightedLoss):
    """Negative log-likelihood of log-probabilities (see ``F.nll_loss``), optional class weights."""
    function = staticmethod(F.nll_loss)

    def __init__(self, weight=None, ignore_index=-100, reduction='mean'):
        super().__init__(weight, reduction, ignore_index=ignore_index)


class KLDivLoss(_Loss):
    """Kullback-Leibler divergence of the target distribution from the input's log-probabilities
    (see ``F.kl_div``); ``reduction='batchmean'`` gives the divergence per sample."""
    function = staticmethod(F.kl_div)
    reductions = _Loss.reductions + ('batchmean',)

    def __init__(self, reduction='mean', log_target=False):
        super().__init__(reduction, log_target=log_target)


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


class BCELoss(_WeightedLoss):
    """Binary cross-entropy of probabilities (see ``F.binary_cross_entropy``)."""
    function = staticmethod(F.binary_cross_entropy)


class BCEWithLogitsLoss(_WeightedLoss):
    """Binary cross-entropy from logits, stable (see ``F.binary_cross_entropy_with_logits``),
    with optional element weights and ``pos_weight`` (one factor per class for the positives).

    Example:
        >>> import minidl
        >>> from minidl import nn
        >>> nn.BCEWithLogitsLoss(reduction='sum')(minidl.tensor([1e4, -1e4]), minidl.tensor([0.0, 0.0]))
        tensor(10000.)
    """
    function = staticmethod(F.binary_cross_entropy_with_logits)

    def __init__(self, weight=None, reduction='mean', pos_weight=None):
        super().__init__(weight, reduction, buffers=(('pos_weight', pos_weight),))

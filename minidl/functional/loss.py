"""Loss functions: how far a prediction is from its target, as one number to minimize.

    cross_entropy nll_loss                          classification (from logits / log-probabilities)
    kl_div                                          between distributions (soft targets, distillation)
    binary_cross_entropy(_with_logits)              two classes, or many independent labels
    mse_loss l1_loss smooth_l1_loss huber_loss      regression

Every loss computes one value per element and then reduces them: ``reduction='mean'``
(the default), ``'sum'`` or ``'none'`` (the per-element losses). Most are built from
differentiable ops (log_softmax, indexing, where, ...), so their gradients, and second
derivatives, come from those ops; the two binary cross-entropies are Functions of their own
because their stable forms need care at the extremes.
"""
import math
import numbers
import warnings

import numpy

from ..autograd.function import Function
from ..autograd.grad_mode import is_grad_enabled
from ..autograd.tensor import Tensor
from ..backend import check_later, get_array_module, to_numpy
from . import loss_kernels
from .activation import log_softmax, softmax, softplus
from .arithmetic import where

REDUCTIONS = ('mean', 'sum', 'none')


def _check_reduction(reduction, op):
    if reduction not in REDUCTIONS:
        raise ValueError(f"{op}: reduction must be one of {REDUCTIONS}, got {reduction!r}")


def _reduce(loss, reduction, op):
    _check_reduction(reduction, op)
    if reduction == 'mean':
        return loss.mean()
    if reduction == 'sum':
        return loss.sum()
    return loss


def _check_same_shape(input, target, op):
    if not isinstance(target, Tensor):
        raise TypeError(f"{op}: target must be a Tensor, got {type(target).__name__}")
    if tuple(input.shape) != tuple(target.shape):
        raise ValueError(f"{op}: input shape {tuple(input.shape)} and target shape {tuple(target.shape)} "
                         "differ; they must be equal (reshape one, e.g. target.reshape(input.shape), "
                         "instead of relying on broadcasting)")
    if target.dtype.kind != 'f':
        raise TypeError(f"{op}: target must be a floating point tensor, got dtype {target.dtype} "
                        "(convert it with target.float())")


# ---------------------------------------------------------------------- regression
def mse_loss(input, target, reduction='mean'):
    """Mean squared error: l = (x - y)²;   dl/dx = 2 (x - y).

    Example:
        >>> import minidl
        >>> import minidl.nn.functional as F
        >>> F.mse_loss(minidl.tensor([1.0, 2.0]), minidl.tensor([0.0, 4.0]))
        tensor(2.5)
    """
    _check_same_shape(input, target, 'mse_loss')
    d = input - target
    return _reduce(d * d, reduction, 'mse_loss')


def l1_loss(input, target, reduction='mean'):
    """Mean absolute error: l = |x - y|;   dl/dx = sign(x - y).

    Example:
        >>> import minidl
        >>> import minidl.nn.functional as F
        >>> F.l1_loss(minidl.tensor([1.0, 2.0]), minidl.tensor([0.0, 4.0]))
        tensor(1.5)
    """
    _check_same_shape(input, target, 'l1_loss')
    return _reduce((input - target).abs(), reduction, 'l1_loss')


def _smooth_l1(d, beta):
    """0.5 d² / β where |d| < β, |d| - 0.5 β elsewhere (beta = 0: |d|)."""
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: beta must be >= 0, got {beta}")
    size = d.abs()
    if beta == 0:
        return size
    return where(size.data < beta, 0.5 * d * d / beta, size - 0.5 * beta)


def smooth_l1_loss(input, target, reduction='mean', beta=1.0):
    """l = 0.5 d²/β if |d| < β else |d| - β/2  (d = x - y);   dl/dx = d/β inside, sign(d) outside.

    Quadratic near 0 (smooth), linear far away (robust to outliers, bounded gradient).
    Reference: Girshick, "Fast R-CNN", ICCV 2015.

    Example:
        >>> import minidl
        >>> import minidl.nn.functional as F
        >>> F.smooth_l1_loss(minidl.tensor([0.5, 3.0]), minidl.zeros(2), reduction='none')
        tensor([0.125, 2.5  ])
    """
    _check_same_shape(input, target, 'smooth_l1_loss')
    return _reduce(_smooth_l1(input - target, beta), reduction, 'smooth_l1_loss')


def huber_loss(input, target, reduction='mean', delta=1.0):
    """l = 0.5 d² if |d| < δ else δ (|d| - δ/2);  dl/dx = d inside, δ sign(d) outside.

    Equal to δ · smooth_l1_loss with β = δ.
    Reference: Huber, "Robust Estimation of a Location Parameter", 1964.

    Example:
        >>> import minidl
        >>> import minidl.nn.functional as F
        >>> F.huber_loss(minidl.tensor([0.5, 3.0]), minidl.zeros(2), reduction='none', delta=2.0)
        tensor([0.125, 4.   ])
    """
    _check_same_shape(input, target, 'huber_loss')
    if delta <= 0:
        raise ValueError(f"huber_loss: delta must be > 0, got {delta}")
    return _reduce(delta * _smooth_l1(input - target, delta), reduction, 'huber_loss')


# ---------------------------------------------------------------------- distributions
def kl_div(input, target, reduction='mean', log_target=False):
    """Kullback-Leibler divergence KL(q ‖ p) = Σ_c q_c (log q_c - log p_c) of the target
    distribution q from the model's p, given ``input`` = log p (e.g. ``log_softmax``) and
    ``target`` = q (or log q with ``log_target=True``), as PyTorch's ``kl_div``:

        l = q (log q - log p),   0 where q = 0 (q log q → 0);
        dl/d(log p) = -q,   dl/dq = log q + 1 - log p   (-log p at q = 0, where log q has no
        derivative; PyTorch gives NaN there).

    KL(q ‖ p) is the cross-entropy of p against q minus q's own entropy, so minimizing it over
    p is minimizing cross-entropy with soft targets; it is 0 only where p = q (Gibbs'
    inequality). Used for knowledge distillation (q: a teacher's softened outputs) and the
    variational bound of VAEs.

    ``reduction='batchmean'`` divides the sum by the batch size (input.shape[0]), which is the
    divergence per sample, the mathematical definition; ``'mean'`` divides by the number of
    elements, and PyTorch warns about it, as minidl does.

    Example:
        >>> import minidl
        >>> import minidl.nn.functional as F
        >>> log_p = minidl.tensor([[0.5, 0.5]]).log()
        >>> round(F.kl_div(log_p, minidl.tensor([[1.0, 0.0]]), reduction='batchmean').item(), 4)   # log 2
        0.6931
    """
    if reduction not in REDUCTIONS + ('batchmean',):
        raise ValueError(f"kl_div: reduction must be one of {REDUCTIONS + ('batchmean',)}, got {reduction!r}")
    _check_same_shape(input, target, 'kl_div')
    if log_target:
        loss = target.exp() * (target - input)
    else:
        nonzero = target.data != 0
        log_q = where(nonzero, target, 1).log()        # log 1 = 0 where q = 0, so q log q = 0 there
        loss = target * (log_q - input)
    if reduction == 'batchmean':
        return loss.sum() / (input.shape[0] if input.ndim else 1)
    if reduction == 'mean':
        warnings.warn("kl_div: reduction='mean' divides the sum by the number of elements, not by the batch "
                      "size; reduction='batchmean' gives the divergence per sample, the definition of KL",
                      UserWarning, stacklevel=2)
    return _reduce(loss, reduction, 'kl_div')


# ---------------------------------------------------------------------- binary classification
class BinaryCrossEntropy(Function):
    """l = -(y log p + (1 - y) log(1 - p)), each log clamped at -100 (as in PyTorch, so that
    p = 0 or 1 gives a finite loss);

    dl/dp = (p - y) / (p (1 - p))   (denominator clamped at 1e-12),
    dl/dy = log(1 - p) - log p   (the clamped logs).
    """

    def forward(self, p, y):
        xp = get_array_module(p)
        low, high = (float(p.min()), float(p.max())) if p.size else (0.0, 1.0)
        if not (0 <= low and high <= 1):                  # (a NaN fails both comparisons)
            raise ValueError(f"binary_cross_entropy: input must hold probabilities in [0, 1], got values "
                             f"in [{low:g}, {high:g}]; for logits use binary_cross_entropy_with_logits")
        with numpy.errstate(divide='ignore'):             # log(0) = -inf, clamped just below
            log_p = xp.maximum(xp.log(p), -100)
            log_q = xp.maximum(xp.log1p(-p), -100)
        self.save_for_backward(p, y)
        return -(y * log_p + (1 - y) * log_q)

    def backward(self, gl):
        p, y = self.saved_tensors
        gp = gl * (p - y) / (p * (1 - p)).clamp(min=1e-12) if self.needs_input_grad[0] else None
        gy = None
        if self.needs_input_grad[1]:
            gy = gl * ((1 - p).log().clamp(min=-100) - p.log().clamp(min=-100))
        return gp, gy


class BinaryCrossEntropyWithLogits(Function):
    """l = -(y log σ(x) + (1 - y) log(1 - σ(x))), computed stably as
    l = max(x, 0) - x y + log(1 + exp(-|x|))   (no exp overflows, no log of 0);

    dl/dx = σ(x) - y,   dl/dy = -x.
    """

    def forward(self, x, y):
        xp = get_array_module(x)
        self.save_for_backward(x, y)
        return xp.maximum(x, 0) - x * y + xp.log1p(xp.exp(-xp.abs(x)))

    def backward(self, gl):
        x, y = self.saved_tensors
        gx = gl * (x.sigmoid() - y) if self.needs_input_grad[0] else None
        gy = -gl * x if self.needs_input_grad[1] else None
        return gx, gy


def _weighted(loss, weight):
    return loss if weight is None else loss * weight


def binary_cross_entropy(input, target, weight=None, reduction='mean'):
    """-(y log p + (1 - y) log(1 - p)) for probabilities p (e.g. after a sigmoid) and targets
    y in [0, 1]; ``weight`` rescales each element. Prefer
    :func:`binary_cross_entropy_with_logits`, which is stable for any logit.

    Example:
        >>> import minidl
        >>> import minidl.nn.functional as F
        >>> F.binary_cross_entropy(minidl.tensor([0.5, 1.0]), minidl.tensor([1.0, 0.0]), reduction='none')
        tensor([  0.6931472, 100.       ])
    """
    _check_same_shape(input, target, 'binary_cross_entropy')
    loss = _weighted(BinaryCrossEntropy()(input, target), weight)
    return _reduce(loss, reduction, 'binary_cross_entropy')


def binary_cross_entropy_with_logits(input, target, weight=None, reduction='mean', pos_weight=None):
    """Binary cross-entropy of σ(input) against ``target``, computed from the logits without
    forming σ(x) (stable for any x; see :class:`BinaryCrossEntropyWithLogits`).

    ``pos_weight`` p (broadcast along the last dimension, one factor per class for
    multi-label outputs) counts the positive term p times, to trade recall against precision
    on rare labels (PyTorch's: p = negatives / positives balances them):

        l = -(p y log σ(x) + (1 - y) log(1 - σ(x))) = (1 - y) x + (1 + (p - 1) y) softplus(-x)

    using log σ(x) = -softplus(-x) and log(1 - σ(x)) = -x - softplus(-x); softplus is the
    stable form, so this is stable too. Its gradients come from those ops:
    dl/dx = (1 + (p - 1) y) σ(x) - p y.

    Example:
        >>> import minidl
        >>> import minidl.nn.functional as F
        >>> F.binary_cross_entropy_with_logits(minidl.tensor([-1e4, 0.0, 1e4]), minidl.ones(3),
        ...                                    reduction='none').tolist()
        [10000.0, 0.6931471824645996, 0.0]
        >>> loss = F.binary_cross_entropy_with_logits(minidl.tensor([0.0]), minidl.ones(1),
        ...                                           pos_weight=minidl.tensor([3.0]))
        >>> round(loss.item(), 4)                       # 3 log 2
        2.0794
    """
    _check_same_shape(input, target, 'binary_cross_entropy_with_logits')
    if pos_weight is None:
        loss = BinaryCrossEntropyWithLogits()(input, target)
    else:
        _check_pos_weight(pos_weight, input)
        loss = (1 - target) * input + (1 + (pos_weight - 1) * target) * softplus(-input, threshold=math.inf)
    return _reduce(_weighted(loss, weight), reduction, 'binary_cross_entropy_with_logits')


def _check_pos_weight(pos_weight, input):
    op = 'binary_cross_entropy_with_logits'
    if not isinstance(pos_weight, Tensor) or pos_weight.dtype.kind != 'f':
        raise TypeError(f"{op}: pos_weight must be a float Tensor, got "
                        f"{getattr(pos_weight, 'dtype', type(pos_weight).__name__)}")
    classes = input.shape[-1] if input.ndim else 1
    if pos_weight.ndim > 1 or pos_weight.numel() not in (1, classes):
        raise ValueError(f"{op}: pos_weight must hold one value per class along the last dimension of the "
                         f"input (shape {tuple(input.shape)}): shape ({classes},) or (1,), got "
                         f"{tuple(pos_weight.shape)}")


# ---------------------------------------------------------------------- classification
def _check_target_form(input, target, op):
    """Check that ``target`` can hold the classes of input (N, C, d1, ...): an integer Tensor of
    shape (N, d1, ...). Its values are checked by :func:`_checked_classes`."""
    if not isinstance(target, Tensor):
        raise TypeError(f"{op}: target must be a Tensor of class indices, got {type(target).__name__}")
    if input.ndim < 2:
        raise ValueError(f"{op}: expected input of shape (N, C) or (N, C, d1, ...), got {tuple(input.shape)}")
    expected = (input.shape[0],) + tuple(input.shape[2:])
    if target.dtype.kind not in 'iu':
        raise TypeError(f"{op}: expected integer class indices as target (shape {expected}), got dtype "
                        f"{target.dtype}" + ("; cross_entropy also takes class probabilities of the "
                                             "input's shape" if op == 'nll_loss' else ''))
    if tuple(target.shape) != expected:
        raise ValueError(f"{op}: target has shape {tuple(target.shape)}, expected {expected} (the input "
                         f"shape {tuple(input.shape)} without its class dimension 1)")
    if target.device != input.device:
        raise RuntimeError(f"{op}: target is on {target.device} but input on {input.device}; move one of "
                           f"them with .to('{input.device}') or .to('{target.device}')")


def _checked_classes(input, target, ignore_index, op):
    """Check an integer target against input (N, C, d1, ...); return the mask of the elements
    not equal to ``ignore_index``, or None when every element is kept.

    The check runs on the host, on a copy of the targets: on a GPU that is one read back,
    which waits for the work queued before it (cross_entropy's kernels check on the device
    instead, and the host reads their verdict later: ``loss_kernels``). The common case,
    every class in [0, C) and none ignored, is settled by the targets' range [min, max].
    """
    _check_target_form(input, target, op)
    values = to_numpy(target.data)
    classes = input.shape[1]
    if values.size == 0:
        return None
    low, high = int(values.min()), int(values.max())
    if 0 <= low and high < classes and not low <= ignore_index <= high:
        return None
    error = _outside_classes(values, ignore_index, input.shape, op)
    if error is not None:
        raise error
    return target.data != ignore_index


def _outside_classes(values, ignore_index, input_shape, op):
    """The IndexError for the first target value (a NumPy array) outside [0, C) and not
    ``ignore_index``, or None if there is none."""
    classes = input_shape[1]
    bad = (values != ignore_index) & ((values < 0) | (values >= classes))
    if not bad.any():
        return None
    return IndexError(f"{op}: target holds class {int(values[bad][0])}, outside [0, {classes}) for input "
                      f"of shape {tuple(input_shape)}")


def _class_indices(input, target, ignore_index, op):
    """Check an integer target against input (N, C, d1, ...) and return, per target
    element, the flat index of its class's entry in input, the mask of the kept ones (None
    for all) and its class (0 where it is ignored)."""
    keep = _checked_classes(input, target, ignore_index, op)
    xp = get_array_module(input.data)
    classes = input.shape[1]
    t = target.data if keep is None else xp.where(keep, target.data, 0)
    # entry (n, t, rest) of input, with the class axis moved last and everything flattened
    rest = math.prod(input.shape[2:])
    positions = xp.arange(t.size).reshape(t.shape)
    n, r = positions // rest, positions % rest
    return (n * classes + t) * rest + r, keep, t


def _pick(log_probs, target, ignore_index, op):
    """(-log p[n, target_n], mask of kept elements or None for all, the class of each),
    each of the target's shape."""
    index, keep, classes = _class_indices(log_probs, target, ignore_index, op)
    picked = log_probs.reshape(-1)[index]
    return -picked, keep, classes


def _check_ignore_index(ignore_index, op):
    """``ignore_index`` must be a class index."""
    if not isinstance(ignore_index, numbers.Integral) or isinstance(ignore_index, bool):
        raise TypeError(f"{op}: ignore_index must be an integer class index, got {type(ignore_index).__name__}")


def _class_weights(weight, input, op):
    """PyTorch's ``weight``: None, or a Tensor of one rescaling factor per class, for input
    (N, C, ...). Returns its array in the input's dtype, or None.

    The weights are constants, as in PyTorch (which has no derivative for them)."""
    if weight is None:
        return None
    classes = input.shape[1]
    if not isinstance(weight, Tensor):
        raise TypeError(f"{op}: weight must be a Tensor of one value per class, shape ({classes},), got "
                        f"{type(weight).__name__}" + (" (ignore_index is a keyword argument)"
                                                      if isinstance(weight, numbers.Integral) else ""))
    if tuple(weight.shape) != (classes,) or weight.dtype.kind != 'f':
        raise ValueError(f"{op}: weight must hold one float per class, shape ({classes},) for input of "
                         f"shape {tuple(input.shape)}, got shape {tuple(weight.shape)} and dtype {weight.dtype}")
    if weight.device != input.device:
        raise RuntimeError(f"{op}: weight is on {weight.device} but input on {input.device}; move it with "
                           f".to('{input.device}')")
    if weight.requires_grad and is_grad_enabled():
        raise RuntimeError(f"{op}: weight requires grad, but class weights are constants (PyTorch has no "
                           "derivative for them either); pass weight.detach()")
    return weight.data.astype(input.dtype, copy=False)


def _reduce_kept(loss, keep, reduction, op, weights=None):
    """Like _reduce, but ignored elements count as 0 and the mean is over the kept ones.

    With class weights, ``weights`` holds each element's w[t_n] (``loss`` already carries
    it) and the mean is a weighted one: Σ_n loss_n / Σ_n w[t_n] over the kept elements, as in
    PyTorch. Then a batch of one class has the same mean loss whatever that class's weight:
    the weights trade the classes off against each other within a batch.

    With every element ignored (or every weight 0), the mean of nothing is NaN (0/0), as in
    PyTorch, but no gradient flows: the inputs get zeros, not the 0 · ∞ = NaN that dividing
    by 0 would send back into the weights."""
    _check_reduction(reduction, op)
    if keep is None and weights is None:
        return _reduce(loss, reduction, op)
    if keep is not None:
        loss = where(keep, loss, loss * 0)
    if reduction == 'mean':
        if weights is None:
            total = int(keep.sum())
        else:
            total = float((weights if keep is None else weights * keep).sum())
        return loss.sum() / total if total else loss.sum() * 0 + float('nan')
    return _reduce(loss, reduction, op)


def nll_loss(input, target, weight=None, ignore_index=-100, reduction='mean'):
    """Negative log-likelihood: l_n = -w[t_n] · input[n, t_n] for log-probabilities ``input``
    (N, C) or (N, C, d1, ...) and integer ``target`` t (N,) or (N, d1, ...), or one unbatched
    sample (C,) and a 0-d target. ``weight`` w, one value per class, rescales each class's
    losses (1 without it); the mean is then Σ_n l_n / Σ_n w[t_n]. Elements whose target is
    ``ignore_index`` count as 0 and are left out of the mean.

    dl_n/dinput[n, c] = -w[t_n] if c = t_n, 0 otherwise.

    Example:
        >>> import minidl
        >>> import minidl.nn.functional as F
        >>> log_p = minidl.tensor([[-0.5, -2.0], [-1.0, -0.25]])
        >>> F.nll_loss(log_p, minidl.tensor([0, 1]))
        tensor(0.375)
        >>> F.nll_loss(log_p, minidl.tensor([0, 1]), weight=minidl.tensor([1.0, 3.0]))   # (0.5 + 3·0.25) / 4
        tensor(0.3125)
    """
    _check_ignore_index(ignore_index, 'nll_loss')
    if input.ndim == 1 and isinstance(target, Tensor):          # one unbatched sample (C,)
        loss = nll_loss(input.unsqueeze(0), target.unsqueeze(0), weight, ignore_index, reduction)
        return loss.squeeze(0) if reduction == 'none' else loss
    loss, keep, classes = _pick(input, target, ignore_index, 'nll_loss')
    w = _class_weights(weight, input, 'nll_loss')
    if w is None:
        return _reduce_kept(loss, keep, reduction, 'nll_loss')
    w = w[classes]
    return _reduce_kept(loss * w, keep, reduction, 'nll_loss', w)


#: Whether SoftmaxCrossEntropy runs as CUDA kernels (``loss_kernels``), per array library: on
#: a GPU two kernels replace about seventeen array operations and the targets' read back (the
#: check runs on the device, its verdict read later); on a CPU, NumPy's array operations.
CROSS_ENTROPY_KERNEL = {'numpy': False, 'cupy': True}


class SoftmaxCrossEntropy(Function):
    """l_n = logsumexp(x_n) - x_n[t_n] for logits x (N, C) and classes t (N,), reduced to
    L = (1/N) Σ_n l_n (``'mean'``), Σ_n l_n (``'sum'``) or left per sample (``'none'``);

    dl_n/dx_n = softmax(x_n) - onehot(t_n),  so  dL/dx_n = (softmax(x_n) - onehot(t_n)) · dL/dl_n

    where, for an incoming gradient g of the output, dL/dl_n = g_n ('none'), g (sum) or g / N
    (mean). The fused form of ``nll_loss(log_softmax(x), t)`` and its reduction, which compute
    the same numbers through several ops (and a scatter in backward); cross_entropy uses it
    for the common case.
    Backward is one kernel on arrays, except under ``create_graph``, where it is written with
    Tensor ops (softmax recomputed from x) so that it can be differentiated again.

    ``ignore_index`` None: the caller has checked that every target is a class in [0, C). An
    int (on a GPU, see ``CROSS_ENTROPY_KERNEL``): the kernels check the targets themselves,
    and rows whose target is ``ignore_index`` count as 0, left out of the mean (N above is
    then the number of rows kept), as in nll_loss.
    """

    def __init__(self, target, reduction='mean', ignore_index=None):
        self.target, self.reduction, self.ignore_index = target, reduction, ignore_index

    def forward(self, x):
        xp = get_array_module(x)
        self.save_for_backward(x)
        if CROSS_ENTROPY_KERNEL[xp.__name__]:
            return self._forward_on_kernel(x)
        shifted = x - x.max(axis=1, keepdims=True)  # x_n - max(x_n) <= 0: exp cannot overflow
        e = xp.exp(shifted)
        total = e.sum(axis=1, keepdims=True)
        e /= total                                   # softmax, kept for backward
        # x[n, t_n] is entry n·C + t_n of x's rows laid end to end: one index array, read
        # with take (and written with put in backward), where x[arange(N), t] makes the
        # array library combine two index arrays first (on a GPU: 50-120 µs of host time)
        n, classes = x.shape
        self.softmax, self.picked = e, xp.arange(0, n * classes, classes) + self.target
        # l_n = logsumexp(x_n) - x_n[t_n]: the max(x_n) in both terms cancels
        losses = xp.log(total)[:, 0] - shifted.take(self.picked)
        if self.reduction == 'none':
            return losses
        self.count = n
        return losses.mean() if self.reduction == 'mean' else losses.sum()

    def _forward_on_kernel(self, x):
        """Forward as one CUDA kernel; the check of the targets is read back later
        (``backend.check_later``)."""
        self.softmax, losses, self.kept, outside = loss_kernels.softmax_cross_entropy(x, self.target, self._ignored())
        if self.ignore_index is not None:           # (the node may be freed by the time of the check)
            target, ignore_index, shape = self.target, self.ignore_index, x.shape
            check_later(outside.any(), lambda: _outside_classes(to_numpy(target), ignore_index, shape, 'cross_entropy'))
        if self.reduction == 'none':
            return losses
        self.count = self.kept.sum()                # the rows kept (all, unless some are ignored)
        return losses.sum() / self.count if self.reduction == 'mean' else losses.sum()

    def _ignored(self):
        """The kernels' ignore_index: with None no target is ignored, and -1 is no class."""
        return -1 if self.ignore_index is None else self.ignore_index

    def backward(self, gl):
        x, = self.saved_tensors
        kernel = 'kept' in self.__dict__
        n = self.count if self.reduction == 'mean' else 1
        if is_grad_enabled():                        # create_graph: keep the graph of softmax(x)
            xp = get_array_module(x.data)
            g = gl.reshape(-1, 1) if self.reduction == 'none' else gl / n
            if kernel:                               # ignored rows (and bad ones) get no gradient
                rows, classes = x.shape
                picked = xp.arange(0, rows * classes, classes) + xp.clip(self.target, 0, classes - 1)
                g = g * self.kept.reshape(-1, 1)
            else:
                picked = self.picked
            onehot = xp.zeros(x.shape, dtype=x.dtype)
            onehot.put(picked, 1)
            return (softmax(x, dim=1) - onehot) * g
        g = gl.data.reshape(-1, 1) if self.reduction == 'none' else gl.data / n   # dL/dl_n
        # The saved softmax becomes the gradient in place (no new (N, C) array); a second
        # backward through a retained graph finds it used up and recomputes it from x.
        gx = self.__dict__.pop('softmax', None)
        if gx is None:
            gx = softmax(x, dim=1).data
        xp = get_array_module(gx)
        gx = xp.ascontiguousarray(gx)                       # (a no-op, unless x was a transposed view)
        if kernel:
            scale = xp.broadcast_to(g.reshape(-1), (gx.shape[0],))
            return Tensor(loss_kernels.softmax_cross_entropy_backward(gx, self.target, scale, self._ignored()))
        gx *= g                                             # softmax · dL/dl ...
        gx.put(self.picked, gx.take(self.picked) - g.reshape(-1))      # ... minus onehot · dL/dl
        return Tensor(gx)


def cross_entropy(input, target, weight=None, ignore_index=-100, reduction='mean', label_smoothing=0.0):
    """Cross-entropy between the softmax of the logits ``input`` and the target classes:

        l_n = -log softmax(x_n)[t_n] = logsumexp(x_n) - x_n[t_n]
        dl_n/dx_n = softmax(x_n) - onehot(t_n)

    computed through log-sum-exp, never a softmax followed by a log (which underflows to
    log 0 for confident wrong predictions): as the fused :class:`SoftmaxCrossEntropy` for
    logits (N, C) and integer targets, and as nll_loss(log_softmax(x)) otherwise.

    ``target`` is either integer classes, shape (N,) or (N, d1, ...), or class probabilities
    q of the input's shape, giving l_n = -Σ_c q_c log softmax(x_n)_c; an unbatched input (C,)
    takes a 0-d class or probabilities (C,). ``label_smoothing`` ε mixes the target with the
    uniform distribution: q ← (1 - ε) q + ε / C (Szegedy et al., "Rethinking the Inception
    Architecture", CVPR 2016). ``ignore_index`` applies to integer targets.

    ``weight`` w (one value per class) counts each class's errors w_c times, e.g. the inverse
    of its frequency in an imbalanced training set. As in PyTorch: with integer targets
    l_n = -w[t_n] log p_n[t_n] and the mean divides by Σ_n w[t_n] (a weighted mean, see
    ``nll_loss``); label smoothing's uniform part becomes -(1/C) Σ_c w_c log p_n[c]; with
    probability targets l_n = -Σ_c w_c q_c log p_n[c], and the mean divides by N.

    Example:
        >>> import minidl
        >>> import minidl.nn.functional as F
        >>> logits = minidl.tensor([[2.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
        >>> round(F.cross_entropy(logits, minidl.tensor([0, 2])).item(), 4)
        0.6691
        >>> F.cross_entropy(minidl.tensor([[1e4, -1e4]]), minidl.tensor([1]))
        tensor(20000.)
    """
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be in [0, 1], got {label_smoothing}")
    _check_ignore_index(ignore_index, 'cross_entropy')
    if input.ndim == 1 and isinstance(target, Tensor):          # one unbatched sample (C,)
        loss = cross_entropy(input.unsqueeze(0), target.unsqueeze(0), weight, ignore_index, reduction,
                             label_smoothing)
        return loss.squeeze(0) if reduction == 'none' else loss
    if input.ndim < 2:
        raise ValueError(f"cross_entropy: expected input of shape (N, C) or (N, C, d1, ...), got "
                         f"{tuple(input.shape)}")
    classes = input.shape[1]
    w = _class_weights(weight, input, 'cross_entropy')
    if (input.ndim == 2 and not label_smoothing and w is None and isinstance(target, Tensor)
            and target.dtype.kind in 'iu'):
        if CROSS_ENTROPY_KERNEL[get_array_module(input.data).__name__]:    # the kernels check the values
            _check_target_form(input, target, 'cross_entropy')
            _check_reduction(reduction, 'cross_entropy')
            return SoftmaxCrossEntropy(target.data, reduction, ignore_index)(input)
        if _checked_classes(input, target, ignore_index, 'cross_entropy') is None:    # nothing ignored
            _check_reduction(reduction, 'cross_entropy')
            return SoftmaxCrossEntropy(target.data, reduction)(input)
    log_probs = log_softmax(input, dim=1)
    if w is not None:                                    # w_c laid along the class axis of (N, C, d1, ...)
        w_along = w.reshape((classes,) + (1,) * (input.ndim - 2))
    if isinstance(target, Tensor) and target.dtype.kind == 'f':
        if tuple(target.shape) != tuple(input.shape):
            raise ValueError(f"cross_entropy: class-probability target has shape {tuple(target.shape)}, "
                             f"expected the input's shape {tuple(input.shape)}")
        q = target * (1 - label_smoothing) + label_smoothing / classes if label_smoothing else target
        terms = q * log_probs if w is None else q * log_probs * w_along
        return _reduce(-terms.sum(dim=1), reduction, 'cross_entropy')
    loss, keep, target_classes = _pick(log_probs, target, ignore_index, 'cross_entropy')
    w_n = None if w is None else w[target_classes]
    if w_n is not None:
        loss = loss * w_n
    if label_smoothing:
        per_class = log_probs if w is None else log_probs * w_along
        uniform = -per_class.mean(dim=1)                 # -Σ_c (1/C) w_c log p_c
        loss = (1 - label_smoothing) * loss + label_smoothing * uniform
    return _reduce_kept(loss, keep, reduction, 'cross_entropy', w_n)

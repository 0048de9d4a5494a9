import math

import numpy
import pytest

import minidl
import minidl.nn.functional as F
from tests.gradcases import Case, check, t


def labels(*shape, classes=4, seed=0):
    return minidl.tensor(numpy.random.default_rng(seed).integers(0, classes, size=shape))


def probabilities(*shape, seed=0):
    p = numpy.random.default_rng(seed).uniform(0.1, 1.0, size=shape)
    return minidl.tensor(p / p.sum(axis=1, keepdims=True), dtype=minidl.float64)


def targets01(*shape, seed=0):
    return t(*shape, low=0.0, high=1.0, seed=seed)


CLASS_WEIGHTS = minidl.tensor([0.5, 2.0, 1.0, 4.0], dtype=minidl.float64)

CASES = [
    Case('cross_entropy', lambda x: F.cross_entropy(x, labels(5)), lambda: [t(5, 4)]),
    Case('cross_entropy sum', lambda x: F.cross_entropy(x, labels(5), reduction='sum'), lambda: [t(5, 4)]),
    Case('cross_entropy none', lambda x: F.cross_entropy(x, labels(5), reduction='none'), lambda: [t(5, 4)]),
    Case('cross_entropy spatial sum', lambda x: F.cross_entropy(x, labels(2, 3, 2), reduction='sum'),
         lambda: [t(2, 4, 3, 2)]),
    Case('cross_entropy smoothing ignore', lambda x: F.cross_entropy(
        x, minidl.tensor([1, -100, 3, 0, 2]), label_smoothing=0.2), lambda: [t(5, 4)]),
    Case('cross_entropy probabilities', lambda x: F.cross_entropy(x, probabilities(3, 4), label_smoothing=0.1),
         lambda: [t(3, 4)]),
    Case('cross_entropy probabilities (target grad)', lambda x, q: F.cross_entropy(x, q, reduction='none'),
         lambda: [t(3, 4), t(3, 4, low=0.0, high=1.0, seed=3)]),
    Case('nll_loss', lambda x: F.nll_loss(x, labels(6), reduction='none'), lambda: [t(6, 4)]),
    Case('mse_loss', F.mse_loss, lambda: [t(3, 4), t(3, 4, seed=1)]),
    Case('l1_loss', lambda x, y: F.l1_loss(x, y, reduction='sum'), lambda: [t(3, 4), t(3, 4, seed=1) * 0 + 0.1]),
    Case('smooth_l1_loss', lambda x: F.smooth_l1_loss(x, minidl.zeros(3, 4, dtype=minidl.float64), beta=0.5),
         lambda: [t(3, 4, away_from=0.5)]),
    Case('huber_loss', lambda x: F.huber_loss(x, minidl.zeros(3, 4, dtype=minidl.float64), delta=0.7,
                                              reduction='none'), lambda: [t(3, 4, away_from=0.7)]),
    Case('binary_cross_entropy', F.binary_cross_entropy,
         lambda: [t(3, 4, low=0.05, high=0.95), targets01(3, 4, seed=2)]),
    Case('binary_cross_entropy weighted', lambda p, y: F.binary_cross_entropy(
        p, y, weight=minidl.tensor([1.0, 2.0, 0.5, 3.0], dtype=minidl.float64), reduction='sum'),
        lambda: [t(3, 4, low=0.05, high=0.95), targets01(3, 4, seed=2)]),
    Case('binary_cross_entropy_with_logits', F.binary_cross_entropy_with_logits,
         lambda: [t(3, 4, low=-4, high=4), targets01(3, 4, seed=2)]),
    Case('binary_cross_entropy_with_logits pos_weight', lambda x, y, p: F.binary_cross_entropy_with_logits(
        x, y, pos_weight=p), lambda: [t(3, 4, low=-4, high=4), targets01(3, 4, seed=2), t(4, low=0.5, high=3)]),
    Case('cross_entropy class weights, smoothing, ignore', lambda x: F.cross_entropy(
        x, minidl.tensor([1, -100, 3, 0, 3]), weight=CLASS_WEIGHTS, label_smoothing=0.2), lambda: [t(5, 4)]),
    Case('cross_entropy class weights, spatial', lambda x: F.cross_entropy(x, labels(2, 3), weight=CLASS_WEIGHTS),
         lambda: [t(2, 4, 3)]),
    Case('cross_entropy class weights, probabilities', lambda x: F.cross_entropy(
        x, probabilities(3, 4), weight=CLASS_WEIGHTS, label_smoothing=0.1), lambda: [t(3, 4)]),
    Case('kl_div batchmean', lambda x, q: F.kl_div(x, q, reduction='batchmean'),
         lambda: [t(3, 4), probabilities(3, 4).requires_grad_()]),
    Case('kl_div log_target none', lambda x, q: F.kl_div(x, q, reduction='none', log_target=True),
         lambda: [t(3, 4), t(3, 4, seed=5)]),
    Case('nll_loss class weights', lambda x: F.nll_loss(x, labels(6), weight=CLASS_WEIGHTS), lambda: [t(6, 4)]),
]


@pytest.mark.parametrize('case', CASES, ids=repr)
def test_gradients(case):
    check(case)


def test_cross_entropy_by_hand():
    x = numpy.array([[2.0, 0.0, 0.0], [0.0, 1.0, -1.0]])
    target = [0, 2]
    lse = numpy.log(numpy.exp(x).sum(axis=1))
    per = lse - x[[0, 1], target]
    logits = minidl.tensor(x, dtype=minidl.float64)
    labels_ = minidl.tensor(target)
    numpy.testing.assert_allclose(F.cross_entropy(logits, labels_, reduction='none').numpy(), per, rtol=1e-12)
    assert F.cross_entropy(logits, labels_).item() == pytest.approx(per.mean(), rel=1e-12)
    assert F.cross_entropy(logits, labels_, reduction='sum').item() == pytest.approx(per.sum(), rel=1e-12)
    # gradient: softmax - onehot, divided by N for the mean
    logits.requires_grad_()
    F.cross_entropy(logits, labels_).backward()
    softmax = numpy.exp(x - lse[:, None])
    numpy.testing.assert_allclose(logits.grad.numpy(), (softmax - numpy.eye(3)[target]) / 2, rtol=1e-12)
    # label smoothing ε: (1 - ε) nll + ε · mean_c(-log p_c)
    eps = 0.1
    smooth = (1 - eps) * per + eps * -(x - lse[:, None]).mean(axis=1)
    assert F.cross_entropy(logits, labels_, label_smoothing=eps).item() == pytest.approx(smooth.mean(), rel=1e-12)
    # the same as probability targets
    q = minidl.tensor(numpy.eye(3)[target], dtype=minidl.float64)
    assert F.cross_entropy(logits, q, label_smoothing=eps).item() == pytest.approx(smooth.mean(), rel=1e-12)


def test_cross_entropy_spatial_matches_flattened():
    x = minidl.randn(2, 5, 3, 4)
    target = labels(2, 3, 4, classes=5)
    flat_x = x.permute(0, 2, 3, 1).reshape(-1, 5)
    assert F.cross_entropy(x, target).item() == pytest.approx(F.cross_entropy(flat_x, target.reshape(-1)).item(),
                                                               rel=1e-6)
    assert F.cross_entropy(x, target, reduction='none').shape == (2, 3, 4)


def test_ignore_index_leaves_elements_out_of_the_mean():
    x = minidl.randn(4, 3)
    full = F.cross_entropy(x, minidl.tensor([0, 1, 2, 1]), reduction='none').numpy()
    masked = F.cross_entropy(x, minidl.tensor([0, -100, 2, -100]))
    assert masked.item() == pytest.approx((full[0] + full[2]) / 2, rel=1e-6)
    assert F.cross_entropy(x, minidl.tensor([0, 7, 2, 7]), ignore_index=7, reduction='none').tolist()[1] == 0.0
    # ignore_index inside the targets' range but absent: nothing is left out
    assert F.cross_entropy(x, minidl.tensor([0, 2, 2, 0]), ignore_index=1).item() == \
        pytest.approx(F.cross_entropy(x, minidl.tensor([0, 2, 2, 0])).item(), rel=1e-6)


def test_fused_cross_entropy_of_transposed_logits():
    """Logits that are a transposed view (not C-contiguous) give the same loss and gradient."""
    base = numpy.random.default_rng(0).standard_normal((3, 5))
    target = minidl.tensor([2, 0, 1, 1, 0])
    x = minidl.tensor(numpy.ascontiguousarray(base.T), requires_grad=True)
    xt = minidl.tensor(base, requires_grad=True)
    F.cross_entropy(x, target).backward()
    F.cross_entropy(xt.T, target).backward()
    numpy.testing.assert_allclose(xt.grad.T.numpy(), x.grad.numpy(), rtol=1e-12)


def test_a_bad_class_is_found_beside_ignored_ones():
    x = minidl.randn(4, 3)
    with pytest.raises(IndexError, match=r"nll_loss: target holds class 3, outside \[0, 3\)"):
        F.nll_loss(x, minidl.tensor([0, -100, 3, 1]))
    with pytest.raises(IndexError, match=r"cross_entropy: target holds class -2, outside \[0, 3\)"):
        F.cross_entropy(x, minidl.tensor([-2, 0, 1, 2])).item()       # on a GPU: at the read back


def test_cross_entropy_is_finite_for_huge_logits_in_float32():
    x = minidl.tensor([[1e4, -1e4, 0.0], [-1e4, -1e4, 1e4]], requires_grad=True)
    loss = F.cross_entropy(x, minidl.tensor([1, 2]))
    assert loss.item() == pytest.approx(1e4, rel=1e-6)
    loss.backward()
    assert bool(minidl.isfinite(x.grad).all())
    assert F.cross_entropy(x, F.softmax(x, dim=1).detach(), label_smoothing=0.1).item() < 1e4


def test_nll_loss_by_hand():
    logp = minidl.tensor([[-0.5, -2.0, -1.0], [-1.0, -0.25, -3.0]])
    assert F.nll_loss(logp, minidl.tensor([2, 1]), reduction='none').tolist() == [1.0, 0.25]


def test_regression_losses_by_hand():
    x = minidl.tensor([0.0, 0.5, -2.0, 3.0], dtype=minidl.float64)
    y = minidl.zeros(4, dtype=minidl.float64)
    assert F.mse_loss(x, y).item() == pytest.approx((0.25 + 4 + 9) / 4)
    assert F.l1_loss(x, y, reduction='sum').item() == pytest.approx(5.5)
    assert F.smooth_l1_loss(x, y, reduction='none').tolist() == [0.0, 0.125, 1.5, 2.5]
    assert F.smooth_l1_loss(x, y, reduction='none', beta=0.0).tolist() == [0.0, 0.5, 2.0, 3.0]
    assert F.huber_loss(x, y, reduction='none', delta=2.0).tolist() == [0.0, 0.125, 2.0, 4.0]
    for delta in (0.3, 1.0, 2.5):
        numpy.testing.assert_allclose(F.huber_loss(x, y, reduction='none', delta=delta).numpy(),
                                      delta * F.smooth_l1_loss(x, y, reduction='none', beta=delta).numpy())


def test_binary_cross_entropies_by_hand_and_clamped():
    p = minidl.tensor([0.5, 0.9, 0.0, 1.0])
    y = minidl.tensor([1.0, 0.0, 1.0, 1.0])
    expected = [math.log(2), -math.log(0.1), 100.0, 0.0]
    numpy.testing.assert_allclose(F.binary_cross_entropy(p, y, reduction='none').numpy(), expected, rtol=1e-6)
    logits = minidl.tensor([0.0, 2.0, -3.0, 1e4, -1e4], requires_grad=True)
    y = minidl.tensor([1.0, 0.0, 1.0, 0.0, 0.0])
    x_np = numpy.array([0.0, 2.0, -3.0])
    sig = 1 / (1 + numpy.exp(-x_np))
    ref = -(y.numpy()[:3] * numpy.log(sig) + (1 - y.numpy()[:3]) * numpy.log(1 - sig))
    loss = F.binary_cross_entropy_with_logits(logits, y, reduction='none')
    numpy.testing.assert_allclose(loss.numpy()[:3], ref, rtol=1e-6)
    assert loss.tolist()[3:] == [1e4, 0.0]
    loss.sum().backward()
    assert bool(minidl.isfinite(logits.grad).all())
    assert logits.grad.tolist()[3:] == [1.0, 0.0]


def test_bce_rejects_non_probabilities():
    with pytest.raises(ValueError, match='with_logits'):
        F.binary_cross_entropy(minidl.tensor([1.5]), minidl.tensor([1.0]))


def test_target_errors_are_explained():
    x = minidl.randn(32, 10)
    with pytest.raises(ValueError, match=r"target has shape \(32, 1\), expected \(32,\)"):
        F.cross_entropy(x, labels(32, 1, classes=10))
    with pytest.raises(IndexError, match=r"target holds class 10, outside \[0, 10\)"):
        F.cross_entropy(x, minidl.full((32,), 10)).item()               # on a GPU: at the read back
    with pytest.raises(ValueError, match=r"class-probability target has shape \(32, 3\)"):
        F.cross_entropy(x, minidl.zeros(32, 3))
    with pytest.raises(TypeError, match='integer class indices'):
        F.nll_loss(x, minidl.zeros(32))
    with pytest.raises(ValueError, match=r"mse_loss: input shape \(32, 1\) and target shape \(32,\) differ"):
        F.mse_loss(minidl.zeros(32, 1), minidl.zeros(32))
    with pytest.raises(TypeError, match='floating point'):
        F.mse_loss(minidl.zeros(3), minidl.tensor([1, 2, 3]))
    with pytest.raises(ValueError, match='reduction'):
        F.l1_loss(minidl.zeros(3), minidl.zeros(3), reduction='avg')


@pytest.mark.parametrize('reduction', ['mean', 'sum', 'none'])
def test_fused_cross_entropy_equals_the_composition(reduction):
    """The fused op for (N, C) logits and integer targets gives the numbers of
    nll_loss(log_softmax(x)), in value, gradient, and gradient after a retained second backward."""
    rng = numpy.random.default_rng(0)
    x_np, target = rng.normal(size=(6, 5)), minidl.tensor(rng.integers(0, 5, 6))
    fused = minidl.tensor(x_np, requires_grad=True)
    composed = minidl.tensor(x_np, requires_grad=True)
    loss = F.cross_entropy(fused, target, reduction=reduction)
    assert type(loss.grad_fn).__name__ == 'SoftmaxCrossEntropy'      # the reduction is fused in
    reference = F.nll_loss(F.log_softmax(composed, dim=1), target, reduction=reduction)
    numpy.testing.assert_allclose(loss.numpy(), reference.numpy(), rtol=1e-12)
    g = minidl.tensor(rng.uniform(0.5, 2.0, size=loss.shape))      # a weight per sample for 'none'
    loss.backward(g, retain_graph=True)
    reference.backward(g)
    numpy.testing.assert_allclose(fused.grad.numpy(), composed.grad.numpy(), rtol=1e-12, atol=1e-15)
    loss.backward(g)                                 # the saved softmax is not used up
    numpy.testing.assert_allclose(fused.grad.numpy(), 2 * composed.grad.numpy(), rtol=1e-12, atol=1e-15)


class _FakeGPUArray(numpy.ndarray):
    """An ndarray that minidl's backend takes for a CuPy array (its module is cupy.*)."""
    __module__ = 'cupy.fake'


def test_targets_on_another_device_are_named():
    x = minidl.randn(2, 3, device='cpu')
    target = minidl.autograd.Tensor(numpy.array([0, 2]).view(_FakeGPUArray))
    with pytest.raises(RuntimeError, match=r"cross_entropy: target is on cuda but input on cpu"):
        F.cross_entropy(x, target)
    with pytest.raises(RuntimeError, match=r"nll_loss: target is on cuda but input on cpu"):
        F.nll_loss(x, target)


@pytest.mark.parametrize('loss', [
    lambda x, t: F.cross_entropy(x, t),
    lambda x, t: F.cross_entropy(x, t, label_smoothing=0.1),
    lambda x, t: F.nll_loss(F.log_softmax(x, dim=1), t),
    lambda x, t: F.cross_entropy(x.reshape(2, 3, 2), t.reshape(2, 2)),
])
def test_a_batch_whose_targets_are_all_ignored_has_a_nan_mean_and_zero_gradients(loss):
    # the mean over no elements is 0/0 (NaN, as in PyTorch); the gradient must stay 0, or one
    # batch of padding would turn every weight into NaN
    x = minidl.randn(4, 3, requires_grad=True)
    value = loss(x, minidl.full((4,), -100, dtype=minidl.int64))
    value.backward()
    assert math.isnan(value.item())
    numpy.testing.assert_array_equal(x.grad.numpy(), numpy.zeros((4, 3)))


@pytest.mark.parametrize('ignore_index', [minidl.ones(3), 1.0, True, None])
def test_ignore_index_must_be_an_integer(ignore_index):
    x, t = minidl.randn(4, 3), minidl.tensor([0, 1, 2, 0])
    for op in (F.cross_entropy, F.nll_loss):
        with pytest.raises(TypeError, match=f"{op.__name__}: ignore_index must be an integer class index"):
            op(x, t, ignore_index=ignore_index)
    assert F.nll_loss(x, t, ignore_index=numpy.int64(1)).shape == ()


def test_class_weights_by_hand():
    """l_n = w[t_n] (logsumexp(x_n) - x_n[t_n]); the mean divides by Σ w[t_n] over the kept
    elements; label smoothing's uniform part is -(1/C) Σ_c w_c log p_c (PyTorch's formulas)."""
    x = numpy.random.default_rng(3).standard_normal((5, 4))
    target = numpy.array([1, 3, 0, 3, 2])
    w = CLASS_WEIGHTS.numpy()
    log_p = x - numpy.log(numpy.exp(x).sum(axis=1, keepdims=True))
    nll = -log_p[numpy.arange(5), target]
    logits, classes = minidl.tensor(x, dtype=minidl.float64), minidl.tensor(target)
    got = F.cross_entropy(logits, classes, weight=CLASS_WEIGHTS, reduction='none').numpy()
    numpy.testing.assert_allclose(got, w[target] * nll, rtol=1e-12)
    assert F.cross_entropy(logits, classes, CLASS_WEIGHTS).item() == pytest.approx(
        (w[target] * nll).sum() / w[target].sum(), rel=1e-12)
    assert F.nll_loss(minidl.tensor(log_p), classes, CLASS_WEIGHTS, reduction='sum').item() == pytest.approx(
        (w[target] * nll).sum(), rel=1e-12)
    # ignoring element 1 (class 3) leaves its weight out of the denominator too
    kept = numpy.array([True, False, True, True, True])
    ignored = minidl.tensor(numpy.where(kept, target, -100))
    assert F.cross_entropy(logits, ignored, CLASS_WEIGHTS).item() == pytest.approx(
        (w[target] * nll)[kept].sum() / w[target][kept].sum(), rel=1e-12)
    eps = 0.2
    smooth = (1 - eps) * w[target] * nll + eps * -(log_p * w).mean(axis=1)
    assert F.cross_entropy(logits, classes, CLASS_WEIGHTS, label_smoothing=eps).item() == pytest.approx(
        smooth.sum() / w[target].sum(), rel=1e-12)
    # probability targets: l_n = -Σ_c w_c q_c log p_c, averaged over N
    q = probabilities(5, 4).numpy()
    assert F.cross_entropy(logits, minidl.tensor(q), CLASS_WEIGHTS).item() == pytest.approx(
        -(q * w * log_p).sum(axis=1).mean(), rel=1e-12)
    # the gradient of the weighted mean: w[t_n] (softmax - onehot) / Σ w[t_n]
    logits.requires_grad_()
    F.cross_entropy(logits, classes, CLASS_WEIGHTS).backward()
    expected = w[target, None] * (numpy.exp(log_p) - numpy.eye(4)[target]) / w[target].sum()
    numpy.testing.assert_allclose(logits.grad.numpy(), expected, rtol=1e-10)


def test_class_weights_keep_the_input_dtype_and_device():
    x = minidl.randn(3, 4)
    loss = F.cross_entropy(x, minidl.tensor([0, 1, 3]), weight=CLASS_WEIGHTS)        # float64 weights
    assert loss.dtype == minidl.float32
    one = F.cross_entropy(x[0], minidl.tensor(3), weight=CLASS_WEIGHTS)               # unbatched
    assert one.item() == pytest.approx(-F.log_softmax(x[0], dim=0)[3].item(), rel=1e-6)


def test_a_batch_whose_class_weights_are_all_zero_has_a_nan_mean_and_zero_gradients():
    x = minidl.randn(3, 4, requires_grad=True)
    value = F.cross_entropy(x, minidl.tensor([0, 0, 2]), weight=minidl.tensor([0.0, 1.0, 0.0, 1.0]))
    value.backward()
    assert math.isnan(value.item())
    numpy.testing.assert_array_equal(x.grad.numpy(), numpy.zeros((3, 4)))


@pytest.mark.parametrize('weight, error, message', [
    (minidl.ones(3), ValueError, r"weight must hold one float per class, shape \(4,\) .* got shape \(3,\)"),
    (minidl.tensor([1, 1, 1, 1]), ValueError, "weight must hold one float per class.* and dtype int64"),
    (numpy.ones(4), TypeError, "weight must be a Tensor of one value per class, shape \\(4,\\), got ndarray"),
    (-100, TypeError, "weight must be a Tensor.*got int \\(ignore_index is a keyword argument\\)"),
    (minidl.ones(4, requires_grad=True), RuntimeError, "weight requires grad, but class weights are constants"),
])
def test_class_weights_are_checked(weight, error, message):
    x, t = minidl.randn(5, 4), minidl.tensor([0, 1, 2, 3, 0])
    for op in (F.cross_entropy, F.nll_loss):
        with pytest.raises(error, match=f"{op.__name__}: {message}"):
            op(x, t, weight)


def test_pos_weight_by_hand():
    """l = -(p y log σ(x) + (1 - y) log(1 - σ(x))), p per class along the last dimension."""
    rng = numpy.random.default_rng(4)
    x, y, p = rng.normal(size=(3, 4)), rng.uniform(size=(3, 4)), numpy.array([0.5, 1.0, 2.0, 3.0])
    s = 1 / (1 + numpy.exp(-x))
    expected = -(p * y * numpy.log(s) + (1 - y) * numpy.log(1 - s))
    logits = minidl.tensor(x, requires_grad=True)
    got = F.binary_cross_entropy_with_logits(logits, minidl.tensor(y), pos_weight=minidl.tensor(p),
                                             reduction='none')
    numpy.testing.assert_allclose(got.numpy(), expected, rtol=1e-12)
    got.sum().backward()                            # dl/dx = (1 + (p - 1) y) σ(x) - p y
    numpy.testing.assert_allclose(logits.grad.numpy(), (1 + (p - 1) * y) * s - p * y, rtol=1e-10, atol=1e-14)
    # stable at huge logits, and p = 1 is the plain loss
    huge = F.binary_cross_entropy_with_logits(minidl.tensor([-1e4, 1e4]), minidl.ones(2),
                                              pos_weight=minidl.tensor([2.0]), reduction='none')
    assert huge.tolist() == [2e4, 0.0]
    plain = F.binary_cross_entropy_with_logits(logits, minidl.tensor(y))
    assert F.binary_cross_entropy_with_logits(logits, minidl.tensor(y), pos_weight=minidl.ones(1)).item() == \
        pytest.approx(plain.item(), rel=1e-12)


@pytest.mark.parametrize('pos_weight, error', [(2.0, TypeError), (minidl.tensor([1, 2, 3]), TypeError),
                                               (minidl.ones(2), ValueError), (minidl.ones(1, 3), ValueError)])
def test_pos_weight_is_checked(pos_weight, error):
    with pytest.raises(error, match="binary_cross_entropy_with_logits: pos_weight must"):
        F.binary_cross_entropy_with_logits(minidl.randn(4, 3), minidl.rand(4, 3), pos_weight=pos_weight)


def test_binary_cross_entropy_refuses_nan_probabilities():
    with pytest.raises(ValueError, match=r"binary_cross_entropy: .* got values in \[nan, nan\]"):
        F.binary_cross_entropy(minidl.tensor([float('nan'), 0.5]), minidl.tensor([1.0, 0.0]))


def test_one_unbatched_sample_is_a_batch_of_one():
    logits = minidl.tensor([2.0, 0.0, -1.0], requires_grad=True)
    loss = F.cross_entropy(logits, minidl.tensor(0))
    expected = math.log(math.exp(2) + 1 + math.exp(-1)) - 2.0        # logsumexp(x) - x[0]
    assert loss.shape == () and loss.item() == pytest.approx(expected, rel=1e-6)
    loss.backward()
    softmax = numpy.exp([2.0, 0.0, -1.0]) / numpy.exp([2.0, 0.0, -1.0]).sum()
    numpy.testing.assert_allclose(logits.grad.numpy(), softmax - [1, 0, 0], rtol=1e-5)
    assert F.cross_entropy(logits, minidl.tensor(0), reduction='none').shape == ()
    assert F.cross_entropy(logits, minidl.tensor([1.0, 0.0, 0.0])).item() == pytest.approx(expected, rel=1e-6)
    assert F.nll_loss(logits, minidl.tensor(2)).item() == 1.0


def test_kl_div_by_hand():
    """KL(q ‖ p) = Σ q (log q - log p); 0 where q = 0; 'batchmean' divides by N."""
    rng = numpy.random.default_rng(5)
    log_p = numpy.log(rng.dirichlet(numpy.ones(4), size=3))
    q = rng.dirichlet(numpy.ones(4), size=3)
    q[0] = [0.0, 0.5, 0.5, 0.0]
    with numpy.errstate(divide='ignore', invalid='ignore'):
        pointwise = numpy.where(q > 0, q * (numpy.log(q) - log_p), 0.0)
    x, target = minidl.tensor(log_p, requires_grad=True), minidl.tensor(q)
    numpy.testing.assert_allclose(F.kl_div(x, target, reduction='none').numpy(), pointwise, rtol=1e-12)
    loss = F.kl_div(x, target, reduction='batchmean')
    assert loss.item() == pytest.approx(pointwise.sum() / 3, rel=1e-12)
    loss.backward()
    numpy.testing.assert_allclose(x.grad.numpy(), -q / 3, rtol=1e-12)         # dl/dlog p = -q
    with numpy.errstate(divide='ignore'):
        log_q = minidl.tensor(numpy.log(q[1:]))
    assert F.kl_div(x[1:], log_q, reduction='sum', log_target=True).item() == pytest.approx(
        pointwise[1:].sum(), rel=1e-12)
    assert F.kl_div(x, x.detach().exp(), reduction='sum').item() == pytest.approx(0.0, abs=1e-12)   # p = q


def test_kl_div_mean_warns_and_reductions_are_checked():
    x, q = minidl.randn(2, 3), minidl.ones(2, 3) / 3
    with pytest.warns(UserWarning, match="kl_div: reduction='mean' divides the sum by the number of elements"):
        mean = F.kl_div(x, q)
    assert mean.item() == pytest.approx(F.kl_div(x, q, reduction='sum').item() / 6, rel=1e-6)
    with pytest.raises(ValueError, match=r"kl_div: reduction must be one of \('mean', 'sum', 'none', 'batchmean'\)"):
        F.kl_div(x, q, reduction='batch')
    module = minidl.nn.KLDivLoss(reduction='batchmean')
    assert module(x, q).item() == pytest.approx(F.kl_div(x, q, reduction='batchmean').item(), rel=1e-6)
    with pytest.raises(ValueError, match="KLDivLoss: reduction must be one of"):
        minidl.nn.KLDivLoss(reduction='avg')

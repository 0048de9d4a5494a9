"""A4 checks: the standardization backward (BatchNorm, LayerNorm), dropout; an MLP on digits."""
import numpy

from ... import functional as F
from ...autograd import no_grad
from ...autograd.tensor import Tensor
from ...functional.normalization import BatchNorm, LayerNorm
from ..grader import Checklist, Failed, as_numpy, expect_close, expect_gradcheck, random_tensor, raw_backward
from ._training import digits, fit, require_accuracy, weight

CHECKS = Checklist()
NO_XHAT_TERM = ("missing the term -x̂ · mean(g · x̂): σ depends on x too (dL/dx = s (g - mean g - x̂ mean(g x̂)))")
NO_MEAN_TERM = "missing the term -mean(g): μ depends on every x of the group"
CONSTANT_STATS = "μ and σ were treated as constants (dL/dx = s · g); they depend on x: see the derivation"
AXES = ("wrong group: BatchNorm standardizes each channel over the batch AND the remaining axes "
        "(0, 2, 3, ...); LayerNorm each sample over its last normalized_ndim axes")
NOT_RESCALED = "dropout not rescaled: divide the kept units by (1 - p) so that E[y] = x (inverted dropout)"
WRONG_P = "p is the probability to DROP a unit: keep each with probability 1 - p"
FIXED_MASK = ("draw a new mask at every call (backend.uniform, minidl's seeded generator): with a fixed mask "
              "the same units are dropped at every step and never train")
CHANNELWISE = ("channelwise=True drops whole channels: draw the mask with the given `shape` (N, C, 1, ..., 1), "
               "one draw per sample and channel that broadcasts over the map, not with x's shape")


def _variants(x_hat, g, axes, inv_std):
    mean = lambda v: v.mean(axis=axes, keepdims=True)                     # noqa: E731
    return [(inv_std * (g - mean(g)), NO_XHAT_TERM), (inv_std * (g - x_hat * mean(g * x_hat)), NO_MEAN_TERM),
            (inv_std * g, CONSTANT_STATS)]


def _compare_norm(s, name, make, reference, shape, axes, seed):
    rng = numpy.random.default_rng(seed)
    x = random_tensor(rng, *shape)
    gy = rng.standard_normal(shape)
    data = as_numpy(x)
    inv_std = 1 / numpy.sqrt(data.var(axis=axes, keepdims=True) + 1e-5)
    x_hat = (data - data.mean(axis=axes, keepdims=True)) * inv_std
    want = raw_backward(reference, [x], gy)[0]
    try:
        expect_close(f"{name} forward of {shape}", make(s)(x), x_hat, atol=1e-5)
        expect_close(f"{name} dL/dx for {shape}", raw_backward(make(s), [x], gy)[0], want,
                     _variants(x_hat, gy, axes, inv_std))
    except Failed as failure:
        shaped = len(shape) > 2 and name == 'BatchNorm'
        raise Failed(failure.error, failure.hint or (AXES if shaped else '')) from None


@CHECKS('BatchNorm forward and backward vs reference (2-D, 4-D, batch of two)')
def _batch_norm(s):
    for seed, (shape, axes) in enumerate([((6, 4), (0,)), ((2, 3), (0,)), ((3, 2, 4, 5), (0, 2, 3))]):
        _compare_norm(s, 'BatchNorm', lambda s: s.BatchNorm(), BatchNorm(), shape, axes, seed)


@CHECKS('LayerNorm forward and backward vs reference (batch of one, 2 axes)')
def _layer_norm(s):
    for seed, (shape, k) in enumerate([((4, 6), 1), ((1, 5), 1), ((2, 3, 4), 2)]):
        axes = tuple(range(len(shape) - k, len(shape)))
        _compare_norm(s, f'LayerNorm({k})', lambda s: s.LayerNorm(k), LayerNorm(k), shape, axes, seed + 10)


@CHECKS('gradcheck BatchNorm and LayerNorm')
def _gradcheck(s):
    rng = numpy.random.default_rng(20)
    expect_gradcheck("BatchNorm (4, 3, 2, 2)", lambda x: s.BatchNorm()(x), [random_tensor(rng, 4, 3, 2, 2)])
    expect_gradcheck("LayerNorm(1) (3, 5)", lambda x: s.LayerNorm(1)(x), [random_tensor(rng, 3, 5)])


def _rate_and_scale(y, p, label):
    """Fail unless about p of the units of ``y`` (dropout of ones) are 0 and the rest 1/(1 - p)."""
    dropped = float((y == 0).mean())
    kept = y[y != 0]
    if abs(dropped - p) > 0.02:
        raise Failed(f"{label}: {dropped:.1%} of the units were dropped", WRONG_P if abs(dropped - (1 - p)) < 0.02 else '')
    if kept.size and not numpy.allclose(kept, 1 / (1 - p)):
        hint = NOT_RESCALED if numpy.allclose(kept, 1) else ''
        raise Failed(f"{label}: kept units are {kept[0]:.4g}, expected 1/(1 - p) = {1 / (1 - p):.4g}", hint)


@CHECKS('Dropout: rate p, scale 1/(1 - p), a new mask per call, channelwise, backward')
def _dropout(s):
    x = Tensor(numpy.ones((200, 500)), requires_grad=True)
    for p in (0.2, 0.5):
        _rate_and_scale(as_numpy(s.Dropout(p)(x)), p, f"p={p}")
    if numpy.array_equal(as_numpy(s.Dropout(0.5)(x)), as_numpy(s.Dropout(0.5)(x))):
        raise Failed("p=0.5: two calls dropped the same units", FIXED_MASK)
    maps = as_numpy(s.Dropout(0.5, channelwise=True)(Tensor(numpy.ones((400, 16, 2, 3)))))
    if not (maps == maps[:, :, :1, :1]).all():
        raise Failed("channelwise=True: units of one (sample, channel) map were dropped apart", CHANNELWISE)
    _rate_and_scale(maps[:, :, 0, 0], 0.5, "channelwise=True, p=0.5 (per channel map)")
    gy = numpy.random.default_rng(21).standard_normal((200, 500))
    op = s.Dropout(0.3)
    y = as_numpy(op(x))
    with no_grad():
        gx = op.backward(Tensor(gy))
    expect_close("Dropout dL/dx (must use the forward's mask)", gx, gy * y)


@CHECKS('MLP with your BatchNorm and Dropout reaches 90% on digits')
def _train(s):
    x, y, x_test, y_test = digits()
    rng = numpy.random.default_rng(0)
    w1, b1, w2, b2 = weight(rng, 32, 64), weight(rng, 32), weight(rng, 10, 32), weight(rng, 10)
    training = [True]

    def forward(x):             # Linear -> BatchNorm -> ReLU -> Dropout -> Linear (test: batch statistics)
        h = F.relu(s.BatchNorm()(x @ w1.T + b1))
        return (s.Dropout(0.2)(h) if training[0] else h) @ w2.T + b2

    fit(forward, [w1, b1, w2, b2], x, y, steps=300, lr=1e-2)
    training[0] = False
    require_accuracy(forward, x_test, y_test, 0.90, 'MLP with BatchNorm and Dropout')

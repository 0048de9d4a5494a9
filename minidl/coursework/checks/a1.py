"""A1 checks: sum_to_shape, Mul and Div backward with broadcasting; logistic regression."""
import numpy

from ... import functional as F
from ...data.datasets import make_blobs
from ...functional.arithmetic import Div, Mul
from ...functional.reduction import sum_to_shape
from ..grader import (BATCH_MEAN, Checklist, as_numpy, expect_close, expect_gradcheck,
                      random_tensor, raw_backward)
from ._training import fit, require_accuracy, weight

CHECKS = Checklist()
# (shape of g, shape to sum it to): leading axes, size-1 axes, both, a scalar, nothing to do
SUM_CASES = [((4, 3), (3,)), ((4, 3), (4, 1)), ((2, 4, 3), (4, 1)), ((2, 1, 3), (1, 1)), ((4, 3), ()),
             ((4, 3), (4, 3)), ((1, 3), (1, 3))]
PAIRS = [((4, 3), (3,)), ((4, 3), (4, 1)), ((2, 1, 3), (4, 1)), ((1, 3), ()), ((3,), (3,))]
SIGN = "sign: d(a / b)/db = -a / b², so dL/db = -dL/dy · a / b²"


@CHECKS('sum_to_shape vs reference')
def _sum_to_shape(s):
    rng = numpy.random.default_rng(0)
    for g_shape, shape in SUM_CASES:
        g = random_tensor(rng, *g_shape, requires_grad=False)
        want = sum_to_shape(g, shape)
        n = g.numel() / max(want.numel(), 1)
        expect_close(f"sum_to_shape(g {g_shape}, {shape})", s.sum_to_shape(g, shape), want,
                     [(as_numpy(want) / n, BATCH_MEAN)])


def _check_binary(s, name, positive_b):
    rng = numpy.random.default_rng(1)
    reference, student = {'Mul': (Mul, s.Mul), 'Div': (Div, s.Div)}[name]
    for shape_a, shape_b in PAIRS:
        a, b = random_tensor(rng, *shape_a), random_tensor(rng, *shape_b, positive=positive_b)
        gy = rng.standard_normal(numpy.broadcast_shapes(shape_a, shape_b))
        got, want = raw_backward(student(), [a, b], gy), raw_backward(reference(), [a, b], gy)
        for i, label in enumerate('ab'):
            expect_close(f"{name}: dL/d{label} for {shape_a} {name.lower()} {shape_b}", got[i], want[i],
                         [(-want[i], SIGN)] if name == 'Div' else [])


@CHECKS('Mul backward vs reference (broadcasting)')
def _mul(s):
    _check_binary(s, 'Mul', False)


@CHECKS('Div backward vs reference (broadcasting)')
def _div(s):
    _check_binary(s, 'Div', True)


@CHECKS('gradcheck Mul and Div (broadcasting)')
def _gradcheck(s):
    rng = numpy.random.default_rng(2)
    for shape_a, shape_b in PAIRS[:3]:
        a, b = random_tensor(rng, *shape_a), random_tensor(rng, *shape_b, positive=True)
        expect_gradcheck(f"Mul {shape_a} * {shape_b}", s.Mul(), [a, b])
        expect_gradcheck(f"Div {shape_a} / {shape_b}", s.Div(), [a, b])


@CHECKS('gradgradcheck Mul (your backward is differentiable)')
def _double(s):
    rng = numpy.random.default_rng(3)
    expect_gradcheck("second derivative of Mul (3, 2) * (2,)", s.Mul(), [random_tensor(rng, 3, 2),
                                                                         random_tensor(rng, 2)], twice=True)


@CHECKS('logistic regression on your Mul reaches 95% on two blobs')
def _train(s):
    x, y = make_blobs(400, centers=2, cluster_std=1.5, seed=0)
    x = x.astype(numpy.float64)
    rng = numpy.random.default_rng(0)
    w, b = weight(rng, 2), weight(rng, 1)

    def forward(x):
        return s.Mul()(x, w).sum(dim=1) + b                   # w broadcasts over the batch

    fit(forward, [w, b], x, y.astype(numpy.float64), steps=100, lr=0.1,
        loss=F.binary_cross_entropy_with_logits)
    require_accuracy(forward, x, y, 0.95, 'logistic regression')

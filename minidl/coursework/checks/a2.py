"""A2 checks: the matrix product (Linear), ReLU and log_softmax backward; an MLP on digits."""
import numpy

from ... import functional as F
from ...autograd.tensor import Tensor
from ...functional.activation import LogSoftmax, ReLU
from ...functional.matmul import MatMul
from ..grader import BATCH_MEAN, Checklist, as_numpy, expect_close, expect_gradcheck, random_tensor, raw_backward
from ._training import digits, fit, require_accuracy, weight

CHECKS = Checklist()
# a (N, in) @ Wᵀ-like b; a batch of one; square (a transposed gradient keeps its shape); batched; 1-D
MATMUL_CASES = [((4, 3), (3, 5)), ((1, 3), (3, 2)), ((4, 4), (4, 4)), ((2, 4, 3), (3, 5)), ((3,), (3, 4)),
                ((2, 3), (3,))]
RELU_MASK = "multiply dL/dy by the 0/1 mask [x > 0], not by the output y"
RELU_ZERO = "at x = 0 the gradient is 0 (as in PyTorch): the mask is y > 0, not y >= 0"
SOFTMAX_SUM = ("log_softmax: dL/dx = dL/dy - softmax(x) · Σ_j dL/dy_j; the sum over the class axis "
               "(keepdim=True) is missing")


@CHECKS('MatMul backward vs reference (batch of one, batched, 1-D)')
def _matmul(s):
    rng = numpy.random.default_rng(0)
    for shape_a, shape_b in MATMUL_CASES:
        a, b = random_tensor(rng, *shape_a), random_tensor(rng, *shape_b)
        gy = rng.standard_normal(numpy.matmul(as_numpy(a), as_numpy(b)).shape)
        got, want = raw_backward(s.MatMul(), [a, b], gy), raw_backward(MatMul(), [a, b], gy)
        n = shape_a[-2] if len(shape_a) > 1 else 1
        for i, label in enumerate('ab'):
            expect_close(f"dL/d{label} of {shape_a} @ {shape_b}", got[i], want[i], [(want[i] / n, BATCH_MEAN)])


@CHECKS('gradcheck MatMul')
def _matmul_gradcheck(s):
    rng = numpy.random.default_rng(1)
    for shape_a, shape_b in MATMUL_CASES[::2]:
        expect_gradcheck(f"MatMul {shape_a} @ {shape_b}", s.MatMul(),
                         [random_tensor(rng, *shape_a), random_tensor(rng, *shape_b)])


@CHECKS('ReLU backward vs reference (including x = 0)')
def _relu(s):
    rng = numpy.random.default_rng(2)
    x = random_tensor(rng, 5, 4)
    x.data[0, :2] = 0.0
    gy = rng.standard_normal((5, 4))
    y = numpy.maximum(as_numpy(x), 0)
    expect_close("ReLU dL/dx", raw_backward(s.ReLU(), [x], gy)[0], raw_backward(ReLU(), [x], gy)[0],
                 [(gy * y, RELU_MASK), (gy * (y >= 0), RELU_ZERO)])


@CHECKS('LogSoftmax backward vs reference (dims, a batch of one)')
def _log_softmax(s):
    rng = numpy.random.default_rng(3)
    for shape, dim in [((4, 5), 1), ((1, 5), 1), ((3, 4, 2), 1), ((3, 4), 0), ((2, 3, 4), -1)]:
        x = random_tensor(rng, *shape)
        gy = rng.standard_normal(shape)
        want = raw_backward(LogSoftmax(dim), [x], gy)[0]
        p = numpy.exp(F.log_softmax(Tensor(as_numpy(x)), dim).numpy())
        expect_close(f"LogSoftmax(dim={dim}) dL/dx for {shape}", raw_backward(s.LogSoftmax(dim), [x], gy)[0], want,
                     [(gy - p, SOFTMAX_SUM), (gy - p * gy, SOFTMAX_SUM)])


@CHECKS('gradcheck ReLU and LogSoftmax')
def _gradcheck(s):
    rng = numpy.random.default_rng(4)
    expect_gradcheck("ReLU (4, 3)", s.ReLU(), [random_tensor(rng, 4, 3)])
    expect_gradcheck("LogSoftmax(dim=1) (4, 3)", lambda x: s.LogSoftmax(1)(x), [random_tensor(rng, 4, 3)])


@CHECKS('MLP on your MatMul/ReLU/LogSoftmax reaches 90% on digits')
def _train(s):
    x, y, x_test, y_test = digits()
    rng = numpy.random.default_rng(0)
    w1, b1, w2, b2 = weight(rng, 32, 64), weight(rng, 32), weight(rng, 10, 32), weight(rng, 10)

    def forward(x):                                            # Linear -> ReLU -> Linear -> log_softmax
        h = s.ReLU()(s.MatMul()(x, w1.T) + b1)
        return s.LogSoftmax(1)(s.MatMul()(h, w2.T) + b2)

    fit(forward, [w1, b1, w2, b2], x, y, steps=300, lr=1e-2, loss=F.nll_loss)
    require_accuracy(forward, x_test, y_test, 0.90, 'MLP 64-32-10')

"""A3 checks: im2col, col2im, conv2d, max pooling (argmax and gradient scatter); a small CNN."""
import numpy

from ... import functional as F
from ...autograd.tensor import Tensor
from ...functional.conv import Col2Im, Im2Col, SlidingWindow
from ...functional.pooling import MaxPool2d, WindowScatter
from ..grader import (Checklist, Failed, as_numpy, expect_close, expect_gradcheck, gradients, on_device,
                      random_tensor, raw_backward)
from ._training import digits, fit, require_accuracy, weight

CHECKS = Checklist()
# (image shape, kernel, stride, padding, dilation): overlapping windows, strides, padding, dilation
WINDOWS = [((2, 3, 5, 5), 3, 1, 0, 1), ((1, 2, 6, 7), 2, 2, 0, 1), ((2, 1, 5, 6), 3, 2, 1, 1),
           ((1, 2, 7, 7), 3, 1, 1, 2), ((1, 1, 4, 4), (2, 3), (1, 2), 0, 1)]
OVERLAP = ("windows overlap here (stride < kernel): a pixel seen by several windows must get the SUM of "
           "their contributions (+=), not the last one (=)")
LAYOUT = ("cols layout: rows are (c, i, j) and columns (p, q, n); the product W @ cols is (O, H_out·W_out·N), "
          "so reshape it to (O, H_out, W_out, N) and move the batch axis first")
TIES = ("ties: the gradient goes to ONE position per window, the first maximum (compare with a strict >)")
SAME_WINDOW = ("dL/dx = col2im(Wᵀ · dL/dY) with the forward's window: the same kernel, stride, padding and "
               "dilation as its im2col")


@CHECKS('Im2Col forward vs reference (stride, padding, dilation)')
def _im2col(s):
    rng = numpy.random.default_rng(0)
    for shape, *geometry in WINDOWS:
        x = random_tensor(rng, *shape, requires_grad=False)
        window = SlidingWindow(*geometry)
        expect_close(f"im2col of {shape} with {window}", s.Im2Col(window)(x), Im2Col(window)(x))


@CHECKS('Col2Im forward vs reference (overlapping windows add up)')
def _col2im(s):
    rng = numpy.random.default_rng(1)
    for shape, *geometry in WINDOWS:
        window = SlidingWindow(*geometry)
        cols = random_tensor(rng, *Im2Col(window)(random_tensor(rng, *shape)).shape, requires_grad=False)
        hint = OVERLAP if min(window.stride[a] < window.kernel[a] for a in (0, 1)) else ''
        try:
            expect_close(f"col2im to {shape} with {window}", s.Col2Im(window, shape)(cols), Col2Im(window, shape)(cols))
        except Failed as failure:
            raise Failed(failure.error, failure.hint or hint) from None


def _conv_inputs(rng, shape, kernel):
    """x of ``shape``, a weight of 4 filters of ``kernel``'s size and a bias."""
    kh, kw = (kernel, kernel) if isinstance(kernel, int) else kernel
    return random_tensor(rng, *shape), random_tensor(rng, 4, shape[1], kh, kw), random_tensor(rng, 4)


@CHECKS('conv2d forward and gradients vs reference (stride, padding, dilation)')
def _conv2d(s):
    rng = numpy.random.default_rng(2)
    for shape, kernel, *args in WINDOWS:                   # args: stride, padding, dilation
        x, w, b = _conv_inputs(rng, shape, kernel)
        label = f"conv2d {shape} * {tuple(w.shape)} with {SlidingWindow(kernel, *args)}"
        y = as_numpy(F.conv2d(x, w, None, *args))
        bias = as_numpy(b).reshape(-1, 1, 1, 1)
        wrong_layout = (y.transpose(1, 2, 3, 0) + bias).reshape(y.shape)   # (O, H, W, N) read as (N, O, H, W)
        expect_close(label, s.conv2d(x, w, b, *args), F.conv2d(x, w, b, *args), [(wrong_layout, LAYOUT)])
        got = gradients(lambda *inputs: s.conv2d(*inputs, *args), [x, w, b])
        want = gradients(lambda *inputs: F.conv2d(*inputs, *args), [x, w, b])
        for name, g, g_want in zip('xwb', got, want):
            try:
                expect_close(f"{label}: dL/d{name}", g, g_want)
            except Failed as failure:
                raise Failed(failure.error, failure.hint or (SAME_WINDOW if name == 'x' else '')) from None


@CHECKS('gradcheck conv2d (stride, padding, dilation)')
def _conv2d_gradcheck(s):
    rng = numpy.random.default_rng(6)
    for shape, kernel, *args in WINDOWS:
        expect_gradcheck(f"conv2d {shape} with {SlidingWindow(kernel, *args)}",
                         lambda *inputs: s.conv2d(*inputs, *args), _conv_inputs(rng, shape, kernel))


@CHECKS('MaxPool2d forward and backward vs reference (overlaps, ties)')
def _max_pool(s):
    rng = numpy.random.default_rng(3)
    for shape, kernel, stride, padding in [((2, 3, 4, 4), 2, 2, 0), ((1, 2, 5, 5), 3, 1, 1), ((2, 1, 7, 6), 3, 2, 1)]:
        _compare_pool(s, random_tensor(rng, *shape), kernel, stride, padding)
    ties = Tensor(on_device(numpy.ones((1, 1, 4, 4))), requires_grad=True)   # every window is one big tie
    _compare_pool(s, ties, 2, 1, 0, tie=True)


def _compare_pool(s, x, kernel, stride, padding, tie=False):
    window = SlidingWindow(kernel, stride, padding)
    label = f"max_pool2d of {tuple(x.shape)} with {window}"
    want_y = MaxPool2d(window)(x)
    expect_close(label, s.MaxPool2d(window)(x), want_y)
    gy = numpy.random.default_rng(4).standard_normal(want_y.shape)
    got, want = raw_backward(s.MaxPool2d(window), [x], gy)[0], raw_backward(MaxPool2d(window), [x], gy)[0]
    hint = TIES if tie else OVERLAP if window.stride[0] < window.kernel[0] else ''
    try:
        expect_close(f"{label}: dL/dx", got, want)
    except Failed as failure:
        raise Failed(failure.error, failure.hint or hint) from None


@CHECKS('WindowScatter vs reference')
def _scatter(s):
    rng = numpy.random.default_rng(5)
    window = SlidingWindow(3, 1, 1)
    weights = [on_device(rng.random((2, 1, 4, 4))) for _ in range(9)]
    g = random_tensor(rng, 2, 1, 4, 4, requires_grad=False)
    try:
        expect_close("WindowScatter (3x3, stride 1)", s.WindowScatter(window, weights, (2, 1, 4, 4))(g),
                     WindowScatter(window, weights, (2, 1, 4, 4))(g))
    except Failed as failure:
        raise Failed(failure.error, failure.hint or OVERLAP) from None


@CHECKS('CNN on your conv2d and max pooling reaches 85% on digits')
def _train(s):
    x, y, x_test, y_test = digits(flat=False)
    rng = numpy.random.default_rng(0)
    w1, b1, w2, b2 = weight(rng, 8, 1, 3, 3), weight(rng, 8), weight(rng, 10, 8 * 4 * 4), weight(rng, 10)
    window = SlidingWindow(2, 2)

    def forward(x):                          # conv 3x3 -> relu -> max pool 2 -> linear
        h = s.MaxPool2d(window)(F.relu(s.conv2d(x, w1, b1, 1, 1)))
        return h.reshape(h.shape[0], -1) @ w2.T + b2

    fit(forward, [w1, b1, w2, b2], x, y, steps=150, lr=1e-2)
    require_accuracy(forward, x_test, y_test, 0.85, 'CNN')

import numpy
import pytest

import minidl
import minidl.nn.functional as F
from minidl.functional.conv import SlidingWindow
from minidl.functional import conv
from minidl.functional.pooling import WindowScatter, WindowSum
from tests.gradcases import WINDOW_SWEEPS, Case, check, t


def pool_reference(x, kernel, stride, padding, reduce, pad_value, dilation=(1, 1)):
    """The definition as loops: reduce over x_pad[n, c, p·s_h + i·d_h, q·s_w + j·d_w], (i, j) in the kernel."""
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel, stride, padding, dilation
    n_batch, channels, height, width = x.shape
    x_pad = numpy.full((n_batch, channels, height + 2 * ph, width + 2 * pw), pad_value)
    x_pad[:, :, ph:ph + height, pw:pw + width] = x
    out_h = (height + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    out_w = (width + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    y = numpy.zeros((n_batch, channels, out_h, out_w))
    for n in range(n_batch):
        for c in range(channels):
            for p in range(out_h):
                for q in range(out_w):
                    window = [x_pad[n, c, p * sh + i * dh, q * sw + j * dw] for i in range(kh) for j in range(kw)]
                    y[n, c, p, q] = reduce(window)
    return y


@pytest.fixture(autouse=True, params=WINDOW_SWEEPS)
def max_pool_form(request, monkeypatch):
    """Every test here runs with each form of max pooling that the current device's library
    runs (each device uses one of them by default: see conv.WINDOW_SWEEP)."""
    monkeypatch.setitem(conv.WINDOW_SWEEP, minidl.backend.xp_for().__name__, request.param)
    return request.param


# (N, C, H, W), kernel, stride, padding
GRID = [
    ((2, 3, 4, 4), (2, 2), (2, 2), (0, 0)),
    ((1, 2, 7, 5), (3, 3), (2, 2), (1, 1)),          # odd input, overlapping windows, padding
    ((2, 1, 6, 7), (2, 3), (1, 2), (1, 1)),          # non-square kernel
    ((1, 2, 9, 9), (3, 2), (3, 1), (0, 1)),
    ((1, 1, 5, 5), (5, 5), (1, 1), (2, 2)),
]


@pytest.mark.parametrize('shape,kernel,stride,padding', GRID)
def test_max_and_avg_pool_match_nested_loop_reference(shape, kernel, stride, padding):
    x = numpy.random.default_rng(0).normal(size=shape)
    ours = F.max_pool2d(minidl.tensor(x), kernel, stride, padding)
    numpy.testing.assert_array_equal(ours.numpy(), pool_reference(x, kernel, stride, padding, max, -numpy.inf))
    ours = F.avg_pool2d(minidl.tensor(x), kernel, stride, padding)
    numpy.testing.assert_allclose(ours.numpy(), pool_reference(x, kernel, stride, padding, numpy.mean, 0.0),
                                  rtol=1e-12)


def test_max_pool_dilation_and_default_stride():
    x = numpy.random.default_rng(1).normal(size=(2, 2, 9, 8))
    ours = F.max_pool2d(minidl.tensor(x), 2, stride=2, dilation=(2, 3))
    numpy.testing.assert_array_equal(ours.numpy(), pool_reference(x, (2, 2), (2, 2), (0, 0), max, -numpy.inf,
                                                                  (2, 3)))
    assert F.max_pool2d(minidl.tensor(x), 3).shape == (2, 2, 3, 2)


def test_max_pool_gradient_goes_to_the_first_maximum():
    x = minidl.tensor([[[[1.0, 3.0, 3.0, 0.0],
                         [3.0, 2.0, 0.0, 5.0],
                         [7.0, 7.0, 1.0, 1.0],
                         [7.0, 7.0, 1.0, 1.0]]]], requires_grad=True)
    y = F.max_pool2d(x, 2)
    assert y.tolist() == [[[[3.0, 5.0], [7.0, 1.0]]]]
    y.sum().backward()
    assert x.grad.tolist() == [[[[0.0, 1.0, 0.0, 0.0],
                                 [0.0, 0.0, 0.0, 1.0],
                                 [1.0, 0.0, 1.0, 0.0],
                                 [0.0, 0.0, 0.0, 0.0]]]]


def test_max_pool_switches_are_found_in_forward_only_when_recording():
    """Forward marks each window's first maximum (the switches backward routes through);
    under no_grad nothing will go backward, so it marks nothing."""
    from minidl.functional.pooling import MaxPool2d
    x = minidl.ones(1, 1, 2, 4)                               # two windows, each one big tie
    op = MaxPool2d(SlidingWindow(2, stride=2))
    op(x)
    assert [s.tolist()[0][0][0] for s in op.switches] == [[True, True], [False, False],
                                                          [False, False], [False, False]]
    with minidl.no_grad():
        silent = MaxPool2d(SlidingWindow(2, stride=2))
        assert silent(x).tolist() == [[[[1.0, 1.0]]]]
    assert not hasattr(silent, 'switches')


@pytest.mark.parametrize('kernel,stride,padding,dilation', [(2, 2, 0, 1), (3, 2, 1, 1), (2, 1, 0, 1), (2, 2, 1, 2),
                                                             ((3, 2), (2, 3), (1, 0), 1)])
def test_max_pool_forms_give_the_same_values_switches_and_gradients(kernel, stride, padding, dilation):
    """Integer-valued inputs (many ties), in the CHWN layout a convolution hands over and in
    plain NCHW: the 'view' form (and on CuPy the 'kernel' form) must agree with the 'slices'
    form exactly."""
    from minidl.functional.pooling import MaxPool2d
    key = minidl.backend.xp_for().__name__
    values = numpy.random.default_rng(3).integers(0, 3, size=(3, 2, 7, 8)).astype(numpy.float32)
    chwn = numpy.ascontiguousarray(values.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)
    gy = None
    for x in (values, chwn):
        results = []
        for form in WINDOW_SWEEPS:
            conv.WINDOW_SWEEP[key] = form
            xt = minidl.tensor(x, requires_grad=True)
            xt.data = minidl.backend.to_device(x, xt.device)           # keep x's memory layout
            op = MaxPool2d(SlidingWindow(kernel, stride, padding, dilation))
            y = op(xt)
            switches = numpy.stack([minidl.backend.to_numpy(s) for s in op.switches])
            gy = numpy.random.default_rng(4).normal(size=y.shape).astype(numpy.float32) if gy is None else gy
            y.backward(minidl.tensor(gy))
            results.append((y.numpy(), switches, xt.grad.numpy()))
        for result in results[1:]:
            for got, want in zip(result, results[0]):
                numpy.testing.assert_array_equal(got, want)
        gy = None


def test_overlapping_max_pool_accumulates_gradient():
    x = minidl.tensor([[[[0.0, 0.0, 0.0], [0.0, 9.0, 0.0], [0.0, 0.0, 0.0]]]], requires_grad=True)
    F.max_pool2d(x, 2, stride=1).sum().backward()
    assert x.grad.tolist()[0][0][1][1] == 4.0


def test_adaptive_avg_pool_global_and_general():
    x = numpy.random.default_rng(2).normal(size=(2, 3, 7, 5))
    numpy.testing.assert_allclose(F.adaptive_avg_pool2d(minidl.tensor(x), 1).numpy(),
                                  x.mean(axis=(2, 3), keepdims=True), rtol=1e-12)
    ours = F.adaptive_avg_pool2d(minidl.tensor(x), (3, 2)).numpy()
    for p, (r0, r1) in enumerate([(0, 3), (2, 5), (4, 7)]):         # PyTorch's floor/ceil windows
        for q, (c0, c1) in enumerate([(0, 3), (2, 5)]):
            numpy.testing.assert_allclose(ours[:, :, p, q], x[:, :, r0:r1, c0:c1].mean(axis=(2, 3)), rtol=1e-12)
    # an evenly divisible size is plain average pooling
    numpy.testing.assert_allclose(F.adaptive_avg_pool2d(minidl.tensor(x[:, :, :6, :4]), (3, 2)).numpy(),
                                  F.avg_pool2d(minidl.tensor(x[:, :, :6, :4]), 2).numpy(), rtol=1e-12)


def test_pooling_errors():
    with pytest.raises(ValueError, match='at most half the kernel size'):
        F.max_pool2d(minidl.zeros(1, 1, 4, 4), 2, padding=2)
    with pytest.raises(ValueError, match=r"max_pool2d: expected a batch of images"):
        F.max_pool2d(minidl.zeros(4, 4), 2)
    with pytest.raises(ValueError, match='does not fit'):
        F.avg_pool2d(minidl.zeros(1, 1, 2, 2), 3)


WINDOW = SlidingWindow((2, 3), stride=(1, 2), padding=1)
WEIGHTS = [0.5, -1.0, 2.0, 0.25, 1.5, -0.75]

CASES = [
    Case('max_pool2d', lambda x: F.max_pool2d(x, 2), lambda: [t(2, 2, 4, 4)]),
    Case('max_pool2d overlap padding', lambda x: F.max_pool2d(x, 3, stride=2, padding=1), lambda: [t(2, 2, 5, 5)]),
    Case('avg_pool2d', lambda x: F.avg_pool2d(x, (2, 3), stride=(1, 2), padding=1), lambda: [t(2, 2, 5, 5)]),
    Case('max_pool2d ceil_mode', lambda x: F.max_pool2d(x, 3, stride=2, padding=1, ceil_mode=True),
         lambda: [t(2, 2, 6, 5)]),
    Case('avg_pool2d ceil_mode', lambda x: F.avg_pool2d(x, (3, 2), stride=2, padding=1, ceil_mode=True),
         lambda: [t(2, 2, 6, 5)]),
    Case('adaptive_avg_pool2d', lambda x: F.adaptive_avg_pool2d(x, (2, 3)), lambda: [t(2, 2, 5, 4)]),
    Case('global average pooling', lambda x: F.adaptive_avg_pool2d(x, 1), lambda: [t(2, 3, 3, 3)]),
    Case('window sum', lambda x: WindowSum(WINDOW, WEIGHTS)(x), lambda: [t(2, 1, 4, 5)]),
    Case('window scatter', lambda g: WindowScatter(WINDOW, WEIGHTS, (2, 1, 4, 5))(g), lambda: [t(2, 1, 5, 3)]),
]


@pytest.mark.parametrize('case', CASES, ids=repr)
def test_gradients(case):
    check(case)


def test_ceil_mode_by_hand():
    """PyTorch's ceil_mode: the windows that run past the last rows and columns are pooled over
    what they cover (average: divided by the part within the padded input), and a window that
    would start in the bottom or right padding is not made."""
    x = minidl.tensor(numpy.arange(25.0).reshape(1, 1, 5, 5), requires_grad=True)
    y = F.max_pool2d(x, 2, ceil_mode=True)                      # 5 -> 3 windows: rows 0-1, 2-3, 4
    assert y.tolist() == [[[[6.0, 8.0, 9.0], [16.0, 18.0, 19.0], [21.0, 23.0, 24.0]]]]
    assert F.max_pool2d(x, 2).shape == (1, 1, 2, 2)
    assert F.max_pool2d(minidl.arange(-25, 0).reshape(1, 1, 5, 5), 2, ceil_mode=True).tolist()[0][0][2] == [-4, -2, -1]
    a = F.avg_pool2d(x, 2, ceil_mode=True)
    assert a.tolist()[0][0][2] == [(20 + 21) / 2, (22 + 23) / 2, 24.0]
    a.sum().backward()                                          # each input in one window, 1 / its size
    expected = numpy.full((5, 5), 0.25)
    expected[4, :4] = expected[:4, 4] = 0.5
    expected[4, 4] = 1.0
    numpy.testing.assert_allclose(x.grad.numpy()[0, 0], expected)
    # 2x2 windows, stride 2, padding 1 on 5 rows: the ceil formula gives 4 windows, but the
    # fourth would start at padded row 6, in the bottom padding (6 >= 5 + 1): 3, as without ceil
    assert F.max_pool2d(minidl.randn(1, 1, 5, 5), 2, stride=2, padding=1, ceil_mode=True).shape == (1, 1, 3, 3)
    # 3x3 windows, stride 2, padding 1 on 4 rows start at rows -1, 1 and 3; the last covers
    # rows 3 and 4 (padding, which counts) of the padded input, and the row beyond it does not
    pooled = F.avg_pool2d(minidl.ones(1, 1, 4, 4), 3, stride=2, padding=1, ceil_mode=True)
    along = numpy.array([2 / 3, 1.0, 1 / 2])                  # real rows / rows within the padded input
    numpy.testing.assert_allclose(pooled.numpy()[0, 0], numpy.outer(along, along), rtol=1e-6)


@pytest.mark.parametrize('op', [F.max_pool2d, F.avg_pool2d])
def test_ceil_mode_must_be_a_bool(op):
    with pytest.raises(TypeError, match=f"{op.__name__}: ceil_mode must be True or False, got 1"):
        op(minidl.randn(1, 1, 4, 4), 2, ceil_mode=1)

"""The CUDA kernels of ``window_kernels``, checked on the CPU: each kernel's body compiled as
C++ by the host's compiler, in a loop over i that stands in for the GPU's threads, with a
CArray that indexes by strides as CuPy's does, and run on NumPy arrays against the array
forms of the same ops (the 'slices' sweep). This checks the index arithmetic and the
boundary cases of the kernels on every machine with a C++ compiler; on a GPU, the conv and
pooling tests run the kernels themselves through CuPy (their 'kernel' sweep).
"""
import numpy
import pytest

from minidl.functional import window_kernels
from minidl.functional.conv import Col2Im, Im2Col, SlidingWindow, filled_in_order
from minidl.functional.pooling import MaxPool2d, WindowScatter
from tests.kernel_host import COMPILER, host_kernel

pytestmark = pytest.mark.skipif(COMPILER is None, reason="no C++ compiler to build the kernels for the host")


WINDOWS = [SlidingWindow(3, 1, 1), SlidingWindow((2, 3), (2, 1), (1, 0)), SlidingWindow(3, 2, 2, 2),
           SlidingWindow((3, 2), 1, 0, (2, 1)), SlidingWindow(1)]


@pytest.mark.parametrize('window', WINDOWS, ids=repr)
@pytest.mark.parametrize('ones_row', [False, True])
def test_im2col_kernel_matches_the_array_form(window, ones_row, tmp_path):
    """Any layout of x (NCHW, and the CHWN a convolution hands over), padding, stride and
    dilation; with and without the bias's row of ones."""
    x = numpy.random.default_rng(0).normal(size=(3, 2, 7, 8))
    for layout in (x, numpy.ascontiguousarray(x.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)):
        want = Im2Col(window, ones_row=ones_row).forward(layout)
        out_h, out_w = window.output_size(7, 8)
        got = numpy.full(want.shape, numpy.nan)
        host_kernel(window_kernels.IM2COL, x.dtype, tmp_path)(layout, *window.kernel, *window_kernels._geometry(window),
                                                              out_h, out_w, got)
        numpy.testing.assert_array_equal(got, want)


@pytest.mark.parametrize('window', WINDOWS, ids=repr)
def test_col2im_kernel_matches_the_array_form(window, tmp_path):
    shape = (3, 2, 7, 8)
    (kh, kw), (out_h, out_w) = window.kernel, window.output_size(*shape[2:])
    cols = numpy.random.default_rng(1).normal(size=(2 * kh * kw, out_h * out_w * 3)).astype(numpy.float32)
    want = Col2Im(window, shape).forward(cols)
    image = numpy.full((2, 7, 8, 3), numpy.nan, dtype=numpy.float32)
    host_kernel(window_kernels.COL2IM, cols.dtype, tmp_path)(cols.reshape(2, kh, kw, out_h, out_w, 3), 7, 8,
                                                             *window_kernels._geometry(window), image)
    numpy.testing.assert_allclose(image.transpose(3, 0, 1, 2), want, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize('window', [SlidingWindow(2, 2), SlidingWindow(3, 2, 1), SlidingWindow((3, 2), (2, 3), (1, 0))],
                         ids=repr)
def test_window_max_kernel_matches_the_slices_form_on_ties_infinities_and_nan(window, tmp_path):
    """The maximum and the switches (the first maximum wins ties), as the slices form finds
    them; a window with a NaN has NaN as its maximum and no switch set, as there."""
    x = numpy.random.default_rng(2).integers(0, 3, size=(2, 3, 7, 8)).astype(numpy.float64)
    x[0, 0, 0, :3], x[1, 2, 4, 4] = numpy.nan, -numpy.inf
    op = MaxPool2d(window)
    want = op.forward(x)
    x_pad = window.pad(x, value=-numpy.inf)
    windows = window.windows(x_pad, *want.shape[2:]).transpose(2, 3, 0, 1, 4, 5)   # (kh, kw, N, C, H_out, W_out)
    best = numpy.empty(want.shape)
    hit = numpy.ones((window.kernel[0] * window.kernel[1],) + want.shape, dtype=bool)
    host_kernel(window_kernels.WINDOW_MAX, x.dtype, tmp_path)(windows, best, hit)
    assert numpy.isnan(best).any()
    numpy.testing.assert_array_equal(best, want)
    numpy.testing.assert_array_equal(hit, numpy.stack(op.switches))


@pytest.mark.parametrize('window', [SlidingWindow(2, 2), SlidingWindow(3, 3, 1), SlidingWindow((2, 3), (3, 4), (1, 0)),
                                    SlidingWindow(2, 3, 0, 2)], ids=repr)
@pytest.mark.parametrize('order', [(0, 1, 2, 3), (1, 2, 3, 0)])
def test_window_scatter_kernel_matches_the_array_form(window, order, tmp_path):
    """Disjoint windows (some with gaps between them and a tail that no window covers), max
    pooling's switches as weights, g in another layout than the result's."""
    shape = (3, 2, 9, 10)
    out_h, out_w = window.output_size(*shape[2:])
    k = window.kernel[0] * window.kernel[1]
    rng = numpy.random.default_rng(3)
    weights = numpy.zeros((k, 3, 2, out_h, out_w), dtype=bool)
    numpy.put_along_axis(weights, rng.integers(0, k, size=(1, 3, 2, out_h, out_w)), True, axis=0)
    g = numpy.ascontiguousarray(rng.normal(size=(2, out_h, out_w, 3)).astype(numpy.float32)).transpose(3, 0, 1, 2)
    want = WindowScatter(window, weights, shape, order).forward(g)
    image = filled_in_order(shape, g, order, value=numpy.nan)
    run = host_kernel(window_kernels.WINDOW_SCATTER, g.dtype, tmp_path)
    run(weights, g, *window.kernel, *window_kernels._geometry(window), image, size=image.size)
    numpy.testing.assert_array_equal(image, want)
    assert (want != 0).any() and (want == 0).any()

"""The sliding-window ops as one CUDA kernel each, for a GPU: im2col, col2im, and max pooling's
forward and backward (the ``'kernel'`` sweep of ``conv.WINDOW_SWEEP``).

Why: on a GPU every array operation costs ~10 µs of host time to launch, however little it
computes, and the host, not the device, sets the pace of a small CNN's training step
(``benchmarks/NOTES.md``). The 'view' forms in conv.py and pooling.py already make each of
these ops a few operations over one strided view (zero-pad, copy, fill; or max, where, min,
compare; or zero-fill, multiply); here each is a single kernel, written straight from the
op's definition, with no padded copy or temporary in between.

Each kernel is a CuPy ``ElementwiseKernel``: a loop body in CUDA C that runs once per element
i of its output, reading its input as a ``raw`` array, indexed either by a full index
``x[{n, c, h, w}]`` or by a flat (row-major) position in the array's shape, whatever its
strides. Each output element is *gathered* by one thread, so no two threads write to the same
place and no atomic adds are needed:

    im2col      cols[(c, i, j), (p, q, n)] = x[n, c, p·s_h + i·d_h - p_h, q·s_w + j·d_w - p_w]
                (0 where that falls in the padding; the row after the last, if any, all ones)
    col2im      x[n, c, h, w] = Σ_(i, j) cols[(c, i, j), (p, q, n)]  over the offsets (i, j) for
                which h + p_h - i·d_h = p·s_h and w + p_w - j·d_w = q·s_w for some output position (p, q)
    window max  y = max_k windows[k],  hit[k] = [k is the first offset k that holds y]
    window      x[n, c, h, w] = w_k[n, c, p, q] · g[n, c, p, q]  for the one window (p, q) and
    scatter     offset k that hold pixel (h, w), or 0 (windows that do not overlap: max
                pooling's backward, its usual stride = kernel size)

col2im is the gather form of "add every column entry back to the pixel it was copied from":
pixel (h, w) asks, for each kernel offset, which output position (p, q) read it there.

CuPy compiles each kernel on its first use (and caches it on disk). NumPy never reaches this
module: the CPU keeps its own sweeps, which NumPy runs as a few long array operations.
"""
from collections import namedtuple

from ..backend import get_array_module

#: A kernel's source: its parameters as CuPy declares them, and the body run for each i.
Source = namedtuple('Source', 'in_params out_params body')

IM2COL = Source(
    'raw T x, int32 kh, int32 kw, int32 sh, int32 sw, int32 ph, int32 pw, int32 dh, int32 dw, '
    'int32 out_h, int32 out_w',
    'T cols',
    """
    const ptrdiff_t n_images = x.shape()[0], channels = x.shape()[1];
    const ptrdiff_t height = x.shape()[2], width = x.shape()[3];
    const ptrdiff_t positions = out_h * out_w * n_images;          // the columns (p, q, n)
    const ptrdiff_t row = i / positions, column = i % positions;   // the row (c, ki, kj)
    if (row == channels * kh * kw) {
        cols = 1;                                                   // the bias's row of ones
    } else {
        const ptrdiff_t c = row / (kh * kw), ki = row / kw % kh, kj = row % kw;
        const ptrdiff_t n = column % n_images, q = column / n_images % out_w;
        const ptrdiff_t p = column / (n_images * out_w);
        const ptrdiff_t h = p * sh + ki * dh - ph, w = q * sw + kj * dw - pw;   // in x: unpadded
        const ptrdiff_t pixel[] = {n, c, h, w};
        cols = (0 <= h && h < height && 0 <= w && w < width) ? x[pixel] : (T)0;
    }
    """)

COL2IM = Source(
    'raw T cols, int32 height, int32 width, int32 sh, int32 sw, int32 ph, int32 pw, int32 dh, int32 dw',
    'T image',
    """
    // cols: (C, kh, kw, H_out, W_out, N); image: (C, H, W, N), i runs over it in that order
    const ptrdiff_t kh = cols.shape()[1], kw = cols.shape()[2];
    const ptrdiff_t out_h = cols.shape()[3], out_w = cols.shape()[4], n_images = cols.shape()[5];
    const ptrdiff_t n = i % n_images, w = i / n_images % width, h = i / (n_images * width) % height;
    const ptrdiff_t c = i / (n_images * width * height);
    T total = 0;
    for (ptrdiff_t ki = 0; ki < kh; ++ki) {
        const ptrdiff_t row = h + ph - ki * dh;         // = p·s_h if output row p reads h at ki
        if (row < 0 || row % sh != 0 || row / sh >= out_h) continue;
        for (ptrdiff_t kj = 0; kj < kw; ++kj) {
            const ptrdiff_t column = w + pw - kj * dw;
            if (column < 0 || column % sw != 0 || column / sw >= out_w) continue;
            const ptrdiff_t entry[] = {c, ki, kj, row / sh, column / sw, n};
            total += cols[entry];
        }
    }
    image = total;
    """)

WINDOW_MAX = Source(
    'raw T windows',
    'T best, raw bool hit',
    """
    // windows: (kh, kw, then best's shape); hit: (kh·kw, then best's shape), C-contiguous
    const ptrdiff_t offsets = windows.shape()[0] * windows.shape()[1], size = _ind.size();
    T top = windows[i];
    for (ptrdiff_t k = 1; k < offsets; ++k) {
        const T v = windows[k * size + i];
        if (v > top || v != v) top = v;                 // the maximum; a NaN wins, as in max()
    }
    best = top;
    bool found = false;                                 // the first offset holding the maximum
    for (ptrdiff_t k = 0; k < offsets; ++k) {
        const bool first = !found && windows[k * size + i] == top;
        hit[k * size + i] = first;
        found = found || first;
    }
    """)

WINDOW_SCATTER = Source(
    'raw W weights, raw T g, int32 kh, int32 kw, int32 sh, int32 sw, int32 ph, int32 pw, int32 dh, int32 dw',
    'raw T image',
    """
    // image: (N, C, H, W), a view of memory laid out in any order of its axes: i runs over
    // that memory, and the index along each axis is i over the axis's stride, modulo its length
    ptrdiff_t pixel[4];
    for (int axis = 0; axis < 4; ++axis) {
        pixel[axis] = i / (image.strides()[axis] / (ptrdiff_t)sizeof(T)) % image.shape()[axis];
    }
    // the windows are disjoint: only window (p, q) = (row / s_h, column / s_w) can hold the pixel
    const ptrdiff_t row = pixel[2] + ph, column = pixel[3] + pw;              // in x_pad
    const ptrdiff_t p = row / sh, q = column / sw, ri = row - p * sh, rj = column - q * sw;
    T value = 0;
    if (p < g.shape()[2] && q < g.shape()[3] && ri % dh == 0 && rj % dw == 0 && ri / dh < kh && rj / dw < kw) {
        const ptrdiff_t offset[] = {ri / dh * kw + rj / dw, pixel[0], pixel[1], p, q};
        const ptrdiff_t window[] = {pixel[0], pixel[1], p, q};
        value = weights[offset] * g[window];
    }
    image[pixel] = value;
    """)

_compiled = {}


def kernel(name, source):
    """The CuPy ElementwiseKernel of a ``Source``, compiled on first use (``loss_kernels`` uses
    it too)."""
    if name not in _compiled:
        import cupy
        _compiled[name] = cupy.ElementwiseKernel(*source, name='minidl_' + name)
    return _compiled[name]


def _geometry(window):
    (sh, sw), (ph, pw), (dh, dw) = window.stride, window.padding, window.dilation
    return sh, sw, ph, pw, dh, dw


def im2col(x, window, out_h, out_w, cols):
    """Fill ``cols`` (C·k_h·k_w rows, plus a row of ones if it has one more, by H_out·W_out·N
    columns, C-contiguous) with the columns of the (N, C, H, W) batch x, laid out in memory
    in any order. Returns cols."""
    return kernel('im2col', IM2COL)(x, *window.kernel, *_geometry(window), out_h, out_w, cols)


def col2im(cols, window, image_shape):
    """The (N, C, H, W) image whose columns' gradient is ``cols`` (C, k_h, k_w, H_out, W_out, N):
    (C, H, W, N) data in an (N, C, H, W) view, the layout of the convolution's input."""
    n, c, h, w = image_shape
    image = get_array_module(cols).empty((c, h, w, n), dtype=cols.dtype)
    kernel('col2im', COL2IM)(cols, h, w, *_geometry(window), image)
    return image.transpose(3, 0, 1, 2)


def window_scatter(weights, g, window, image):
    """WindowScatter's forward for disjoint windows: fill ``image`` (N, C, H, W), a transposed
    view of a C-contiguous array, with weights[k, n, c, p, q] · g[n, c, p, q] at the pixel of
    window (p, q) at offset k, and 0 at pixels in no window. weights: (k_h·k_w, N, C, H_out,
    W_out), such as max pooling's switches; weights and g in any memory layout. Returns image."""
    kernel('window_scatter', WINDOW_SCATTER)(weights, g, *window.kernel, *_geometry(window), image,
                                              size=image.size)
    return image


def window_max(windows):
    """(best, hit) for the windows (k_h, k_w, ...) of max pooling: each window's maximum
    (shape ...) and, stacked along a first axis of k_h·k_w, where its first maximum lies."""
    xp = get_array_module(windows)
    best = xp.empty(windows.shape[2:], dtype=windows.dtype)
    hit = xp.empty((windows.shape[0] * windows.shape[1],) + best.shape, dtype=bool)
    kernel('window_max', WINDOW_MAX)(windows, best, hit)
    return best, hit

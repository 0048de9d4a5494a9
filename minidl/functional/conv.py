"""2-D convolution as im2col + one matrix product.

The definition (NCHW; what the tests compute with plain loops as the reference):

    y[n, o, p, q] = b[o] + Σ_c Σ_i Σ_j  w[o, c, i, j] · x_pad[n, c, p·s_h + i·d_h, q·s_w + j·d_w]

for an input x of shape (N, C, H, W) zero-padded by (p_h, p_w), a weight w of shape
(O, C, k_h, k_w), stride (s_h, s_w) and dilation (d_h, d_w). The output has
H_out = ⌊(H + 2p_h - d_h (k_h - 1) - 1) / s_h⌋ + 1 rows (W_out likewise).

Six nested loops in Python would take minutes on a real batch. The trick (im2col) is to
copy, once, every input value each output position sees into the columns of a matrix

    cols[(c, i, j), (p, q, n)] = x_pad[n, c, p·s_h + i·d_h, q·s_w + j·d_w]      (C·k_h·k_w, H_out·W_out·N)

after which the whole convolution is ONE matrix product, which BLAS does fast:

    y = w.reshape(O, C·k_h·k_w) @ cols          (O, H_out·W_out·N), then viewed as NCHW

(the bias joins that product as the weight of a row of ones under the columns: see
:class:`Convolution`).

``cols`` is filled by ONE copy, not one value at a time: x_pad[n, c, p·s_h + i·d_h, q·s_w + j·d_w]
is, for all six indices at once, a strided view of x_pad (``SlidingWindow.windows``), and
copying that view into ``cols`` is a single array operation (on a GPU, where every operation
costs ~10 µs of launch time, however small, one kernel reads x and writes the columns, the
padding included: see ``WINDOW_SWEEP``).

Gradients: the matmul gives dL/dw = dL/dy @ colsᵀ and dL/dcols = wᵀ @ dL/dy; im2col is
linear, so dL/dx is its adjoint, col2im, applied to dL/dcols: every column entry is added
back to the pixel it was copied from (k_h·k_w strided slice-adds, overlapping windows
accumulate; on a GPU one kernel that gathers each pixel's entries, see ``WINDOW_SWEEP``).
conv2d runs all of this as one fused op, :class:`Convolution` (which on NumPy, for stride 1,
adds Wᵀ·dL/dy into the image without forming dL/dcols at all: ``_col2im_of_product``). Im2Col
and Col2Im are each other's backward, so conv2d can be differentiated any number of times.

Why the batch index comes last in a column, (p, q, n) and not (n, p, q): the columns can be
in any order as long as im2col, col2im and the reshape of y agree, and this order is the
fast one. Inside a convolution images are kept in memory as (C, H, W, N), channels
outermost and the batch innermost (``CHWN``, the layout of Krizhevsky's cuda-convnet, 2012):
then the slice of one kernel offset, x_pad[:, :, i:i+H_out, j:j+W_out] for stride 1, is one
contiguous run of W_out·N numbers per (c, p), which im2col copies and col2im adds in long
sweeps (in (N, C, H, W) order a run is only W_out numbers long); the product w @ cols comes
out as (O, H_out, W_out, N), already in that layout, so y is a transposed *view* of it, not a
copy; and the ops that follow keep the layout (bias and ReLU sweep the array whole,
pooling's strided slices walk runs of N numbers). With batch 64 on 28x28 images, im2col,
col2im and max pooling each run 1.4-3.5x faster than in the channel-major (C, N, H, W)
layout of the NumPy reference (``benchmarks/NOTES.md``). The price: with a batch of 2 the
pooling runs are that short, and such a step is ~5% slower than in channel-major order.
"""

from .. import blas
from ..autograd.function import Function
from ..autograd.grad_mode import is_grad_enabled
from ..autograd.tensor import Tensor
from ..backend import as_strided, get_array_module
from . import window_kernels
from ._util import require_one_dtype
from .shape import pad

#: Where the axes (N, C, H, W) of an image batch lie in memory inside a convolution:
#: stored as (C, H, W, N), the batch innermost (see the module docstring).
CHWN = (1, 2, 3, 0)


#: How an op sweeps its sliding windows where the fastest way depends on the hardware
#: (im2col, col2im, max pooling), per array library. ``'slices'``: one strided slice of the
#: whole batch per kernel offset (i, j), k_h·k_w operations that each sweep memory in long
#: runs: the fastest on a CPU. ``'view'``: a few operations over one strided view of all
#: windows at once (``SlidingWindow.windows``), whatever the window size. ``'kernel'`` (CuPy
#: only): one CUDA kernel per op (``window_kernels``; 0.76x the CNN step of 'view' on an
#: H200). On a GPU every operation costs ~10 µs of launch time however little it computes,
#: so the fewest operations win. (im2col makes one copy of the view under 'slices' and 'view'
#: alike, and pooling's backward over disjoint windows one product into it: as fast there on
#: a CPU.)
WINDOW_SWEEP = {'numpy': 'slices', 'cupy': 'kernel'}


def pair(value, name):
    """``3 -> (3, 3)``; a pair stays a pair; anything else is an error naming the argument."""
    if isinstance(value, int):
        value = (value, value)
    value = tuple(value)
    if len(value) != 2 or not all(isinstance(v, int) for v in value):
        raise ValueError(f"{name} must be an int or a pair of ints, got {value!r}")
    return value


def named_padding(name, kernel, stride, dilation):
    """PyTorch's padding names as (padding each side, extra rows and columns below and right).

    'valid' is no padding. 'same' keeps the input's size, so it needs stride 1: a window
    spanning d (k - 1) + 1 pixels needs d (k - 1) of padding in all, d (k - 1) // 2 on each
    side and, when that is odd (an even kernel), the one left over below and right, as
    PyTorch places it.

    Example:
        >>> named_padding('same', (3, 4), (1, 1), (1, 1))
        ((1, 1), (0, 1))
    """
    if name == 'valid':
        return (0, 0), (0, 0)
    if name != 'same':
        raise ValueError(f"conv2d: padding must be an int, a pair of ints, 'valid' or 'same', got {name!r}")
    if stride != (1, 1):
        raise ValueError(f"conv2d: padding='same' needs stride 1 (the output keeps the input's size), "
                         f"got stride {stride}, as PyTorch refuses it")
    totals = [d * (k - 1) for k, d in zip(kernel, dilation)]
    return tuple(total // 2 for total in totals), tuple(total % 2 for total in totals)


class SlidingWindow:
    """Where a k_h × k_w window with stride, zero padding and dilation lands on an image.

    Example:
        >>> from minidl.functional.conv import SlidingWindow
        >>> SlidingWindow(3, stride=2, padding=1).output_size(28, 27)
        (14, 14)
    """

    def __init__(self, kernel_size, stride=1, padding=0, dilation=1):
        self.kernel = pair(kernel_size, 'kernel_size')
        self.stride = pair(stride, 'stride')
        self.padding = pair(padding, 'padding')
        self.dilation = pair(dilation, 'dilation')
        if min(self.kernel + self.stride + self.dilation) < 1 or min(self.padding) < 0:
            raise ValueError(f"kernel_size, stride and dilation must be >= 1 and padding >= 0, got {self}")

    def __repr__(self):
        return (f"kernel_size={self.kernel}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}")

    def output_size(self, height, width, op='conv2d'):
        """(H_out, W_out) = ⌊(H + 2p - d (k - 1) - 1) / s⌋ + 1 along each axis."""
        sizes = []
        for n, k, s, p, d in zip((height, width), self.kernel, self.stride, self.padding, self.dilation):
            sizes.append((n + 2 * p - d * (k - 1) - 1) // s + 1)
        if min(sizes) < 1:
            raise ValueError(f"{op}: the window ({self}) does not fit an input of size {height}x{width}: "
                             "the output would be empty")
        return tuple(sizes)

    def offsets(self, out_h, out_w):
        """(i, j, index) per kernel offset: ``x_pad[index]`` is, for every output position
        (p, q), the pixel x_pad[..., p·s_h + i·d_h, q·s_w + j·d_w] that the offset sees."""
        (kh, kw), (sh, sw), (dh, dw) = self.kernel, self.stride, self.dilation
        for i in range(kh):
            for j in range(kw):
                rows = slice(i * dh, i * dh + sh * (out_h - 1) + 1, sh)
                cols = slice(j * dw, j * dw + sw * (out_w - 1) + 1, sw)
                yield i, j, (Ellipsis, rows, cols)

    def windows(self, x_pad, out_h, out_w):
        """Every window at once, as one strided view of ``x_pad`` (no copy) of shape
        (..., k_h, k_w, H_out, W_out):  view[..., i, j, p, q] = x_pad[..., p·s_h + i·d_h, q·s_w + j·d_w].

        One step along i moves d_h rows of x_pad and one step along p moves s_h rows, so the
        view's strides are x_pad's row stride times d_h and s_h (its column stride times d_w
        and s_w). Windows that overlap share memory: read such a view, never write to it.
        """
        *lead, row, col = x_pad.strides
        (dh, dw), (sh, sw) = self.dilation, self.stride
        return as_strided(x_pad, x_pad.shape[:-2] + self.kernel + (out_h, out_w),
                          tuple(lead) + (dh * row, dw * col, sh * row, sw * col))

    def disjoint(self):
        """True when no two windows share a pixel: the stride is at least the window's extent
        d·(k - 1) + 1 along both axes (pooling's usual stride = kernel_size)."""
        return all(s >= d * (k - 1) + 1 for k, s, d in zip(self.kernel, self.stride, self.dilation))

    def pad(self, x, value=0.0, order=None):
        """x with the padding (filled with ``value``) added around its last two axes, laid out
        in memory in ``order`` (None: x's own): a filled array with x written into its middle."""
        ph, pw = self.padding
        if not ph and not pw:
            return in_memory_order(x, order)                # order None: x itself
        h, w = x.shape[-2:]
        order = memory_order(x) if order is None else order
        x_pad = filled_in_order(x.shape[:-2] + (h + 2 * ph, w + 2 * pw), x, order, value)
        x_pad[..., ph:ph + h, pw:pw + w] = x
        return x_pad

    def zeros_padded(self, image_shape, like, order=None):
        """A zero array of the padded image's shape, with the dtype and device of ``like``,
        laid out in memory with its axes in ``order`` (see :func:`filled_in_order`)."""
        ph, pw = self.padding
        shape = tuple(image_shape[:-2]) + (image_shape[-2] + 2 * ph, image_shape[-1] + 2 * pw)
        return filled_in_order(shape, like, order)

    def crop(self, x_pad):
        """The padding cut off again."""
        ph, pw = self.padding
        return x_pad[..., ph:x_pad.shape[-2] - ph, pw:x_pad.shape[-1] - pw]


def memory_order(x):
    """The axes of array ``x`` from the slowest- to the fastest-varying in memory: (0, 1, 2, 3)
    for a C-contiguous NCHW batch, (1, 2, 3, 0) for the batch-innermost view that a convolution
    returns (its GEMM computes all of channel 0 first)."""
    return tuple(sorted(range(x.ndim), key=lambda axis: -abs(x.strides[axis])))


def filled_in_order(shape, like, order=None, value=0):
    """An array of ``shape`` filled with ``value`` (None: left uninitialized; dtype and device
    of ``like``) whose axes lie in memory in ``order``, outermost first (None: C order): a
    transposed view of a C-contiguous array.

    Why it matters: an elementwise op or a slice-add between arrays of the same memory order
    walks both in one sweep; between different orders one of them is read with large strides,
    and NumPy gives the result C order, so that the layout flips back and forth between a
    convolution (CHWN) and the ops around it, at the price of a copy each time.
    """
    xp = get_array_module(like)
    order = tuple(range(len(shape))) if order is None else tuple(order)
    stored = tuple(shape[axis] for axis in order)
    if value is None:
        base = xp.empty(stored, dtype=like.dtype)
    elif value:
        base = xp.full(stored, value, dtype=like.dtype)
    else:
        base = xp.zeros(stored, dtype=like.dtype)
    return base.transpose(tuple(order.index(axis) for axis in range(len(order))))


def in_memory_order(x, order):
    """``x`` itself if its axes already lie in memory in ``order``, else a copy laid out so.
    Axes of length 1 are left out of the comparison: where they lie changes no address."""
    if order is None:
        return x
    longer = [axis for axis in memory_order(x) if x.shape[axis] > 1]
    if longer == [axis for axis in order if x.shape[axis] > 1]:
        return x
    copy = filled_in_order(x.shape, x, order, value=None)
    copy[...] = x
    return copy


def check_image(x, op):
    if x.ndim != 4:
        raise ValueError(f"{op}: expected a batch of images of shape (N, C, H, W), got shape {tuple(x.shape)}")


class Im2Col(Function):
    """cols[(c, i, j), (p, q, n)] = x_pad[n, c, p·s_h + i·d_h, q·s_w + j·d_w];

    dL/dx = Col2Im(dL/dcols): each column entry added back to the pixel it came from.

    With ``ones_row=True`` the columns get one more row, all ones: the constant input whose
    weight is a convolution's bias (see :class:`Convolution`); it has no gradient to pass on.
    """

    def __init__(self, window, ones_row=False):
        self.window, self.ones_row = window, ones_row

    def forward(self, x):
        check_image(x, 'im2col')
        n, c, h, w = x.shape
        kh, kw = self.window.kernel
        out_h, out_w = self.window.output_size(h, w, 'im2col')
        rows = c * kh * kw
        xp = get_array_module(x)
        cols = xp.empty((rows + self.ones_row, out_h * out_w * n), dtype=x.dtype)
        table = cols[:rows].reshape(c, kh, kw, out_h, out_w, n)    # cols[(c, i, j), (p, q, n)], 6 axes
        # BEGIN SOLUTION
        if WINDOW_SWEEP[xp.__name__] == 'kernel':                  # on a GPU: see WINDOW_SWEEP
            return window_kernels.im2col(x, self.window, out_h, out_w, cols)
        x_pad = self.window.pad(x, order=CHWN)         # padded, laid out as CHWN: one copy at most
        windows = self.window.windows(x_pad, out_h, out_w)          # (N, C, kh, kw, H_out, W_out), a view
        table[...] = windows.transpose(1, 2, 3, 4, 5, 0)            # one copy of the view
        # END SOLUTION
        if self.ones_row:
            cols[rows] = 1
        return cols

    def backward(self, gcols):
        if self.ones_row:
            gcols = gcols[:-1]                         # the row of ones is a constant
        return Col2Im(self.window, self.input_shapes[0])(gcols)


class Col2Im(Function):
    """The adjoint of im2col: x_pad[n, c, p·s_h + i·d_h, q·s_w + j·d_w] += cols[(c, i, j), (p, q, n)]
    for every entry (overlapping windows accumulate), then the padding is cropped;

    dL/dcols = Im2Col(dL/dx).
    """

    def __init__(self, window, image_shape):
        self.window, self.image_shape = window, tuple(image_shape)

    def forward(self, cols):
        n, c, h, w = self.image_shape
        kh, kw = self.window.kernel
        out_h, out_w = self.window.output_size(h, w, 'col2im')
        expected = (c * kh * kw, out_h * out_w * n)
        if cols.shape != expected:
            raise ValueError(f"col2im: columns of shape {cols.shape} do not fit an image of shape "
                             f"{self.image_shape} with {self.window}; expected {expected}")
        cols = cols.reshape(c, kh, kw, out_h, out_w, n)
        # BEGIN SOLUTION
        sweep = WINDOW_SWEEP[get_array_module(cols).__name__]             # see WINDOW_SWEEP
        if sweep == 'kernel':
            return window_kernels.col2im(cols, self.window, self.image_shape)
        if sweep == 'view' and self.window.stride == (1, 1):
            return self.window.crop(_col2im_view(self.window, cols))
        x_pad = self.window.zeros_padded(self.image_shape, cols, order=CHWN)   # as cols: C, H, W, N
        for i, j, index in self.window.offsets(out_h, out_w):
            pixels = x_pad[index]                           # a view: the sum is written in place
            pixels += cols[:, i, j].transpose(3, 0, 1, 2)
        # END SOLUTION
        return self.window.crop(x_pad)

    def backward(self, gx):
        return Im2Col(self.window)(gx)


def _col2im_view(window, cols):
    """col2im for stride 1 as a sum over the window axes of one strided view (the 'view'
    sweep: three operations instead of k_h·k_w + 1). Returns x_pad as (C, H, W, N) data in
    an (N, C, H, W) view.

    With stride 1, pixel a of x_pad receives cols[i, p] for every (i, p) with p + i·d = a,
    so x_pad[a] = Σ_i cols[i, a - i·d] (columns likewise): for each i a shifted read of the
    p axis. cols, padded with d·(k - 1) zeros on both ends of its p and q axes so that every
    shift stays inside it, has those reads as one view: one step in i moves the read d
    positions back along p, so the view's i stride is cols' i stride minus d times its p
    stride.
    """
    xp = get_array_module(cols)
    c, kh, kw, out_h, out_w, n = cols.shape
    (dh, dw) = window.dilation
    eh, ew = dh * (kh - 1), dw * (kw - 1)                   # the reach of a window beyond its origin
    padded = xp.zeros((c, kh, kw, out_h + 2 * eh, out_w + 2 * ew, n), dtype=cols.dtype)
    padded[:, :, :, eh:eh + out_h, ew:ew + out_w] = cols
    sc, si, sj, sp, sq, sn = padded.strides
    reads = as_strided(padded[:, :, :, eh:, ew:], (c, kh, kw, out_h + eh, out_w + ew, n),
                       (sc, si - dh * sp, sj - dw * sq, sp, sq, sn))
    return reads.sum(axis=(1, 2)).transpose(3, 0, 1, 2)


class Convolution(Function):
    """y = conv2d(x, w) + b as one op: im2col and one matrix product, the bias included;

        dL/dW = dL/dY · colsᵀ,   dL/db = Σ_columns dL/dY = dL/dY · 1,   dL/dx = col2im(Wᵀ · dL/dY)

    where W = w.reshape(O, C·k_h·k_w), cols = im2col(x) and Y = W · cols + b is y in its
    (O, H_out·W_out·N) layout: the gradients of a matrix product (see matmul.py) and of a
    broadcast bias, with im2col's adjoint for x.

    The bias is the weight of an input that is always 1 (homogeneous coordinates): with a row
    of ones under the columns and b as one more column of W,

        Y = [W b] · [cols; 1] = W · cols + b

    is a single product (no second pass over Y to add b), and dL/db is the product of dL/dY
    with that row of ones (BLAS, instead of a separate sum over Y's columns).

    The same numbers come out of Im2Col, MatMul, the reshapes and the bias Add recorded one by
    one: seven nodes, with about eighteen op calls in forward and backward. On a GPU each of
    those calls costs more host time than its arithmetic, so the op is fused: one node.
    Backward runs on the raw arrays, except under ``create_graph``, where the same formulas
    run as recorded Tensor ops (Im2Col, Col2Im, MatMul), so that conv2d can still be
    differentiated any number of times.
    """

    def __init__(self, window):
        self.window = window

    def forward(self, x, weight, bias=None):
        n, out_channels = x.shape[0], weight.shape[0]
        out_h, out_w = self.window.output_size(*x.shape[2:])
        # backward reads the columns as self.cols (here with the bias's row of ones), and x and
        # weight as saved_tensors
        # BEGIN SOLUTION
        w = weight.reshape(out_channels, -1)
        if bias is not None:                                        # [W b]: b the weight of a 1
            w = get_array_module(w).concatenate([w, bias.reshape(out_channels, 1).astype(w.dtype, copy=False)], axis=1)
        self.cols = Im2Col(self.window, ones_row=bias is not None).forward(x)   # (C·kh·kw [+ 1], H_out·W_out·N)
        y = w @ self.cols                                           # (O, H_out·W_out·N)
        self.save_for_backward(x, weight)
        return y.reshape(out_channels, out_h, out_w, n).transpose(3, 0, 1, 2)
        # END SOLUTION

    def backward(self, gy):
        x, weight = self.saved_tensors
        recorded = is_grad_enabled()            # create_graph: Tensor ops, differentiated again
        with_bias = len(self.input_shapes) == 3
        if recorded:
            cols = Im2Col(self.window, ones_row=with_bias)(x)      # cols as a function of x
        else:
            gy, x, weight, cols = gy.data, x.data, weight.data, self.cols
        needs, out_channels = self.needs_input_grad, weight.shape[0]
        # BEGIN SOLUTION
        rows = cols.shape[0] - with_bias                            # cols[rows]: the ones, if any
        gy = gy.permute(1, 2, 3, 0) if recorded else gy.transpose(1, 2, 3, 0)
        gy = gy.reshape(out_channels, -1)                           # dL/dY, (O, H_out·W_out·N)
        w = weight.reshape(out_channels, -1)
        gx = gw = gb = None
        if needs[0]:
            col2im = Col2Im(self.window, x.shape)
            gx = col2im(w.T @ gy) if recorded else _col2im_of_product(col2im, w.T, gy)
        if needs[1]:
            x_cols = cols[:rows]
            gw = (gy @ x_cols.T).reshape(weight.shape) if recorded else _product_in_shape(gy, x_cols.T, weight.shape)
        if with_bias and needs[2]:
            gb = gy @ cols[rows]                                    # Σ_columns dL/dY
        # END SOLUTION
        grads = (gx, gw, gb)[:len(needs)]
        return tuple(g if g is None or isinstance(g, Tensor) else Tensor(g) for g in grads)


def _col2im_of_product(col2im, a, b):
    """``col2im.forward(a @ b)``: a convolution's dL/dx = col2im(Wᵀ · dL/dY), on raw arrays.

    On NumPy with stride 1, it skips the columns in between (the product's (C·k_h·k_w) x
    (H_out·W_out·N) result, 7 MB for the second convolution of the benchmark CNN at batch 64,
    written and read back by col2im's k_h·k_w slice-adds) and adds k_h·k_w products straight
    into the padded image instead. Why that works: number the pixels of one channel of
    x_pad, (H_pad, W_pad, N) in memory, by their place a = (r·W_pad + s)·N + n, and widen the
    output grid to W_pad columns, t = (p·W_pad + q)·N + n. With stride 1 the kernel offset
    (i, j) reads pixel (p + i·d_h, q + j·d_w), that is

        a = t + shift(i, j),   shift(i, j) = (i·d_h·W_pad + j·d_w)·N,

    the same shift for every output position. So the offset's share of dL/dx_pad,
    W[:, :, i, j]ᵀ · dL/dY (C x O by O x positions), adds into one contiguous window of each
    channel's row of x_pad, starting at shift(i, j): a matrix product added in place, which
    BLAS's gemm does with β = 1 (:func:`minidl.blas.matmul_add_`), with no temporary. The
    W_pad - W_out extra columns of the widened grid would reach into the next row; their
    dL/dY is zero, so they add nothing. Each channel's row gets (k_w - 1)·d_w·N spare
    entries at its end, where the last offsets' windows run past the image.

    Measured on a 2-core x86 VM (``benchmarks/NOTES.md``, ninth pass), against product +
    col2im: a 64-to-64-channel 3x3 convolution on 32x64x32x32, whose columns' gradient is
    75 MB, runs forward + backward 21% faster with 2 BLAS threads and 10% with one; the
    benchmark CNN's second convolution (16 to 32 channels, batch 64) gets its dL/dx 12-27%
    faster with 2 threads (the training step 1-5%) and 5% slower with one (nine products over
    an inner dimension of 32 against one product and col2im on the same core). Other
    strides, other devices (a GPU's col2im is a single kernel, see ``WINDOW_SWEEP``), and a
    NumPy without a BLAS found take the product and col2im.
    """
    window, (n, c, h, w) = col2im.window, col2im.image_shape
    if get_array_module(b).__name__ != 'numpy' or window.stride != (1, 1) or b.dtype not in blas.GEMM:
        return col2im.forward(a @ b)
    (kh, kw), (dh, dw), (ph, pw) = window.kernel, window.dilation, window.padding
    out_h, out_w = window.output_size(h, w, 'col2im')
    h_pad, w_pad, channels_out = h + 2 * ph, w + 2 * pw, b.shape[0]
    positions = out_h * w_pad * n                               # t ranges over the widened grid
    gy = get_array_module(b).empty((channels_out, out_h, w_pad, n), dtype=b.dtype)
    gy[:, :, :out_w] = b.reshape(channels_out, out_h, out_w, n)
    gy[:, :, out_w:] = 0
    gy = gy.reshape(channels_out, positions)
    # aᵀ = W as (O, C, k_h, k_w); per offset a contiguous (C, O) block: W[:, :, i, j]ᵀ
    weights = a.reshape(c, kh, kw, channels_out).transpose(1, 2, 0, 3).copy()
    pixels = h_pad * w_pad * n
    x_pad = get_array_module(b).zeros((c, pixels + (kw - 1) * dw * n), dtype=b.dtype)
    for i in range(kh):
        for j in range(kw):
            shift = (i * dh * w_pad + j * dw) * n
            blas.matmul_add_(x_pad[:, shift:shift + positions], weights[i, j], gy)
    x_pad = x_pad[:, :pixels].reshape(c, h_pad, w_pad, n).transpose(3, 0, 1, 2)
    return window.crop(x_pad)


#: Split-K (see ``_product_in_shape``): for a result of at most this many entries ...
SPLIT_K_MAX_RESULT = 512
#: ... the inner dimension is cut into chunks of this many (measured: 1,024 to 4,096 give
#: the same speed-up on a 2-core x86 VM; chunks of 8,192 and more none).
SPLIT_K_CHUNK = 1024


def _product_in_shape(a, b, shape):
    """The matrix product a @ b written into a new array of ``shape`` (as many entries): an
    array that owns its memory, which backward hands to a ``.grad`` as it is (a reshaped
    product would be a view, which it copies first).

    This is the product dL/dW = dL/dY · colsᵀ of a convolution: a small result (O x C·k·k)
    over a long inner dimension (H_out·W_out·N). Two forms of it run faster on a CPU's BLAS
    (OpenBLAS's x86 kernels; numbers in ``benchmarks/NOTES.md``, eighth pass) and give the
    same sums, in another order:

    * **the longer side as rows**: (bᵀ aᵀ)ᵀ when a has fewer rows than b has columns, 1.5x
      faster for (32 x 12,544)(12,544 x 144), the second convolution of the benchmark CNN;
    * **split-K** for a tiny result (at most ``SPLIT_K_MAX_RESULT`` entries): the inner
      dimension cut into chunks of ``SPLIT_K_CHUNK``, one product per chunk (a batched
      matmul) and their sum, 3x faster for (16 x 50,176)(50,176 x 9), a first convolution on
      one channel.

    Both are NumPy's: on a GPU, cuBLAS chooses a kernel for each shape (splitting the inner
    dimension itself where that pays), and a second form would only add an operation.
    """
    xp = get_array_module(a)
    (m, k), n = a.shape, b.shape[1]
    product = xp.empty(shape, dtype=a.dtype)
    out = product.reshape(m, n)
    if xp.__name__ != 'numpy':                  # a GPU's BLAS picks its own kernel per shape
        xp.matmul(a, b, out=out)
    elif m * n <= SPLIT_K_MAX_RESULT and k >= 2 * SPLIT_K_CHUNK:
        _split_k_product(a, b, out)
    elif m < n:
        xp.matmul(b.T, a.T, out=out.T)
    else:
        xp.matmul(a, b, out=out)
    return product


def _split_k_product(a, b, out):
    """out = a @ b as the sum of the products of k-chunks: a[:, chunk] @ b[chunk, :]."""
    xp = get_array_module(a)
    (m, k), n = a.shape, b.shape[1]
    chunks, size = k // SPLIT_K_CHUNK, SPLIT_K_CHUNK
    body = chunks * size                                   # the rest (under one chunk) after
    a_chunks = a[:, :body].reshape(m, chunks, size).transpose(1, 0, 2)     # (chunks, m, size)
    b_chunks = b[:body].reshape(chunks, size, n)                           # (chunks, size, n)
    xp.matmul(a_chunks, b_chunks).sum(axis=0, out=out)
    if body < k:
        out += a[:, body:] @ b[body:]


def im2col(x, kernel_size, stride=1, padding=0, dilation=1):
    """The (C·k_h·k_w, H_out·W_out·N) matrix of the windows of x (columns in (p, q, n) order).

    Example:
        >>> import minidl
        >>> from minidl.functional import im2col
        >>> x = minidl.arange(9.0).reshape(1, 1, 3, 3)
        >>> im2col(x, 2)
        tensor([[0., 1., 3., 4.],
                [1., 2., 4., 5.],
                [3., 4., 6., 7.],
                [4., 5., 7., 8.]])
    """
    return Im2Col(SlidingWindow(kernel_size, stride, padding, dilation))(x)


def col2im(cols, image_shape, kernel_size, stride=1, padding=0, dilation=1):
    """Sum the columns back into an image of ``image_shape`` (N, C, H, W): im2col's adjoint.

    Example:
        >>> import minidl
        >>> from minidl.functional import col2im
        >>> col2im(minidl.ones(4, 4), (1, 1, 3, 3), 2)      # how many windows cover each pixel
        tensor([[[[1., 2., 1.],
                  [2., 4., 2.],
                  [1., 2., 1.]]]])
    """
    return Col2Im(SlidingWindow(kernel_size, stride, padding, dilation), image_shape)(cols)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1):
    """2-D convolution (cross-correlation, as in every framework) of NCHW ``input`` with
    ``weight`` (O, C, k_h, k_w) and optional ``bias`` (O,): im2col, one matrix product, and
    a reshape to (N, O, H_out, W_out), as one op (:class:`Convolution`). See the module
    docstring for the formula.

    ``padding`` is an int, a pair, or PyTorch's names (see :func:`named_padding`): 'valid'
    (none) or 'same' (the output keeps the input's size; stride 1 only).

    Example:
        >>> import minidl
        >>> import minidl.nn.functional as F
        >>> x = minidl.arange(16.0).reshape(1, 1, 4, 4)
        >>> F.conv2d(x, minidl.ones(1, 1, 2, 2), stride=2)        # sums of 2x2 blocks
        tensor([[[[10., 18.],
                  [42., 50.]]]])
        >>> F.conv2d(x, minidl.ones(1, 1, 2, 2), padding='same').shape
        (1, 1, 4, 4)
    """
    check_image(input, 'conv2d')
    if isinstance(padding, str):
        padding, (extra_h, extra_w) = named_padding(padding, pair(weight.shape[2:], 'kernel_size'),
                                                    pair(stride, 'stride'), pair(dilation, 'dilation'))
        if extra_h or extra_w:
            input = pad(input, (0, extra_w, 0, extra_h))
    if weight.ndim != 4:
        raise ValueError(f"conv2d: expected a weight of shape (O, C, kh, kw), got {tuple(weight.shape)}")
    require_one_dtype('conv2d', input, weight, 'the input and the weight')
    channels = input.shape[1]
    if channels != weight.shape[1]:
        raise ValueError(f"conv2d: input of shape {tuple(input.shape)} has {channels} channels, but the weight "
                         f"of shape {tuple(weight.shape)} expects {weight.shape[1]}")
    if bias is not None and tuple(bias.shape) != weight.shape[:1]:
        raise ValueError(f"conv2d: expected a bias of shape ({weight.shape[0]},), one per output channel, got "
                         f"{tuple(bias.shape)}")
    window = SlidingWindow(weight.shape[2:], stride, padding, dilation)
    return Convolution(window)(input, weight) if bias is None else Convolution(window)(input, weight, bias)

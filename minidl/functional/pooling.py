"""Pooling: max and average over sliding windows, and adaptive (global) average pooling.

The plain definitions (NCHW, window geometry as in ``conv.py``):

    max_pool2d:  y[n, c, p, q] = max_{i,j} x_pad[n, c, p·s_h + i·d_h, q·s_w + j·d_w]   (pad = -inf)
    avg_pool2d:  y[n, c, p, q] = 1/(k_h k_w) Σ_{i,j} x_pad[n, c, p·s_h + i, q·s_w + j]  (pad = 0)

Both run over the whole batch at once, never with loops over pixels: as k_h·k_w strided
slices (one per kernel offset (i, j)), or as one strided view of every window (max pooling's
'view' form; on a GPU, max pooling's forward and backward are one CUDA kernel each: see
``conv.WINDOW_SWEEP``). Both are built on one pair of linear maps, each the other's adjoint:

    WindowSum      y = Σ_k w_k ⊙ x_pad[offset k]             (a weighted sum over the window)
    WindowScatter  x_pad[offset k] += w_k ⊙ g, then crop      (its transpose)

Average pooling is WindowSum with w_k = 1/(k_h k_w). Max pooling's backward is WindowScatter
with w_k = [offset k held the maximum] (the first one on ties, as in PyTorch): the gradient
goes to the argmax. Since the pair is closed under backward, pooling can be differentiated
any number of times.
"""
import math

import numpy

from ..autograd.function import Function
from ..autograd.grad_mode import is_grad_enabled
from ..backend import get_array_module
from .conv import WINDOW_SWEEP, SlidingWindow, check_image, filled_in_order, in_memory_order, memory_order
from . import window_kernels
from .shape import pad, stack


class WindowSum(Function):
    """y[..., p, q] = Σ_k w_k[..., p, q] · x_pad[..., p·s_h + i_k·d_h, q·s_w + j_k·d_w]
    (k runs over the kernel offsets (i, j); each w_k is a constant array or number);

    dL/dx = WindowScatter(w)(dL/dy).
    """

    def __init__(self, window, weights):
        self.window, self.weights = window, weights

    def forward(self, x):
        self.order = memory_order(x)            # the gradient is laid out like x
        out_h, out_w = self.window.output_size(*x.shape[-2:], op='window_sum')
        x_pad = self.window.pad(x)
        y = 0
        for (_, _, index), w in zip(self.window.offsets(out_h, out_w), self.weights):
            y = y + w * x_pad[index]
        return y.astype(x.dtype, copy=False)

    def backward(self, gy):
        return WindowScatter(self.window, self.weights, self.input_shapes[0], self.order)(gy)


class WindowScatter(Function):
    """The adjoint of WindowSum: x_pad[..., p·s_h + i_k·d_h, q·s_w + j_k·d_w] += w_k · g[..., p, q]
    for every offset k (overlapping windows accumulate), then the padding is cropped;

    dL/dg = WindowSum(w)(dL/dx).

    ``weights`` holds one w_k per offset, in the order of ``SlidingWindow.offsets``: a list,
    or one array with the offsets along its first axis (max pooling's switches).
    """

    def __init__(self, window, weights, image_shape, order=None):
        self.window, self.weights, self.image_shape = window, weights, tuple(image_shape)
        self.order = order              # memory order of the result (see conv.filled_in_order)

    def forward(self, g):
        out_h, out_w = self.window.output_size(*self.image_shape[-2:], op='window_scatter')
        if g.shape[-2:] != (out_h, out_w):
            raise ValueError(f"window_scatter: got shape {g.shape}, expected (..., {out_h}, {out_w}) for an "
                             f"image of shape {self.image_shape} with {self.window}")
        xp = get_array_module(g)
        # BEGIN SOLUTION
        one_array_of_weights = self.window.disjoint() and hasattr(self.weights, 'shape')
        if one_array_of_weights and g.ndim == 4 and WINDOW_SWEEP[xp.__name__] == 'kernel':   # on a GPU
            image = filled_in_order(self.image_shape, g, self.order, value=None)
            return window_kernels.window_scatter(self.weights, g, self.window, image)
        g = in_memory_order(g, self.order)      # one sweep over g, the weights and the result
        x_pad = self.window.zeros_padded(self.image_shape, g, self.order)
        if one_array_of_weights:
            # No pixel lies in two windows, so the windows of x_pad, as one strided view, can
            # be written all at once: one operation (one kernel on a GPU) for every offset.
            windows = self.window.windows(x_pad, out_h, out_w)      # (..., kh, kw, H_out, W_out)
            lead = tuple(range(g.ndim - 2))
            windows = windows.transpose((g.ndim - 2, g.ndim - 1) + lead + (g.ndim, g.ndim + 1))
            xp.multiply(self.weights.reshape(windows.shape), g, out=windows)
        else:
            for (_, _, index), w in zip(self.window.offsets(out_h, out_w), self.weights):
                pixels = x_pad[index]               # a view: the sum is written in place
                pixels += w * g
        # END SOLUTION
        return self.window.crop(x_pad)

    def backward(self, gx):
        return WindowSum(self.window, self.weights)(gx)


class MaxPool2d(Function):
    """y = the maximum over each window (padding counts as -inf);

    dL/dx = dL/dy routed to the position of each window's maximum (the first one, in
    row-major order, on ties), accumulated where windows overlap: WindowScatter with
    w_k = [offset k holds the window's maximum and no earlier offset did].

    Forward finds the maximum and, when gradients are being recorded, marks where each
    window's maximum lies (the "switches" of Zeiler & Fergus, 2014) while the input is
    still in cache: one bool array per kernel offset, stacked along a first axis. Backward
    only routes dL/dy through the switches. (Finding them in backward instead reads the
    whole input again, from main memory by then: 2-3x the time.) How forward sweeps the
    windows depends on the device: see ``conv.WINDOW_SWEEP`` (3x faster on a CPU with
    slices; 6 operations instead of 16 for a 2x2 window with the view, one with the kernel).
    """

    def __init__(self, window):
        self.window = window

    def forward(self, x):
        check_image(x, 'max_pool2d')
        xp = get_array_module(x)
        out_h, out_w = self.window.output_size(*x.shape[-2:], op='max_pool2d')
        x_pad = self.window.pad(x, value=-xp.inf)
        self.order = memory_order(x_pad)                    # the gradient is laid out like x
        # BEGIN SOLUTION
        sweep = WINDOW_SWEEP[xp.__name__]                   # on a GPU 'kernel': see conv.WINDOW_SWEEP
        if sweep != 'slices':
            best, switches = max_over_window_view(self.window, x_pad, out_h, out_w, self.order, is_grad_enabled(),
                                                  kernel=sweep == 'kernel')
            if switches is not None:
                self.switches = switches
            return best
        slices = [x_pad[index] for _, _, index in self.window.offsets(out_h, out_w)]
        best = slices[0].copy() if len(slices) == 1 else xp.maximum(slices[0], slices[1])
        for s in slices[2:]:
            xp.maximum(best, s, out=best)
        if is_grad_enabled():
            free = xp.ones_like(best, dtype=bool)   # windows whose maximum is not yet found, laid out as best
            self.switches = _stacked_like(free, len(slices))
            for s, hit in zip(slices, self.switches):
                xp.equal(s, best, out=hit)
                hit &= free                                 # the first maximum wins ties
                free ^= hit                                 # (hit ⊆ free: this clears those windows)
        # END SOLUTION
        return best

    def backward(self, gy):
        # BEGIN SOLUTION
        return WindowScatter(self.window, self.switches, self.input_shapes[0], self.order)(gy)
        # END SOLUTION


def max_over_window_view(window, x_pad, out_h, out_w, order, switches=True, kernel=False):
    """Max pooling's 'view' form: (y, switches or None), y the maximum of each window in one
    reduction over the strided view of all windows, laid out in memory in ``order`` (x's),
    and the switches (the first maximum of each window, on ties too) in five more: the
    offsets k, where the windows hold their maximum, the smallest such k (a where and a
    min), and k == that one. With ``kernel`` (CuPy), y and the switches come out of one CUDA
    kernel instead (``window_kernels.window_max``)."""
    xp = get_array_module(x_pad)
    kh, kw = window.kernel
    # the view's axes (..., kh, kw, H_out, W_out) reordered as (kh, kw, then y's axes in
    # x's memory order), so that the results come out laid out like x
    y_axis = {0: 0, 1: 1, 2: 4, 3: 5}
    windows = window.windows(x_pad, out_h, out_w).transpose([2, 3] + [y_axis[axis] for axis in order])
    to_nchw = [order.index(axis) for axis in range(4)]
    if not switches:
        return windows.max(axis=(0, 1)).transpose(to_nchw), None
    if kernel:
        best, hit = window_kernels.window_max(windows)
    else:
        best = windows.max(axis=(0, 1))
        offset = xp.arange(kh * kw, dtype=xp.int32).reshape((kh, kw) + (1,) * best.ndim)
        first = xp.where(windows == best, offset, kh * kw).min(axis=(0, 1))
        hit = (offset == first).reshape((kh * kw,) + best.shape)
    return best.transpose(to_nchw), hit.transpose([0] + [1 + axis for axis in to_nchw])


def _stacked_like(a, count):
    """An uninitialized array of ``count`` arrays of a's shape and dtype, stacked along a new
    first axis; each one laid out in memory like ``a``."""
    return filled_in_order((count,) + a.shape, a, (0,) + tuple(1 + axis for axis in memory_order(a)), None)


def _pool_window(kernel_size, stride, padding, dilation, op):
    window = SlidingWindow(kernel_size, kernel_size if stride is None else stride, padding, dilation)
    if any(2 * p > k for p, k in zip(window.padding, window.kernel)):
        raise ValueError(f"{op}: padding {window.padding} must be at most half the kernel size {window.kernel}")
    return window


def _ceil_extension(window, height, width):
    """``ceil_mode``'s output size, PyTorch's rule: ⌈(n + 2p - d(k - 1) - 1) / s⌉ + 1 windows
    along each axis instead of ⌊...⌋ + 1, the last one partly past the padded input, but never
    one that starts in the right (bottom) padding: that one is dropped. Returns
    ((rows, columns) to add below and right of the input so that the ordinary window reaches
    those positions, and for each axis the stop of every window clipped to n + p, the end of
    the padded input, which average pooling's divisor needs)."""
    extra, stops = [], []
    for n, k, s, p, d in zip((height, width), window.kernel, window.stride, window.padding, window.dilation):
        span = d * (k - 1) + 1
        out = -(-(n + 2 * p - span) // s) + 1
        if (out - 1) * s >= n + p:
            out -= 1
        extra.append(max((out - 1) * s + span - (n + 2 * p), 0))
        stops.append([min(q * s - p + span, n + p) - (q * s - p) for q in range(out)])
    return extra, stops


def _check_ceil_mode(ceil_mode, op):
    if not isinstance(ceil_mode, bool):
        raise TypeError(f"{op}: ceil_mode must be True or False, got {ceil_mode!r}")


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    """The maximum of each window (stride defaults to kernel_size).

    ``ceil_mode=True`` also pools the windows that run past the input's last rows or columns
    (over what they cover of it), as PyTorch does: the input is extended below and right with
    -inf (an integer input with its dtype's least value), which no maximum takes.

    Example:
        >>> import minidl
        >>> import minidl.nn.functional as F
        >>> F.max_pool2d(minidl.arange(16.0).reshape(1, 1, 4, 4), 2)
        tensor([[[[ 5.,  7.],
                  [13., 15.]]]])
        >>> F.max_pool2d(minidl.arange(9.0).reshape(1, 1, 3, 3), 2, ceil_mode=True)
        tensor([[[[4., 5.],
                  [7., 8.]]]])
    """
    _check_ceil_mode(ceil_mode, 'max_pool2d')
    window = _pool_window(kernel_size, stride, padding, dilation, 'max_pool2d')
    if ceil_mode:
        check_image(input, 'max_pool2d')
        (rows, cols), _ = _ceil_extension(window, *input.shape[-2:])
        if rows or cols:
            lowest = -math.inf if input.dtype.kind == 'f' else numpy.iinfo(input.dtype).min
            input = pad(input, (0, cols, 0, rows), value=lowest)
    return MaxPool2d(window)(input)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False):
    """The mean of each window (stride defaults to kernel_size; padded zeros count in the
    mean, PyTorch's default ``count_include_pad=True``).

    ``ceil_mode=True`` also pools the windows that run past the input's last rows or columns,
    as PyTorch does: such a window's sum is divided by the part of it that lies within the
    padded input (its zero padding counts, the rows and columns beyond do not).

    Example:
        >>> import minidl
        >>> import minidl.nn.functional as F
        >>> F.avg_pool2d(minidl.arange(16.0).reshape(1, 1, 4, 4), 2)
        tensor([[[[ 2.5,  4.5],
                  [10.5, 12.5]]]])
        >>> F.avg_pool2d(minidl.arange(9.0).reshape(1, 1, 3, 3), 2, ceil_mode=True)
        tensor([[[[2. , 3.5],
                  [6.5, 8. ]]]])
    """
    _check_ceil_mode(ceil_mode, 'avg_pool2d')
    check_image(input, 'avg_pool2d')
    window = _pool_window(kernel_size, stride, padding, 1, 'avg_pool2d')
    kh, kw = window.kernel
    if not ceil_mode:
        return WindowSum(window, [1.0 / (kh * kw)] * (kh * kw))(input)
    (rows, cols), (row_stops, col_stops) = _ceil_extension(window, *input.shape[-2:])
    if rows or cols:
        input = pad(input, (0, cols, 0, rows))
    xp = get_array_module(input.data)
    counts = xp.asarray(row_stops, dtype=input.dtype)[:, None] * xp.asarray(col_stops, dtype=input.dtype)[None, :]
    return WindowSum(window, [1.0] * (kh * kw))(input) / counts


def adaptive_avg_pool2d(input, output_size):
    """Average pooling to a fixed output size (H_out, W_out), whatever the input size: output
    cell (p, q) averages rows ⌊p·H/H_out⌋ .. ⌈(p+1)·H/H_out⌉ - 1 (columns likewise), as in
    PyTorch. ``output_size=1`` is global average pooling, the mean over H and W.

    Example:
        >>> import minidl
        >>> import minidl.nn.functional as F
        >>> F.adaptive_avg_pool2d(minidl.arange(8.0).reshape(1, 2, 2, 2), 1)
        tensor([[[[1.5]],
        <BLANKLINE>
                 [[5.5]]]])
    """
    check_image(input, 'adaptive_avg_pool2d')
    out_h, out_w = (output_size, output_size) if isinstance(output_size, int) else tuple(output_size)
    if min(out_h, out_w) < 1:
        raise ValueError(f"adaptive_avg_pool2d: output_size must be positive, got {output_size!r}")
    h, w = input.shape[-2:]
    if (out_h, out_w) == (1, 1):
        return input.mean(dim=(2, 3), keepdim=True)
    rows = [(p * h // out_h, -(-(p + 1) * h // out_h)) for p in range(out_h)]
    cols = [(q * w // out_w, -(-(q + 1) * w // out_w)) for q in range(out_w)]
    cells = [input[:, :, r0:r1, c0:c1].mean(dim=(2, 3)) for r0, r1 in rows for c0, c1 in cols]
    return stack(cells, dim=-1).reshape(input.shape[0], input.shape[1], out_h, out_w)

"""Softmax cross-entropy as one CUDA kernel each way, for a GPU (``loss.CROSS_ENTROPY_KERNEL``).

Why: written with array operations, the loss of a classifier is about a dozen small ops
forward (the row maxima, a subtraction, exp, the row sums, a division, a log, the pick of
x[n, t_n], ...) and half a dozen backward, plus a check that every target is a class. On a
GPU each op costs ~10 µs of host time to launch, whatever it computes, and the check reads
the targets back to the host, which makes the host wait for all the work queued before it:
in the MLP step of the benchmarks (batch 4096, an H200) the check alone cost 0.26 of its
2.2 ms (``benchmarks/results/gpu-profile-gpu-nvidia-h200.txt``). Here:

    forward     one thread per row n of the logits x (N, C):
                    m = max_c x[n, c],  s = Σ_c exp(x[n, c] - m),  softmax[n, c] = exp(x[n, c] - m) / s
                    loss[n] = log s - (x[n, t_n] - m)    (= logsumexp(x_n) - x_n[t_n])
                and per row whether t_n is a class (kept = 1), is ``ignore_index`` (kept = 0, loss 0)
                or neither (``outside`` = 1: a bad target, reported later, see below)
    backward    one thread per entry:  dL/dx[n, c] = (softmax[n, c] - [c = t_n]) · kept[n] · dL/dl_n

The check's verdict (any ``outside``) stays on the device and is read by the host at the next
point where it waits for the device anyway (``backend.check_later``): the end of backward, or
the next read back of a value. PyTorch's own CUDA kernels report a bad target the same way,
late, but as a device-side assertion that leaves the CUDA context unusable; here the error is
the same IndexError as on the CPU, with the class that was out of range.

A row of C classes is one thread's loop: fine for the class counts of classifiers (10 to a
few thousand); the rows run in parallel.
"""
from ..backend import get_array_module
from .window_kernels import Source, kernel

SOFTMAX_CROSS_ENTROPY = Source(
    'raw T x, raw I target, int64 ignore_index',
    'raw T softmax, T loss, T kept, int32 outside',
    """
    // x: (N, C) logits in any layout; softmax: (N, C), C-contiguous; one thread per row i
    const ptrdiff_t classes = x.shape()[1], row = i * classes;
    T top = classes > 0 ? x[row] : (T)0;              // (no classes: every target is outside)
    for (ptrdiff_t c = 1; c < classes; ++c) {
        const T v = x[row + c];
        if (v > top) top = v;           // the row's maximum (a NaN in the row makes total NaN anyway)
    }
    T total = 0;
    for (ptrdiff_t c = 0; c < classes; ++c) {
        const T e = exp(x[row + c] - top);               // exp of at most 0: cannot overflow
        softmax[row + c] = e;
        total += e;
    }
    for (ptrdiff_t c = 0; c < classes; ++c) softmax[row + c] /= total;
    const ptrdiff_t t = target[i];
    const bool is_class = 0 <= t && t < classes, ignored = t == ignore_index;
    const bool keep = is_class && !ignored;
    kept = keep ? (T)1 : (T)0;
    outside = !is_class && !ignored;
    loss = keep ? log(total) - (x[row + t] - top) : (T)0;
    """)

SOFTMAX_CROSS_ENTROPY_BACKWARD = Source(
    'raw I target, raw T scale, int64 ignore_index, int32 classes',
    'T gx',
    """
    // gx: (N, C), C-contiguous, holds the softmax on entry; scale: dL/dl_n for each row n
    const ptrdiff_t n = i / classes, t = target[n];
    const bool keep = 0 <= t && t < classes && t != ignore_index;
    gx = keep ? (gx - (i % classes == t ? (T)1 : (T)0)) * scale[n] : (T)0;
    """)


def softmax_cross_entropy(x, target, ignore_index):
    """(softmax, loss, kept, outside) of the logits x (N, C) and the classes ``target`` (N,):
    see the module docstring. softmax is C-contiguous (N, C); the others are (N,)."""
    xp, n = get_array_module(x), x.shape[0]
    softmax = xp.empty(x.shape, dtype=x.dtype)
    loss, kept = xp.empty(n, dtype=x.dtype), xp.empty(n, dtype=x.dtype)
    outside = xp.empty(n, dtype=xp.int32)
    kernel('softmax_cross_entropy', SOFTMAX_CROSS_ENTROPY)(x, target, ignore_index, softmax, loss, kept, outside)
    return softmax, loss, kept, outside


def softmax_cross_entropy_backward(softmax, target, scale, ignore_index):
    """dL/dx, written over ``softmax`` (C-contiguous (N, C)), for dL/dl_n = scale[n] (N,)."""
    kernel('softmax_cross_entropy_backward', SOFTMAX_CROSS_ENTROPY_BACKWARD)(
        target, scale, ignore_index, softmax.shape[1], softmax)
    return softmax

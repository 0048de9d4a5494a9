# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Tutorial 13 — Frameworks and hardware
#
# minidl is written in Python, an interpreted language in which one multiplication costs
# about as much time as a modern CPU core needs for a thousand. It trains networks at a
# reasonable speed anyway, for the same reason PyTorch does: **Python only decides what to
# compute; the arithmetic happens in large compiled operations** (BLAS matrix products on the
# CPU, CUDA kernels on the GPU). Every speed trick in a deep-learning framework is a way of
# turning many small operations into few large ones. This tutorial measures three of them:
#
# 1. **vectorization**: a Python loop over the samples of a batch vs one batched matrix
#    product, and the fixed cost per operation that makes the difference;
# 2. **im2col**: a convolution written as its nested-loop definition vs minidl's `Conv2d`,
#    which copies the input patches into one matrix and does a single matrix product;
# 3. **the device**: the same model on NumPy (CPU) and CuPy (GPU, when one is present),
#    and the numbers from minidl's benchmark suite (`python -m benchmarks`).
#
# The claim we check at the end: **im2col is at least 10x faster than the loop and gives
# the same output to 1e-5; the batched matrix product is at least 3x faster than the loop
# over samples; minidl's fixed cost makes an operation on 1-element tensors at least 3x
# slower than its arithmetic by hand, and the ratio falls at least threefold by the largest
# size; and (on a GPU) the CuPy model computes the same output as the NumPy one.**

# %% [markdown]
# One setting first. NumPy's BLAS starts one thread per core by default and splits every
# matrix product between them. On a machine that is busy with other work (a shared server,
# a test run with several processes) those threads wait for each other and a product can
# become *slower* than on one thread — we measured a 30x slowdown of a single 256x784 matmul
# on a loaded 2-core machine. To time the algorithms rather than the scheduler, we ask for
# one BLAS thread. The variables must be set before NumPy is imported (a value you have set
# yourself is kept).

# %%
import os

for variable in ('OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS', 'MKL_NUM_THREADS'):
    os.environ.setdefault(variable, '1')

import glob  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import matplotlib  # noqa: E402
matplotlib.use('Agg')            # draw to files: runs without a display (tests, servers)
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np               # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__)) if '__file__' in globals() else os.getcwd()
sys.path.insert(0, HERE)
from _common import FAST, figure_path  # noqa: E402

import minidl                    # noqa: E402
from minidl import nn            # noqa: E402

minidl.manual_seed(0)


def best_time(fn, repeats=5):
    """The fastest of ``repeats`` runs of fn(), in seconds (the least disturbed by other work)."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


# %% [markdown]
# ## 1. Vectorization: one big operation instead of many small ones
#
# A linear layer applied to a batch of N samples is N matrix-vector products
# $y_i = W x_i + b$, or one matrix-matrix product $Y = X W^\top + b$. The arithmetic is
# identical. The cost is not: each Python-level operation pays a fixed overhead (interpreter,
# creating a Tensor, recording the graph, calling BLAS) of some microseconds, and a
# matrix-matrix product uses the CPU's caches and vector units far better than N separate
# matrix-vector products. Let us time both for a `Linear(784, 128)` on 512 samples.

# %%
layer = nn.Linear(784, 128)
X = minidl.randn(512, 784)
with minidl.no_grad():
    t_loop = best_time(lambda: [layer(X[i:i + 1]) for i in range(len(X))], repeats=3 if FAST else 5)
    t_batched = best_time(lambda: layer(X), repeats=20)
    same = np.allclose(np.concatenate([layer(X[i:i + 1]).numpy() for i in range(len(X))]), layer(X).numpy(), atol=1e-5)
vectorization_speedup = t_loop / t_batched
print(f"loop over 512 samples: {1e3 * t_loop:.2f} ms; one batched matmul: {1e3 * t_batched:.3f} ms "
      f"-> {vectorization_speedup:.0f}x faster (same result: {same})")

# %% [markdown]
# This is why we train on mini-batches at all (besides the gradient noise of tutorial 7), and
# why a framework is judged by how few, how large operations it turns a model into.
#
# ### The fixed cost of one operation, and where it stops mattering
#
# How large is that fixed cost? Take the benchmark suite's "autograd overhead" chain,
# $y \leftarrow y \cdot b + a$ repeated, then a sum (`autograd_chain` in
# `benchmarks/workloads.py`), run it forward and backward with minidl, and run the same array
# arithmetic written by hand, with no graph, no Tensor objects and no checks
# (`chain_fwd_bwd` in `benchmarks/reference_numpy.py`). Divided by the number of operations,
# the difference between the two is what minidl itself costs per operation. We do it on
# tensors of 1 element up to a million.

# %%
sys.path.insert(0, os.path.dirname(HERE))           # the repository root: the benchmarks package
from benchmarks.harness import paired_ratio          # noqa: E402
from benchmarks.reference_numpy import chain_fwd_bwd  # noqa: E402
from benchmarks.workloads import autograd_chain       # noqa: E402


def time_per_call(fn, budget_s):
    """Seconds per call of fn(), the best of 5 loops of as many calls as fill ``budget_s``."""
    fn()                                            # warm up: first allocations, caches
    calls = max(1, int(budget_s / max(best_time(fn, repeats=3), 1e-7)))

    def loop():
        for _ in range(calls):
            fn()
    return best_time(loop) / calls


CHAIN_OPS = 20                                      # 10 products and 10 sums, then a sum: 21 ops
chain_sizes = [1, 10, 100, 1_000, 10_000, 100_000] + ([] if FAST else [1_000_000])
chain_us = {'minidl': [], 'by hand': []}            # µs per operation, forward + backward
for n in chain_sizes:
    a_np, b_np = np.random.default_rng(n).uniform(0.5, 1.0, (2, n)).astype(np.float32)
    a_t, b_t = minidl.tensor(a_np, requires_grad=True), minidl.tensor(b_np, requires_grad=True)

    def minidl_chain():
        a_t.grad = b_t.grad = None
        autograd_chain(a_t, b_t, CHAIN_OPS).backward()
    budget = 0.005 if FAST else 0.05
    chain_us['minidl'].append(1e6 * time_per_call(minidl_chain, budget) / (CHAIN_OPS + 1))
    chain_us['by hand'].append(1e6 * time_per_call(lambda: chain_fwd_bwd(a_np, b_np, CHAIN_OPS), budget)
                               / (CHAIN_OPS + 1))
    np.testing.assert_allclose(a_t.grad.numpy(), chain_fwd_bwd(a_np, b_np, CHAIN_OPS)[1], rtol=1e-5)  # same math
chain_ratios = [m / h for m, h in zip(chain_us['minidl'], chain_us['by hand'])]
for n, m, h, r in zip(chain_sizes, chain_us['minidl'], chain_us['by hand'], chain_ratios):
    print(f"{n:>9,} elements: minidl {m:8.2f} µs per op, by hand {h:8.2f} µs, minidl's own cost "
          f"{m - h:6.2f} µs ({r:.1f}x)")

fig, (ax_time, ax_ratio) = plt.subplots(1, 2, figsize=(11, 4))
for label, marker in (('minidl', 'o'), ('by hand', 's')):
    ax_time.loglog(chain_sizes, chain_us[label], marker=marker, label=label)
ax_time.loglog(chain_sizes, [m - h for m, h in zip(chain_us['minidl'], chain_us['by hand'])], 'k--',
               label="difference: minidl's own cost")
ax_time.set_xlabel('elements per tensor')
ax_time.set_ylabel('µs per operation (forward + backward)')
ax_time.set_title('One operation of the chain')
ax_time.legend()
ax_time.grid(alpha=0.3, which='both')
ax_ratio.semilogx(chain_sizes, chain_ratios, 'o-', color='#d62728')
ax_ratio.axhline(1.0, color='black', lw=1)
ax_ratio.set_ylim(0, max(chain_ratios) * 1.1)
ax_ratio.set_xlabel('elements per tensor')
ax_ratio.set_ylabel('minidl time / hand-written time')
ax_ratio.set_title('The framework\'s price, relative to the arithmetic')
ax_ratio.grid(alpha=0.3, which='both')
fig.tight_layout()
fig.savefig(figure_path('13_fixed_cost.png'), dpi=100)
plt.close(fig)

# %% [markdown]
# ![fixed cost](figures/13_fixed_cost.png)
#
# In two full runs of this tutorial on a 2-core AMD EPYC (float32 GEMM peak 448 GFLOP/s on
# 2 threads), minidl's own cost is 5.7–6.5 µs per operation, forward and backward together,
# and it hardly depends on the size of the tensors (the dashed line is nearly flat up to
# 100,000 elements): it is the Python that runs around each array operation, so it depends
# on the host (before the change described below, six runs on a slower host of the same
# name, GEMM peak 253 GFLOP/s, measured 7.2–8.8 µs). `python -m
# benchmarks.overhead` breaks it down, on the suite's 201-op version of the chain (which
# spreads the 6.5 µs fixed cost of a `backward()` call thinner than our 21 ops do;
# `benchmarks/results/overhead-cpu-amd-epyc-2cores.txt`): recording a call (a `Function`
# object, its input checks, the graph's edges) takes 1.58 µs, the engine's bookkeeping for
# one node in backward 1.32 µs, and the whole chain 5.44 µs per op (forward 2.57, backward
# 2.87), of which 0.69 is the arithmetic; the rest is Tensor objects, checks, and the
# backward formulas. Those formulas are written once, with operators that arrays and Tensors
# share, so a plain `backward()` runs them on the raw arrays, and `create_graph=True` runs
# the same lines on Tensors, recorded (`Function.backward_on_arrays`; this took the chain
# from 7.0–7.3 to 5.5 µs per op on this host). PyTorch, whose graph is built in C++, measures 4.17 µs per op
# on that chain and host (`cpu-amd-epyc-2cores.md`). On 1-element tensors minidl's time is
# about 8x the arithmetic (8.2x and 8.3x in the two runs); from about 100,000 elements on,
# the two take nearly the same time (1.1–1.2x), since both spend it in the same NumPy
# operations, and what remains of the difference comes and goes with where the arrays land
# in memory. A training step of a real network is made of operations on tens of thousands
# of elements and more, so the fixed cost is a few percent of it: once more, few and large
# operations.
#
# ## 2. What im2col buys
#
# The definition of a 2-D convolution (cross-correlation, as every framework computes it):
#
# $$ y[n, o, p, q] = b[o] + \sum_{c} \sum_{i} \sum_{j} w[o, c, i, j]\; x_\text{pad}[n, c, p + i, q + j] .$$
#
# Written as loops that is six nested loops; even with the three inner sums done by NumPy
# (`np.sum(window * w[o])`), four Python loops remain, one iteration per output value.
# **im2col** (Chellapilla et al., 2006) instead copies, once, the $C k_h k_w$ input values
# that each output position sees into one column of a matrix `cols` of shape
# $(C k_h k_w,\; H_\text{out} W_\text{out} N)$; then the whole convolution is ONE matrix
# product $W_{(O,\,C k_h k_w)} \cdot \text{cols}$. It costs memory ($k_h k_w$ copies of every
# input value) and buys speed: the matrix product runs at BLAS speed. minidl fills `cols`
# with ONE copy, not value by value: every window of the padded input at once is a strided
# view of it, with no data copied (see `SlidingWindow.windows` in `minidl/functional/conv.py`).

# %%
def conv2d_loops(x, w, b, padding):
    """The definition, with four Python loops (n, o, p, q) and NumPy for the inner sums."""
    n_batch, _, height, width = x.shape
    n_out, _, kh, kw = w.shape
    x_pad = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    h_out, w_out = height + 2 * padding - kh + 1, width + 2 * padding - kw + 1
    y = np.empty((n_batch, n_out, h_out, w_out), dtype=x.dtype)
    for n in range(n_batch):
        for o in range(n_out):
            for p in range(h_out):
                for q in range(w_out):
                    y[n, o, p, q] = b[o] + np.sum(x_pad[n, :, p:p + kh, q:q + kw] * w[o])
    return y


sizes = [(2, 8), (4, 12), (4, 16)] if FAST else [(2, 8), (4, 12), (4, 16), (8, 16), (8, 24)]
conv = nn.Conv2d(3, 8, kernel_size=3, padding=1)
w_np, b_np = conv.weight.numpy(), conv.bias.numpy()
conv_timings = []
with minidl.no_grad():
    for batch, side in sizes:
        x = minidl.randn(batch, 3, side, side)
        x_np = x.numpy()
        reference = conv2d_loops(x_np, w_np, b_np, padding=1)
        output = conv(x).numpy()
        error = float(np.abs(reference - output).max())
        t_loops = best_time(lambda: conv2d_loops(x_np, w_np, b_np, padding=1), repeats=1 if FAST else 2)
        t_im2col = best_time(lambda: conv(x), repeats=20)
        conv_timings.append(dict(batch=batch, side=side, outputs=batch * 8 * side * side, loops=t_loops,
                                 im2col=t_im2col, error=error))
        print(f"x {batch}x3x{side}x{side}: loops {1e3 * t_loops:8.1f} ms, im2col {1e3 * t_im2col:6.3f} ms "
              f"-> {t_loops / t_im2col:5.0f}x; max |difference| {error:.1e}")

# %%
fig, axes = plt.subplots(1, 2, figsize=(13, 4.6))
outputs = [t['outputs'] for t in conv_timings]
axes[0].loglog(outputs, [1e3 * t['loops'] for t in conv_timings], 'o-', label='nested loops (the definition)')
axes[0].loglog(outputs, [1e3 * t['im2col'] for t in conv_timings], 's-', label='im2col + one matmul (nn.Conv2d)')
for t in conv_timings:
    axes[0].annotate(f"{t['loops'] / t['im2col']:.0f}x", (t['outputs'], 1e3 * np.sqrt(t['loops'] * t['im2col'])),
                     ha='center', fontsize=9)
axes[0].set_xlabel('number of output values N·O·H·W (log scale)')
axes[0].set_ylabel('forward time, ms (log scale)')
axes[0].set_title('Conv2d(3, 8, 3, padding=1): loops vs im2col')
axes[0].legend()
axes[0].grid(alpha=0.3, which='both')
bars = axes[1].bar(['loop over\n512 samples', 'one batched\nmatmul'], [1e3 * t_loop, 1e3 * t_batched],
                   color=['#d62728', '#2ca02c'])
axes[1].bar_label(bars, fmt='%.3f ms')
axes[1].set_yscale('log')
axes[1].set_ylabel('time, ms (log scale)')
axes[1].set_title(f'Linear(784, 128) on 512 samples: {vectorization_speedup:.0f}x from vectorization')
fig.tight_layout()
fig.savefig(figure_path('13_im2col_vectorization.png'), dpi=100)
plt.close(fig)

# %% [markdown]
# ![im2col and vectorization](figures/13_im2col_vectorization.png)
#
# Both lines grow linearly with the amount of work, but the loop pays the Python overhead on
# every one of the output values, im2col only a few dozen times per call: the gap, about
# 140x on the smallest input and 1,700x on the largest in the six runs, grows with the size.
# The outputs agree to float32 rounding.
#
# ### Memory layout: the same copy in two orders
#
# im2col is a copy, and a copy's speed depends on how long the contiguous runs are that it
# moves: NumPy runs one compiled loop along the innermost axis and pays a fixed cost every
# time that loop starts again. Store a batch channel-major, as (C, N, H, W), and the slice of
# one kernel offset, `x_pad[:, :, i:i+H, j:j+W]`, is contiguous along one image row only: runs
# of W numbers. Store it as (C, H, W, N), the batch innermost, and a row of that slice is W·N
# numbers in a row, while the columns of `cols` come out in (p, q, n) order instead of
# (n, p, q). Same numbers, same matrix product, columns permuted. minidl's convolution keeps
# images in that second layout (that of Krizhevsky's cuda-convnet); here is im2col's copy
# in both, on the size of the second convolution of the CNN below (64 images of 16x14x14).

# %%
def im2col_copy(x_pad, k, batch_innermost):
    """cols (C·k·k, N·H·W) of a padded batch stored as (C, N, H+k-1, W+k-1), or, batch
    innermost, as (C, H+k-1, W+k-1, N): columns in (n, p, q) or in (p, q, n) order."""
    if batch_innermost:
        x_pad = x_pad.transpose(0, 3, 1, 2)          # a view, axes (C, N, H', W'); memory unchanged
    c, n, hp, wp = x_pad.shape
    h, w = hp - k + 1, wp - k + 1
    cols = np.empty((c, k, k, h, w, n) if batch_innermost else (c, k, k, n, h, w), dtype=x_pad.dtype)
    for i in range(k):
        for j in range(k):
            window = x_pad[:, :, i:i + h, j:j + w]   # one kernel offset
            # runs of w·n numbers batch innermost, of w numbers channel-major
            cols[:, i, j] = window.transpose(0, 2, 3, 1) if batch_innermost else window
    return cols.reshape(c * k * k, n * h * w)


images_cnhw = np.random.default_rng(0).standard_normal((16, 64, 16, 16), dtype=np.float32)   # padded 14x14
images_chwn = np.ascontiguousarray(images_cnhw.transpose(0, 2, 3, 1))
cols_cnhw, cols_chwn = im2col_copy(images_cnhw, 3, False), im2col_copy(images_chwn, 3, True)
same_columns = np.array_equal(cols_cnhw.reshape(144, 64, 14, 14).transpose(0, 2, 3, 1).reshape(144, -1), cols_chwn)
t_cnhw = best_time(lambda: im2col_copy(images_cnhw, 3, False), repeats=10 if FAST else 30)
t_chwn = best_time(lambda: im2col_copy(images_chwn, 3, True), repeats=10 if FAST else 30)
print(f"im2col of 64x16x14x14, 3x3: channel-major {1e3 * t_cnhw:.3f} ms, batch innermost {1e3 * t_chwn:.3f} ms "
      f"({t_cnhw / t_chwn:.1f}x); the same columns, permuted: {same_columns}")

# %% [markdown]
# In the six full runs on the 2-core AMD EPYC of section 1 (GEMM peak 253 GFLOP/s) this copy
# took 0.49 ms channel-major and 0.14–0.15 ms batch innermost (3.4–3.6x; on the earlier,
# half as fast host 0.7–1.0 ms and 0.3 ms). Pooling and col2im gain the same way, and
# minidl's CNN training step at batch 64 became about 20% faster with this one change
# (`benchmarks/NOTES.md`, fifth pass). The price is paid by tiny batches, where the runs of
# N numbers that pooling walks are short.
# Where an array's numbers lie in memory is part of an algorithm's speed, even in NumPy.
#
# ## 3. The same model on the CPU and the GPU
#
# minidl's arrays come from one module, `xp`: NumPy on the CPU, CuPy on the GPU (CuPy copies
# NumPy's interface, so every Function's forward and backward runs unchanged on both). Moving
# a model is `model.to('cuda')`, making new tensors there is `minidl.set_device('cuda')`.
# A GPU has thousands of simple cores and a memory bandwidth of terabytes per second: it wins
# by a large factor on large operations and loses on tiny ones, where the fixed cost of
# launching each kernel (microseconds) dominates. Timing a GPU needs care: kernels run
# asynchronously, so we copy the result back to the host (which waits for them) inside the
# timed region. Without CuPy and a GPU this section measures the CPU only.
#
# What that fixed cost means, measured on an NVIDIA H200 (`benchmarks/results/gpu-nvidia-h200.md`):
# a CuPy call costs 8–15 µs of Python and launch on the host, whatever its size, while the
# GPU needs about 1 ms for all the kernels of a CNN training step at batch 256. When minidl
# first ran there, the step made hundreds of small calls (col2im and max pooling as one
# operation per kernel offset, which is what pays on a CPU) and took 4.4 ms: 12.5x faster
# than on NumPy (16 CPU cores), 3x slower than PyTorch on the same GPU. The GPU finished
# each kernel before Python had launched the next. Fewer, larger operations on the GPU (one
# reduction over a strided view of all windows; see `WINDOW_SWEEP` in
# `minidl/functional/conv.py`) and one fused op per convolution brought the step to 2.9 ms,
# 2x PyTorch's time. Then im2col, col2im and max pooling became one CUDA kernel each
# (`minidl/functional/window_kernels.py`), which took a quarter off the step (2.3 ms then).
# On a GPU, fewer and larger kernels win.
#
# Asking the GPU a question costs more than a launch: the host has to wait for every kernel
# queued before the answer, and queues nothing while it waits. `cross_entropy` must check
# that every target is a class, and reading the targets back for that cost 0.26 ms of the
# MLP step's 2.24 ms (batch 4096) on the H200. So on a GPU the loss is one kernel each way
# (14% off that MLP step, against the loss as array operations) that also checks the
# targets, and its verdict is copied to the host behind the queued work; minidl
# looks at it the next time the host waits anyway (at the end of `backward()`, or when a
# value is read back) and raises the same `IndexError` as on the CPU, late
# (`backend.check_later`). PyTorch reports a bad target on a GPU late too, as a device-side
# assertion.

# %%
def small_cnn():
    minidl.manual_seed(0)
    return nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(32 * 7 * 7, 10))


def train_step_time(model, x, y, repeats):
    loss_fn = nn.CrossEntropyLoss()
    opt = minidl.optim.SGD(model.parameters(), lr=0.01)

    def step():
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return float(loss.item())                 # .item() waits for the device
    step()                                        # warm-up (CuPy compiles kernels on first use)
    return best_time(step, repeats=repeats)


images, labels = minidl.data.load_mnist_5k()
batch = 64
x_cpu, y_cpu = images[:batch], labels[:batch]
device_times, device_outputs = {}, {}
cpu_model = small_cnn()
device_times['NumPy (CPU)'] = train_step_time(cpu_model, minidl.tensor(x_cpu), minidl.tensor(y_cpu), 3 if FAST else 10)
check_model = small_cnn()
with minidl.no_grad():
    device_outputs['cpu'] = check_model(minidl.tensor(x_cpu)).numpy()
if minidl.cuda_is_available():
    minidl.set_device('cuda')
    try:
        gpu_model = small_cnn().to('cuda')
        device_times['CuPy (GPU)'] = train_step_time(gpu_model, minidl.tensor(x_cpu), minidl.tensor(y_cpu), 10)
        check_model.to('cuda')       # the same weights, moved (CuPy's random generator differs from NumPy's)
        with minidl.no_grad():
            device_outputs['cuda'] = check_model(minidl.tensor(x_cpu)).numpy()
    finally:
        minidl.set_device('cpu')
for name, seconds in device_times.items():
    print(f"{name:<12} CNN training step, batch {batch}: {1e3 * seconds:.2f} ms")
if 'cuda' in device_outputs:
    print(f"max |CPU - GPU| of the forward output: {np.abs(device_outputs['cpu'] - device_outputs['cuda']).max():.1e}")
else:
    print("no CuPy/GPU here: the GPU column is skipped "
          "(pip install cupy-cuda13x or cupy-cuda12x on a machine with an NVIDIA GPU)")

# %% [markdown]
# ## 4. The benchmark suite
#
# `python -m benchmarks` times minidl against a plain-NumPy reference (the same math written
# directly with arrays, no autograd: the cost of the framework itself) and PyTorch, on
# whole training steps and single operations, and writes `benchmarks/results/<machine>.json`;
# `--suite gpu` times minidl on CuPy against minidl on NumPy and PyTorch CUDA. If such files
# exist in this checkout, we draw them (each ratio for every workload, the median of the
# ratios of the rounds, as the tables give it); otherwise we draw the step times measured
# above.

# %%
RATIOS = [('minidl', 'numpy_ref', 'minidl / plain NumPy reference', '#1f77b4'),
          ('minidl', 'torch', 'minidl / PyTorch', '#ff7f0e'),
          ('minidl_cupy', 'minidl', 'minidl on CuPy / minidl on NumPy', '#2ca02c'),
          ('minidl_cupy', 'torch_cuda', 'minidl on CuPy / PyTorch CUDA', '#d62728')]
results_dir = os.path.join(os.path.dirname(HERE), 'benchmarks', 'results')
result_files = sorted(glob.glob(os.path.join(results_dir, '*.json')))
benchmark_rows = []                                 # (machine, workload, ratio label, ratio)
for path in result_files:
    try:
        with open(path, encoding='utf-8') as f:
            report = json.load(f)
        if 'results' not in report:                 # not a table (goals-*.json: the verdicts)
            continue
        machine = report['machine']['name'] if 'name' in report['machine'] else os.path.basename(path)
        for workload in report['results']:
            variants = workload.get('variants', {})
            if workload.get('unit') != 's':
                continue
            for numerator, denominator, label, _ in RATIOS:
                if numerator in variants and denominator in variants:
                    # the median of the per-round ratios, as in the suite's tables
                    ratio = paired_ratio(variants[numerator], variants[denominator])
                    benchmark_rows.append((machine, workload['name'], label, ratio))
    except (KeyError, TypeError, ValueError) as error:        # a file in another format: skip it
        print(f"skipping {os.path.basename(path)}: {error!r}")
print(f"{len(result_files)} benchmark result file(s), {len(benchmark_rows)} ratios")

if benchmark_rows:
    machines = list(dict.fromkeys(row[0] for row in benchmark_rows))
    most = max(len({row[1] for row in benchmark_rows if row[0] == m}) for m in machines)
    fig, axes = plt.subplots(1, len(machines), figsize=(9 * len(machines), 0.45 * most + 2), squeeze=False)
    for ax, machine in zip(axes[0], machines):
        rows = [row for row in benchmark_rows if row[0] == machine]
        workloads = list(dict.fromkeys(row[1] for row in rows))
        drawn = [r for r in RATIOS if any(row[2] == r[2] for row in rows)]
        positions = np.arange(len(workloads))
        width = 0.8 / len(drawn)
        for k, (_, _, label, color) in enumerate(drawn):
            ratios = {w: r for _, w, l, r in rows if l == label}
            ax.barh(positions + (k - (len(drawn) - 1) / 2) * width, [ratios.get(w, np.nan) for w in workloads],
                    width, color=color, label=label)
        ax.axvline(1.0, color='black', lw=1)
        ax.set_xlim(0, 1.5 * max(row[3] for row in rows))                   # room for the legend
        ax.set_yticks(positions, workloads)
        ax.invert_yaxis()
        ax.set_xlabel('time ratio (1 = as fast; 2 = the first takes twice as long)')
        ax.set_title(f'python -m benchmarks on {machine}')
        ax.legend(loc='best')
        ax.grid(alpha=0.3, axis='x')
else:
    fig, ax = plt.subplots(figsize=(7, 4))
    bars = ax.bar(list(device_times), [1e3 * t for t in device_times.values()], color=['#1f77b4', '#2ca02c'][:len(device_times)])
    ax.bar_label(bars, fmt='%.2f ms')
    ax.set_ylabel('CNN training step, batch 64 (ms)')
    ax.set_title('The same model on each available device')
fig.tight_layout()
fig.savefig(figure_path('13_benchmarks.png'), dpi=100)
plt.close(fig)

# %% [markdown]
# ![benchmarks](figures/13_benchmarks.png)
#
# The ratios to the NumPy reference are the price of the framework — graph recording, Tensor
# objects, generality — and they shrink as the operations get larger (the big matrix
# products are at parity: both spend their time in the same BLAS call, and so is softmax
# cross-entropy, at 1.04x in both CPU tables). The price is highest for batch normalization
# (1.30x and 1.28x the reference), made of several cheap elementwise steps, where minidl does more passes
# over memory than a fused kernel would, and for tiny tensors, where the fixed cost per
# operation dominates (the suite's "autograd overhead" workload measures it per op, 8.1x the
# chain's arithmetic done by hand in NumPy; it is left out of the chart, whose scale it
# would flatten) — the lesson of section 1 again: keep the operations few and large. The CNN
# steps run *faster* than the reference: the reference keeps its images channel-major,
# minidl batch innermost (section 2). On the GPU machine
# (`benchmarks/results/gpu-nvidia-h200.md`) the same code runs its training steps 15.5x
# (MLP, batch 4096) and 14.6x (CNN, batch 256) faster on CuPy than on NumPy (16 CPU cores),
# yet 1.46x (MLP) and 2.09x (CNN) slower than PyTorch on the same card: the launch cost of
# section 3, paid once per operation. (The CNN's speed-up ranged from 14.9x to 20.6x over
# four more runs: a step bound by the host's Python moves with the shared machine's pace.) The benchmark notes (`benchmarks/NOTES.md`) record the
# machine, its load and the thread settings: timings only compare within one file. And one
# file is one draw: a shared machine changes pace for minutes at a time, moving every ratio
# of a run together, so `python -m benchmarks.goals` judges each of the suite's goals on the
# median over several fresh runs (`benchmarks/results/goals-*.md`).
#
# ## 5. The claim, checked

# %%
im2col_speedups = [t['loops'] / t['im2col'] for t in conv_timings]
worst_error = max(t['error'] for t in conv_timings)
print(f"im2col speed-ups: {[round(s) for s in im2col_speedups]}; worst |difference| {worst_error:.1e}")
print(f"vectorization speed-up: {vectorization_speedup:.0f}x")
print(f"minidl / by hand per operation: {chain_ratios[0]:.1f}x on 1 element, {chain_ratios[-1]:.1f}x on "
      f"{chain_sizes[-1]:,}")
assert min(im2col_speedups) >= 10, im2col_speedups
assert worst_error < 1e-5, worst_error
assert same and vectorization_speedup >= 3, vectorization_speedup   # 6x on the 2-core machine
assert same_columns, 'the two im2col layouts should hold the same columns'
assert chain_ratios[0] >= 3 and chain_ratios[-1] <= chain_ratios[0] / 3, chain_ratios   # ~10x, 1.1-1.3x here

if 'cuda' in device_outputs:
    assert np.allclose(device_outputs['cpu'], device_outputs['cuda'], atol=1e-4), 'CPU and GPU outputs differ'
print("OK: im2col is >= 10x faster than the loops with the same output, one batched matmul is >= 3x "
      "faster than a loop over samples, and minidl's fixed cost per operation fades with the tensors' size.")

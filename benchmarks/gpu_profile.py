"""Where a training step's time goes on the GPU: the host's share, the phases, the syncs.

    python -m benchmarks.gpu_profile [--steps 30] [--mlp-batch 4096] [--cnn-batch 256]

On a GPU, Python only *queues* kernels; the device runs them later, in order. A step takes
the larger of two times: the host's (Python, minidl's bookkeeping, CuPy's launches) and the
device's (the kernels). Which one is larger decides what to speed up. For the MLP and CNN
steps of the GPU benchmark, on minidl's CuPy backend, this measures:

- ``step``: seconds per step, the device synchronized once per block of steps (as the
  benchmark times it);
- ``host``: seconds of one step's Python, the device not waited for at its end. A sync
  inside the step (``bool()`` of a device value) counts here: it makes the host wait for
  every kernel queued before it;
- the phases, each followed by a sync: forward + loss, backward, optimizer step;
- ``loss without checks``: the step with the softmax cross-entropy Function called directly,
  skipping ``cross_entropy``'s check of the targets (on a GPU a check on the device, whose
  verdict is read back at the end of backward: ``backend.check_later``);
- cProfile's top functions by time spent inside them (a sync shows up as a long built-in),
  and each op's host time per step (the cumulative time of every ``forward``, ``backward``
  and optimizer ``update``), which says where the host's time goes op by op;
- the CNN step under each sweep of the sliding-window ops (``conv.WINDOW_SWEEP``), and the
  MLP step with cross_entropy as array operations and as CUDA kernels
  (``loss.CROSS_ENTROPY_KERNEL``), each interleaved;
- the cost of single calls: CuPy's elementwise op, reduction, matrix product, gather and
  scatter by index, a read back to the host; a minidl op with its backward; a random draw.

Writes ``gpu-profile-<gpu>.txt`` to ``--out`` (default ``benchmarks/results/``).
"""
import argparse
import cProfile
import os
import pstats
import statistics
import time

import numpy as np

from . import harness, profile_steps
from . import reference_numpy as ref
from . import workloads as W


def _sync_for(device):
    """What waits for ``device`` to finish its queued work (nothing to wait for on the CPU)."""
    return W._cupy_sync() if device == 'cuda' else (lambda: None)


def _median_time(fn, sync, repeats, inner):
    """Median over ``repeats`` blocks of seconds per call of ``fn``, synced after each block."""
    times = []
    for _ in range(repeats):
        sync()
        t0 = time.perf_counter()
        for _ in range(inner):
            fn()
        sync()
        times.append((time.perf_counter() - t0) / inner)
    return statistics.median(times)


def _host_time(fn, sync, repeats, inner):
    """Median seconds of the host's side of one call (no sync at the end of each call)."""
    times = []
    for _ in range(repeats):
        sync()
        for _ in range(inner):
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
        sync()
    return statistics.median(times)


def _phases(model, xt, loss_fn, opt, sync, repeats):
    """Median seconds of forward+loss, backward and optimizer step, each synced."""
    got = {'forward + loss': [], 'backward': [], 'optimizer step': []}
    for _ in range(repeats):
        opt.zero_grad()
        sync()
        t0 = time.perf_counter()
        loss = loss_fn(model(xt))
        sync()
        t1 = time.perf_counter()
        loss.backward()
        sync()
        t2 = time.perf_counter()
        opt.step()
        sync()
        t3 = time.perf_counter()
        for key, t in zip(got, (t1 - t0, t2 - t1, t3 - t2)):
            got[key].append(t)
    return {k: statistics.median(v) for k, v in got.items()}


def study(name, build, params, batch, shape, steps, top, device='cuda'):
    """The report of one model (build: a workloads.minidl_* builder) on ``device``."""
    m = W._minidl()
    sync = _sync_for(device)
    x, y = W._data(batch, shape)
    model = build(params).to(device)
    xt = m.tensor(x, device=device)
    yt = m.tensor(y.astype(np.int64), device=device)
    opt = m.optim.SGD(model.parameters(), lr=W.LR)
    checked = lambda z: m.nn.functional.cross_entropy(z, yt)
    unchecked = lambda z: m.functional.loss.SoftmaxCrossEntropy(yt.data, 'mean')(z)

    def step_with(loss_fn):
        def step():
            opt.zero_grad()
            loss_fn(model(xt)).backward()
            opt.step()
        return step

    step = step_with(checked)
    for _ in range(5):                                       # CuPy compiles its kernels on first use
        step()
    sync()
    reps = 7
    t_step = _median_time(step, sync, reps, steps)
    t_host = _host_time(step, sync, reps, steps)
    t_unchecked = _median_time(step_with(unchecked), sync, reps, steps)
    phases = _phases(model, xt, checked, opt, sync, reps * 3)
    lines = [f'## {name}, batch {batch}, on {device}',
             f'step (synced per block of {steps}): {t_step * 1e3:.3f} ms',
             f'host side of one step:            {t_host * 1e3:.3f} ms '
             f'({"host-bound" if t_host > 0.8 * t_step else "device-bound"})',
             f'step, loss without checks:        {t_unchecked * 1e3:.3f} ms',
             'phases, each synced: ' + ', '.join(f'{k} {v * 1e3:.3f} ms' for k, v in phases.items()),
             '']
    lines.append(profile_steps.report(f'{name} on {device}, cProfile', step, steps, top))
    lines.append(op_table(step, steps))
    try:
        lines.append(device_table(step_with(unchecked), device))
    except Exception as error:              # a report without this table beats no report
        lines.append(f'device table failed: {type(error).__name__}: {error}')
    return '\n'.join(lines)


def op_table(step, steps):
    """Host µs per step of each op's forward/backward and each optimizer update (cProfile's
    cumulative time, so it includes the array library's calls inside them; a backward written
    with Tensor ops contains the forwards of those ops)."""
    pr = cProfile.Profile()
    pr.enable()
    for _ in range(steps):
        step()
    pr.disable()
    rows = []
    for (filename, line, func), (_, ncalls, _, cumtime, _) in pstats.Stats(pr).stats.items():
        if func in ('forward', 'backward', 'update', '_checked_classes') and \
                ('/minidl/functional/' in filename or '/minidl/optim/' in filename):
            where = filename.split('/minidl/')[1]
            rows.append((cumtime / steps * 1e6, ncalls / steps, f'{where}:{line} {func}'))
    lines = ['host µs per step by op (cumulative, under cProfile):', '   µs/step  calls/step  op']
    lines += [f'{us:10.1f}  {calls:10.1f}  {name}' for us, calls, name in sorted(rows, reverse=True)]
    return '\n'.join(lines) + '\n'


class _HostMark:
    """A stand-in for a CUDA event on the CPU: the moment it was recorded, in ms."""

    def record(self):
        self.t = time.perf_counter() * 1e3

    @staticmethod
    def elapsed(start, end):
        return end.t - start.t


def _marks(device):
    """(new mark, ms between two marks): CUDA events on the GPU, host clock readings on the CPU."""
    if device != 'cuda':
        return _HostMark, _HostMark.elapsed
    import cupy
    return cupy.cuda.Event, cupy.cuda.get_elapsed_time


def _function_types(cls):
    found = []
    for sub in cls.__subclasses__():
        found += [sub] + _function_types(sub)
    return found


def device_table(step, device, steps=3):
    """Device µs per step of each op's forward, backward and optimizer update, and of the
    whole step: marks (CUDA events) recorded around each of them.

    On a GPU, the time between two events is the device's own only if its kernels run back
    to back; in a host-bound step the device would wait for the host between them. So a
    long matrix product (8192³, ~20 ms) is queued before each step: the host then runs a step
    ahead of the device, whose kernels queue up behind the product. ``step`` must not read
    results back (that waits for the device): use the loss without its target check. The
    times are inclusive: a backward written with Tensor ops contains those ops' forwards.
    On the CPU the marks are host clock readings, and the table is host time.
    """
    m = W._minidl()
    new_mark, elapsed = _marks(device)
    marks, wrapped = [], []

    def timed(fn, label):
        def call(*args, **kwargs):
            start = new_mark()
            start.record()
            try:
                return fn(*args, **kwargs)
            finally:
                end = new_mark()
                end.record()
                marks.append((label, start, end))
        return call
    for cls in _function_types(m.autograd.Function) + [m.optim.SGD]:
        for name in ('forward', 'backward', 'update'):
            if name in cls.__dict__:
                wrapped.append((cls, name, cls.__dict__[name]))
                setattr(cls, name, timed(cls.__dict__[name], f'{cls.__name__}.{name}'))
    xp = m.backend.xp_for(device)
    big = xp.ones((8192, 8192) if device == 'cuda' else (8, 8), dtype=xp.float32)
    whole = []
    try:
        for _ in range(steps):
            big @ big                       # the host gets ahead of the device (see above)
            start, end = new_mark(), new_mark()
            start.record()
            step()
            end.record()
            whole.append((start, end))
        _sync_for(device)()
    finally:
        for cls, name, fn in wrapped:
            setattr(cls, name, fn)
    per_op = {}
    for label, start, end in marks:
        us, calls = per_op.get(label, (0.0, 0))
        per_op[label] = (us + elapsed(start, end) * 1e3 / steps, calls + 1 / steps)
    step_us = statistics.median(elapsed(start, end) * 1e3 for start, end in whole)
    kind = 'device' if device == 'cuda' else 'host'
    lines = [f'{kind} time of one step, the device kept busy (loss without checks): {step_us:.1f} µs',
             f'{kind} µs per step by op (inclusive):', '   µs/step  calls/step  op']
    lines += [f'{us:10.1f}  {calls:10.1f}  {label}' for label, (us, calls) in
              sorted(per_op.items(), key=lambda item: -item[1][0])]
    return '\n'.join(lines) + '\n'


def sweep_table(device, batch, steps, rounds=9):
    """The CNN step under each sliding-window sweep the device runs (``conv.WINDOW_SWEEP``:
    on a GPU the 'view' forms against the 'kernel' forms, on the CPU 'slices' against
    'view'), interleaved (see :func:`_ab_table`)."""
    m = W._minidl()
    from minidl.functional import conv
    library, sweeps = m.backend.xp_for(device).__name__, ('view', 'kernel') if device == 'cuda' else ('slices', 'view')
    x, y = W._data(batch, (1, 28, 28))
    step, _ = W.minidl_step(W.minidl_cnn(ref.init_cnn(np.random.default_rng(0))), x, y, device=device)
    return _ab_table(f'## CNN step, batch {batch}, on {device}, by sliding-window sweep', step, _sync_for(device),
                     steps, rounds, conv.WINDOW_SWEEP, library, dict(zip(sweeps, sweeps)))


def loss_table(device, batch, steps, rounds=9):
    """The MLP step with cross_entropy as array operations and as CUDA kernels
    (``loss.CROSS_ENTROPY_KERNEL``), interleaved (see :func:`_ab_table`); a GPU only."""
    if device != 'cuda':
        return '## cross_entropy as arrays or kernels: a GPU only\n'
    from minidl.functional import loss
    x, y = W._data(batch, (784,))
    step, _ = W.minidl_step(W.minidl_mlp(ref.init_mlp(np.random.default_rng(0))), x, y, device=device)
    return _ab_table(f'## MLP step, batch {batch}, on {device}, cross_entropy as arrays or kernels', step,
                     _sync_for(device), steps, rounds, loss.CROSS_ENTROPY_KERNEL, 'cupy',
                     {'arrays': False, 'kernels': True})


def _ab_table(title, step, sync, steps, rounds, switch, key, settings):
    """``step`` under each of two settings of ``switch[key]`` (a module's dict of choices,
    restored at the end; ``settings``: {label: value}), interleaved round by round: per
    setting the median of the synced step and of its host side, and the median of the
    per-round ratios of the steps (second setting / first)."""
    default, times = switch[key], {label: ([], []) for label in settings}
    try:
        for _ in range(rounds):
            for label, value in settings.items():
                switch[key] = value
                for _ in range(3):                  # compiles on first use, then a warm start
                    step()
                times[label][0].append(_median_time(step, sync, 1, steps))
                times[label][1].append(_host_time(step, sync, 1, steps))
    finally:
        switch[key] = default
    first, second = settings
    ratio = statistics.median(b / a for a, b in zip(times[first][0], times[second][0]))
    lines = [f'{title} (interleaved, {rounds} rounds of {steps} steps)']
    lines += [f'{label:>7}: step {statistics.median(t) * 1e3:.3f} ms, host side {statistics.median(h) * 1e3:.3f} ms'
              for label, (t, h) in times.items()]
    lines.append(f'step {second} / {first}: {ratio:.3f} (median of the per-round ratios)')
    return '\n'.join(lines) + '\n'


def call_costs(device, repeats=7, inner=200):
    """µs per call of single operations on ``device`` (synced once per block of calls)."""
    m = W._minidl()
    xp = m.backend.xp_for(device)
    sync = _sync_for(device)
    rng = np.random.default_rng(0)
    small = xp.asarray(rng.standard_normal(1024, dtype=np.float32))
    logits = xp.asarray(rng.standard_normal((4096, 10), dtype=np.float32))
    rows, target = xp.arange(4096), xp.asarray(rng.integers(0, 10, 4096))
    a = xp.asarray(rng.standard_normal((64, 64), dtype=np.float32))
    leaf = m.tensor(rng.standard_normal(1024, dtype=np.float32), device=device, requires_grad=True)

    def scatter():
        logits[rows, target] -= 1.0

    def minidl_op():
        (leaf * 2.0).backward(m.ones(1024, device=device))

    cases = [('elementwise a + b (1,024)', lambda: small + small),
             ('reduction a.sum() (1,024)', lambda: small.sum()),
             ('row max (4,096 x 10, axis 1)', lambda: logits.max(axis=1, keepdims=True)),
             ('matmul 64 x 64', lambda: a @ a),
             ('arange(4,096)', lambda: xp.arange(4096)),
             ('gather x[rows, t] (4,096 x 10)', lambda: logits[rows, target]),
             ('scatter x[rows, t] -= 1', scatter),
             ('read back: bool(a.any())', lambda: bool(small.any())),
             ('read back: concatenate((t.min(), t.max())).tolist()',
              lambda: xp.concatenate((target.min(), target.max()), axis=None).tolist()),
             ('minidl: (x * 2).backward(g), 1,024', minidl_op),
             ('random draw: uniform (1,024)', lambda: m.backend.uniform((1024,), device=device))]
    lines = [f'single calls on {device}, µs per call (block of {inner} calls, synced at its end):']
    for name, fn in cases:
        fn()
        t = _median_time(fn, sync, repeats, inner)
        lines.append(f'{t * 1e6:10.1f}  {name}')
    # the weight gradients of the CNN's two convolutions at batch 256: products with a long
    # inner dimension (H·W·N) and a small result, which a GEMM must split to keep a GPU busy
    for o, k, c in ((16, 28 * 28 * 256, 9), (32, 14 * 14 * 256, 144)):
        g, cols = xp.ones((o, k), dtype=xp.float32), xp.ones((c, k), dtype=xp.float32)
        product = lambda: g @ cols.T
        product()
        t = _median_time(product, sync, repeats, 10)
        lines.append(f'{t * 1e6:10.1f}  matmul ({o} x {k:,}) @ ({k:,} x {c}): a convolution\'s dL/dw')
    return '\n'.join(lines) + '\n'


def main(argv=None):
    p = argparse.ArgumentParser(description='host vs device time of minidl training steps on CuPy')
    p.add_argument('--steps', type=int, default=30)
    p.add_argument('--mlp-batch', type=int, default=4096)
    p.add_argument('--cnn-batch', type=int, default=256)
    p.add_argument('--top', type=int, default=20)
    p.add_argument('--device', choices=('cuda', 'cpu'), default='cuda',
                   help="'cpu' runs the same study on NumPy (host time is then the whole step)")
    p.add_argument('--out', default=os.path.join(os.path.dirname(os.path.abspath(__file__)), 'results'))
    args = p.parse_args(argv)
    if args.device == 'cuda' and not W._minidl().cuda_is_available():
        print('gpu_profile: CuPy or a GPU is not available; nothing measured')
        return
    machine = harness.machine_name('gpu', harness.gpu_name()) if args.device == 'cuda' else harness.machine_name()
    out = [f'# minidl training steps: host vs device ({machine})', '',
           study('MLP 784-512-256-10', W.minidl_mlp, ref.init_mlp(np.random.default_rng(0)),
                 args.mlp_batch, (784,), args.steps, args.top, args.device),
           study('CNN', W.minidl_cnn, ref.init_cnn(np.random.default_rng(0)),
                 args.cnn_batch, (1, 28, 28), max(5, args.steps // 3), args.top, args.device),
           sweep_table(args.device, args.cnn_batch, max(5, args.steps // 3)),
           loss_table(args.device, args.mlp_batch, args.steps),
           call_costs(args.device)]
    harness.write_text_report(args.out, f'gpu-profile-{machine}.txt', '\n'.join(out))


if __name__ == '__main__':
    main()

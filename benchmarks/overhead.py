"""Where minidl's per-op overhead goes, and why it weighs more inside a real training step.

    python -m benchmarks.overhead [--quick] [--out DIR]

The benchmark table gives totals; this breaks the framework's own cost down (each number the
best or the median of several blocks in one process, NumPy reference interleaved with minidl):

1. **Recording and the engine**, on a chain of identity ops (forward returns x, backward
   returns the gradient: no arithmetic at all): µs per recorded forward call, µs per node in
   backward (for a backward that takes Tensors, as a user's Function does, and for one that
   takes arrays, as minidl's elementwise ops do: ``Function.backward_on_arrays``), and the
   fixed cost of one ``backward()`` call.
2. **The autograd-overhead workload** (the 201-op chain of * and + on 1-element tensors),
   split into forward and backward per op, beside two yardsticks: the same chain on a bare
   graph (``bare_autograd``: parents and closures, no checks) and its arithmetic alone, by
   hand in NumPy.
3. **A tiny MLP step** (8-8-8-10, batch 4, SGD: the arithmetic is negligible, so the step is
   all overhead), minidl against the NumPy reference, *hot* (the step repeated in a loop) and
   *cold* (each step right after a GEMM of the MLP b=128 size, 128x784 by 784x512, which
   evicts the caches the way the GEMMs of a real step do).
4. **The MLP step at batch 128** of the benchmark, split into forward (model and loss),
   backward and update, each against the reference's, interleaved step by step. The
   reference computes dL/dz inside its loss, minidl in backward: compare forward + backward
   as a whole.

Writes the report to ``benchmarks/results/overhead-<machine>.txt`` as well.
"""
import argparse
import os
import statistics
import time

import numpy as np

from . import harness
from . import reference_numpy as ref
from . import workloads as W
from .bare_autograd import BareTensor

_clock = time.perf_counter


def _best_per_call(fn, calls, blocks):
    """Seconds per call of ``fn``: the best of ``blocks`` blocks of ``calls`` calls."""
    best = float('inf')
    for _ in range(blocks):
        t0 = _clock()
        for _ in range(calls):
            fn()
        best = min(best, (_clock() - t0) / calls)
    return best


def engine_costs(quick):
    """(µs per recorded forward call, µs per node in backward for a backward that takes
    Tensors, the same for one that takes arrays (``Function.backward_on_arrays``), µs fixed
    per backward call)."""
    import minidl
    from minidl.autograd import Function

    class Identity(Function):
        def forward(self, x):
            return x

        def backward(self, gy):
            return gy

    class IdentityOnArrays(Identity):
        backward_on_arrays = True

    leaf = minidl.tensor(np.ones(3, np.float32), requires_grad=True, device='cpu')
    seed = minidl.tensor(np.ones(3, np.float32), device='cpu')

    def timed_chain(op, n):
        forward, backward = [], []
        for _ in range(5 if quick else 30):
            t0 = _clock()
            h = leaf
            for _ in range(n):
                h = op()(h)
            t1 = _clock()
            leaf.grad = None
            h.backward(seed)
            forward.append(t1 - t0)
            backward.append(_clock() - t1)
        return min(forward), min(backward)
    n = 50 if quick else 500
    f1, b1 = timed_chain(Identity, 1)
    fn, bn = timed_chain(Identity, n + 1)
    _, bn_arrays = timed_chain(IdentityOnArrays, n + 1)
    return (fn - f1) / n * 1e6, (bn - b1) / n * 1e6, (bn_arrays - b1) / n * 1e6, b1 * 1e6


def chain_costs(quick):
    """µs per op of the autograd-overhead workload's chain: {'forward', 'backward'} for
    minidl, and forward + backward on a bare graph (``bare_autograd``) and by hand in NumPy
    (``reference_numpy.chain_fwd_bwd``, the arithmetic alone)."""
    import minidl
    n_ops = 200
    a = minidl.tensor([1.0], requires_grad=True, device='cpu')
    b = minidl.tensor([0.999], requires_grad=True, device='cpu')
    a_np, b_np = a.numpy(), b.numpy()                  # the same arrays as a.data and b.data
    bare_a, bare_b = BareTensor(a_np), BareTensor(b_np)

    def forward():
        return W.autograd_chain(a, b, n_ops)

    def both():
        a.grad = b.grad = None
        forward().backward()

    def bare():
        bare_a.grad = bare_b.grad = None
        W.autograd_chain(bare_a, bare_b, n_ops).backward()
    calls, blocks = (3, 3) if quick else (30, 7)
    per_op = {name: _best_per_call(fn, calls, blocks) / (n_ops + 1) * 1e6
              for name, fn in (('forward', forward), ('both', both), ('bare', bare),
                               ('numpy', lambda: ref.chain_fwd_bwd(a_np, b_np, n_ops)))}
    per_op['backward'] = per_op.pop('both') - per_op['forward']
    return per_op


def tiny_step_costs(quick):
    """{'minidl': (hot µs, cold µs), 'numpy_ref': (...)} for the tiny MLP step."""
    params = ref.init_mlp(np.random.default_rng(0), sizes=(8, 8, 8, 10))
    x, y = W._data(4, (8,))
    minidl_step, _ = W.minidl_step(W.minidl_mlp(params), x, y)
    p_ref = {k: v.copy() for k, v in params.items()}
    steps = {'minidl': minidl_step, 'numpy_ref': lambda: ref.mlp_step(p_ref, x, y)}
    rng = np.random.default_rng(1)
    a = rng.standard_normal((128, 784), dtype=np.float32)
    w = rng.standard_normal((512, 784), dtype=np.float32)
    rounds = 20 if quick else 300
    cold = {name: [] for name in steps}
    for _ in range(rounds):
        for name, step in steps.items():
            a @ w.T                                     # evict the caches, as a real step's GEMMs do
            t0 = _clock()
            step()
            cold[name].append(_clock() - t0)
    calls, blocks = (20, 3) if quick else (500, 7)
    return {name: (_best_per_call(step, calls, blocks) * 1e6, statistics.median(cold[name]) * 1e6)
            for name, step in steps.items()}


def mlp_phase_costs(quick, batch=128):
    """{phase: (minidl µs, reference µs)} for forward, backward and update of the MLP step."""
    params = ref.init_mlp(np.random.default_rng(0))
    x, y = W._data(batch, (784,))
    import minidl
    model = W.minidl_mlp(params).to('cpu')
    xt = minidl.tensor(x, device='cpu')
    loss_fn, _ = W.minidl_loss_fn(y, 10)
    opt = minidl.optim.SGD(model.parameters(), lr=W.LR)
    p_ref = {k: v.copy() for k, v in params.items()}
    times = {phase: ([], []) for phase in ('forward', 'backward', 'update')}
    for i in range(10 if quick else 250):
        t0 = _clock()
        opt.zero_grad()
        loss = loss_fn(model(xt))
        t1 = _clock()
        loss.backward()
        t2 = _clock()
        opt.step()
        t3 = _clock()
        _, g, acts = ref.mlp_forward(p_ref, x, y)
        t4 = _clock()
        grads = ref.mlp_backward(p_ref, g, acts)
        t5 = _clock()
        ref.sgd(p_ref, grads, W.LR)
        t6 = _clock()
        if i >= (2 if quick else 25):                   # after the warm-up
            for phase, mine, theirs in (('forward', t1 - t0, t4 - t3), ('backward', t2 - t1, t5 - t4),
                                        ('update', t3 - t2, t6 - t5)):
                times[phase][0].append(mine)
                times[phase][1].append(theirs)
    return {phase: (statistics.median(m) * 1e6, statistics.median(r) * 1e6) for phase, (m, r) in times.items()}


def report(quick):
    blas = harness.blas_summary(harness.blas_info())
    name = harness.cpu_report_name(blas)
    lines = [f'# minidl overhead on {name} (BLAS: {blas})', '']
    record, node, node_arrays, fixed = engine_costs(quick)
    lines += ['## 1. Recording and the engine (identity ops, no arithmetic)',
              f'recording one forward call: {record:.2f} µs;  one node in backward: {node:.2f} µs '
              f'({node_arrays:.2f} µs if its backward takes arrays, backward_on_arrays);  '
              f'fixed cost of a backward() call: {fixed:.1f} µs', '']
    chain = chain_costs(quick)
    forward, backward = chain['forward'], chain['backward']
    lines += ['## 2. The autograd-overhead chain (201 ops of * and + on 1-element tensors)',
              f'minidl: forward {forward:.2f} µs/op, backward {backward:.2f} µs/op, '
              f'total {forward + backward:.2f} µs/op;  a bare graph (benchmarks/bare_autograd.py): '
              f"{chain['bare']:.2f} µs/op;  the arithmetic alone, by hand in NumPy: {chain['numpy']:.2f} µs/op", '']
    tiny = tiny_step_costs(quick)
    lines += ['## 3. Tiny MLP step (8-8-8-10, batch 4): all overhead',
              '| | hot (in a loop) | cold (after a 128x784x512 GEMM) |', '|---|---|---|']
    lines += [f'| {name} | {hot:.0f} µs | {cold:.0f} µs |' for name, (hot, cold) in tiny.items()]
    lines += [f"| minidl - reference | {tiny['minidl'][0] - tiny['numpy_ref'][0]:.0f} µs | "
              f"{tiny['minidl'][1] - tiny['numpy_ref'][1]:.0f} µs |", '']
    phases = mlp_phase_costs(quick)
    lines += ['## 4. MLP step, batch 128, by phase (medians, interleaved step by step)',
              '| phase | minidl | reference | minidl - reference |', '|---|---|---|---|']
    lines += [f'| {phase} | {m:.0f} µs | {r:.0f} µs | {m - r:+.0f} µs |' for phase, (m, r) in phases.items()]
    total_m, total_r = (sum(v[i] for v in phases.values()) for i in (0, 1))
    lines += [f'| step | {total_m:.0f} µs | {total_r:.0f} µs | {total_m - total_r:+.0f} µs '
              f'({total_m / total_r:.2f}x) |', '']
    numbers = dict(machine=name, record_us=record, node_us=node, node_arrays_us=node_arrays,
                   backward_fixed_us=fixed, chain_forward_us=forward, chain_backward_us=backward,
                   chain_bare_us=chain['bare'], chain_numpy_us=chain['numpy'], tiny=tiny, mlp_phases=phases)
    return '\n'.join(lines), numbers


def main(argv=None):
    p = argparse.ArgumentParser(description="minidl's per-op overhead, hot and cold")
    p.add_argument('--quick', action='store_true', help='few repeats (a smoke run: numbers mean little)')
    p.add_argument('--out', default=os.path.join(os.path.dirname(os.path.abspath(__file__)), 'results'))
    args = p.parse_args(argv)
    text, numbers = report(args.quick)
    harness.write_text_report(args.out, f"overhead-{numbers['machine']}.txt", text)


if __name__ == '__main__':
    main()

"""Where minidl's time goes: cProfile of one MLP and one CNN training step.

    python -m benchmarks.profile_steps [--steps 50] [--mlp-batch 128] [--cnn-batch 64] [--top 25]

Prints, per model, the top functions by tottime (time inside the function itself) and splits
the total into time spent inside NumPy's C code (ndarray methods, ufuncs, BLAS: every
built-in whose name belongs to numpy) and everything else (Python: minidl's own code,
the autograd engine, the interpreter's built-ins). cProfile slows Python function calls
by a roughly constant amount each, so the Python share it shows is an upper bound; the
unprofiled ratio minidl / NumPy reference in the benchmark table is the honest total.
Writes the report to ``benchmarks/results/profile-<machine>.txt``.
"""
import argparse
import cProfile
import io
import os
import pstats

import numpy as np

from . import harness
from . import reference_numpy as ref
from . import workloads as W


def _is_numpy(func_key):
    """Time that is NumPy's own work: its C built-ins, and the bodies of minidl's ops, which
    are NumPy operators (``a @ b``, ``x * y``: operator calls are not separate entries in
    cProfile, so their C time lands in the calling Python function's tottime; those bodies are
    a few lines of checks around them): every ``forward``, every ``backward`` (since the
    seventh pass Linear, Convolution and the softmax cross-entropy run theirs on the raw
    arrays; one written with Tensor ops has little time of its own, its ops' forwards are
    counted themselves), the private helpers of ``functional/`` (``_product_in_shape``...), the
    optimizers' ``update``, ``operator.mul`` and its kin, which the no-graph operator
    shortcut (``functional/methods.py``) calls on arrays, and the BLAS calls made through
    ctypes (``minidl/blas.py``), which cProfile does not list apart from their callers
    either."""
    filename, _, name = func_key
    private_helper = name.startswith('_') and not name.startswith('__')
    if ('/minidl/functional/' in filename and (name in ('forward', 'backward') or private_helper)) or \
            ('/minidl/optim/' in filename and name == 'update') or filename.endswith('/minidl/blas.py'):
        return True
    if filename == '~':                                   # a built-in: C code
        return any(s in name for s in ('numpy', 'ndarray', 'ufunc', 'np.', '_multiarray', 'matmul',
                                       'method \'reduce\'', 'implement_array_function', '_operator.'))
    return '/numpy/' in filename


def profile(step, steps):
    step()
    step()
    pr = cProfile.Profile()
    pr.enable()
    for _ in range(steps):
        step()
    pr.disable()
    st = pstats.Stats(pr)
    total = sum(v[2] for v in st.stats.values())
    in_numpy = sum(v[2] for k, v in st.stats.items() if _is_numpy(k))
    return st, total, in_numpy


def report(name, step, steps, top):
    st, total, in_numpy = profile(step, steps)
    buf = io.StringIO()
    st.stream = buf
    st.sort_stats('tottime').print_stats(top)
    lines = [l for l in buf.getvalue().splitlines() if l.strip()]
    start = next(i for i, l in enumerate(lines) if 'ncalls' in l)
    head = (f'## {name}: {steps} steps, {total / steps * 1e3:.2f} ms/step under cProfile; '
            f'NumPy work (built-ins, op bodies, updates) {in_numpy / total:.0%}, '
            f'Python (autograd engine, modules, checks) {1 - in_numpy / total:.0%}')
    n_calls = sum(v[1] for v in st.stats.values()) / steps
    return '\n'.join([head, f'function calls per step: {n_calls:.0f}', ''] + lines[start:]) + '\n'


def main(argv=None):
    p = argparse.ArgumentParser(description='cProfile of minidl training steps')
    p.add_argument('--steps', type=int, default=50)
    p.add_argument('--mlp-batch', type=int, default=128)
    p.add_argument('--cnn-batch', type=int, default=64)
    p.add_argument('--top', type=int, default=25)
    p.add_argument('--out', default=os.path.join(os.path.dirname(os.path.abspath(__file__)), 'results'))
    args = p.parse_args(argv)
    blas = harness.blas_summary(harness.blas_info())
    name = harness.cpu_report_name(blas)
    out = [f'# cProfile of minidl training steps on {name} (BLAS: {blas})', '']
    params = ref.init_mlp(np.random.default_rng(0))
    x, y = W._data(args.mlp_batch, (784,))
    step, note = W.minidl_step(W.minidl_mlp(params), x, y)
    out.append(report(f'MLP step, batch {args.mlp_batch}' + (f' ({note})' if note else ''), step, args.steps, args.top))
    try:
        params = ref.init_cnn(np.random.default_rng(0))
        x, y = W._data(args.cnn_batch, (1, 28, 28))
        step, note = W.minidl_step(W.minidl_cnn(params), x, y)
        out.append(report(f'CNN step, batch {args.cnn_batch}' + (f' ({note})' if note else ''), step,
                          max(5, args.steps // 5), args.top))
    except LookupError as e:
        out.append(f'## CNN step: not profiled ({e})\n')
    harness.write_text_report(args.out, f'profile-{name}.txt', '\n'.join(out))


if __name__ == '__main__':
    main()

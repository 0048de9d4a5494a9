"""The benchmark workloads: each builds its variants (minidl, the NumPy reference, PyTorch)
from one set of float32 weights and data, times them interleaved and returns a result dict.

A variant that needs something missing (a minidl layer not written yet, torch not installed,
no GPU) is left out with the reason in ``result['missing']``; a workload with nothing to time
is reported as skipped. Nothing here raises for a missing piece.
"""
import json
import time

import numpy as np

from . import harness
from . import reference_numpy as ref
from .harness import Variant

LR = 0.01


# ----------------------------------------------------------------------------- minidl adapters
def _minidl():
    import minidl
    return minidl


def minidl_cross_entropy():
    """minidl's softmax cross-entropy (nn.functional.cross_entropy), or None when it is missing."""
    m = _minidl()
    for mod in (getattr(m.nn, 'functional', None), m.functional):
        fn = getattr(mod, 'cross_entropy', None)
        if fn is not None:
            return fn
    return None


def composed_cross_entropy(z, target_onehot):
    """The loss from minidl primitives: mean(logsumexp(z) - Σ z·onehot) (a stand-in, slower)."""
    return (z.logsumexp(dim=1) - (z * target_onehot).sum(dim=1)).mean()


def minidl_loss_fn(y, n_classes, device='cpu'):
    """(loss(z) closure, note) for integer labels y."""
    m = _minidl()
    ce = minidl_cross_entropy()
    if ce is not None:
        yt = m.tensor(y.astype(np.int64), device=device)
        return (lambda z: ce(z, yt)), ''
    onehot = np.zeros((len(y), n_classes), np.float32)
    onehot[np.arange(len(y)), y] = 1
    oh = m.tensor(onehot, device=device)
    return (lambda z: composed_cross_entropy(z, oh)), 'minidl has no cross_entropy yet: loss composed of logsumexp/mul/sum/mean'


def _need(obj, *names):
    missing = [n for n in names if getattr(obj, n, None) is None]
    if missing:
        raise LookupError('minidl.nn lacks ' + ', '.join(missing))


def minidl_mlp(params):
    m = _minidl()
    nn = m.nn
    n_layers = len(params) // 2
    layers = []
    for i in range(n_layers):
        w = params[f'{2 * i}.weight']
        layers.append(nn.Linear(w.shape[1], w.shape[0]))
        if i < n_layers - 1:
            layers.append(nn.ReLU())
    return load_minidl(nn.Sequential(*layers), params)


def minidl_cnn(params):
    m = _minidl()
    nn = m.nn
    _need(nn, 'Conv2d', 'MaxPool2d', 'Flatten')
    c1, c2 = params['0.weight'].shape[0], params['3.weight'].shape[0]
    model = nn.Sequential(nn.Conv2d(1, c1, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(c1, c2, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Linear(params['7.weight'].shape[1], params['7.weight'].shape[0]))
    return load_minidl(model, params)


def load_minidl(model, params):
    """Copy the reference weights (same names, same layout) into a minidl model, in place."""
    got = dict(model.named_parameters())
    if set(got) != set(params):
        raise LookupError(f'minidl model parameters {sorted(got)} != reference {sorted(params)}')
    to_device = _minidl().backend.to_device
    for name, p in got.items():
        p.data[...] = to_device(params[name], p.device)
    return model


def minidl_step(model, x, y, lr=LR, device='cpu'):
    """(step closure, note): one SGD step of ``model`` on (x, y), as a user would write it."""
    m = _minidl()
    model.to(device)                       # (built on the current device, which MINIDL_DEVICE sets)
    xt = m.tensor(x, device=device)
    loss_fn, note = minidl_loss_fn(y, 10, device)
    opt = m.optim.SGD(model.parameters(), lr=lr)

    def step():
        opt.zero_grad()
        loss = loss_fn(model(xt))
        loss.backward()
        opt.step()
        return loss
    return step, note


# ----------------------------------------------------------------------------- helpers
def _torch(cfg):
    if not cfg.get('torch'):
        return None
    from . import reference_torch
    return reference_torch if reference_torch.available() else None


def _result(name, variants, missing, flops=None, note='', cfg=None, unit='s', extra=None, per_run=1):
    """Time ``variants`` and describe them; with ``per_run`` N, one call of a variant does N
    units of work (the autograd chain's ops), and every time is given per unit. With ``unit``
    'images_per_s', one call handles ``extra['images']`` images, and the rate is given too."""
    cfg = cfg or {}
    res = dict(name=name, unit=unit, flops=flops, note=note, missing=missing, variants={})
    if extra:
        res.update(extra)
    if not variants:
        res['skipped'] = '; '.join(f'{k}: {v}' for k, v in missing.items()) or 'nothing to run'
        return res
    log = cfg.get('log', print)
    t0 = time.perf_counter()
    timings = harness.time_variants(variants, repeats=cfg.get('repeats', 7),
                                    min_block_s=cfg.get('min_block_s', 0.2),
                                    tiny_repeats=cfg.get('tiny_repeats', 15))
    for v in variants:
        t = timings[v.name]
        d = harness.Timing([s / per_run for s in t.samples], t.inner).as_dict()
        if flops:
            d['gflops'] = flops / d['median_s'] / 1e9
        res['variants'][v.name] = d
    if unit == 'images_per_s':
        for d in res['variants'].values():
            d['images_per_s'] = res['images'] / d['median_s']
        times = ', '.join(f"{k}={d['images_per_s']:.0f} img/s" for k, d in res['variants'].items())
    else:
        times = ', '.join(f"{k}={harness._fmt_time(d['median_s'])}" for k, d in res['variants'].items())
    ratios = ''.join(f", {a}/{b}={harness._fmt_ratio(res['variants'][a], res['variants'][b])}"
                     for a, b in harness.r_ratio_pairs(list(res['variants'])))
    log(f'  {name:<34s} {times}{ratios}   ({time.perf_counter() - t0:.1f} s)'
        + (f'  [missing: {"; ".join(f"{k}: {v}" for k, v in missing.items())}]' if missing else ''))
    return res


def _try(missing, name, build):
    """Run ``build()`` (returns a Variant); on any error record why and return None."""
    try:
        return build()
    except Exception as e:                                    # a missing layer, torch, a GPU
        missing[name] = f'{type(e).__name__}: {e}'.splitlines()[0][:200]
        return None


def _variants(*vs):
    return [v for v in vs if v is not None]


def mlp_flops(batch, params):
    """GEMM flops of one step: forward 2·B·in·out per layer, backward twice that (dW and dx;
    the first layer's dx is not needed, so that layer counts 2x forward instead of 3x)."""
    total = 0
    for i in range(len(params) // 2):
        out_f, in_f = params[f'{2 * i}.weight'].shape
        f = 2 * batch * in_f * out_f
        total += f * (3 if i > 0 else 2)
    return total


def cnn_flops(batch, spec=ref.CNN_SPEC):
    hw, k, c1, c2 = spec['in_hw'], spec['k'], spec['c1'], spec['c2']
    conv1 = 2 * batch * c1 * hw * hw * 1 * k * k
    conv2 = 2 * batch * c2 * (hw // 2) ** 2 * c1 * k * k
    lin = 2 * batch * c2 * (hw // 4) ** 2 * spec['n_classes']
    return 2 * conv1 + 3 * conv2 + 3 * lin


def _data(batch, shape, seed=1):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, *shape), dtype=np.float32)
    y = rng.integers(0, 10, size=batch)
    return x, y


# ----------------------------------------------------------------------------- training steps
def _step_workload(name, batch, cfg, init, input_shape, build_minidl_model, ref_step, torch_builder, flops):
    """One training step of the same model (same initial weights and batch) in each variant."""
    params = init(np.random.default_rng(0))
    x, y = _data(batch, input_shape)
    missing, note = {}, ''

    def build_minidl():
        nonlocal note
        step, note = minidl_step(build_minidl_model(params), x, y)
        return Variant('minidl', step)
    p_ref = {k: v.copy() for k, v in params.items()}
    vs = [_try(missing, 'minidl', build_minidl), Variant('numpy_ref', lambda: ref_step(p_ref, x, y, LR))]
    tr = _torch(cfg)
    if tr:
        vs.append(_try(missing, 'torch', lambda: Variant(
            'torch', tr.make_step(getattr(tr, torch_builder)(params), x, y, LR), family='torch')))
    return _result(f'{name} step b={batch}', _variants(*vs), missing, flops(params), note, cfg)


def mlp_step_workload(batch, cfg):
    return _step_workload('MLP', batch, cfg, ref.init_mlp, (784,), minidl_mlp, ref.mlp_step, 'build_mlp',
                          lambda params: mlp_flops(batch, params))


def cnn_step_workload(batch, cfg):
    return _step_workload('CNN', batch, cfg, ref.init_cnn, (1, 28, 28), minidl_cnn, ref.cnn_step, 'build_cnn',
                          lambda params: cnn_flops(batch))


# ----------------------------------------------------------------------------- single ops
def _fwd_bwd(leaves, forward, g):
    """Variant fn: clear the leaves' gradients, y = forward(*leaves), y.backward(g)."""
    def run():
        for t in leaves:
            t.grad = None
        forward(*leaves).backward(g)
    return run


def _minidl_fwd_bwd(forward, arrays, gy):
    """``_fwd_bwd`` on minidl leaves made from ``arrays`` (requires_grad)."""
    m = _minidl()
    return _fwd_bwd([m.tensor(a, requires_grad=True) for a in arrays], forward, m.tensor(gy))


def _torch_fwd_bwd(tr, forward, arrays, gy):
    """``_fwd_bwd`` on PyTorch leaves made from copies of ``arrays``."""
    torch = tr.torch
    return _fwd_bwd([torch.from_numpy(a.copy()).requires_grad_(True) for a in arrays], forward,
                    torch.from_numpy(gy))


def op_matmul(cfg):
    n = cfg['sizes']['matmul']
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((n, n), dtype=np.float32), rng.standard_normal((n, n), dtype=np.float32)
    gy = rng.standard_normal((n, n), dtype=np.float32)

    def numpy_ref():
        _ = a @ b
        _ = gy @ b.T
        _ = a.T @ gy
    missing = {}
    vs = [_try(missing, 'minidl', lambda: Variant('minidl', _minidl_fwd_bwd(lambda p, q: p @ q, [a, b], gy))),
          Variant('numpy_ref', numpy_ref)]
    tr = _torch(cfg)
    if tr:
        vs.append(_try(missing, 'torch', lambda: Variant('torch', _torch_fwd_bwd(tr, lambda p, q: p @ q, [a, b], gy),
                                                           family='torch')))
    return _result(f'matmul {n}³ fwd+bwd', _variants(*vs), missing, 3 * 2 * n ** 3, '', cfg)


def _minidl_conv2d():
    m = _minidl()
    for mod in (m.nn.functional, m.functional):
        if getattr(mod, 'conv2d', None) is not None:
            return mod.conv2d
    raise LookupError('minidl has no conv2d (nn.functional.conv2d)')


def _minidl_max_pool2d():
    m = _minidl()
    for mod in (m.nn.functional, m.functional):
        if getattr(mod, 'max_pool2d', None) is not None:
            return mod.max_pool2d
    raise LookupError('minidl has no max_pool2d (nn.functional.max_pool2d)')


def op_conv2d(cfg):
    n, c, hw = cfg['sizes']['conv']
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, c, hw, hw), dtype=np.float32)
    w = (rng.standard_normal((c, c, 3, 3), dtype=np.float32) * 0.05).astype(np.float32)
    b = rng.standard_normal(c, dtype=np.float32)
    gy = rng.standard_normal((n, c, hw, hw), dtype=np.float32)
    missing = {}

    def build_minidl():
        conv2d = _minidl_conv2d()
        return Variant('minidl', _minidl_fwd_bwd(lambda x_, w_, b_: conv2d(x_, w_, b_, padding=1), [x, w, b], gy))
    vs = [_try(missing, 'minidl', build_minidl),
          Variant('numpy_ref', lambda: ref.conv2d_fwd_bwd(x, w, b, gy, 1))]
    tr = _torch(cfg)
    if tr:
        tF = tr.F
        vs.append(_try(missing, 'torch', lambda: Variant(
            'torch', _torch_fwd_bwd(tr, lambda x_, w_, b_: tF.conv2d(x_, w_, b_, padding=1), [x, w, b], gy),
            family='torch')))
    flops = 3 * 2 * n * c * hw * hw * c * 9
    return _result(f'conv2d {c}x{c}x3x3 on {n}x{c}x{hw}x{hw}', _variants(*vs), missing, flops, '', cfg)


def op_maxpool(cfg):
    n, c, hw = cfg['sizes']['conv']
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, c, hw, hw), dtype=np.float32)
    gy = rng.standard_normal((n, c, hw // 2, hw // 2), dtype=np.float32)
    missing = {}

    def numpy_ref():
        y = ref.maxpool_forward(x, 2)
        ref.maxpool_backward(gy, x, y, 2)

    def build_minidl():
        pool = _minidl_max_pool2d()
        return Variant('minidl', _minidl_fwd_bwd(lambda x_: pool(x_, 2), [x], gy))
    vs = [_try(missing, 'minidl', build_minidl), Variant('numpy_ref', numpy_ref)]
    tr = _torch(cfg)
    if tr:
        tF = tr.F
        vs.append(_try(missing, 'torch', lambda: Variant(
            'torch', _torch_fwd_bwd(tr, lambda x_: tF.max_pool2d(x_, 2), [x], gy), family='torch')))
    return _result(f'maxpool 2x2 on {n}x{c}x{hw}x{hw}', _variants(*vs), missing, None, '', cfg)


def op_batchnorm(cfg):
    n, c, hw = cfg['sizes']['conv']
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, c, hw, hw), dtype=np.float32)
    gamma = rng.uniform(0.5, 1.5, c).astype(np.float32)
    beta = rng.standard_normal(c, dtype=np.float32)
    gy = rng.standard_normal((n, c, hw, hw), dtype=np.float32)
    missing = {}

    def build_minidl():
        bn = _minidl().functional.batch_norm
        return Variant('minidl', _minidl_fwd_bwd(lambda x_, g_, b_: bn(x_, None, None, g_, b_, training=True),
                                                 [x, gamma, beta], gy))
    vs = [_try(missing, 'minidl', build_minidl),
          Variant('numpy_ref', lambda: ref.batchnorm_fwd_bwd(x, gamma, beta, gy))]
    tr = _torch(cfg)
    if tr:
        tF = tr.F
        vs.append(_try(missing, 'torch', lambda: Variant(
            'torch', _torch_fwd_bwd(tr, lambda x_, g_, b_: tF.batch_norm(x_, None, None, g_, b_, training=True),
                                    [x, gamma, beta], gy), family='torch')))
    return _result(f'BatchNorm2d train on {n}x{c}x{hw}x{hw}', _variants(*vs), missing, None, '', cfg)


def op_cross_entropy(cfg):
    n, k = cfg['sizes']['ce']
    rng = np.random.default_rng(0)
    z = rng.standard_normal((n, k), dtype=np.float32)
    y = rng.integers(0, k, n)
    missing, note = {}, ''

    def build_minidl():
        nonlocal note
        m = _minidl()
        zt = m.tensor(z, requires_grad=True)
        ce = minidl_cross_entropy()
        if ce is None:
            onehot = np.zeros((n, k), np.float32)
            onehot[np.arange(n), y] = 1
            oh = m.tensor(onehot)
            note = 'minidl has no cross_entropy yet: composed of primitives'
            loss_fn = lambda t: composed_cross_entropy(t, oh)        # noqa: E731
        else:
            yt = m.tensor(y.astype(np.int64))
            loss_fn = lambda t: ce(t, yt)                            # noqa: E731

        def run():
            zt.grad = None
            loss_fn(zt).backward()
        return Variant('minidl', run)
    vs = [_try(missing, 'minidl', build_minidl), Variant('numpy_ref', lambda: ref.softmax_cross_entropy(z, y))]
    tr = _torch(cfg)
    if tr:
        def build_torch():
            torch = tr.torch
            zt = torch.from_numpy(z.copy()).requires_grad_(True)
            yt = torch.from_numpy(y.astype(np.int64))

            def run():
                zt.grad = None
                tr.F.cross_entropy(zt, yt).backward()
            return Variant('torch', run, family='torch')
        vs.append(_try(missing, 'torch', build_torch))
    return _result(f'softmax CE {n}x{k} fwd+bwd', _variants(*vs), missing, None, note, cfg)


# ----------------------------------------------------------------------------- autograd overhead
def autograd_chain(a, b, n_ops):
    """(((a·b + a)·b + a)...).sum(): n_ops alternating * and +, then a sum (n_ops + 1 ops)."""
    y = a
    for _ in range(n_ops // 2):
        y = y * b
        y = y + a
    return y.sum()


def autograd_overhead(cfg):
    """µs per op, forward + backward, on 1-element tensors: a chain of N alternating * and +.
    The NumPy reference does the chain's arithmetic by hand (``reference_numpy.chain_fwd_bwd``):
    what is left of minidl's time above it is the graph's bookkeeping."""
    n_ops = cfg['sizes']['autograd_ops']
    missing = {}

    def chain(a, b):
        return autograd_chain(a, b, n_ops)

    def build_minidl():
        m = _minidl()
        a = m.tensor([1.0], requires_grad=True)
        b = m.tensor([0.999], requires_grad=True)

        def run():
            a.grad = b.grad = None
            chain(a, b).backward()
        return Variant('minidl', run)
    a_np, b_np = np.array([1.0], np.float32), np.array([0.999], np.float32)
    vs = [_try(missing, 'minidl', build_minidl),
          Variant('numpy_ref', lambda: ref.chain_fwd_bwd(a_np, b_np, n_ops))]
    tr = _torch(cfg)
    if tr:
        def build_torch():
            torch = tr.torch
            a = torch.tensor([1.0], requires_grad=True)
            b = torch.tensor([0.999], requires_grad=True)

            def run():
                a.grad = b.grad = None
                chain(a, b).backward()
            return Variant('torch', run, family='torch')
        vs.append(_try(missing, 'torch', build_torch))
    return _result(f'autograd overhead ({n_ops + 1}-op chain)', _variants(*vs), missing, None,
                   'per op (fwd+bwd), 1-element tensors', cfg, unit='us_per_op', per_run=n_ops + 1)


# ----------------------------------------------------------------------------- input pipeline
def input_pipeline(cfg):
    """Images/s of DataLoader (+ RandomHorizontalFlip + RandomCrop(28, padding=2)) over the
    embedded 5,000 MNIST images, batch 128: the setup of ``benchmarks/data_pipeline.py``
    (another developer's script), whose ``epoch_seconds`` is reused; timed by the harness
    (median over repeats of one epoch each). Returns a list of two results."""
    try:
        from . import data_pipeline as dp
        import minidl
        from minidl.data import DataLoader, TensorDataset, load_mnist_5k
        from minidl.data import transforms as T
    except Exception as e:
        return [dict(name='input pipeline', unit='images_per_s', variants={}, missing={},
                     skipped=f'benchmarks/data_pipeline.py or minidl.data not importable: {type(e).__name__}: {e}')]
    minidl.manual_seed(0)
    images, labels = load_mnist_5k()
    if cfg.get('quick'):
        images, labels = images[:512], labels[:512]
    n = len(images)
    out = []
    for name, transform in [('loading only', None),
                            ('+ flip + crop', T.Compose([T.RandomHorizontalFlip(), T.RandomCrop(28, padding=2)]))]:
        missing = {}

        def build(transform=transform):
            loader = DataLoader(TensorDataset(images, labels), batch_size=128, shuffle=True,
                                transform=transform, seed=0)
            return Variant('minidl', lambda: dp.epoch_seconds(loader))
        res = _result(f'input pipeline: {name}', _variants(_try(missing, 'minidl', build)), missing, None,
                      f'{n} MNIST images/epoch, batch 128', dict(cfg, repeats=min(cfg.get('repeats', 7), 5),
                                                                  min_block_s=0.0),
                      unit='images_per_s', extra=dict(images=n))
        out.append(res)
    return out


# ----------------------------------------------------------------------------- peak memory
PEAK_MEMORY_CHILD = r'''
import json, resource, sys, tracemalloc
import numpy as np
sys.path.insert(0, {root!r})
from benchmarks import workloads as W, reference_numpy as ref

def status_mb(key):
    """VmRSS / VmHWM of *this* process image (Linux); ru_maxrss as a fallback."""
    try:
        with open('/proc/self/status') as f:
            for line in f:
                if line.startswith(key + ':'):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

variant, batch, steps = {variant!r}, {batch}, {steps}
if variant == 'minidl':
    import minidl                             # (the reference imports nothing more)
import_rss = status_mb('VmRSS')               # the interpreter, NumPy and the code, before any training
params = ref.init_mlp(np.random.default_rng(0))
x, y = W._data(batch, (784,))
if variant == 'minidl':
    step, _ = W.minidl_step(W.minidl_mlp(params), x, y)
else:
    step = lambda: ref.mlp_step(params, x, y, W.LR)
step()                                        # first step: lazy allocations, gradients

setup_rss = status_mb('VmRSS')
try:                                          # reset the high-water mark to the current RSS
    with open('/proc/self/clear_refs', 'w') as f:
        f.write('5')
    reset = True
except OSError:
    reset = False
for _ in range(steps):
    step()
peak = status_mb('VmHWM')
tracemalloc.start()
for _ in range(steps):
    step()
_, tm_peak = tracemalloc.get_traced_memory()
tracemalloc.stop()
print(json.dumps(dict(maxrss_mb=peak, import_rss_mb=import_rss, training_mb=peak - import_rss,
                      setup_rss_mb=setup_rss, rss_growth_mb=peak - setup_rss,
                      hwm_reset=reset, tracemalloc_peak_mb=tm_peak / 2**20)))
'''


def peak_memory(cfg):
    """Peak resident memory of ``steps`` MLP training steps, minidl vs the NumPy reference.

    Each variant runs in a **fresh subprocess** and reads the kernel's high-water mark of
    resident memory, which counts everything the step touches (NumPy's data buffers, Python
    objects, the allocator's retained arenas), with no other variant's history in it. Not
    ``ru_maxrss``: Linux carries it over from the forking parent (the benchmark process, with
    torch loaded) into the child, so every child would report the parent's size; the child's
    own ``VmHWM`` (/proc/self/status) starts afresh at exec. After setup and one warm-up step
    the high-water mark is reset to the current RSS (``clear_refs`` 5), so ``maxrss_mb`` is the
    peak *during* the 100 steps and ``rss_growth`` = peak - RSS after setup is what the training
    loop itself adds at its worst (a graph not freed between steps would grow it).
    ``training_mb`` = peak - RSS after the imports is the memory training takes (weights,
    data, gradients, the step's arrays, the framework's objects), without the code loaded
    before it: the interpreter and NumPy (~29 MB, in both variants) and minidl's modules
    (~2.6 MB). ``ratio_training`` compares that; ``ratio_maxrss`` (whole processes) dilutes
    any difference in it by the shared part.
    tracemalloc (numpy reports its data allocations to it) gives the loop's peak of live
    Python-heap + array bytes as a second, allocator-independent view.
    """
    import os
    import subprocess
    import sys
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    batch, steps = cfg['sizes']['mem_batch'], cfg['sizes']['mem_steps']
    out = dict(batch=batch, steps=steps, variants={})
    for variant in ('minidl', 'numpy_ref'):
        code = PEAK_MEMORY_CHILD.format(root=root, variant=variant, batch=batch, steps=steps)
        try:
            p = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, timeout=600)
            if p.returncode != 0:
                out['variants'][variant] = dict(error=(p.stderr.strip().splitlines() or ['?'])[-1])
            else:
                out['variants'][variant] = json.loads(p.stdout.strip().splitlines()[-1])
        except Exception as e:
            out['variants'][variant] = dict(error=f'{type(e).__name__}: {e}')
    m, r = out['variants'].get('minidl', {}), out['variants'].get('numpy_ref', {})
    if 'maxrss_mb' in m and 'maxrss_mb' in r:
        out['ratio_maxrss'] = m['maxrss_mb'] / r['maxrss_mb']
        out['ratio_training'] = m['training_mb'] / r['training_mb']
        out['ratio_tracemalloc'] = m['tracemalloc_peak_mb'] / max(r['tracemalloc_peak_mb'], 1e-9)
    cfg.get('log', print)("  peak memory: " + ', '.join(
        f"{k}: {v.get('maxrss_mb', float('nan')):.1f} MB maxrss ({v.get('training_mb', float('nan')):.1f} MB "
        f"above the imports) / {v.get('tracemalloc_peak_mb', float('nan')):.1f} MB traced"
        for k, v in out['variants'].items()))
    return out



# ----------------------------------------------------------------------------- GPU suite
def _cupy_sync():
    import cupy
    return cupy.cuda.Device().synchronize


def gpu_step_workload(kind, batch, cfg):
    """minidl on CuPy vs minidl on NumPy (vs PyTorch CUDA with ``--compare torch``), one training step."""
    m = _minidl()
    if kind == 'mlp':
        params, shape, build, flops = ref.init_mlp(np.random.default_rng(0)), (784,), minidl_mlp, None
        flops = mlp_flops(batch, params)
    else:
        params, shape, build = ref.init_cnn(np.random.default_rng(0)), (1, 28, 28), minidl_cnn
        flops = cnn_flops(batch)
    x, y = _data(batch, shape)
    missing, note = {}, ''

    def build_cpu():
        step, _ = minidl_step(build(params), x, y)
        return Variant('minidl', step)

    def build_gpu():
        nonlocal note
        step, note = minidl_step(build(params), x, y, device='cuda')
        return Variant('minidl_cupy', step, family='cupy', sync=_cupy_sync())
    vs = [_try(missing, 'minidl', build_cpu)]
    if m.cuda_is_available():
        vs.append(_try(missing, 'minidl_cupy', build_gpu))
    else:
        missing['minidl_cupy'] = 'CuPy or a GPU is not available'
    tr = _torch(cfg)                                     # with --compare torch, as on the CPU
    if tr and tr.torch.cuda.is_available():
        vs.append(_try(missing, 'torch_cuda', lambda: Variant(
            'torch_cuda', tr.make_step(tr.build_cnn(params, 'cuda') if kind == 'cnn' else tr.build_mlp(params, 'cuda'),
                                       x, y, LR), family='torch-cuda', sync=tr.torch.cuda.synchronize)))
    elif cfg.get('torch'):
        missing['torch_cuda'] = 'torch with CUDA is not available'
    gpu_vs = [v for v in _variants(*vs) if v.family != 'numpy']
    if not gpu_vs:
        return dict(name=f'GPU {kind.upper()} step b={batch}', variants={}, missing=missing,
                    skipped='no GPU variant can run: ' + '; '.join(f'{k}: {v}' for k, v in missing.items()))
    return _result(f'GPU {kind.upper()} step b={batch}', _variants(*vs), missing, flops, note, cfg)

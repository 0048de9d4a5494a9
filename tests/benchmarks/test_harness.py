"""The benchmark harness runs, and its references compute the same math as minidl.

No timing is asserted anywhere: timing is for benchmarks, never for tests. PyTorch and the
GPU are optional: their checks skip when torch (or a GPU) is not there.
"""
import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest

import minidl
from benchmarks import harness
from benchmarks import reference_numpy as ref
from benchmarks import workloads as W

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HAS_CONV = all(getattr(minidl.nn, n, None) is not None for n in ('Conv2d', 'MaxPool2d', 'Flatten'))

try:
    import torch  # noqa: F401
    HAS_TORCH = True
except Exception:
    HAS_TORCH = False


def _run_quick(tmp_path, *extra):
    cmd = [sys.executable, '-m', 'benchmarks', '--quick', '--out', str(tmp_path), *extra]
    # One BLAS thread: on a busy 2-core machine (CI, parallel test runs) a spinning second
    # OpenBLAS thread makes the run many times slower; the numbers are not looked at here.
    env = dict(os.environ, OPENBLAS_NUM_THREADS='1', OMP_NUM_THREADS='1', MKL_NUM_THREADS='1')
    p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300, env=env)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    return p


def _load_results(tmp_path):
    files = sorted(os.listdir(tmp_path))
    jsons = [f for f in files if f.endswith('.json')]
    assert len(jsons) == 1, files
    stem = jsons[0][:-5]
    assert stem + '.md' in files and stem + '.png' in files, files
    with open(tmp_path / jsons[0]) as f:
        data = json.load(f)
    # named by machine, and by BLAS threads as the run set them (OPENBLAS_NUM_THREADS=1 here)
    assert stem == harness.cpu_report_name(data['machine']['blas_summary']) + '-quick', stem
    assert stem.startswith('cpu-') and 'cores' in stem, stem
    return data, (tmp_path / (stem + '.md')).read_text()


def test_paired_ratio_cancels_drift_between_rounds():
    from benchmarks.harness import paired_ratio
    # round 2 ran on a slow machine for both variants: A is 1.1x B in every round
    a = dict(samples_s=[1.1, 2.2, 1.1], median_s=1.1)
    b = dict(samples_s=[1.0, 2.0, 2.0], median_s=2.0)
    assert paired_ratio(a, b) == pytest.approx(1.1)       # the ratio of medians says 0.55
    c = dict(samples_s=[3.0, 3.0], median_s=3.0)           # rounds that do not pair up
    assert paired_ratio(a, c) == pytest.approx(1.1 / 3.0)


def test_ratio_shown_with_the_quartiles_of_the_rounds():
    from benchmarks.harness import _fmt_ratio
    b = dict(samples_s=[1.0] * 5, median_s=1.0)
    a = dict(samples_s=[1.0, 1.2, 1.1, 1.4, 1.3], median_s=1.2)
    # per-round ratios 1.0 ... 1.4: median 1.2, quartiles (exclusive method) 1.05 and 1.35
    assert _fmt_ratio(a, b) == '1.20x (1.05–1.35)'
    assert _fmt_ratio(dict(samples_s=[2.0, 2.0], median_s=2.0), dict(samples_s=[1.0, 1.0], median_s=1.0)) == '2.00x'
    assert _fmt_ratio(a, None) == '—'
    fast = dict(samples_s=[0.05, 0.05, 0.04, 0.06, 0.05], median_s=0.05)
    one = dict(samples_s=[1.0] * 5, median_s=1.0)
    assert _fmt_ratio(fast, one) == '0.050x (0.045–0.055; 20.0x faster)'


def test_quick_run_writes_json_markdown_and_chart(tmp_path):
    _run_quick(tmp_path)
    data, md = _load_results(tmp_path)
    machine, results = data['machine'], {r['name']: r for r in data['results']}
    assert machine['cores'] >= 1 and machine['gemm_peak_gflops'] > 0
    assert 'env' in machine['blas']                         # OPENBLAS_* recorded, set or not
    mlp = next(r for name, r in results.items() if name.startswith('MLP step'))
    for v in mlp['variants'].values():
        assert v['gflops'] > 0
    assert 'torch' not in mlp['variants']                   # not asked for
    assert any(name.startswith('autograd overhead') for name in results)
    for r in data['results']:        # every row ran minidl and, but for the input pipeline, the reference
        assert not r.get('skipped') and r['missing'] == {}, r
        expected = {'minidl'} if r['name'].startswith('input pipeline') else {'minidl', 'numpy_ref'}
        assert set(r['variants']) == expected, r['name']
        for v in r['variants'].values():
            assert v['median_s'] > 0 and v['repeats'] >= 5 and len(v['samples_s']) == v['repeats']
        assert f"\n| {r['name']} | " in md                     # the table has a row for it
    assert len(data['results']) == 10
    mem = machine['peak_memory']['variants']
    for name in ('minidl', 'numpy_ref'):
        assert mem[name].get('maxrss_mb', 0) > mem[name].get('training_mb', 0) > 0, mem[name]
    steps = machine['peak_memory']['steps']
    assert f'Peak memory, {steps} MLP training steps' in md and 'above the imports (the goal' in md
    assert '| MLP step' in md and 'minidl / numpy_ref' in md


class _LoggedVariants:
    """Variants whose calls write their names to one log, to see the harness's order."""

    def __init__(self, *families):
        self.log = []
        self.variants = [harness.Variant(name, lambda name=name: self.log.append(name), family)
                         for name, family in families]


def test_time_variants_warms_up_then_interleaves_the_variants(monkeypatch):
    monkeypatch.setattr(harness, 'SWITCH_SLEEP_S', 0.0)
    calls = _LoggedVariants(('A', 'numpy'), ('B', 'numpy'), ('T', 'torch'))
    timings = harness.time_variants(calls.variants, repeats=5, min_block_s=0.0)
    # each variant: two warm-up calls and one calibration call, before anything is timed;
    # then five rounds of A B T, and a switch between NumPy and PyTorch makes one untimed
    # call first (lesson (a) of the benchmarks issue: the other library's threads spin on)
    assert calls.log == list('AAABBBTTT') + list('AABTT') * 5
    assert {name: len(t.samples) for name, t in timings.items()} == {'A': 5, 'B': 5, 'T': 5}
    assert all(t.inner == 1 and t.median >= 0 for t in timings.values())


def test_time_variants_gives_tiny_calls_more_rounds_of_many_calls():
    calls = _LoggedVariants(('A', 'numpy'), ('B', 'numpy'))
    timings = harness.time_variants(calls.variants, repeats=5, min_block_s=0.002, tiny_repeats=9)
    for t in timings.values():
        assert len(t.samples) == 9 and t.inner > 10          # blocks of many calls of a fast op


def _row(name, **variants):
    return dict(name=name, unit='s', variants={k: dict(median_s=s, samples_s=[s] * 5) for k, s in variants.items()},
                missing={})


def test_markdown_names_variants_that_could_not_be_built_and_chart_is_relative_to_minidl(tmp_path):
    broken = _row('CNN step b=64', numpy_ref=2.0)
    broken['missing'] = {'minidl': 'LookupError: minidl.nn lacks Conv2d'}
    rows = [_row('MLP step b=128', minidl=2.0, numpy_ref=1.0, torch=4.0), broken]
    machine = dict(name='cpu-test-2cores', cpu_model='test', cores=2, numpy='x', repeats=5,
                   loadavg_at_start=(0.0, 0.0, 0.0))
    paths = harness.write_results(str(tmp_path), machine, rows, 'python -m benchmarks')
    md = (tmp_path / 'cpu-test-2cores.md').read_text()
    assert '- CNN step b=64, minidl: LookupError: minidl.nn lacks Conv2d' in md
    assert '| MLP step b=128 | 2.00 s | 1.00 s | 4.00 s | 2.00x (2.00–2.00) | 0.50x (0.50–0.50) |' in md
    assert '| CNN step b=64 | — | 2.00 s | — | — | — |' in md
    assert len(paths) == 3 and os.path.getsize(tmp_path / 'cpu-test-2cores.png') > 0
    # the chart's bars: each row's times over minidl's; a row without minidl is left out
    assert harness.relative_times(rows) == [('MLP step b=128', {'minidl': 1.0, 'numpy_ref': 0.5, 'torch': 2.0})]


@pytest.mark.parametrize('argv, message', [
    (['--threads', '0'], 'expected a whole number of threads >= 1'),
    (['--only', 'nothing-like-this'], "matches none of the workloads: MLP step b=128, MLP step b=1024"),
    (['--suite', 'gpu', '--only', 'CNN step b=64'], 'matches none of the workloads: GPU MLP step b=4096'),
])
def test_bad_command_lines_are_refused_before_anything_is_timed(argv, message, capsys, tmp_path):
    from benchmarks.__main__ import parse_args
    with pytest.raises(SystemExit) as exit_:
        parse_args(argv + ['--out', str(tmp_path)])
    assert exit_.value.code == 2 and message in capsys.readouterr().err


def test_an_out_folder_that_cannot_be_written_is_refused_at_once(tmp_path, capsys):
    from benchmarks.__main__ import parse_args
    a_file = tmp_path / 'a-file'
    a_file.write_text('')
    with pytest.raises(SystemExit):
        parse_args(['--out', str(a_file)])
    assert f'--out {a_file}: cannot make the folder' in capsys.readouterr().err
    assert parse_args(['--out', str(tmp_path / 'new' / 'folder')]).only is None
    assert (tmp_path / 'new' / 'folder').is_dir()


@pytest.mark.skipif(not HAS_TORCH, reason='torch is not installed (optional comparison)')
def test_quick_run_with_torch_column(tmp_path):
    _run_quick(tmp_path, '--compare', 'torch', '--only', 'MLP')
    data, md = _load_results(tmp_path)
    mlp = data['results'][0]
    assert set(mlp['variants']) == {'minidl', 'numpy_ref', 'torch'}
    assert 'minidl / torch' in md


def test_gpu_suite_skips_cleanly_without_a_gpu(tmp_path):
    if minidl.cuda_is_available():
        pytest.skip('a GPU is present: the GPU suite is run by hand (python -m benchmarks --suite gpu)')
    p = _run_quick(tmp_path, '--suite', 'gpu')
    assert 'skipped' in p.stdout


@pytest.mark.parametrize('compare_torch', [False, True])
def test_gpu_rows_try_pytorch_cuda_only_when_asked(compare_torch):
    if minidl.cuda_is_available():
        pytest.skip('a GPU is present: the GPU suite is run by hand (python -m benchmarks --suite gpu)')
    from benchmarks.__main__ import QUICK
    row = W.gpu_step_workload('mlp', 4, dict(QUICK, torch=compare_torch))
    assert row['skipped'].startswith('no GPU variant can run') and 'minidl_cupy' in row['missing']
    assert ('torch_cuda' in row['missing']) == compare_torch      # (torch absent, or without CUDA)


# ----------------------------------------------------------------------------- same math
def _step_minidl(model, x, y, lr):
    step, _ = W.minidl_step(model, x, y, lr)
    return float(step().item())


def _assert_same_step(params, model, ref_step, x, y, lr=0.1):
    p_ref = {k: v.copy() for k, v in params.items()}
    loss_ref = ref_step(p_ref, x, y, lr)
    loss_minidl = _step_minidl(model, x, y, lr)
    assert loss_minidl == pytest.approx(loss_ref, rel=1e-5, abs=1e-6)
    for name, p in model.named_parameters():
        np.testing.assert_allclose(p.data, p_ref[name], rtol=1e-4, atol=1e-6, err_msg=name)
        assert not np.allclose(p_ref[name], params[name]), f'{name} was not updated'


def test_numpy_reference_mlp_step_equals_minidl():
    params = ref.init_mlp(np.random.default_rng(0))
    x, y = W._data(32, (784,))
    _assert_same_step(params, W.minidl_mlp(params), ref.mlp_step, x, y)


@pytest.mark.skipif(not HAS_CONV, reason='minidl.nn has no Conv2d/MaxPool2d yet')
def test_numpy_reference_cnn_step_equals_minidl():
    params = ref.init_cnn(np.random.default_rng(0))
    x, y = W._data(8, (1, 28, 28))
    _assert_same_step(params, W.minidl_cnn(params), ref.cnn_step, x, y)


@pytest.mark.skipif(not HAS_TORCH, reason='torch is not installed (optional comparison)')
@pytest.mark.parametrize('kind', ['mlp', 'cnn'])
def test_torch_reference_step_equals_numpy_reference(kind):
    from benchmarks import reference_torch as tr
    init, build, step, shape = ((ref.init_mlp, tr.build_mlp, ref.mlp_step, (784,)) if kind == 'mlp'
                                else (ref.init_cnn, tr.build_cnn, ref.cnn_step, (1, 28, 28)))
    params = init(np.random.default_rng(0))
    x, y = W._data(8, shape)
    model = build(params)
    loss_t = tr.make_step(model, x, y, 0.1)().item()
    p_ref = {k: v.copy() for k, v in params.items()}
    loss_r = step(p_ref, x, y, 0.1)
    assert loss_t == pytest.approx(loss_r, rel=1e-5)
    for name, p in model.named_parameters():
        np.testing.assert_allclose(p.detach().numpy(), p_ref[name], rtol=1e-4, atol=1e-6, err_msg=name)


def test_numpy_reference_cnn_gradients_match_finite_differences():
    """The hand-written CNN backward (im2col, col2im, strided max pool) in float64."""
    rng = np.random.default_rng(3)
    params = {k: v.astype(np.float64) for k, v in ref.init_cnn(rng).items()}
    x = rng.standard_normal((2, 1, 28, 28))
    y = np.array([3, 7])
    _, grads = ref.cnn_step(params, x, y, update=False)
    eps = 1e-6
    for name in params:
        flat = params[name].reshape(-1)
        for i in rng.choice(flat.size, size=3, replace=False):
            old = flat[i]
            flat[i] = old + eps
            lp, _ = ref.cnn_step(params, x, y, update=False)
            flat[i] = old - eps
            lm, _ = ref.cnn_step(params, x, y, update=False)
            flat[i] = old
            assert grads[name].reshape(-1)[i] == pytest.approx((lp - lm) / (2 * eps), rel=1e-4, abs=1e-8), name


def test_reference_ops_match_direct_definitions():
    """im2col convolution against a direct sum; strided max pool and BatchNorm against plain NumPy."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 5, 5))
    w = rng.standard_normal((4, 3, 3, 3))
    b = rng.standard_normal(4)
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    direct = np.zeros((2, 4, 5, 5))
    for i in range(3):
        for j in range(3):
            direct += np.einsum('nchw,oc->nohw', xp[:, :, i:i + 5, j:j + 5], w[:, :, i, j])
    direct += b[None, :, None, None]
    gy = rng.standard_normal((2, 4, 5, 5))
    y, dx, dw, db = ref.conv2d_fwd_bwd(x, w, b, gy, 1)
    np.testing.assert_allclose(y, direct, rtol=1e-10)
    # adjointness: <conv(x), gy> is linear in x and w, so its gradients are dx and dw
    np.testing.assert_allclose(np.sum((y - b[None, :, None, None]) * gy), np.sum(dx * x), rtol=1e-10)
    np.testing.assert_allclose(np.sum((y - b[None, :, None, None]) * gy), np.sum(dw * w), rtol=1e-10)
    np.testing.assert_allclose(db, gy.sum(axis=(0, 2, 3)))

    x = rng.standard_normal((2, 3, 6, 6))
    pooled = ref.maxpool_forward(x, 2)
    np.testing.assert_array_equal(pooled, x.reshape(2, 3, 3, 2, 3, 2).max(axis=(3, 5)))
    g = rng.standard_normal(pooled.shape)
    dx = ref.maxpool_backward(g, x, pooled, 2)
    assert dx.sum() == pytest.approx(g.sum()) and np.count_nonzero(dx) == g.size

    gamma, beta = rng.uniform(0.5, 1.5, 3), rng.standard_normal(3)
    y, dx, dgamma, dbeta = ref.batchnorm_fwd_bwd(x, gamma, beta, g.repeat(2, 2).repeat(2, 3))
    np.testing.assert_allclose(y.mean(axis=(0, 2, 3)), beta, atol=1e-10)
    np.testing.assert_allclose(y.std(axis=(0, 2, 3)), gamma * np.sqrt(1 / (1 + 1e-5 / x.var(axis=(0, 2, 3)))),
                               rtol=1e-6)
    np.testing.assert_allclose(dx.sum(axis=(0, 2, 3)), 0, atol=1e-10)   # shifting x changes nothing


def test_reference_and_bare_chain_gradients_equal_minidl_and_the_closed_form():
    """y = a·bᵏ + a·(b^(k-1) + ... + 1) after k (·b, +a) pairs: dL/da = Σⱼ₌₀..ₖ bʲ."""
    a, b, k = 1.5, 0.9, 10
    loss, ga, gb = ref.chain_fwd_bwd(np.array([a]), np.array([b]), 2 * k)
    ta = minidl.tensor([a], dtype=minidl.float64, requires_grad=True)
    tb = minidl.tensor([b], dtype=minidl.float64, requires_grad=True)
    tl = W.autograd_chain(ta, tb, 2 * k)
    tl.backward()
    assert loss == pytest.approx(tl.item()) and loss == pytest.approx(a * sum(b ** j for j in range(k + 1)))
    np.testing.assert_allclose(ga, ta.grad.numpy())
    np.testing.assert_allclose(gb, tb.grad.numpy())
    assert ga[0] == pytest.approx(sum(b ** j for j in range(k + 1)))
    assert gb[0] == pytest.approx(a * sum(j * b ** (j - 1) for j in range(1, k + 1)))
    from benchmarks.bare_autograd import BareTensor
    ba, bb = BareTensor(np.array([a])), BareTensor(np.array([b]))
    bl = W.autograd_chain(ba, bb, 2 * k)
    bl.backward()
    assert bl.data == pytest.approx(loss)
    np.testing.assert_allclose(ba.grad, ga)
    np.testing.assert_allclose(bb.grad, gb)


def test_overhead_report_runs_and_splits_the_mlp_step(tmp_path):
    """``python -m benchmarks.overhead --quick``: every section present, every time positive,
    and the MLP step split into its three phases (the numbers themselves are not looked at)."""
    from benchmarks import overhead
    text, numbers = overhead.report(quick=True)
    for section in ('## 1.', '## 2.', '## 3.', '## 4.'):
        assert section in text
    assert min(numbers['record_us'], numbers['node_us'], numbers['node_arrays_us'],
               numbers['chain_forward_us'], numbers['chain_bare_us'], numbers['chain_numpy_us']) > 0
    assert set(numbers['tiny']) == {'minidl', 'numpy_ref'}
    assert all(hot > 0 and cold > 0 for hot, cold in numbers['tiny'].values())
    assert set(numbers['mlp_phases']) == {'forward', 'backward', 'update'}
    overhead.main(['--quick', '--out', str(tmp_path)])
    assert [f for f in os.listdir(tmp_path) if f.startswith('overhead-cpu-')]


def test_reference_mlp_step_is_forward_backward_update():
    """The split used by the overhead report adds up to the reference's step."""
    params = ref.init_mlp(np.random.default_rng(0), sizes=(6, 5, 4, 10))
    x, y = W._data(4, (6,))
    whole = {k: v.copy() for k, v in params.items()}
    loss = ref.mlp_step(whole, x, y, lr=0.1)
    split = {k: v.copy() for k, v in params.items()}
    loss_split, g, acts = ref.mlp_forward(split, x, y)
    ref.sgd(split, ref.mlp_backward(split, g, acts), 0.1)
    assert loss == loss_split
    for k in whole:
        np.testing.assert_array_equal(whole[k], split[k])
        assert not np.array_equal(whole[k], params[k])          # the step changed every parameter


def test_device_table_times_every_op_of_a_step_and_puts_the_methods_back():
    """gpu_profile's per-op table (host clock marks on the CPU): one row per op the step
    runs, call counts per step, and every wrapped forward/backward/update restored after."""
    from benchmarks import gpu_profile
    device = minidl.backend.get_device()
    model = W.minidl_mlp(ref.init_mlp(np.random.default_rng(0))).to(device)
    x, y = W._data(8, (784,))
    step, _ = W.minidl_step(model, x, y, device=device)
    before = {cls: dict(cls.__dict__) for cls in gpu_profile._function_types(minidl.autograd.Function)}
    report = gpu_profile.device_table(step, device, steps=2)
    rows = {line.split()[-1]: float(line.split()[1]) for line in report.splitlines() if line.startswith(' ')
            and line.split()[-1][0].isupper()}
    assert rows['Linear.forward'] == 3 and rows['Linear.backward'] == 3 and rows['SGD.update'] == 6
    assert rows['ReLU.forward'] == 2 and rows['SoftmaxCrossEntropy.backward'] == 1
    for cls, attributes in before.items():
        for name in ('forward', 'backward'):
            assert cls.__dict__.get(name) is attributes.get(name), f'{cls.__name__}.{name} not restored'


def test_gpu_profile_sweep_table_times_each_sweep_and_restores_the_default():
    """gpu_profile's A/B of the sliding-window sweeps: a line per sweep the device runs, the
    ratio of the two, and conv.WINDOW_SWEEP as it was before."""
    from benchmarks import gpu_profile
    from minidl.functional import conv
    device = minidl.backend.get_device()
    before = dict(conv.WINDOW_SWEEP)
    report = gpu_profile.sweep_table(device, batch=4, steps=1, rounds=2)
    sweeps = ('view', 'kernel') if device == 'cuda' else ('slices', 'view')
    for sweep in sweeps:
        assert re.search(rf'^ *{sweep}: step \d+\.\d+ ms, host side \d+\.\d+ ms$', report, re.M), report
    assert re.search(rf'^step {sweeps[1]} / {sweeps[0]}: \d+\.\d+ ', report, re.M), report
    assert conv.WINDOW_SWEEP == before


def test_gpu_profile_loss_table_times_arrays_and_kernels_on_a_gpu_and_restores_the_default():
    from benchmarks import gpu_profile
    from minidl.functional import loss
    device = minidl.backend.get_device()
    before = dict(loss.CROSS_ENTROPY_KERNEL)
    report = gpu_profile.loss_table(device, batch=4, steps=1, rounds=2)
    if device != 'cuda':
        assert report.strip() == '## cross_entropy as arrays or kernels: a GPU only'
        return
    for label in ('arrays', 'kernels'):
        assert re.search(rf'^ *{label}: step \d+\.\d+ ms, host side \d+\.\d+ ms$', report, re.M), report
    assert re.search(r'^step kernels / arrays: \d+\.\d+ ', report, re.M), report
    assert loss.CROSS_ENTROPY_KERNEL == before


def test_gpu_pause_study_times_each_condition(tmp_path):
    """benchmarks.gpu_pause on the CPU (its check mode): a line per condition with its median
    block time, and the report written under the machine's name."""
    from benchmarks import gpu_pause
    gpu_pause.main(['--device', 'cpu', '--batch', '2', '--rounds', '2', '--steps', '1', '--warm-s', '0.01',
                    '--out', str(tmp_path)])
    files = os.listdir(tmp_path)
    assert len(files) == 1 and files[0].startswith('gpu-pause-cpu-'), files
    report = (tmp_path / files[0]).read_text()
    for label in ('back to back', 'pause', 'NumPy, pause', 'NumPy, pause, 0.01 s warm-up'):
        assert re.search(rf'^{re.escape(label)} +\d+\.\d+ +\d+\.\d+ +\d+\.\d+   n/a$', report, re.M), report

"""Timing, machine description and result files for ``python -m benchmarks``.

How a comparison is timed (the lessons of the benchmarks issue):

- the compared variants of one workload run **interleaved in one process**, A B C A B C ...,
  so slow drift of the machine (turbo, the other core's load) hits all of them alike; a ratio
  is the **median of the paired ratios** (A's block over B's block of the same round), which
  cancels the drift that a ratio of two medians keeps (on a shared VM one round can run at
  half the speed of the next);
- every variant is **warmed up** first (caches, allocator, lazy imports, cuDNN/cuBLAS plans);
- each timed block runs the variant ``inner`` times (calibrated so that a block lasts at least
  ``min_block_s``: tiny ops get many calls per block) and the reported time is the **median**
  over ``repeats`` >= 5 blocks (more for tiny ops);
- when the next block belongs to another *family* (NumPy-based vs PyTorch), the harness
  **sleeps ~0.3 s and makes one untimed call** first: each library's worker threads spin on
  after a call and steal the cores of the other one (lesson (a)). A GPU variant gets one
  untimed *block* instead: an idle GPU lowers its clock within that pause (an H200 idles at
  345 of 1980 MHz), and a training loop, which keeps it busy, runs at full clock. That one
  block is enough: on the H200 the card was back at 1980 MHz before every timed block, and
  a longer warm-up (0.5 s) changed nothing (``gpu_pause``, seventeenth pass).
"""
import json
import os
import platform
import re
import socket
import statistics
import sys
import time

import numpy as np

SWITCH_SLEEP_S = 0.3


class Variant:
    """One implementation of a workload: ``fn()`` runs one iteration (a training step, an op).

    family: 'numpy' (minidl on NumPy, the NumPy reference), 'torch', 'cupy', 'torch-cuda';
    sync: called after a timed block (GPU: wait for the device) so the clock sees the work.
    """

    def __init__(self, name, fn, family='numpy', sync=None):
        self.name, self.fn, self.family, self.sync = name, fn, family, sync


class Timing:
    """Seconds per call of one variant, one sample per round, in the order they were timed."""

    def __init__(self, samples, inner):
        self.samples, self.inner = list(samples), inner

    @property
    def median(self):
        return statistics.median(self.samples)

    def as_dict(self):
        s = sorted(self.samples)
        q = statistics.quantiles(s, n=4) if len(s) >= 2 else [s[0]] * 3
        return dict(median_s=self.median, min_s=s[0], q1_s=q[0], q3_s=q[2], repeats=len(s),
                    inner=self.inner, samples_s=list(self.samples))


def paired_ratios(a, b):
    """a's time / b's time in each round (two ``as_dict`` results), or None when the rounds
    do not pair up (different numbers of samples)."""
    sa, sb = a['samples_s'], b['samples_s']
    if len(sa) == len(sb) and all(sb):
        return [x / y for x, y in zip(sa, sb)]
    return None


def paired_ratio(a, b):
    """Median over rounds of a's time / b's time in that round; the ratio of the medians
    when the rounds do not pair up."""
    ratios = paired_ratios(a, b)
    return statistics.median(ratios) if ratios else a['median_s'] / b['median_s']


def _block(v, inner):
    fn = v.fn
    t0 = time.perf_counter()
    for _ in range(inner):
        fn()
    if v.sync is not None:
        v.sync()
    return time.perf_counter() - t0


def time_variants(variants, repeats=7, min_block_s=0.2, warmup=2, tiny_s=1e-3, tiny_repeats=15,
                  log=None):
    """Median seconds per call of each variant, timed interleaved; returns {name: Timing}.

    Variants whose call takes under ``tiny_s`` get ``tiny_repeats`` blocks instead of ``repeats``.
    """
    inner = {}
    last_family = None
    for v in variants:                                   # warm-up and calibration
        if last_family is not None and v.family != last_family:
            time.sleep(SWITCH_SLEEP_S)
        for _ in range(warmup):
            v.fn()
        if v.sync is not None:
            v.sync()
        one = max(_block(v, 1), 1e-7)
        n = max(1, int(min_block_s / one))
        if n > 1:                                        # re-measure with a few calls: one is noisy
            per = max(_block(v, min(n, 10)) / min(n, 10), 1e-7)
            n = max(1, int(min_block_s / per))
        inner[v.name] = n
        last_family = v.family
    per_call = {}
    n_rep = repeats
    for v in variants:
        per_call[v.name] = min_block_s / inner[v.name] if inner[v.name] > 1 else None
    if any(p is not None and p < tiny_s for p in per_call.values()):
        n_rep = max(repeats, tiny_repeats)
    samples = {v.name: [] for v in variants}
    for _ in range(n_rep):
        for v in variants:
            if last_family is not None and v.family != last_family:
                time.sleep(SWITCH_SLEEP_S)
                # an untimed call after the switch; on a GPU an untimed block, since the card
                # clocks down while it idles and a training loop times it at full clock
                _block(v, inner[v.name] if v.sync is not None else 1)
            samples[v.name].append(_block(v, inner[v.name]) / inner[v.name])
            last_family = v.family
    return {name: Timing(s, inner[name]) for name, s in samples.items()}


# ----------------------------------------------------------------------------- machine
def cpu_model():
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def gpu_name():
    """The first GPU's name, from CuPy or else PyTorch; None when neither sees one."""
    try:
        import cupy
        return cupy.cuda.runtime.getDeviceProperties(0)['name'].decode()
    except Exception:
        pass
    try:
        from . import reference_torch as tr
        if tr.available() and tr.torch.cuda.is_available():
            return tr.torch.cuda.get_device_name(0)
    except Exception:
        pass
    return None


def cpu_flags():
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('flags'):
                    flags = line.split(':', 1)[1].split()
                    return [f for f in flags if f.startswith(('avx', 'fma', 'amx'))]
    except OSError:
        pass
    return []


def n_cores():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def _slug(text, limit=40):
    text = re.sub(r'\(r\)|\(tm\)|cpu|@.*$|processor', '', text, flags=re.I)
    return re.sub(r'[^a-z0-9]+', '-', text.lower()).strip('-')[:limit] or 'unknown'


def machine_name(suite='cpu', gpu_name=None):
    """``cpu-<cpu-model>-<n>cores`` (or ``gpu-<gpu-model>``): the results' file names."""
    if suite == 'gpu' and gpu_name:
        return f'gpu-{_slug(gpu_name)}'
    return f'cpu-{_slug(cpu_model())}-{n_cores()}cores'


def cpu_report_name(blas):
    """``machine_name()`` for a report made as the environment set BLAS up (``blas`` from
    ``blas_summary``): with ``-1thread`` when BLAS runs one thread on a multi-core machine,
    as ``--threads 1`` names its tables."""
    name = machine_name()
    if 'threads=1' in blas.split() and n_cores() > 1:
        name += '-1thread'
    return name


def blas_info():
    """Which BLAS (and which kernel: OpenBLAS's 'architecture') numpy runs, and its threads."""
    info = {'env': {k: os.environ.get(k) for k in ('OPENBLAS_CORETYPE', 'OPENBLAS_L2_SIZE',
                                                     'OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS',
                                                     'MKL_NUM_THREADS')}}
    try:
        from threadpoolctl import threadpool_info
        info['threadpools'] = [{k: d.get(k) for k in ('user_api', 'internal_api', 'version',
                                                       'architecture', 'num_threads', 'filepath')}
                               for d in threadpool_info()]
    except Exception as e:                               # not installed: numpy's own words
        import contextlib
        import io
        import warnings
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf), warnings.catch_warnings():
            warnings.simplefilter('ignore')              # numpy >= 2 asks for pyyaml to print nicer
            np.show_config()
        info['threadpools'] = None
        info['numpy_show_config'] = buf.getvalue()[-2000:]
        info['threadpoolctl_error'] = repr(e)
    return info


def blas_summary(info):
    pools = info.get('threadpools') or []
    blas = [p for p in pools if p.get('user_api') == 'blas' and 'numpy' in (p.get('filepath') or '')]
    blas = blas or [p for p in pools if p.get('user_api') == 'blas']
    if blas:
        p = blas[0]
        return f"{p['internal_api']} {p['version']} kernel={p['architecture']} threads={p['num_threads']}"
    return 'unknown (threadpoolctl not installed; see numpy_show_config in the JSON)'


def gemm_peak(n=2048, repeats=5, xp=np, sync=None):
    """The machine's measured float32 GEMM rate (GFLOP/s): ``a @ b`` on n×n matrices of ``xp``
    (numpy; or cupy, with ``sync`` waiting for the device)."""
    rng = np.random.default_rng(0)
    a = xp.asarray(rng.standard_normal((n, n), dtype=np.float32))
    b = xp.asarray(rng.standard_normal((n, n), dtype=np.float32))
    out = xp.empty((n, n), dtype=np.float32)
    t = time_variants([Variant('gemm', lambda: xp.matmul(a, b, out=out), sync=sync)], repeats=repeats,
                      min_block_s=0.3)['gemm']
    return 2.0 * n ** 3 / t.median / 1e9, t


def machine_info(suite, extra=None):
    info = dict(hostname=socket.gethostname(), cpu_model=cpu_model(), cpu_flags=cpu_flags(),
                cores=n_cores(), python=sys.version.split()[0], numpy=np.__version__,
                platform=platform.platform(), blas=blas_info(), suite=suite,
                loadavg_at_start=os.getloadavg())
    info.update(extra or {})
    return info


# ----------------------------------------------------------------------------- results
def _fmt_time(s):
    if s is None:
        return '—'
    if s < 1e-3:
        return f'{s * 1e6:.1f} µs'
    if s < 1:
        return f'{s * 1e3:.2f} ms'
    return f'{s:.2f} s'


def _fmt_ratio(a, b):
    """``1.13x (1.09–1.18)``: the median paired ratio and, with 4 rounds or more, its
    quartiles, i.e. how far one round's ratio strays on this machine."""
    if not (a and b):
        return '—'
    ratios = paired_ratios(a, b)
    median = paired_ratio(a, b)
    digits = 2 if median >= 0.5 else 3              # 0.051x, not 0.05x (which could be 16x or 22x)
    notes = []
    if ratios and len(ratios) >= 4:
        q1, _, q3 = statistics.quantiles(ratios, n=4)
        notes.append(f'{q1:.{digits}f}–{q3:.{digits}f}')
    if median < 0.5:
        notes.append(f'{1 / median:.1f}x faster')
    return f'{median:.{digits}f}x' + (f" ({'; '.join(notes)})" if notes else '')


def markdown_table(results, machine, command):
    """The results as a markdown table: one row per workload, one column per variant, ratios."""
    lines = [f"### {machine['name']}", '',
             f"{machine['cpu_model']}, {machine['cores']} cores; numpy {machine['numpy']}, "
             f"BLAS: {machine.get('blas_summary', '?')}"
             + (f"; torch {machine['torch']}" if machine.get('torch') else '')
             + (f"; GPU {machine['gpu']}" if machine.get('gpu') else ''), '',
             f"Measured GEMM peak (numpy float32 {machine.get('gemm_n', '?')}³): "
             f"**{machine.get('gemm_peak_gflops', float('nan')):.0f} GFLOP/s**"
             + (f"; on the GPU (cupy float32 {machine['gpu_gemm_n']}³): "
                f"**{machine['gpu_gemm_peak_gflops']:.0f} GFLOP/s**" if machine.get('gpu_gemm_peak_gflops') else '')
             + ". "
             f"Median of >= {machine.get('repeats', '?')} interleaved repeats; ratios are medians of "
             f"the per-round ratios (in brackets: their quartiles). Load average (1 min) "
             f"at start/end: {machine.get('loadavg_at_start', ['?'])[0]:.2f} / "
             f"{machine.get('loadavg_at_end', ['?'])[0]:.2f} (other processes on the machine).", '',
             f"Command: `{command}`", '']
    cols = []
    for r in results:
        for v in r['variants']:
            if v not in cols:
                cols.append(v)
    rated = [c for c in ('minidl', 'minidl_cupy') if c in cols]        # whose GFLOP/s are shown
    head = ['workload'] + cols + [f'{c} / {b}' for c, b in r_ratio_pairs(cols)] + \
        [f"GFLOP/s ({' / '.join(rated) or 'minidl'})", 'note']
    lines.append('| ' + ' | '.join(head) + ' |')
    lines.append('|' + '---|' * len(head))
    for r in results:
        v = r['variants']
        row = [r['name']]
        for c in cols:
            t = v.get(c)
            if t is None:
                row.append('—')
            elif r.get('unit') == 'us_per_op':
                row.append(f"{t['median_s'] * 1e6:.2f} µs/op")
            elif r.get('unit') == 'images_per_s':
                row.append(f"{t['images_per_s']:.0f} img/s")
            else:
                row.append(_fmt_time(t['median_s']))
        for a, b in r_ratio_pairs(cols):
            ta, tb = v.get(a), v.get(b)
            row.append(_fmt_ratio(ta, tb))
        gflops = [(v.get(c) or {}).get('gflops') for c in rated]
        row.append(' / '.join(f'{g:.1f}' if g else '—' for g in gflops) or '—')
        row.append(r.get('note', ''))
        lines.append('| ' + ' | '.join(row) + ' |')
    return '\n'.join(lines) + '\n'


RATIO_PAIRS = (('minidl', 'numpy_ref'), ('minidl', 'torch'), ('minidl_cupy', 'minidl'),
               ('minidl_cupy', 'torch_cuda'))


def r_ratio_pairs(cols):
    """The time ratios shown: minidl against each reference present (< 1: minidl is faster)."""
    return [(a, b) for a, b in RATIO_PAIRS if a in cols and b in cols]


def relative_times(results):
    """The bar chart's data: for each timed row that has a ``minidl`` variant, its name and
    each variant's time over minidl's in that row (so minidl's bar is 1)."""
    rows = []
    for r in results:
        v = r['variants']
        if 'minidl' in v and r.get('unit', 's') == 's':
            rows.append((r['name'], {c: t['median_s'] / v['minidl']['median_s'] for c, t in v.items()}))
    return rows


def bar_chart(results, path, title):
    """Grouped bars: each workload's variant times relative to minidl's (log scale)."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    rows = relative_times(results)
    if not rows:
        return None
    cols = []
    for _, relative in rows:
        cols += [c for c in relative if c not in cols]
    fig, ax = plt.subplots(figsize=(max(8, 1.1 * len(rows) + 3), 4.8))
    width = 0.8 / len(cols)
    for j, c in enumerate(cols):
        xs, hs = [], []
        for i, (_, relative) in enumerate(rows):
            if c in relative:
                xs.append(i + (j - (len(cols) - 1) / 2) * width)
                hs.append(relative[c])
        ax.bar(xs, hs, width, label=c)
    ax.axhline(1.0, color='k', lw=0.6)
    ax.set_yscale('log')
    ax.set_xticks(range(len(rows)))
    ax.set_xticklabels([name for name, _ in rows], rotation=30, ha='right', fontsize=8)
    ax.set_ylabel('time relative to minidl (lower is faster)')
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def write_text_report(out_dir, filename, text):
    """Print a plain-text report and write it to ``out_dir/filename`` (profile, overhead)."""
    print(text)
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, filename), 'w') as f:
        f.write(text)


def write_results(out_dir, machine, results, command):
    """JSON, markdown and PNG named by machine under ``out_dir``; returns their paths."""
    os.makedirs(out_dir, exist_ok=True)
    machine['loadavg_at_end'] = os.getloadavg()
    base = os.path.join(out_dir, machine['name'])
    with open(base + '.json', 'w') as f:
        json.dump(dict(machine=machine, command=command, results=results), f, indent=1, default=str)
    md = markdown_table(results, machine, command)
    mem = machine.get('peak_memory')
    if mem:
        md += (f"\nPeak memory, {mem.get('steps')} MLP training steps (batch {mem.get('batch')}), fresh process "
               f"per variant:\n\n")
        md += ('| variant | peak RSS during the steps (VmHWM) | of which above the imports (training) | '
               'growth over RSS after setup | tracemalloc peak of the loop |\n|---|---|---|---|---|\n')
        for name, m in mem['variants'].items():
            if 'error' in m:
                md += f"| {name} | error: {m['error'][:80]} | | | |\n"
            else:
                md += (f"| {name} | {m['maxrss_mb']:.1f} MB | {m['training_mb']:.1f} MB | {m['rss_growth_mb']:.1f} MB | "
                       f"{m['tracemalloc_peak_mb']:.1f} MB |\n")
        if 'ratio_training' in mem:
            md += (f"\nminidl / numpy_ref: {mem['ratio_training']:.2f}x above the imports (the goal's measure), "
                   f"{mem['ratio_maxrss']:.2f}x whole processes.\n")
    skipped = [r for r in results if r.get('skipped')] + machine.get('skipped', [])
    if skipped:
        md += '\nSkipped:\n\n' + ''.join(f"- {s['name']}: {s['skipped']}\n" for s in skipped
                                         if isinstance(s, dict) and s.get('skipped'))
    missing = [f"- {r['name']}, {variant}: {why}\n" for r in results if not r.get('skipped')
               for variant, why in (r.get('missing') or {}).items()]
    if missing:
        md += '\nVariants that could not be built (their columns are empty in those rows):\n\n' + ''.join(missing)
    with open(base + '.md', 'w') as f:
        f.write(md)
    png = bar_chart(results, base + '.png', machine['name'])
    return [base + '.json', base + '.md'] + ([png] if png else [])

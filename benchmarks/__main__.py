"""``python -m benchmarks [--suite cpu|gpu|all] [--quick] [--compare torch] [--out DIR]``.

Benchmark minidl against the hand-written NumPy reference (and PyTorch with ``--compare torch``)
and write JSON + a markdown table + a bar chart PNG named by machine to ``--out``
(default ``benchmarks/results/``). ``--quick`` is a tiny smoke run (small sizes, 5 repeats):
its numbers mean nothing, it checks that the harness works.

Timing is sensitive to the environment: on some machines OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE
are set and slow a current numpy; benchmark with both unset for that command only::

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python -m benchmarks --compare torch

The BLAS kernel that ran is recorded in the JSON (threadpoolctl) and under the table.
"""
import argparse
import os
import shlex
import sys
import time

from . import harness, workloads

FULL = dict(repeats=15, min_block_s=0.1, tiny_repeats=21, gemm_n=2048, gpu_gemm_n=8192,
            mlp_batches=(128, 1024), cnn_batches=(64, 256), gpu_mlp_batch=4096, gpu_cnn_batch=256,
            sizes=dict(matmul=1024, conv=(32, 64, 32), ce=(1024, 1000), autograd_ops=200,
                       mem_batch=128, mem_steps=100))
QUICK = dict(repeats=5, min_block_s=0.01, tiny_repeats=5, gemm_n=256, gpu_gemm_n=256,
             mlp_batches=(16,), cnn_batches=(4,), gpu_mlp_batch=64, gpu_cnn_batch=8,
             sizes=dict(matmul=64, conv=(2, 8, 8), ce=(16, 10), autograd_ops=20,
                        mem_batch=16, mem_steps=5))


def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f'expected a whole number of threads >= 1, got {text!r}')
    return value


def parse_args(argv=None):
    """The command line, checked before anything is timed: a folder ``--out`` cannot write to,
    or an ``--only`` that selects no workload, is an error at once, not after minutes of timing."""
    p = argparse.ArgumentParser(prog='python -m benchmarks', description=__doc__.split('\n\n')[1],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--suite', choices=('cpu', 'gpu', 'all'), default='cpu')
    p.add_argument('--quick', action='store_true', help='tiny sizes and 5 repeats (smoke test)')
    p.add_argument('--compare', choices=('torch',), action='append', default=[],
                   help='add PyTorch as a column (skipped with a note when torch is not installed)')
    p.add_argument('--out', default=os.path.join(os.path.dirname(os.path.abspath(__file__)), 'results'))
    p.add_argument('--threads', type=_positive_int, default=None,
                   help='limit BLAS (threadpoolctl) and PyTorch to N threads (default: as installed); '
                        'on a machine loaded by other processes, 1 gives steadier ratios')
    p.add_argument('--only', default=None, help='comma-separated substrings: run only matching workloads')
    args = p.parse_args(argv)
    try:
        os.makedirs(args.out, exist_ok=True)
    except OSError as e:
        p.error(f'--out {args.out}: cannot make the folder ({e.strerror})')
    if not os.access(args.out, os.W_OK | os.X_OK):
        p.error(f'--out {args.out}: the folder is not writable')
    if args.only is not None:
        cfg = QUICK if args.quick else FULL
        suites = ('cpu', 'gpu') if args.suite == 'all' else (args.suite,)
        names = [name for suite in suites for name, _ in JOBS[suite](cfg)]
        if not any(_selected(args.only, name) for name in names):
            p.error(f"--only {args.only!r} matches none of the workloads: {', '.join(names)}")
    return args


def _selected(only, name):
    return only is None or any(s.strip().lower() in name.lower() for s in only.split(','))


def cpu_jobs(cfg):
    """(row name, the function that times it) for each workload of the CPU suite, in table order."""
    jobs = [(f'MLP step b={b}', lambda b=b: workloads.mlp_step_workload(b, cfg)) for b in cfg['mlp_batches']]
    jobs += [(f'CNN step b={b}', lambda b=b: workloads.cnn_step_workload(b, cfg)) for b in cfg['cnn_batches']]
    jobs += [('matmul', lambda: workloads.op_matmul(cfg)), ('conv2d', lambda: workloads.op_conv2d(cfg)),
             ('maxpool', lambda: workloads.op_maxpool(cfg)), ('batchnorm', lambda: workloads.op_batchnorm(cfg)),
             ('cross entropy', lambda: workloads.op_cross_entropy(cfg)),
             ('autograd overhead', lambda: workloads.autograd_overhead(cfg)),
             ('input pipeline', lambda: workloads.input_pipeline(cfg)),
             ('peak memory', lambda: workloads.peak_memory(cfg))]
    return jobs


def gpu_jobs(cfg):
    """The same for the GPU suite: the two training steps."""
    return [(f"GPU MLP step b={cfg['gpu_mlp_batch']}", lambda: workloads.gpu_step_workload('mlp', cfg['gpu_mlp_batch'], cfg)),
            (f"GPU CNN step b={cfg['gpu_cnn_batch']}", lambda: workloads.gpu_step_workload('cnn', cfg['gpu_cnn_batch'], cfg))]


JOBS = dict(cpu=cpu_jobs, gpu=gpu_jobs)


def run_suite(suite, cfg, machine):
    """Time the suite's selected workloads; returns their results (peak memory goes to ``machine``)."""
    results = []
    for name, job in JOBS[suite](cfg):
        if not _selected(cfg.get('only'), name):
            continue
        if name == 'peak memory':
            machine['peak_memory'] = job()
            continue
        r = job()
        results.extend(r if isinstance(r, list) else [r])
    return results


def main(argv=None):
    args = parse_args(argv)
    cfg = dict(QUICK if args.quick else FULL)
    cfg.update(quick=args.quick, torch='torch' in args.compare, only=args.only, log=print)
    command = 'python -m benchmarks ' + ' '.join(shlex.quote(a) for a in (sys.argv[1:] if argv is None else argv))
    extra = {}
    if cfg['torch']:
        from . import reference_torch as tr
        if tr.available():
            extra['torch'] = tr.version()
            extra['torch_threads'] = tr.torch.get_num_threads()
        else:
            cfg['torch'] = False
            print('torch is not installed: the PyTorch column is skipped '
                  "(pip install torch==2.13.0 for the CPU build)")
            extra['skipped'] = [dict(name='PyTorch column', skipped='torch is not installed')]
    if args.threads:
        try:
            from threadpoolctl import threadpool_limits
            extra['_limits'] = threadpool_limits(limits=args.threads)     # kept alive for the run
        except ImportError:
            os.environ['OPENBLAS_NUM_THREADS'] = str(args.threads)       # too late for a loaded BLAS
            print('threadpoolctl is not installed: --threads may not reach the BLAS')
        if cfg['torch']:
            from . import reference_torch as tr
            tr.torch.set_num_threads(args.threads)
            extra['torch_threads'] = args.threads
        extra['threads'] = args.threads
    t0 = time.perf_counter()
    written = []
    suites = ['cpu', 'gpu'] if args.suite == 'all' else [args.suite]
    for suite in suites:
        machine = harness.machine_info(suite, {k: v for k, v in extra.items() if not k.startswith('_')})
        machine['blas_summary'] = harness.blas_summary(machine['blas'])
        machine['quick'] = args.quick
        machine['repeats'] = cfg['repeats']
        if suite == 'gpu':
            machine['gpu'] = harness.gpu_name()
            machine['name'] = harness.machine_name('gpu', machine['gpu']) if machine['gpu'] else \
                harness.machine_name('cpu').replace('cpu-', 'gpu-none-', 1)
        else:                                   # with -1thread when BLAS runs one thread
            machine['name'] = harness.cpu_report_name(machine['blas_summary'])
        if args.threads and not machine['name'].endswith(f'-{args.threads}thread'):
            machine['name'] += f'-{args.threads}thread'
        if args.quick:
            machine['name'] += '-quick'
        print(f"[{suite}] {machine['name']}: {machine['cpu_model']}, BLAS {machine['blas_summary']}")
        peak, t = harness.gemm_peak(cfg['gemm_n'], repeats=cfg['repeats'])
        machine.update(gemm_n=cfg['gemm_n'], gemm_peak_gflops=peak, gemm_timing=t.as_dict())
        print(f'  GEMM peak (numpy float32 {cfg["gemm_n"]}^3): {peak:.1f} GFLOP/s')
        if suite == 'cpu':
            workloads._minidl().set_device('cpu')       # NumPy, whatever MINIDL_DEVICE says
        else:
            minidl = workloads._minidl()
            if minidl.cuda_is_available():
                n = cfg['gpu_gemm_n']
                peak, t = harness.gemm_peak(n, repeats=cfg['repeats'], xp=minidl.backend.xp_for('cuda'),
                                            sync=workloads._cupy_sync())
                machine.update(gpu_gemm_n=n, gpu_gemm_peak_gflops=peak, gpu_gemm_timing=t.as_dict())
                print(f'  GPU GEMM peak (cupy float32 {n}^3): {peak:.1f} GFLOP/s')
        results = run_suite(suite, cfg, machine)
        for r in results:
            if r.get('skipped'):
                print(f"  {r['name']}: skipped ({r['skipped']})")
        written += harness.write_results(args.out, machine, results, command)
    print(f'wrote {", ".join(written)}  ({time.perf_counter() - t0:.0f} s)')
    return 0


if __name__ == '__main__':
    sys.exit(main())

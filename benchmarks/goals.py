"""The benchmarks issue's goals, each judged over several fresh runs of its row.

    python -m benchmarks.goals [--runs 5] [--compare torch] [--suite cpu|gpu|all] [--threads N]
                               [--quick] [--out DIR]

Each run is a new process of the harness (``python -m benchmarks --only <the goal rows>``),
so it warms up, pairs its rounds and takes its ratios exactly as the table does. A goal gets
one number per run (the run's median of paired ratios, µs per op, or the peak-memory
ratio), and its verdict is on the **median over the runs**, with how many runs met it
beside it.

Why runs and not rounds: on a shared VM the whole machine changes pace for seconds to
minutes at a time (``NOTES.md``, fourth pass), and a pause like that moves every ratio of
one run together. Within a run the rounds are interleaved, so each paired ratio is fair, but
a run that falls in a slow phase is one draw of the phase; the MLP b=128 goal, for
instance, read 1.18x in one table run and 1.08–1.12x in the three runs after it. A verdict
on several runs is a verdict on the code.

Writes ``goals-<machine>.md`` and ``.json`` to ``--out`` (default ``benchmarks/results/``).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

from . import harness
from .__main__ import FULL, QUICK


class Goal:
    """One goal: ``measure(result, machine)`` reads its number from one run (None where the
    run lacks it, e.g. PyTorch not installed), given the result of the goal's ``row`` (None if
    the run has no such row) and the run's machine; the number is to be at most (or, with
    ``at_least``, at least) ``target``."""

    def __init__(self, text, row, measure, target, unit='x', at_least=False, stretch=None, needs=None):
        self.text, self.row, self.measure, self.target = text, row, measure, target
        self.unit, self.at_least, self.stretch = unit, at_least, stretch
        self.needs = needs                  # what a run must have to measure it, if anything

    def meets(self, value, target=None):
        target = self.target if target is None else target
        return value >= target if self.at_least else value <= target

    def bound(self, target=None):
        return f"{'≥' if self.at_least else '≤'} {_fmt(self.target if target is None else target, self.unit)}"


def ratio(a, b):
    """The run's median over rounds of variant a's time / variant b's (as in the table)."""
    def measure(result, machine):
        v = result['variants'] if result else {}
        return harness.paired_ratio(v[a], v[b]) if a in v and b in v else None
    return measure


def minidl_us_per_op(result, machine):
    """The autograd chain's time per op, forward + backward, in µs."""
    return result['variants']['minidl']['median_s'] * 1e6 if result and 'minidl' in result['variants'] else None


def peak_memory_ratio(result, machine):
    """The memory 100 MLP training steps take at their peak, minidl / the reference (kept with
    the machine): the peak resident memory above what the process held after its imports.
    (The whole processes' ratio, 1.15x in the sixteenth pass, shares the interpreter's and
    NumPy's ~29 MB, which hides a difference in the training's own memory: 1.28x there.)"""
    return (machine.get('peak_memory') or {}).get('ratio_training')


def goals_for(cfg, suite='cpu'):
    """The issue's goals, on the rows of ``cfg`` (the harness's FULL or QUICK sizes)."""
    goals = []
    if suite in ('cpu', 'all'):
        goals += [Goal(f'MLP step b={b}: minidl / NumPy reference', f'MLP step b={b}',
                       ratio('minidl', 'numpy_ref'), 1.10) for b in cfg['mlp_batches']]
        b = cfg['cnn_batches'][0]
        goals += [Goal(f'CNN step b={b}: minidl / PyTorch', f'CNN step b={b}', ratio('minidl', 'torch'),
                       1.25, stretch=1.0, needs='PyTorch (--compare torch)'),
                  Goal('autograd overhead: minidl per op, forward + backward', 'autograd overhead',
                       minidl_us_per_op, 3.0, unit=' µs'),
                  Goal('peak memory of MLP training: minidl / NumPy reference', 'peak memory',
                       peak_memory_ratio, 1.5)]
    if suite in ('gpu', 'all'):
        goals += [Goal(f"GPU CNN step b={cfg['gpu_cnn_batch']}: minidl on NumPy / minidl on CuPy",
                       f"GPU CNN step b={cfg['gpu_cnn_batch']}", ratio('minidl', 'minidl_cupy'), 20.0,
                       at_least=True, needs='a GPU and CuPy'),
                  Goal(f"GPU MLP step b={cfg['gpu_mlp_batch']}: minidl on CuPy / PyTorch CUDA",
                       f"GPU MLP step b={cfg['gpu_mlp_batch']}", ratio('minidl_cupy', 'torch_cuda'), 1.5,
                       needs='a GPU, CuPy and PyTorch with CUDA')]
    return goals


def judge(goal, values):
    """The verdict on one goal from its number in each run (None: not measured in that run)."""
    measured = [v for v in values if v is not None]
    if not measured:
        return dict(median=None, met_runs=0, runs=0,
                    verdict='not measured' + (f': needs {goal.needs}' if goal.needs else ''))
    median = statistics.median(measured)
    met_runs = sum(goal.meets(v) for v in measured)
    verdict = 'met' if goal.meets(median) else 'not met'
    if goal.stretch is not None and goal.meets(median, goal.stretch):
        verdict += ', stretch too'
    return dict(median=median, met_runs=met_runs, runs=len(measured), verdict=verdict)


def values_of(goal, runs):
    """The goal's number in each run; a run is the list of the harness's JSON results it wrote
    (one per suite, the CPU suite's first)."""
    return [goal.measure(*_row(goal.row, run)) for run in runs]


def _row(name, run):
    """(the result of the row called ``name`` or None, the machine it ran on) in one run."""
    for data in run:
        for result in data['results']:
            if (result['name'] == name or result['name'].startswith(name + ' ')) and not result.get('skipped'):
                return result, data['machine']
    return None, run[0]['machine'] if run else {}


def run_once(args, out_dir, goals):
    """One fresh process of the harness, limited to the goals' rows; returns its JSON results."""
    command = [sys.executable, '-m', 'benchmarks', '--suite', args.suite, '--out', out_dir,
               '--only', ','.join(g.row for g in goals)]
    command += ['--compare', 'torch'] * ('torch' in args.compare) + ['--quick'] * args.quick
    command += ['--threads', str(args.threads)] if args.threads else []
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    subprocess.run(command, cwd=here, check=True, stdout=subprocess.DEVNULL)
    results = []
    for name in sorted(os.listdir(out_dir)):                # cpu-... before gpu-...
        if name.endswith('.json'):
            with open(os.path.join(out_dir, name)) as f:
                results.append(json.load(f))
    return results


def _fmt(value, unit):
    if value is None:
        return '—'
    return f'{value:.2f}{unit}' if unit == 'x' or value < 100 else f'{value:.0f}{unit}'


def report(goals, runs, command):
    """The markdown table of the goals, and the same as a list of dicts (for the JSON)."""
    machines = [data['machine'] for data in runs[0]] if runs else []
    name = machines[-1]['name'] if machines else '?'
    lines = [f'### Goals on {name}', '']
    for m in machines:
        lines.append(f"- {m['name']}: {m['cpu_model']}, {m['cores']} cores, BLAS {m.get('blas_summary', '?')}"
                     + (f"; torch {m['torch']}" if m.get('torch') else '')
                     + (f"; GPU {m['gpu']}" if m.get('gpu') else ''))
    lines += ['', f"{len(runs)} fresh run{'s' * (len(runs) != 1)} of the harness; the verdict is on the median "
              'over the runs.', '',
              f'Command: `{command}`', '',
              '| goal | target | ' + ' | '.join(f'run {i + 1}' for i in range(len(runs))) +
              ' | median | runs that met it | verdict |',
              '|---|---|' + '---|' * len(runs) + '---|---|---|']
    rows = []
    for goal in goals:
        values = values_of(goal, runs)
        verdict = judge(goal, values)
        target = goal.bound() + (f' (stretch {goal.bound(goal.stretch)})' if goal.stretch is not None else '')
        met = f"{verdict['met_runs']} of {verdict['runs']}" if verdict['runs'] else '—'
        cells = [goal.text, target] + [_fmt(v, goal.unit) for v in values] + \
            [_fmt(verdict['median'], goal.unit), met, verdict['verdict']]
        lines.append('| ' + ' | '.join(cells) + ' |')
        rows.append(dict(goal=goal.text, row=goal.row, target=goal.target, at_least=goal.at_least,
                         stretch=goal.stretch, values=values, **verdict))
    return '\n'.join(lines) + '\n', rows, name


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog='python -m benchmarks.goals', description=__doc__.split('\n\n')[0])
    p.add_argument('--runs', type=int, default=5, help='fresh harness runs (default 5)')
    p.add_argument('--compare', choices=('torch',), action='append', default=[],
                   help='PyTorch as a reference (the CPU CNN goal needs it)')
    p.add_argument('--suite', choices=('cpu', 'gpu', 'all'), default='cpu')
    p.add_argument('--threads', type=int, default=None, help='passed on to the harness')
    p.add_argument('--quick', action='store_true', help="the harness's smoke sizes: numbers mean nothing")
    p.add_argument('--out', default=os.path.join(os.path.dirname(os.path.abspath(__file__)), 'results'))
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if args.runs < 1:
        raise SystemExit(f'benchmarks.goals: --runs must be at least 1, got {args.runs}')
    goals = goals_for(QUICK if args.quick else FULL, args.suite)
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.runs):
            runs.append(run_once(args, os.path.join(tmp, f'run{i + 1}'), goals))
            print(f'run {i + 1} of {args.runs} done', flush=True)
    command = 'python -m benchmarks.goals ' + ' '.join(sys.argv[1:] if argv is None else argv)
    text, rows, name = report(goals, runs, command)
    harness.write_text_report(args.out, f'goals-{name}.md', text)
    with open(os.path.join(args.out, f'goals-{name}.json'), 'w') as f:
        json.dump(dict(command=command, machines=[d['machine'] for d in runs[0]], goals=rows), f, indent=1,
                  default=str)
    return 0


if __name__ == '__main__':
    sys.exit(main())

"""``python -m benchmarks.goals``: the verdicts follow from the runs' numbers, worked out here
by hand, and a smoke run writes a verdict for every goal. No timing is asserted."""
import json
import os

import pytest

from benchmarks import goals as G
from benchmarks.__main__ import FULL, QUICK


def _goal(target=1.10, **kwargs):
    return G.Goal('a goal', 'MLP step b=128', G.ratio('minidl', 'numpy_ref'), target, **kwargs)


def test_verdict_is_on_the_median_over_runs():
    # the twelfth pass's four MLP b=128 runs: median (1.09 + 1.12) / 2 = 1.105 > 1.10
    v = G.judge(_goal(), [1.18, 1.08, 1.12, 1.09])
    assert v == dict(median=pytest.approx(1.105), met_runs=2, runs=4, verdict='not met')
    assert G.judge(_goal(), [1.18, 1.08, 1.09])['verdict'] == 'met'        # median 1.09
    assert G.judge(_goal(), [1.10])['verdict'] == 'met'                      # the bound counts


def test_verdict_for_a_lower_bound_a_stretch_and_missing_runs():
    speedup = _goal(20.0, at_least=True)
    assert G.judge(speedup, [18.8, 21.0, 20.5]) == dict(median=20.5, met_runs=2, runs=3, verdict='met')
    assert G.judge(speedup, [18.8, 19.9, 20.5])['verdict'] == 'not met'
    cnn = _goal(1.25, stretch=1.0)
    assert G.judge(cnn, [0.95, 0.99, 1.2])['verdict'] == 'met, stretch too'
    assert G.judge(cnn, [1.05, 1.2, 1.3])['verdict'] == 'met'
    # a run that could not measure it (PyTorch missing there) does not count either way
    assert G.judge(cnn, [None, 1.3, 1.2]) == dict(median=1.25, met_runs=1, runs=2, verdict='met')
    needs = _goal(needs='PyTorch (--compare torch)')
    assert G.judge(needs, [None, None]) == dict(median=None, met_runs=0, runs=0,
                                                verdict='not measured: needs PyTorch (--compare torch)')


def _run_json(rows, peak_memory=None):
    machine = dict(name='cpu-test', cpu_model='x', cores=2)
    if peak_memory is not None:
        machine['peak_memory'] = dict(ratio_maxrss=9.9, ratio_training=peak_memory)    # judged: the training's
    return dict(machine=machine, results=rows)


def test_each_goal_reads_its_own_row():
    """b=128 must not pick up a b=1280 row (its name begins with the other's), a skipped row
    is not measured, and each goal reads its variants' paired ratio."""
    def step(name, a, b):
        return dict(name=name, variants=dict(minidl=dict(samples_s=a, median_s=a[0]),
                                             numpy_ref=dict(samples_s=b, median_s=b[0]),
                                             torch=dict(samples_s=b, median_s=b[0])))
    run = [_run_json([step('MLP step b=1280', [5.0, 5.0], [1.0, 1.0]),
                      step('MLP step b=1024', [2.0, 4.0], [1.0, 2.0]),        # 2x in each round
                      step('CNN step b=64', [3.0, 3.0], [2.0, 2.0]),
                      dict(name='autograd overhead (201-op chain)', unit='us_per_op',
                           variants=dict(minidl=dict(samples_s=[8e-6], median_s=8e-6))),
                      dict(name='GPU CNN step b=256', skipped='no GPU', variants={})], peak_memory=1.2)]
    by_row = {g.row: g for g in G.goals_for(FULL, 'all')}
    assert G.values_of(by_row['MLP step b=128'], [run]) == [None]
    assert G.values_of(by_row['MLP step b=1024'], [run]) == [2.0]
    assert G.values_of(by_row['CNN step b=64'], [run]) == [1.5]
    assert G.values_of(by_row['autograd overhead'], [run]) == [pytest.approx(8.0)]
    assert G.values_of(by_row['peak memory'], [run]) == [1.2]
    assert G.values_of(by_row['GPU CNN step b=256'], [run]) == [None]


def test_goals_are_the_issues():
    full = {g.row: (g.target, g.at_least) for g in G.goals_for(FULL, 'all')}
    assert full == {'MLP step b=128': (1.10, False), 'MLP step b=1024': (1.10, False),
                    'CNN step b=64': (1.25, False), 'autograd overhead': (3.0, False),
                    'peak memory': (1.5, False), 'GPU CNN step b=256': (20.0, True),
                    'GPU MLP step b=4096': (1.5, False)}
    assert [g.row for g in G.goals_for(QUICK)] == ['MLP step b=16', 'CNN step b=4', 'autograd overhead',
                                                   'peak memory']


def test_quick_goals_run_writes_a_verdict_per_goal(tmp_path, monkeypatch):
    # one BLAS thread for the child runs (see test_harness._run_quick); no numbers are looked at
    for name in ('OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS', 'MKL_NUM_THREADS'):
        monkeypatch.setenv(name, '1')
    assert G.main(['--quick', '--runs', '2', '--out', str(tmp_path)]) == 0
    files = sorted(os.listdir(tmp_path))
    assert [f for f in files if f.startswith('goals-') and f.endswith('-quick.md')], files
    with open(tmp_path / [f for f in files if f.endswith('.json')][0]) as f:
        rows = {row['row']: row for row in json.load(f)['goals']}
    assert list(rows) == ['MLP step b=16', 'CNN step b=4', 'autograd overhead', 'peak memory']
    for row in ('MLP step b=16', 'autograd overhead', 'peak memory'):
        assert len(rows[row]['values']) == 2 and all(v > 0 for v in rows[row]['values']), rows[row]
        assert rows[row]['verdict'] in ('met', 'not met')
    assert rows['CNN step b=4']['verdict'].startswith('not measured: needs PyTorch')   # no --compare torch
    text = (tmp_path / [f for f in files if f.endswith('.md')][0]).read_text()
    assert text.count('\n| ') == 1 + 4 and '| run 1 | run 2 | median |' in text


def test_runs_must_be_positive(tmp_path):
    with pytest.raises(SystemExit, match='--runs must be at least 1'):
        G.main(['--runs', '0', '--out', str(tmp_path)])

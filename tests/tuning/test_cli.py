"""`minidl tune` end to end on tiny searches: files, resume, grid budget, scoring splits, errors."""
import json
import math
import shutil

import numpy as np
import pytest

from minidl.cli import main
from minidl.tuning import Space
from minidl.tuning import cli as tune_cli

from ..train.test_plots import assert_real_png

TINY = ['--epochs', '1', '--limit', '200']


def csv_rows(out):
    return (out / 'trials.csv').read_text().splitlines()


@pytest.fixture(scope='module')
def tiny_search(tmp_path_factory):
    out = tmp_path_factory.mktemp('tune')
    code = main(['tune', '--method', 'bayes', '--trials', '4', *TINY, '--out', str(out)])
    return code, out


def test_tune_writes_trials_best_and_plots(tiny_search, capsys):
    code, out = tiny_search
    assert code == 0
    rows = csv_rows(out)
    assert rows[0].split(',') == ['trial', 'status', 'value', 'seconds', 'error',
                                  'lr', 'weight_decay', 'dropout', 'batch_size']
    assert [row.split(',')[0] for row in rows[1:]] == ['0', '1', '2', '3']
    best = json.loads((out / 'best.json').read_text())
    values = [float(row.split(',')[2]) for row in rows[1:]]
    assert best['best_value'] == max(values) and best['median_value'] == float(np.median(values))
    assert best['best_value'] >= best['median_value'] and 0.1 < best['best_value'] <= 1.0
    assert set(best['best_params']) == set(tune_cli.SPACE) and best['settings']['epochs'] == 1
    for name in ('best_so_far.png', 'parameters.png'):
        assert_real_png(out / name)


def test_rerun_with_more_trials_resumes_without_rerunning(tiny_search, tmp_path, capsys):
    _, out = tiny_search
    shutil.copytree(out, tmp_path, dirs_exist_ok=True)
    before = csv_rows(tmp_path)
    assert main(['tune', '--method', 'bayes', '--trials', '6', *TINY, '--out', str(tmp_path)]) == 0
    after = csv_rows(tmp_path)
    assert after[:5] == before and len(after) == 7     # same rows, seconds included: not rerun
    assert [row.split(',')[0] for row in after[1:]] == ['0', '1', '2', '3', '4', '5']
    printed = capsys.readouterr().out
    assert printed.count('%') >= 7 and 'best: validation accuracy' in printed


def test_resuming_with_other_settings_is_refused(tiny_search, tmp_path, capsys):
    _, out = tiny_search
    shutil.copytree(out, tmp_path, dirs_exist_ok=True)
    assert main(['tune', '--trials', '6', '--epochs', '2', '--limit', '200', '--out', str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert 'other epochs' in err and err.count('\n') == 1
    assert len(csv_rows(tmp_path)) == 5


@pytest.mark.parametrize('budget, counts', [
    (1, {'lr': 1, 'weight_decay': 1, 'dropout': 1, 'batch_size': 1}),
    (4, {'lr': 2, 'weight_decay': 2, 'dropout': 1, 'batch_size': 1}),
    (12, {'lr': 3, 'weight_decay': 2, 'dropout': 2, 'batch_size': 1}),
    (30, {'lr': 2, 'weight_decay': 2, 'dropout': 2, 'batch_size': 3}),
    (100, {'lr': 3, 'weight_decay': 3, 'dropout': 3, 'batch_size': 3}),
])
def test_grid_counts_stay_within_the_budget(budget, counts):
    space = tune_cli.grid_space(budget)
    grid = Space(space).grid()
    assert len(grid) == math.prod(counts.values()) <= budget
    assert {name: len({config[name] for config in grid}) for name in space} == counts
    if counts['lr'] == 1:          # one point: the middle of the range, in log space
        assert space['lr'] == pytest.approx(10 ** -2.5) and space['dropout'] == 0.25
        assert space['batch_size'] == 64


def test_grid_search_runs_its_grid(tmp_path):
    assert main(['tune', '--method', 'grid', '--trials', '5', '--epochs', '1', '--limit', '100',
                 '--out', str(tmp_path)]) == 0
    rows = [row.split(',') for row in csv_rows(tmp_path)[1:]]
    assert len(rows) == 4 and len({(row[5], row[6]) for row in rows}) == 4


@pytest.mark.parametrize('cv', [None, 3])
def test_scoring_never_sees_the_test_split(cv, monkeypatch):
    config = tune_cli.resolve_config({'limit': 200}, None)
    parts = tune_cli.load_splits(config)
    seen = []
    monkeypatch.setattr(tune_cli, 'train_and_score',
                        lambda config, train, val: seen.append((config, train, val)) or 0.5)
    params = {'lr': 0.01, 'weight_decay': 0.1, 'dropout': 0.3, 'batch_size': 32}
    assert tune_cli.validation_accuracy(params, config, parts, cv=cv) == 0.5
    assert len(seen) == (cv or 1) and all(c['lr'] == 0.01 and c['dropout'] == 0.3 for c, _, _ in seen)
    x_val = np.concatenate([val[0] for _, _, val in seen])
    x_all = np.concatenate([parts['train'][0], parts['val'][0]]) if cv else parts['val'][0]
    assert len(x_val) == len(x_all) and {a.tobytes() for a in x_val} == {a.tobytes() for a in x_all}
    test_images = {a.tobytes() for a in parts['test'][0]}
    for _, train, val in seen:
        assert len(train[0]) + len(val[0]) == len(x_all) + (0 if cv else 200)
        assert not test_images & {a.tobytes() for a in np.concatenate([train[0], val[0]])}


def test_cross_validated_search(tmp_path):
    assert main(['tune', '--method', 'random', '--trials', '2', '--cv', '2', '--epochs', '1',
                 '--limit', '100', '--out', str(tmp_path)]) == 0
    best = json.loads((tmp_path / 'best.json').read_text())
    assert best['metric'] == 'mean validation accuracy of 2-fold cross-validation' and best['trials'] == 2


@pytest.mark.parametrize('argv, message', [
    (['tune', '--cv', '1'], '--cv >= 2'),
    (['tune', '--trials', '0'], '--trials >= 1'),
    (['tune', '--method', 'hill'], "invalid choice: 'hill'"),
    (['tune', '--cv', '3', '--val-split'], 'not allowed with argument'),
    (['tune', '--epochs', '0'], 'epochs must be a positive integer'),
])
def test_bad_options_give_one_line_and_exit_code_2(argv, message, tmp_path, capsys):
    try:
        code = main(argv + ['--out', str(tmp_path)])
    except SystemExit as exit_:                 # argparse's own checks exit directly
        code = exit_.code
    err = capsys.readouterr().err
    assert code == 2 and message in err and err.count('\n') == 1 and 'Traceback' not in err


@pytest.mark.slow
def test_default_bayes_search_beats_its_median(tmp_path):
    """The issue's done-when: `minidl tune --method bayes --trials 12` (20-40 s on 2 cores)."""
    assert main(['tune', '--method', 'bayes', '--trials', '12', '--out', str(tmp_path)]) == 0
    best = json.loads((tmp_path / 'best.json').read_text())
    assert best['trials'] == 12 and best['best_value'] > best['median_value']


def test_a_grid_search_resumed_with_another_budget_says_why(tmp_path):
    from minidl.train.main import ConfigError
    from minidl.tuning.cli import _check_settings, grid_space
    settings = {'method': 'grid', 'space': {name: [repr(v), getattr(v, 'grid', None)]
                                            for name, v in grid_space(4).items()}}
    _check_settings(str(tmp_path), settings)
    more = dict(settings, space={name: [repr(v), getattr(v, 'grid', None)] for name, v in grid_space(8).items()})
    with pytest.raises(ConfigError, match='for --method grid, --trials sets the grid itself'):
        _check_settings(str(tmp_path), more)

import concurrent.futures
import csv
import math

import numpy as np
import pytest

from minidl.tuning import (BayesianOptimization, Choice, GridSearch, IntUniform, LogUniform,
                           RandomSearch, Uniform)

SPACE = {'x': Uniform(-3.0, 3.0), 'lr': LogUniform(1e-4, 1.0), 'n': IntUniform(1, 4),
         'act': Choice(['relu', 'tanh'])}


def quadratic(p):
    """Module level, so that a ProcessPoolExecutor can pickle it."""
    return (p['x'] - 1) ** 2 + math.log10(p['lr']) ** 2 + p['n'] + (p['act'] == 'tanh')


class Counter:
    def __init__(self, fn):
        self.fn, self.calls = fn, 0

    def __call__(self, p):
        self.calls += 1
        return self.fn(p)


def test_bad_direction_is_a_clear_error():
    with pytest.raises(ValueError, match="direction must be 'minimize' or 'maximize'"):
        RandomSearch(3).run(quadratic, SPACE, direction='min')


def test_grid_search_enumerates_the_product_once():
    seen = []
    space = {'a': Uniform(0, 1, grid=3), 'b': Choice(['p', 'q']), 'c': IntUniform(0, 1), 'k': 9}
    result = GridSearch().run(lambda p: seen.append(dict(p)) or p['a'], space)
    assert len(result) == len(seen) == 3 * 2 * 2
    assert len({tuple(sorted(p.items())) for p in seen}) == 12
    assert [t.number for t in result.trials] == list(range(12))
    assert result.best_value == 0.0


def test_maximize_and_minimize_pick_opposite_ends():
    space = {'x': Uniform(-1, 1, grid=5)}
    assert GridSearch().run(lambda p: p['x'], space).best_params == {'x': -1.0}
    result = GridSearch().run(lambda p: p['x'], space, direction='maximize')
    assert result.best_params == {'x': 1.0} and result.best_value == 1.0
    np.testing.assert_allclose(result.best_so_far(), [-1.0, -0.5, 0.0, 0.5, 1.0])


def test_random_search_is_reproducible_and_in_range():
    a = RandomSearch(15, seed=3).run(quadratic, SPACE)
    b = RandomSearch(15, seed=3).run(quadratic, SPACE)
    assert [t.params for t in a.trials] == [t.params for t in b.trials]
    assert a.best_value == min(t.value for t in a.trials)
    assert all(t.status == 'ok' and t.seconds >= 0 for t in a.trials)


def test_raising_and_nan_trials_are_recorded_and_the_search_goes_on():
    def objective(p):
        if p['n'] == 2:
            raise RuntimeError('diverged')
        return math.nan if p['n'] == 3 else p['x']
    result = GridSearch().run(objective, {'x': Uniform(0, 1, grid=2), 'n': IntUniform(1, 4)})
    assert len(result) == 8 and result.n_failed == 4
    by_n = {t.params['n']: t for t in result.trials if t.params['x'] == 0.0}
    assert by_n[2].status == 'failed' and by_n[2].error == 'RuntimeError: diverged'
    assert by_n[3].status == 'failed' and 'nan' in by_n[3].error and math.isnan(by_n[3].value)
    assert by_n[1].ok and result.best_value == 0.0
    bad = RandomSearch(2, seed=0).run(lambda p: 'oops', SPACE)
    assert bad.n_failed == 2 and 'TypeError' in bad.trials[0].error
    assert bad.best_params is None and math.isnan(bad.best_value)


@pytest.mark.parametrize('make', [lambda: RandomSearch(12, seed=0), lambda: GridSearch(),
                                  lambda: BayesianOptimization(12, n_initial=3, seed=0)])
def test_resume_from_csv_does_not_rerun_finished_trials(tmp_path, make):
    space = {'x': Uniform(-2, 2, grid=4), 'c': Choice(['a', 'b', 'c'])}
    path = str(tmp_path / 'trials.csv')
    first = Counter(lambda p: (p['x'] - 0.5) ** 2 + (p['c'] == 'b'))

    def interrupted(p):
        if first.calls == 5:
            raise KeyboardInterrupt
        return first(p)

    partial = make().run(interrupted, space, csv_path=path)
    assert partial.interrupted and len(partial) == 5
    with open(path) as f:
        assert len(list(csv.DictReader(f))) == 5

    second = Counter(first.fn)
    full = make().run(second, space, csv_path=path)
    assert not full.interrupted
    assert len(full) == first.calls + second.calls == 12
    assert [t.number for t in full.trials] == list(range(12))
    assert [t.params for t in full.trials[:5]] == [t.params for t in partial.trials]
    again = Counter(first.fn)
    make().run(again, space, csv_path=path)
    assert again.calls == 0


def test_resumed_random_search_equals_an_uninterrupted_one(tmp_path):
    path = str(tmp_path / 'r.csv')
    calls = Counter(quadratic)
    RandomSearch(10, seed=4).run(lambda p: quadratic(p) if calls(p) < 7 else
                                 (_ for _ in ()).throw(KeyboardInterrupt), SPACE, csv_path=path)
    resumed = RandomSearch(10, seed=4).run(quadratic, SPACE, csv_path=path)
    fresh = RandomSearch(10, seed=4).run(quadratic, SPACE)
    assert [(t.params, t.value) for t in resumed.trials] == [(t.params, t.value) for t in fresh.trials]


def test_csv_of_another_space_is_refused(tmp_path):
    path = str(tmp_path / 't.csv')
    RandomSearch(2, seed=0).run(quadratic, SPACE, csv_path=path)
    with pytest.raises(ValueError, match="do not match the search space"):
        RandomSearch(2, seed=0).run(lambda p: p['y'], {'y': Uniform(0, 1)}, csv_path=path)


def test_to_csv_and_plots(tmp_path):
    result = RandomSearch(6, seed=0).run(quadratic, SPACE)
    path = str(tmp_path / 'out.csv')
    result.to_csv(path)
    with open(path) as f:
        rows = list(csv.DictReader(f))
    assert [float(r['value']) for r in rows] == [t.value for t in result.trials]
    assert rows[0].keys() >= {'trial', 'status', 'value', 'seconds', 'error', 'x', 'lr', 'n', 'act'}
    fig = result.plot_best_so_far()
    assert len(fig.axes) == 1
    fig.savefig(str(tmp_path / 'best.png'))
    fig = result.plot_parameters()
    assert [ax.get_xlabel() for ax in fig.axes] == ['x', 'lr', 'n', 'act']
    assert fig.axes[1].get_xscale() == 'log'
    fig.savefig(str(tmp_path / 'params.png'))
    assert len(result.table()) == 6


@pytest.mark.parametrize('executor_class', [concurrent.futures.ThreadPoolExecutor,
                                            concurrent.futures.ProcessPoolExecutor])
def test_executor_gives_the_same_trials_as_sequential(executor_class):
    sequential = RandomSearch(8, seed=7).run(quadratic, SPACE)
    with executor_class(max_workers=2) as executor:
        parallel = RandomSearch(8, seed=7).run(quadratic, SPACE, executor=executor)
    assert [(t.number, t.params, t.value) for t in parallel.trials] == \
        [(t.number, t.params, t.value) for t in sequential.trials]


def test_bayesian_with_executor_runs_batches():
    with concurrent.futures.ThreadPoolExecutor(max_workers=3) as executor:
        result = BayesianOptimization(12, n_initial=4, batch_size=3, seed=0).run(
            quadratic, SPACE, executor=executor)
    assert len(result) == 12 and result.n_failed == 0
    assert len({tuple(sorted(t.params.items())) for t in result.trials}) == 12


def test_an_objective_a_process_pool_cannot_pickle_fails_its_trials_clearly():
    with concurrent.futures.ProcessPoolExecutor(max_workers=1) as executor:
        result = RandomSearch(2, seed=0).run(lambda p: 0.0, SPACE, executor=executor)
    assert result.n_failed == 2 and 'pickle' in result.trials[0].error.lower()


def test_choices_of_numpy_floats_none_and_bools_read_back_from_the_csv(tmp_path):
    # numpy 2 writes repr(np.float64(0.1)) as 'np.float64(0.1)' and csv writes None as '':
    # neither matched str(value) when a search resumed
    space = {'lr': Choice(list(np.array([0.1, 0.01]))), 'clip': Choice([None, 1.0]), 'flag': Choice([True, False])}
    path = str(tmp_path / 'trials.csv')
    first = GridSearch().run(lambda p: float(p['lr']), space, csv_path=path)
    again = GridSearch().run(lambda p: float(p['lr']), space, csv_path=path)
    assert len(first) == len(again) == 8
    assert [t.params for t in again.trials] == [t.params for t in first.trials]

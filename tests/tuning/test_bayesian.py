import importlib.util
import math
import pathlib

import numpy as np
import pytest

from minidl.tuning import BayesianOptimization, Choice, IntUniform, RandomSearch, Uniform

BENCHMARK = pathlib.Path(__file__).resolve().parents[2] / 'benchmarks' / 'tuning_bo_vs_random.py'


def bowl(p):
    """A cheap 2-D function with its minimum 0 at (0.3, -0.6)."""
    return (p['x'] - 0.3) ** 2 + 2 * (p['y'] + 0.6) ** 2


BOWL = {'x': Uniform(-2.0, 2.0), 'y': Uniform(-2.0, 2.0)}


def test_unknown_acquisition_and_bad_budget_are_clear_errors():
    with pytest.raises(ValueError, match="unknown acquisition 'foo'"):
        BayesianOptimization(10, acquisition='foo')
    with pytest.raises(ValueError, match="must be >= 1"):
        BayesianOptimization(0)


@pytest.mark.parametrize('acquisition', ['ei', 'pi', 'ucb'])
def test_bayesian_beats_random_on_a_cheap_2d_function(acquisition):
    bo = [BayesianOptimization(15, n_initial=5, acquisition=acquisition, seed=s).run(
        bowl, BOWL).best_value for s in range(3)]
    rs = [RandomSearch(15, seed=s).run(bowl, BOWL).best_value for s in range(3)]
    assert np.median(bo) < 0.02 < np.median(rs)


def test_bayesian_maximizes_and_handles_choice_int_and_failures():
    def objective(p):
        if p['n'] == 0:
            raise RuntimeError('bad n')
        return -(p['x'] - 0.5) ** 2 + (p['act'] == 'b') - 0.1 * abs(p['n'] - 3)

    space = {'x': Uniform(0, 1), 'act': Choice(['a', 'b', 'c']), 'n': IntUniform(0, 5), 'k': 1}
    result = BayesianOptimization(20, n_initial=6, seed=1).run(objective, space,
                                                               direction='maximize')
    assert len(result) == 20
    assert result.best_params['act'] == 'b' and result.best_params['n'] == 3
    assert result.best_value > 0.95
    failed = [t for t in result.trials if not t.ok]
    assert all(t.params['n'] == 0 and t.error == 'RuntimeError: bad n' for t in failed)
    assert len(failed) <= 3          # the failed region is avoided after the initial design
    assert all(isinstance(t.params['n'], int) and t.params['k'] == 1 for t in result.trials)


def test_bayesian_is_reproducible_with_a_seed():
    a = BayesianOptimization(9, n_initial=3, seed=5).run(bowl, BOWL)
    b = BayesianOptimization(9, n_initial=3, seed=5).run(bowl, BOWL)
    assert [t.params for t in a.trials] == [t.params for t in b.trials]


def _benchmark():
    spec = importlib.util.spec_from_file_location('tuning_bo_vs_random', BENCHMARK)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_benchmark_functions_have_their_known_minima():
    bench = _benchmark()
    for x1, x2 in [(-math.pi, 12.275), (math.pi, 2.275), (9.42478, 2.475)]:
        assert bench.branin({'x1': x1, 'x2': x2}) == pytest.approx(0.397887, abs=1e-5)
    h = bench.hartmann3({'x1': 0.114614, 'x2': 0.555649, 'x3': 0.852547})
    assert h == pytest.approx(-3.86278, abs=1e-5)


@pytest.mark.slow
@pytest.mark.parametrize('problem', ['branin', 'hartmann3'])
def test_bayesian_median_beats_random_on_branin_and_hartmann3(problem):
    bo, rs = _benchmark().medians(problem)
    assert bo < rs

"""Bayesian optimization against random search on two standard test functions.

Branin (2-D, minimum 0.397887) and Hartmann-3 (3-D, minimum -3.86278), each minimized with
a budget of 30 evaluations, over 10 seeds. Prints the median best value of each method
(lower is better). Run from the repository root: ``python -m benchmarks.tuning_bo_vs_random``.

Test functions: Dixon & Szegő (1978); the definitions follow the Virtual Library of
Simulation Experiments (Surjanovic & Bingham).
"""
import math
import time

import numpy as np

from minidl.tuning import BayesianOptimization, RandomSearch, Uniform

BUDGET, SEEDS = 30, range(10)


def branin(p):
    x1, x2 = p['x1'], p['x2']
    b, c = 5.1 / (4 * math.pi ** 2), 5 / math.pi
    return (x2 - b * x1 ** 2 + c * x1 - 6) ** 2 + 10 * (1 - 1 / (8 * math.pi)) * math.cos(x1) + 10


BRANIN_SPACE = {'x1': Uniform(-5.0, 10.0), 'x2': Uniform(0.0, 15.0)}

_H3_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])
_H3_A = np.array([[3.0, 10, 30], [0.1, 10, 35], [3.0, 10, 30], [0.1, 10, 35]])
_H3_P = 1e-4 * np.array([[3689, 1170, 2673], [4699, 4387, 7470],
                         [1091, 8732, 5547], [381, 5743, 8828]])


def hartmann3(p):
    x = np.array([p['x1'], p['x2'], p['x3']])
    return float(-np.sum(_H3_ALPHA * np.exp(-np.sum(_H3_A * (x - _H3_P) ** 2, axis=1))))


HARTMANN3_SPACE = {f'x{i}': Uniform(0.0, 1.0) for i in (1, 2, 3)}

PROBLEMS = {'branin': (branin, BRANIN_SPACE), 'hartmann3': (hartmann3, HARTMANN3_SPACE)}


def medians(problem, budget=BUDGET, seeds=SEEDS):
    """Median best value after ``budget`` evaluations: (bayesian, random)."""
    objective, space = PROBLEMS[problem]
    bo = [BayesianOptimization(n_trials=budget, seed=s).run(objective, space).best_value
          for s in seeds]
    rs = [RandomSearch(n_trials=budget, seed=s).run(objective, space).best_value
          for s in seeds]
    return float(np.median(bo)), float(np.median(rs))


def main():
    for problem in PROBLEMS:
        start = time.perf_counter()
        bo, rs = medians(problem)
        print(f"{problem:10s} median best of {len(SEEDS)} seeds, {BUDGET} evaluations: "
              f"bayesian {bo:.5f}  random {rs:.5f}  ({time.perf_counter() - start:.1f} s)")


if __name__ == '__main__':
    main()

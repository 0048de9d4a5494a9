"""The search loop shared by every method, and the two simplest methods: grid and random.

Every search has one interface::

    result = search.run(objective, space, direction='minimize', executor=None, csv_path=None)

- ``objective(params) -> float`` is called with one configuration (a dict) per trial.
  A trial that raises, or returns NaN/inf or something that is not a number, is recorded
  with status 'failed' and its error; the search goes on.
- ``direction`` is 'minimize' (a loss) or 'maximize' (an accuracy).
- ``executor``: any ``concurrent.futures.Executor`` (``ThreadPoolExecutor``,
  ``ProcessPoolExecutor`` -- then the objective must be picklable, i.e. defined at module
  level -- or a cluster's, e.g. Dask's ``Client.get_executor()``). Without one, trials run
  one after another in this process. Grid and random search submit all their trials at
  once and the executor runs as many at a time as it has workers; Bayesian optimization
  submits ``batch_size`` at a time (see ``bayesian.py``). The executor is not shut down.
- ``csv_path``: each trial is appended to this CSV as it ends. Given a CSV that already
  holds trials of the same search, the search *resumes*: the trials found there are
  loaded, their numbers are not run again, and only the rest are.
- Ctrl-C (``KeyboardInterrupt``) stops the search and returns the partial result, with
  ``result.interrupted = True``; trials still running are cancelled where the executor can.

A method is a subclass that says which configurations to try next (``propose``), given
the finished trials and the ones still running. Randomness comes from
``numpy.random.default_rng(seed)``, created anew by each ``run``, so a seeded search
proposes the same configurations each time (random search: whatever the executor).

Random search: Bergstra & Bengio, "Random search for hyper-parameter optimization",
JMLR 2012 -- with few parameters that matter, random points cover each of them more
densely than a grid of the same size.

    >>> from minidl.tuning.space import Uniform, Choice
    >>> space = {'x': Uniform(-2.0, 2.0, grid=5), 'sign': Choice([-1, 1])}
    >>> result = GridSearch().run(lambda p: p['sign'] * p['x'], space)
    >>> len(result), result.best_params, result.best_value
    (10, {'x': -2.0, 'sign': 1}, -2.0)
    >>> RandomSearch(n_trials=20, seed=0).run(lambda p: p['x'] ** 2, space).best_value < 0.1
    True
"""
import concurrent.futures
import math
import numbers
import time

import numpy as np

from .results import SearchResult, Trial, append_trial, read_trials, write_header_if_new
from .space import Space

DIRECTIONS = ('minimize', 'maximize')


def run_trial(objective, params):
    """Call ``objective(params)`` and time it; return (value, seconds, status, error).

    Exceptions (not KeyboardInterrupt) and non-finite or non-numeric values become a
    'failed' status with a message, so nothing but plain data crosses a process boundary.
    """
    start = time.perf_counter()
    try:
        value = objective(params)
        if not isinstance(value, numbers.Real) and not (
                isinstance(value, np.ndarray) and value.size == 1):
            raise TypeError(f"the objective returned {type(value).__name__} {value!r}, "
                            "expected a number")
        value = float(value)
        status, error = ('ok', '') if math.isfinite(value) else (
            'failed', f"the objective returned {value}")
    except Exception as exc:  # noqa: BLE001 -- a failed trial must not stop the search
        value, status, error = math.nan, 'failed', f"{type(exc).__name__}: {exc}"
    return value, time.perf_counter() - start, status, error


class _InlineExecutor(concurrent.futures.Executor):
    """Runs each submitted call at once, in this process: the sequential default."""

    def submit(self, fn, *args, **kwargs):
        future = concurrent.futures.Future()
        future.set_result(fn(*args, **kwargs))
        return future


class Search:
    """Base class of the search methods: the loop, failures, CSV log, resume and Ctrl-C.

    Subclasses may implement ``start(space, rng)``, called once per run, and implement
    ``propose(space, finished, pending, rng)`` returning a list of
    (trial number, params) to start now (empty when they have nothing more to start).
    ``finished`` is the list of finished ``Trial`` s, ``pending`` the list of
    (number, params) still running. ``seed`` seeds ``numpy.random.default_rng``.
    During ``run``, ``self.direction`` holds the direction being optimized.
    """

    def __init__(self, seed=None):
        self.seed = seed

    def start(self, space, rng):
        """Called once at the start of ``run``, before the first ``propose``."""

    def propose(self, space, finished, pending, rng):
        raise NotImplementedError

    def run(self, objective, space, direction='minimize', executor=None, csv_path=None):
        """Run the search; returns a ``SearchResult`` (see the module docstring)."""
        if direction not in DIRECTIONS:
            raise ValueError(f"direction must be 'minimize' or 'maximize', got {direction!r}")
        space = Space(space)
        self.direction = direction
        rng = np.random.default_rng(self.seed)
        self.start(space, rng)
        finished = read_trials(csv_path, space) if csv_path else []
        if csv_path:
            write_header_if_new(csv_path, space)
        executor = executor or _InlineExecutor()
        running = {}                       # future -> (number, params)

        def record(future):
            number, params = running.pop(future)
            try:
                outcome = future.result()
            except Exception as exc:  # noqa: BLE001 -- e.g. an objective that cannot be pickled
                outcome = (math.nan, 0.0, 'failed', f"{type(exc).__name__}: {exc}")
            trial = Trial(number, params, *outcome)
            finished.append(trial)
            if csv_path:
                append_trial(csv_path, trial, space)

        try:
            while True:
                proposals = self.propose(space, finished, list(running.values()), rng)
                for number, params in proposals:
                    future = executor.submit(run_trial, objective, params)
                    running[future] = (number, params)
                    if future.done():
                        record(future)
                if running:
                    done, _ = concurrent.futures.wait(
                        running, return_when=concurrent.futures.FIRST_COMPLETED)
                    for future in done:
                        record(future)
                elif not proposals:
                    break
        except KeyboardInterrupt:
            for future in running:
                future.cancel()
            return SearchResult(finished, space, direction, interrupted=True)
        return SearchResult(finished, space, direction)


def _not_started(configs, finished, pending):
    """The (number, params) of ``configs`` (a list indexed by trial number) not yet started."""
    started = {t.number for t in finished} | {number for number, _ in pending}
    return [(i, params) for i, params in enumerate(configs) if i not in started]


class GridSearch(Search):
    """Tries every configuration of the grid: the Cartesian product of each parameter's
    values (a ``Choice``'s values, every integer of an ``IntUniform``, ``grid=n`` evenly
    spaced values of a continuous range -- in log space for ``LogUniform``).

    >>> from minidl.tuning.space import IntUniform, Uniform
    >>> len(GridSearch().run(lambda p: p['a'] + p['b'],
    ...                      {'a': IntUniform(0, 2), 'b': Uniform(0, 1, grid=4)}))
    12
    """

    def __init__(self):
        super().__init__(seed=None)

    def start(self, space, rng):
        self.configs = space.grid()

    def propose(self, space, finished, pending, rng):
        return _not_started(self.configs, finished, pending)


class RandomSearch(Search):
    """Tries ``n_trials`` configurations drawn independently from the space
    (Bergstra & Bengio 2012). With a ``seed`` the configurations are the same on every
    run, with or without an executor.

    >>> from minidl.tuning.space import LogUniform
    >>> result = RandomSearch(n_trials=5, seed=1).run(lambda p: p['lr'], {'lr': LogUniform(1e-4, 1)})
    >>> len(result), result.best_value < 0.1
    (5, True)
    """

    def __init__(self, n_trials, seed=None):
        if n_trials < 1:
            raise ValueError(f"RandomSearch: n_trials must be >= 1, got {n_trials!r}")
        super().__init__(seed)
        self.n_trials = n_trials

    def start(self, space, rng):
        self.configs = [space.sample(rng) for _ in range(self.n_trials)]

    def propose(self, space, finished, pending, rng):
        return _not_started(self.configs, finished, pending)

"""Bayesian optimization: a Gaussian process of the objective, and an acquisition function
that picks where to evaluate next (Snoek, Larochelle & Adams, "Practical Bayesian
optimization of machine learning algorithms", NeurIPS 2012; Jones, Schonlau & Welch 1998).

The loop, for a budget of ``n_trials`` evaluations:

1. evaluate ``n_initial`` configurations drawn at random from the space;
2. warp every evaluated configuration to the unit cube (``Space.encode``: linear,
   log for ``LogUniform``, one-hot for ``Choice``) and fit a GP (``gp.py``) to
   (x, y), where y is the value (negated when maximizing, so the GP always sees a
   minimization). Failed trials get the worst value observed, so the search moves away
   from them instead of retrying them;
3. maximize the acquisition (``acquisition.py``: 'ei', 'pi' or 'ucb') over the cube:
   score ``n_candidates`` random configurations plus perturbations of the best ones
   evaluated so far, then refine the 5 best candidates by a local random search whose
   step halves each round; every point is snapped back to a valid configuration
   (integers rounded, one-hots made one-hot);
4. evaluate the winner, and go back to 2.

With an executor, ``batch_size`` trials run at once. While trials are running, their
outcome is not known; a new proposal assumes each running one returned the best value seen
so far (the *constant liar*, Ginsbourg, Le Riche & Carraro 2010), which pushes the batch
apart. ``batch_size=1`` (the default) waits for each trial before proposing the next: the
most sample-efficient, but one worker at a time. The initial random design is submitted
all at once.

The searches' ``seed`` drives the initial design, the candidates and the GP restarts
through one ``numpy.random.default_rng(seed)``; a resumed search reloads its finished trials
and continues from them (its random draws then differ from an uninterrupted run's).

    >>> from minidl.tuning.space import Uniform
    >>> bo = BayesianOptimization(n_trials=12, n_initial=4, seed=0)
    >>> result = bo.run(lambda p: (p['x'] - 0.3) ** 2, {'x': Uniform(-2.0, 2.0)})
    >>> result.best_value < 1e-3
    True
"""
import numpy as np

from .acquisition import get_acquisition
from .gp import GaussianProcess
from .search import Search


class BayesianOptimization(Search):
    """Bayesian optimization with a Matérn 5/2 GP (see the module docstring).

    Args:
        n_trials: total budget of evaluations, the initial random ones included.
        n_initial: random evaluations before the GP is used.
        acquisition: 'ei' (expected improvement), 'pi' (probability of improvement) or
            'ucb' (upper confidence bound).
        seed: seed of the search's ``numpy.random.default_rng``.
        batch_size: trials running at once when an executor is given.
        xi: exploration margin of 'ei' and 'pi', in standard deviations of the values seen.
        kappa: the multiple of sigma in 'ucb'.
        n_candidates: random configurations scored per proposal.
        n_restarts: random restarts of the GP's likelihood maximization.
    """

    def __init__(self, n_trials, n_initial=5, acquisition='ei', seed=None, batch_size=1,
                 xi=0.01, kappa=2.0, n_candidates=1000, n_restarts=2):
        if n_trials < 1 or n_initial < 1 or batch_size < 1:
            raise ValueError("BayesianOptimization: n_trials, n_initial and batch_size must be "
                             f">= 1, got {n_trials}, {n_initial}, {batch_size}")
        super().__init__(seed)
        self.acquisition_name = acquisition
        self.acquisition = get_acquisition(acquisition)
        self.n_trials, self.n_initial, self.batch_size = n_trials, n_initial, batch_size
        self.xi, self.kappa = xi, kappa
        self.n_candidates, self.n_restarts = n_candidates, n_restarts

    def start(self, space, rng):
        self.gp = GaussianProcess(n_restarts=self.n_restarts, seed=rng)

    def propose(self, space, finished, pending, rng):
        n_started = len(finished) + len(pending)
        next_number = 1 + max([t.number for t in finished] + [n for n, _ in pending], default=-1)
        if n_started < self.n_initial:
            n_new = min(self.n_initial, self.n_trials) - n_started
            return [(next_number + i, space.sample(rng)) for i in range(n_new)]
        n_new = min(self.batch_size - len(pending), self.n_trials - n_started)
        if n_new <= 0:
            return []
        ok = [t for t in finished if t.ok]
        if not ok:            # nothing to model yet: keep sampling at random
            return [(next_number + i, space.sample(rng)) for i in range(n_new)]
        sign = 1.0 if self.direction == 'minimize' else -1.0
        X = np.array([space.encode(t.params) for t in finished])
        y_ok = sign * np.array([t.value for t in ok])
        y = np.array([sign * t.value if t.ok else y_ok.max() for t in finished])
        self.gp.fit(X, y)
        lies = [space.encode(params) for _, params in pending]
        proposals = []
        for i in range(n_new):
            if lies:
                self.gp.fit(np.vstack([X] + lies), np.r_[y, [y_ok.min()] * len(lies)],
                            optimize=False)
            u = self._maximize_acquisition(space, X[np.argsort(y)[:3]], y_ok.min(), rng)
            params = space.decode(u)
            proposals.append((next_number + i, params))
            lies.append(space.encode(params))
        return proposals

    def _score(self, U, f_best):
        mu, sigma = self.gp.predict(U)
        return self.acquisition(mu, sigma, f_best, xi=self.xi * self.gp.y_std, kappa=self.kappa)

    def _maximize_acquisition(self, space, X_best, f_best, rng, n_refine=5, n_rounds=4,
                              n_steps=20):
        """The point of the unit cube that maximizes the acquisition (approximately):
        random candidates, perturbations of the best points seen, then local refinement."""
        random_points = np.array([space.encode(space.sample(rng))
                                  for _ in range(self.n_candidates)])
        near_best = space.snap(np.repeat(X_best, 30, axis=0)
                               + 0.05 * rng.standard_normal((30 * len(X_best), space.dim)))
        U = np.vstack([random_points, near_best])
        scores = self._score(U, f_best)
        top = np.argsort(scores)[-n_refine:]
        starts, start_scores = U[top], scores[top]
        for r in range(n_rounds):
            step = 0.1 / 2 ** r
            trial = space.snap(np.repeat(starts, n_steps, axis=0)
                               + step * rng.standard_normal((len(starts) * n_steps, space.dim)))
            trial_scores = self._score(trial, f_best).reshape(len(starts), n_steps)
            best = trial_scores.argmax(axis=1)
            better = trial_scores[np.arange(len(starts)), best] > start_scores
            starts[better] = trial.reshape(len(starts), n_steps, -1)[np.arange(len(starts)), best][better]
            start_scores = np.maximum(start_scores, trial_scores.max(axis=1))
        return starts[np.argmax(start_scores)]

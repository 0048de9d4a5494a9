"""Hyperparameter tuning: search spaces, grid / random / Bayesian search, cross-validation.

One interface for every method (``search.py``)::

    >>> from minidl.tuning import RandomSearch, LogUniform, Choice
    >>> space = {'lr': LogUniform(1e-4, 1e-1), 'optimizer': Choice(['sgd', 'adam'])}
    >>> def objective(params):            # train, then return e.g. the validation loss
    ...     return abs(params['lr'] - 0.01) + (params['optimizer'] == 'sgd')
    >>> result = RandomSearch(n_trials=20, seed=0).run(objective, space)
    >>> result.best_params['optimizer']
    'adam'

Modules, one idea each: ``space`` (distributions and the unit-cube warping), ``gp``
(Gaussian process regression), ``acquisition`` (EI, PI, UCB), ``search`` (the shared loop,
grid and random search), ``bayesian`` (Bayesian optimization), ``results`` (trials, CSV,
plots), ``cross_validation`` (KFold, StratifiedKFold, cross_val_score).

A command-line front end only needs to build a space and an objective (which trains a
model and returns its validation score, e.g. through ``cross_val_score``), pick a search
class by name from ``METHODS``, call ``run`` with a ``csv_path`` and save the two plots.
"""
from .acquisition import (expected_improvement, get_acquisition, probability_of_improvement,
                          upper_confidence_bound)
from .bayesian import BayesianOptimization
from .cross_validation import CrossValScores, KFold, StratifiedKFold, cross_val_score
from .gp import GaussianProcess, matern52
from .results import SearchResult, Trial
from .search import GridSearch, RandomSearch, Search
from .space import Choice, IntUniform, LogUniform, Space, Uniform

METHODS = {'grid': GridSearch, 'random': RandomSearch, 'bayes': BayesianOptimization}

__all__ = ['BayesianOptimization', 'Choice', 'CrossValScores', 'GaussianProcess', 'GridSearch',
           'IntUniform', 'KFold', 'LogUniform', 'METHODS', 'RandomSearch', 'Search',
           'SearchResult', 'Space', 'StratifiedKFold', 'Trial', 'Uniform', 'cross_val_score',
           'expected_improvement', 'get_acquisition', 'matern52', 'probability_of_improvement',
           'upper_confidence_bound']

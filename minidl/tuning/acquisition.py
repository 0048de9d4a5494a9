"""Acquisition functions: how promising an untried point is, given the GP posterior there.

All are written for *minimization* of f (the searches negate the values of a maximized
objective), and all are to be *maximized*. With posterior mean mu(x), standard deviation
sigma(x), the best value observed so far f_best, and z = (f_best - mu - xi) / sigma:

- Expected improvement (Jones, Schonlau & Welch 1998; Snoek, Larochelle & Adams 2012)::

      EI(x) = E[max(f_best - xi - f(x), 0)] = (f_best - mu - xi) * Phi(z) + sigma * phi(z)

- Probability of improvement (Kushner 1964)::

      PI(x) = P(f(x) < f_best - xi) = Phi(z)

- Upper confidence bound (Srinivas et al. 2010) of -f, i.e. the lower bound of f negated::

      UCB(x) = -(mu - kappa * sigma)

where phi(z) = exp(-z^2 / 2) / sqrt(2 pi) is the standard normal density and
Phi(z) = (1 + erf(z / sqrt 2)) / 2 its distribution function. NumPy has no erf, so
``normal_cdf`` applies ``math.erf`` elementwise (exact to double precision).

The three share one signature ``(mu, sigma, f_best, xi, kappa)`` so the search can call
whichever was chosen; each ignores the arguments it has no use for.

    >>> import numpy as np
    >>> round(float(expected_improvement(np.array([0.0]), np.array([1.0]), 0.0)[0]), 6)
    0.398942
    >>> float(probability_of_improvement(np.array([0.0]), np.array([1.0]), 0.0)[0])
    0.5
"""
import math

import numpy as np

_erf = np.vectorize(math.erf, otypes=[float])


def normal_pdf(z):
    """phi(z) = exp(-z^2 / 2) / sqrt(2 pi)."""
    return np.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)


def normal_cdf(z):
    """Phi(z) = (1 + erf(z / sqrt(2))) / 2.

    >>> round(float(normal_cdf(np.array([1.959963984540054]))[0]), 12)
    0.975
    """
    return 0.5 * (1.0 + _erf(np.asarray(z, dtype=float) / math.sqrt(2.0)))


def _improvement(mu, sigma, f_best, xi):
    """(f_best - mu - xi, sigma as an array, z = that improvement / sigma); z is computed with
    sigma = 1 where sigma = 0, where the callers take their limit instead."""
    improvement, sigma = f_best - mu - xi, np.asarray(sigma, dtype=float)
    return improvement, sigma, improvement / np.where(sigma > 0, sigma, 1.0)


def expected_improvement(mu, sigma, f_best, xi=0.0, kappa=None):
    """EI(x) = (f_best - mu - xi) Phi(z) + sigma phi(z), z = (f_best - mu - xi) / sigma;
    where sigma = 0 (a point known exactly), its limit max(f_best - mu - xi, 0)."""
    improvement, sigma, z = _improvement(mu, sigma, f_best, xi)
    return np.where(sigma > 0, improvement * normal_cdf(z) + sigma * normal_pdf(z), np.maximum(improvement, 0.0))


def probability_of_improvement(mu, sigma, f_best, xi=0.0, kappa=None):
    """PI(x) = Phi((f_best - mu - xi) / sigma); where sigma = 0, 1 if mu improves, else 0."""
    improvement, sigma, z = _improvement(mu, sigma, f_best, xi)
    return np.where(sigma > 0, normal_cdf(z), (improvement > 0).astype(float))


def upper_confidence_bound(mu, sigma, f_best=None, xi=None, kappa=2.0):
    """UCB(x) = -(mu - kappa sigma): optimism in the face of uncertainty, for minimization."""
    return -(mu - kappa * sigma)


ACQUISITIONS = {'ei': expected_improvement, 'pi': probability_of_improvement,
                'ucb': upper_confidence_bound}


def get_acquisition(name):
    """The acquisition function called ``name`` ('ei', 'pi' or 'ucb').

    >>> get_acquisition('lcb')
    Traceback (most recent call last):
    ...
    ValueError: unknown acquisition 'lcb': choose one of 'ei', 'pi', 'ucb'
    """
    if name not in ACQUISITIONS:
        raise ValueError(f"unknown acquisition {name!r}: choose one of "
                         + ", ".join(repr(k) for k in ACQUISITIONS))
    return ACQUISITIONS[name]

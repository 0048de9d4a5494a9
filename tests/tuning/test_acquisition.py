import math

import numpy as np
import pytest

from minidl.tuning import (expected_improvement, get_acquisition, probability_of_improvement,
                           upper_confidence_bound)
from minidl.tuning.acquisition import normal_cdf


def test_normal_cdf_known_values():
    np.testing.assert_allclose(normal_cdf(np.array([0.0, 1.0, -1.0, 3.0])),
                               [0.5, 0.8413447460685429, 0.15865525393145707, 0.9986501019683699])


def test_expected_improvement_matches_monte_carlo():
    rng = np.random.default_rng(0)
    mu, sigma, f_best = 0.3, 0.7, 0.5
    samples = mu + sigma * rng.standard_normal(400_000)
    mc = np.mean(np.maximum(f_best - samples, 0))
    ei = expected_improvement(np.array([mu]), np.array([sigma]), f_best)[0]
    assert abs(ei - mc) < 3e-3
    pi = probability_of_improvement(np.array([mu]), np.array([sigma]), f_best)[0]
    assert abs(pi - np.mean(samples < f_best)) < 3e-3


def test_ucb_prefers_low_mean_and_high_uncertainty():
    a = upper_confidence_bound(np.array([0.0, 0.0, 1.0]), np.array([0.1, 0.5, 0.1]), kappa=2.0)
    assert a[1] > a[0] > a[2]
    assert math.isclose(a[0], -(0.0 - 0.2))


def test_unknown_acquisition_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown acquisition 'foo'"):
        get_acquisition('foo')


def test_acquisitions_where_sigma_is_zero_take_their_limits():
    mu, sigma = np.array([0.5, 1.5]), np.array([0.0, 0.0])           # f_best = 1: one improves by 0.5
    assert expected_improvement(mu, sigma, 1.0).tolist() == [0.5, 0.0]
    assert probability_of_improvement(mu, sigma, 1.0).tolist() == [1.0, 0.0]

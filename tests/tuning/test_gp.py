import numpy as np

from minidl.tuning import GaussianProcess, matern52
from minidl.tuning.gp import matern52_grads


def _data(n=12, D=2, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(size=(n, D))
    y = np.sin(3 * X[:, 0]) + X[:, 1] ** 2
    return X, y


def test_matern52_values():
    X = np.array([[0.0], [1.0]])
    K = matern52(X, X, np.array([0.5]), 2.0)
    r = 2.0
    expected = 2.0 * (1 + np.sqrt(5) * r + 5 * r * r / 3) * np.exp(-np.sqrt(5) * r)
    np.testing.assert_allclose(K, [[2.0, expected], [expected, 2.0]])
    X, _ = _data()
    assert np.all(np.linalg.eigvalsh(matern52(X, X, np.ones(2), 1.0)) > -1e-10)


def test_kernel_length_scale_derivative_by_finite_differences():
    X, _ = _data(6, 3)
    ls = np.array([0.3, 0.7, 1.5])
    _, dK = matern52_grads(X, ls, 1.3)
    h = 1e-6
    for d in range(3):
        up, down = ls.copy(), ls.copy()
        up[d] *= np.exp(h)
        down[d] *= np.exp(-h)
        fd = (matern52(X, X, up, 1.3) - matern52(X, X, down, 1.3)) / (2 * h)
        np.testing.assert_allclose(dK[d], fd, atol=1e-7)


def test_posterior_mean_interpolates_noiseless_points():
    X, y = _data(15, 2)
    gp = GaussianProcess(noise=1e-10, seed=0).fit(X, y)
    mean, std = gp.predict(X)
    assert np.max(np.abs(mean - y)) < 1e-6
    assert np.all(std < 1e-3)
    _, std_far = gp.predict(np.array([[5.0, 5.0]]))
    assert std_far[0] > 10 * std.max()


def test_lml_gradient_matches_finite_differences():
    X, y = _data(10, 2)
    y = y + 0.05 * np.random.default_rng(1).standard_normal(len(y))
    for gp in (GaussianProcess(seed=0), GaussianProcess(noise=1e-3, seed=0)):
        gp.fit(X, y, optimize=False)
        n_theta = 4 if gp.fixed_noise is None else 3
        theta = np.log([0.4, 0.9, 1.3, 0.01][:n_theta])
        _, grad = gp.log_marginal_likelihood(theta)
        h = 1e-5
        fd = np.array([(gp.log_marginal_likelihood(theta + h * e, with_grad=False)
                        - gp.log_marginal_likelihood(theta - h * e, with_grad=False)) / (2 * h)
                       for e in np.eye(n_theta)])
        np.testing.assert_allclose(grad, fd, rtol=1e-5, atol=1e-7)


def test_fitting_increases_the_likelihood_and_finds_irrelevant_dimensions():
    rng = np.random.default_rng(0)
    X = rng.uniform(size=(30, 2))
    y = np.sin(6 * X[:, 0])                       # the second input does not matter
    gp = GaussianProcess(seed=0)
    gp.fit(X, y, optimize=False)
    before = gp.log_marginal_likelihood(gp.theta, with_grad=False)
    gp.fit(X, y)
    assert gp.log_marginal_likelihood_value > before
    assert gp.length_scales[1] > 3 * gp.length_scales[0]
    mean, _ = gp.predict(np.array([[0.25, 0.5]]))
    assert abs(mean[0] - np.sin(1.5)) < 0.05


def test_coinciding_points_without_noise_are_a_clear_error():
    import pytest
    X = np.array([[0.2], [0.2], [0.7]])
    with pytest.raises(ValueError, match='GaussianProcess.fit: the kernel matrix of the 3 points is singular'):
        GaussianProcess(noise=0.0).fit(X, np.array([0.0, 1.0, 0.5]), optimize=False)

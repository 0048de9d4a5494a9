"""A Gaussian-process regressor from scratch: Matérn 5/2 kernel with ARD length scales,
a noise term, and hyperparameters fitted by maximizing the log marginal likelihood.

Reference: C. E. Rasmussen & C. K. I. Williams, *Gaussian Processes for Machine Learning*,
MIT Press 2006 (kernel: eq. 4.17; posterior: Algorithm 2.1; LML gradient: eq. 5.9).
This is the surrogate model of Bayesian optimization (Snoek, Larochelle & Adams 2012).
It always runs on CPU NumPy, whatever minidl's device: the matrices are tiny.

Kernel (Matérn 5/2 with automatic relevance determination)::

    r^2     = sum_d (x_d - x'_d)^2 / l_d^2
    k(x,x') = s2 * (1 + sqrt(5) r + 5 r^2 / 3) * exp(-sqrt(5) r)

Targets are standardized (y - mean) / std before fitting, so a constant-mean prior at the
data mean and a signal variance s2 of order one are sensible. The covariance of the
observations is K_y = K + noise * I.

Posterior at test points X* (Algorithm 2.1), with the Cholesky factor K_y = L L^T::

    alpha = L^T \\ (L \\ y)
    mean  = K*^T alpha
    v     = L \\ K*
    var   = s2 - sum(v * v, axis=0)            (plus noise if predicting noisy targets)

Log marginal likelihood and its gradient (eq. 2.30 and 5.9), for theta any hyperparameter::

    log p(y | X, theta) = -1/2 y^T alpha - sum_i log L_ii - n/2 log(2 pi)
    d log p / d theta   = 1/2 trace((alpha alpha^T - K_y^-1) dK_y/dtheta)

The hyperparameters are optimized as theta = log(l_1..l_D, s2, noise) (positive, and on
a scale where steps are relative), with the kernel derivatives::

    dk / dlog l_d = s2 * 5/3 * (1 + sqrt(5) r) exp(-sqrt(5) r) * (x_d - x'_d)^2 / l_d^2
    dk / dlog s2  = k
    dK_y / dlog noise = noise * I

(the first follows from dk/dr = -5/3 s2 r (1 + sqrt(5) r) exp(-sqrt(5) r) and
dr/dlog l_d = -(x_d - x'_d)^2 / (l_d^2 r); the r cancels, so it holds at r = 0 too.)

The optimizer is projected Adam (Kingma & Ba 2015) ascending the LML inside box bounds on
theta, from the previous solution and a few random restarts; the best LML wins. NumPy has no
triangular solve, so ``numpy.linalg.solve`` stands in for it (O(n^3) instead of O(n^2),
irrelevant at the few hundred points a hyperparameter search sees).

Example: noiseless points are interpolated::

    >>> import numpy as np
    >>> X = np.array([[0.1], [0.4], [0.9]]); y = np.sin(6 * X[:, 0])
    >>> gp = GaussianProcess(noise=1e-8, seed=0).fit(X, y)
    >>> mean, std = gp.predict(X)
    >>> bool(np.allclose(mean, y, atol=1e-6)), bool(np.all(std < 1e-3))
    (True, True)
"""
import math

import numpy as np

SQRT5 = math.sqrt(5.0)


def matern52(X1, X2, length_scales, signal_variance):
    """The Matérn 5/2 kernel matrix k(X1[i], X2[j]), shape (len(X1), len(X2)).

    >>> float(matern52(np.zeros((1, 2)), np.zeros((1, 2)), np.ones(2), 2.0)[0, 0])
    2.0
    """
    diff2 = ((X1[:, None, :] - X2[None, :, :]) / length_scales) ** 2
    r = np.sqrt(diff2.sum(-1))
    return signal_variance * (1 + SQRT5 * r + 5.0 / 3.0 * r * r) * np.exp(-SQRT5 * r)


def matern52_grads(X, length_scales, signal_variance):
    """K = matern52(X, X) and its derivatives dK/dlog l_d (stacked, shape (D, n, n))."""
    diff2 = ((X[:, None, :] - X[None, :, :]) / length_scales) ** 2   # (n, n, D)
    r = np.sqrt(diff2.sum(-1))
    e = np.exp(-SQRT5 * r)
    K = signal_variance * (1 + SQRT5 * r + 5.0 / 3.0 * r * r) * e
    dK_dlogl = (signal_variance * 5.0 / 3.0 * (1 + SQRT5 * r) * e)[None] * np.moveaxis(diff2, -1, 0)
    return K, dK_dlogl


class GaussianProcess:
    """GP regression with a Matérn 5/2 ARD kernel and a noise term.

    Args:
        noise: a fixed noise variance (in standardized target units), or None to fit it.
        n_restarts: random restarts of the LML optimization (besides the warm start).
        n_steps: Adam steps per restart.
        seed: seed of the local generator that draws the restarts.
        bounds: box bounds on log(length scale), log(signal variance), log(noise).

    After ``fit``: ``length_scales``, ``signal_variance``, ``noise`` and
    ``log_marginal_likelihood_value`` are set.
    """

    def __init__(self, noise=None, n_restarts=2, n_steps=80, seed=None,
                 bounds=((1e-2, 1e1), (5e-2, 2e1), (1e-6, 1.0))):
        self.fixed_noise = noise
        self.n_restarts, self.n_steps = n_restarts, n_steps
        self.rng = np.random.default_rng(seed)
        self.log_bounds = np.log(np.asarray(bounds, dtype=float))
        self.theta = None

    # -- hyperparameter vector theta = log(l_1..l_D, s2[, noise]) --------------------------
    def _unpack(self, theta):
        D = len(theta) - 1 - (self.fixed_noise is None)
        noise = self.fixed_noise if self.fixed_noise is not None else math.exp(theta[D + 1])
        return np.exp(theta[:D]), math.exp(theta[D]), noise

    def _theta_bounds(self, D):
        rows = [self.log_bounds[0]] * D + [self.log_bounds[1]]
        if self.fixed_noise is None:
            rows.append(self.log_bounds[2])
        b = np.array(rows)
        return b[:, 0], b[:, 1]

    def log_marginal_likelihood(self, theta, with_grad=True):
        """log p(y | X, theta) of the fitted X and standardized y, and (``with_grad``) its
        gradient with respect to theta = log(l_1..l_D, s2[, noise]) (see the module doc).
        An ill-conditioned theta (Cholesky fails) gets -inf."""
        X, y = self.X, self.y
        length_scales, s2, noise = self._unpack(theta)
        n, D = X.shape
        K, dK_dlogl = matern52_grads(X, length_scales, s2)
        Ky = K + noise * np.eye(n)
        try:
            L = np.linalg.cholesky(Ky)
        except np.linalg.LinAlgError:
            return (-np.inf, np.zeros_like(theta)) if with_grad else -np.inf
        L_inv = np.linalg.solve(L, np.eye(n))
        Ky_inv = L_inv.T @ L_inv
        alpha = Ky_inv @ y
        lml = -0.5 * y @ alpha - np.log(np.diag(L)).sum() - 0.5 * n * math.log(2 * math.pi)
        if not with_grad:
            return lml
        W = np.outer(alpha, alpha) - Ky_inv
        grad = [0.5 * np.sum(W * dK) for dK in dK_dlogl]
        grad.append(0.5 * np.sum(W * K))
        if self.fixed_noise is None:
            grad.append(0.5 * noise * np.trace(W))
        return lml, np.array(grad)

    def _adam(self, theta, low, high, lr=0.1, beta1=0.9, beta2=0.999, eps=1e-8):
        """Projected Adam ascent of the LML from theta; returns the best (lml, theta) seen."""
        m = np.zeros_like(theta)
        v = np.zeros_like(theta)
        best = (-np.inf, theta)
        for t in range(1, self.n_steps + 1):
            lml, grad = self.log_marginal_likelihood(theta)
            if lml > best[0]:
                best = (lml, theta.copy())
            if not np.isfinite(lml):
                break
            m = beta1 * m + (1 - beta1) * grad
            v = beta2 * v + (1 - beta2) * grad * grad
            step = lr * (m / (1 - beta1 ** t)) / (np.sqrt(v / (1 - beta2 ** t)) + eps)
            theta = np.clip(theta + step, low, high)
        return best

    def fit(self, X, y, optimize=True):
        """Condition on observations X (n, D) and y (n,); with ``optimize``, first fit the
        hyperparameters by maximizing the log marginal likelihood with restarts."""
        self.X = np.asarray(X, dtype=float)
        y = np.asarray(y, dtype=float)
        self.y_mean = y.mean()
        self.y_std = y.std() if y.std() > 0 else 1.0
        self.y = (y - self.y_mean) / self.y_std
        low, high = self._theta_bounds(self.X.shape[1])
        if self.theta is None or len(self.theta) != len(low):
            self.theta = np.clip(np.r_[np.full(self.X.shape[1], math.log(0.3)), 0.0,
                                       [math.log(1e-3)] * (self.fixed_noise is None)], low, high)
        if optimize:
            starts = [self.theta] + [self.rng.uniform(low, high) for _ in range(self.n_restarts)]
            self.log_marginal_likelihood_value, self.theta = max(
                (self._adam(start, low, high) for start in starts), key=lambda r: r[0])
        self.length_scales, self.signal_variance, self.noise = self._unpack(self.theta)
        Ky = matern52(self.X, self.X, self.length_scales, self.signal_variance)
        Ky += self.noise * np.eye(len(self.X))
        try:
            self.L = np.linalg.cholesky(Ky)
        except np.linalg.LinAlgError:
            raise ValueError(f"GaussianProcess.fit: the kernel matrix of the {len(self.X)} points is singular "
                             f"(noise {self.noise:g}): two points coincide or nearly; give noise > 0") from None
        self.alpha = np.linalg.solve(self.L.T, np.linalg.solve(self.L, self.y))
        return self

    def predict(self, Xs):
        """Posterior mean and standard deviation of the latent function at Xs (m, D),
        in the original units of y."""
        Ks = matern52(self.X, np.asarray(Xs, dtype=float), self.length_scales,
                      self.signal_variance)
        mean = Ks.T @ self.alpha
        v = np.linalg.solve(self.L, Ks)
        var = np.maximum(self.signal_variance - np.sum(v * v, axis=0), 1e-12)
        return self.y_mean + self.y_std * mean, self.y_std * np.sqrt(var)

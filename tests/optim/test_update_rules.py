"""Three steps of every optimizer, for every option combination, against the formulas.

The expected values are computed here in float64 NumPy, written the way the papers write
the algorithms (e.g. Adam with explicit bias-corrected m̂ and v̂), not by calling the
optimizer. The gradients are a fixed sequence set on ``p.grad`` by hand.
"""
import itertools
import math

import numpy
import pytest

import minidl
from minidl import optim
from minidl.nn import Parameter

P0 = numpy.array([0.5, -1.5, 2.0, 0.0])
GRADS = [numpy.array([1.0, -2.0, 0.5, 0.0]),      # a large first gradient, then smaller ones,
         numpy.array([0.1, 0.3, -0.2, 0.4]),      # so that AMSGrad's running max matters
         numpy.array([-0.4, 0.05, 0.6, -0.3]),
         numpy.array([0.2, -0.1, 0.1, 0.2]),
         numpy.array([0.3, 0.2, -0.5, 0.1]),
         numpy.array([-0.1, 0.4, 0.2, -0.2]),
         numpy.array([0.05, -0.3, 0.3, 0.3]),
         numpy.array([0.2, 0.1, -0.1, -0.1])]


def run_optimizer(make_optimizer, steps=3):
    """The parameter after each of ``steps`` steps, as float64 NumPy arrays."""
    p = Parameter(minidl.tensor(P0, dtype=minidl.float64))
    opt = make_optimizer([p])
    trajectory = []
    for grad in GRADS[:steps]:
        p.grad = minidl.tensor(grad, dtype=minidl.float64)
        opt.step()
        trajectory.append(p.numpy().copy())
    return trajectory


def assert_trajectory(make_optimizer, expected):
    for step, (got, want) in enumerate(zip(run_optimizer(make_optimizer, len(expected)), expected), 1):
        numpy.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14, err_msg=f"step {step}")


def combos(**options):
    names = list(options)
    return [dict(zip(names, values)) for values in itertools.product(*options.values())]


# ---------------------------------------------------------------------------------- SGD
SGD_OPTIONS = [o for o in combos(momentum=[0, 0.9], dampening=[0, 0.3], nesterov=[False, True],
                                 weight_decay=[0, 0.1], maximize=[False, True])
               if not (o['nesterov'] and (o['momentum'] == 0 or o['dampening'] != 0))]


@pytest.mark.parametrize('options', SGD_OPTIONS, ids=str)
def test_sgd(options):
    lr, mu, tau, lam = 0.1, options['momentum'], options['dampening'], options['weight_decay']
    theta, b, expected = P0.copy(), None, []
    for t, g in enumerate(GRADS[:3], 1):
        g = -g if options['maximize'] else g
        g = g + lam * theta
        if mu:
            b = g if t == 1 else mu * b + (1 - tau) * g
            g = g + mu * b if options['nesterov'] else b
        theta = theta - lr * g
        expected.append(theta)
    assert_trajectory(lambda ps: optim.SGD(ps, lr=lr, **options), expected)


# ------------------------------------------------------------------------------ RMSprop
@pytest.mark.parametrize('options', combos(momentum=[0, 0.5], centered=[False, True],
                                           weight_decay=[0, 0.1], maximize=[False, True]), ids=str)
def test_rmsprop(options):
    lr, alpha, eps, mu, lam = 0.01, 0.9, 1e-8, options['momentum'], options['weight_decay']
    theta, v, g_avg, b, expected = P0.copy(), 0.0, 0.0, 0.0, []
    for g in GRADS[:3]:
        g = -g if options['maximize'] else g
        g = g + lam * theta
        v = alpha * v + (1 - alpha) * g ** 2
        if options['centered']:
            g_avg = alpha * g_avg + (1 - alpha) * g
            rms = numpy.sqrt(v - g_avg ** 2) + eps
        else:
            rms = numpy.sqrt(v) + eps
        if mu > 0:
            b = mu * b + g / rms
            theta = theta - lr * b
        else:
            theta = theta - lr * g / rms
        expected.append(theta)
    assert_trajectory(lambda ps: optim.RMSprop(ps, lr=lr, alpha=alpha, **options), expected)


# --------------------------------------------------------------------------- Adam, AdamW
@pytest.mark.parametrize('options', combos(amsgrad=[False, True], weight_decay=[0, 0.1],
                                           maximize=[False, True], decoupled=[False, True]), ids=str)
def test_adam_and_adamw(options):
    lr, beta1, beta2, eps, lam = 0.1, 0.8, 0.9, 1e-8, options['weight_decay']
    theta, m, v, v_max, expected = P0.copy(), 0.0, 0.0, 0.0, []
    for t, g in enumerate(GRADS[:3], 1):
        g = -g if options['maximize'] else g
        if options['decoupled']:
            theta = theta * (1 - lr * lam)
        else:
            g = g + lam * theta
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g ** 2
        m_hat = m / (1 - beta1 ** t)
        if options['amsgrad']:
            v_max = numpy.maximum(v_max, v)
            v_hat = v_max / (1 - beta2 ** t)
        else:
            v_hat = v / (1 - beta2 ** t)
        theta = theta - lr * m_hat / (numpy.sqrt(v_hat) + eps)
        expected.append(theta)
    kwargs = dict(lr=lr, betas=(beta1, beta2), eps=eps, amsgrad=options['amsgrad'],
                  weight_decay=lam, maximize=options['maximize'])
    Optimizer = optim.AdamW if options['decoupled'] else optim.Adam
    assert_trajectory(lambda ps: Optimizer(ps, **kwargs), expected)


def test_amsgrad_changes_the_trajectory_of_these_gradients():
    plain = run_optimizer(lambda ps: optim.Adam(ps, lr=0.1, betas=(0.8, 0.9)))
    amsgrad = run_optimizer(lambda ps: optim.Adam(ps, lr=0.1, betas=(0.8, 0.9), amsgrad=True))
    assert not numpy.allclose(plain[-1], amsgrad[-1])


# ------------------------------------------------------------------------------ Adagrad
@pytest.mark.parametrize('options', combos(lr_decay=[0, 0.5], weight_decay=[0, 0.1],
                                           initial_accumulator_value=[0, 0.5],
                                           maximize=[False, True]), ids=str)
def test_adagrad(options):
    lr, eps, lam = 0.1, 1e-10, options['weight_decay']
    theta, s, expected = P0.copy(), options['initial_accumulator_value'], []
    for t, g in enumerate(GRADS[:3], 1):
        g = -g if options['maximize'] else g
        g = g + lam * theta
        s = s + g ** 2
        theta = theta - lr / (1 + (t - 1) * options['lr_decay']) * g / (numpy.sqrt(s) + eps)
        expected.append(theta)
    assert_trajectory(lambda ps: optim.Adagrad(ps, lr=lr, **options), expected)


# -------------------------------------------------------------------------------- NAdam
def nadam_mu(t, beta1, psi):
    return beta1 * (1 - 0.5 * 0.96 ** (t * psi))


@pytest.mark.parametrize('options', combos(weight_decay=[0, 0.1], decoupled_weight_decay=[False, True],
                                           maximize=[False, True]), ids=str)
def test_nadam(options):
    lr, beta1, beta2, eps, psi, lam = 0.1, 0.8, 0.9, 1e-8, 0.4, options['weight_decay']
    theta, m, v, expected = P0.copy(), 0.0, 0.0, []
    for t, g in enumerate(GRADS[:3], 1):
        g = -g if options['maximize'] else g
        if options['decoupled_weight_decay']:
            theta = theta * (1 - lr * lam)
        else:
            g = g + lam * theta
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g ** 2
        prod_t = math.prod(nadam_mu(i, beta1, psi) for i in range(1, t + 1))
        prod_next = prod_t * nadam_mu(t + 1, beta1, psi)
        m_hat = (nadam_mu(t + 1, beta1, psi) * m / (1 - prod_next)
                 + (1 - nadam_mu(t, beta1, psi)) * g / (1 - prod_t))
        v_hat = v / (1 - beta2 ** t)
        theta = theta - lr * m_hat / (numpy.sqrt(v_hat) + eps)
        expected.append(theta)
    assert_trajectory(lambda ps: optim.NAdam(ps, lr=lr, betas=(beta1, beta2), eps=eps,
                                             momentum_decay=psi, **options), expected)


# -------------------------------------------------------------------------------- RAdam
@pytest.mark.parametrize('options', combos(weight_decay=[0, 0.1], decoupled_weight_decay=[False, True],
                                           maximize=[False, True]), ids=str)
def test_radam(options):
    """Eight steps: ρ_t ≤ 5 for the first ones (momentum steps), then rectified Adam steps."""
    lr, beta1, beta2, eps, lam = 0.1, 0.8, 0.99, 1e-8, options['weight_decay']
    rho_inf = 2 / (1 - beta2) - 1
    theta, m, v, expected, rectified = P0.copy(), 0.0, 0.0, [], []
    for t, g in enumerate(GRADS, 1):
        g = -g if options['maximize'] else g
        if options['decoupled_weight_decay']:
            theta = theta * (1 - lr * lam)
        else:
            g = g + lam * theta
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g ** 2
        m_hat = m / (1 - beta1 ** t)
        rho_t = rho_inf - 2 * t * beta2 ** t / (1 - beta2 ** t)
        rectified.append(rho_t > 5)
        if rho_t > 5:
            l_t = math.sqrt(1 - beta2 ** t) / (numpy.sqrt(v) + eps)
            r_t = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
            theta = theta - lr * m_hat * r_t * l_t
        else:
            theta = theta - lr * m_hat
        expected.append(theta)
    assert any(rectified) and not all(rectified)          # both branches are exercised
    assert_trajectory(lambda ps: optim.RAdam(ps, lr=lr, betas=(beta1, beta2), eps=eps, **options),
                      expected)


# ----------------------------------------------------------------------- all optimizers
ALL = [lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9), lambda ps: optim.RMSprop(ps, centered=True, momentum=0.5),
       lambda ps: optim.Adam(ps, amsgrad=True), lambda ps: optim.AdamW(ps), lambda ps: optim.Adagrad(ps),
       lambda ps: optim.NAdam(ps), lambda ps: optim.RAdam(ps)]


@pytest.mark.parametrize('make', ALL, ids=['SGD', 'RMSprop', 'Adam', 'AdamW', 'Adagrad', 'NAdam', 'RAdam'])
def test_updates_in_place_keeping_dtype_and_leave_the_gradient_alone(make):
    p = Parameter(minidl.tensor([0.5, -1.0, 2.0]))                      # float32
    array = p.data
    opt = make([p])
    for _ in range(2):
        p.grad = minidl.tensor([0.3, -0.2, 0.1])
        grad = p.grad.numpy().copy()
        opt.step()
        numpy.testing.assert_array_equal(p.grad.numpy(), grad)
    assert p.data is array and p.dtype == numpy.float32
    assert not p.numpy().tolist() == [0.5, -1.0, 2.0]
    assert p.grad_fn is None and p.grad.grad_fn is None

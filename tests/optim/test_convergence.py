"""Each optimizer minimizes the Rosenbrock function and an ill-conditioned quadratic.

Gradients are written out by hand (the optimizers are under test here, not autograd), and
learning rates are tuned per optimizer. The adaptive methods must beat plain SGD on the
quadratic: they rescale each coordinate, while SGD's rate is capped by the stiffest one.
"""
import numpy
import pytest

import minidl
from minidl import optim
from minidl.backend import get_array_module
from minidl.nn import Parameter


def rosenbrock(xy):
    """f = (1 - x)² + 100 (y - x²)², minimum 0 at (1, 1); returns (f, ∇f) on xp arrays."""
    x, y = xy[0], xy[1]
    loss = (1 - x) ** 2 + 100 * (y - x * x) ** 2
    grad = xy.copy()
    grad[0] = -2 * (1 - x) - 400 * x * (y - x * x)
    grad[1] = 200 * (y - x * x)
    return float(loss), grad


CURVATURES = (1.0, 100.0)                          # condition number 100


def quadratic(xy):
    """f = ½ Σ h_i x_i², minimum 0 at the origin; returns (f, ∇f)."""
    h = get_array_module(xy).asarray(CURVATURES)
    return float((0.5 * h * xy * xy).sum()), h * xy


def minimize(make_optimizer, objective, start, steps):
    p = Parameter(minidl.tensor(start, dtype=minidl.float64))
    opt = make_optimizer([p])
    for _ in range(steps):
        _, grad = objective(p.data)
        p.grad = minidl.Tensor(grad)
        opt.step()
    return objective(p.data)[0]


ROSENBROCK_START, ROSENBROCK_STEPS = [-1.2, 1.0], 2000
# name, optimizer, loss that must be reached on Rosenbrock (measured in the comment)
ROSENBROCK = [
    ('SGD', lambda ps: optim.SGD(ps, lr=1e-3, momentum=0.9), 1e-7),               # 6.0e-9
    ('RMSprop', lambda ps: optim.RMSprop(ps, lr=3e-4, momentum=0.9), 1e-5),       # 4.6e-7
    ('Adam', lambda ps: optim.Adam(ps, lr=0.1), 1e-12),                           # 6.7e-17
    ('AdamW', lambda ps: optim.AdamW(ps, lr=0.1, weight_decay=1e-4), 1e-5),       # 2.1e-7
    ('Adagrad', lambda ps: optim.Adagrad(ps, lr=1.0), 1e-2),                      # 5.9e-3
    ('NAdam', lambda ps: optim.NAdam(ps, lr=0.03), 5e-3),                         # 1.6e-3
    ('RAdam', lambda ps: optim.RAdam(ps, lr=3e-3, betas=(0.9, 0.99)), 1e-6),      # 8.8e-8
]


@pytest.mark.parametrize('name, make, tolerance', ROSENBROCK, ids=[case[0] for case in ROSENBROCK])
def test_minimizes_rosenbrock(name, make, tolerance):
    start_loss = rosenbrock(numpy.array(ROSENBROCK_START))[0]
    loss = minimize(make, rosenbrock, ROSENBROCK_START, ROSENBROCK_STEPS)
    assert loss < tolerance < start_loss, f"{name}: Rosenbrock loss {loss:.3g} after {ROSENBROCK_STEPS} steps"


QUADRATIC_START, QUADRATIC_STEPS = [1.0, 1.0], 200
PLAIN_SGD = lambda ps: optim.SGD(ps, lr=0.019)      # noqa: E731  (just under 2 / h_max, the best SGD can do)
ADAPTIVE = [
    ('RMSprop', lambda ps: optim.RMSprop(ps, lr=0.03), 1e-60),                    # 6.8e-75
    ('Adam', lambda ps: optim.Adam(ps, lr=0.1), 1e-8),                            # 2.6e-9
    ('AdamW', lambda ps: optim.AdamW(ps, lr=0.1, weight_decay=1e-4), 1e-8),       # 2.6e-9
    ('Adagrad', lambda ps: optim.Adagrad(ps, lr=0.3), 1e-30),                     # 2.2e-38
    ('NAdam', lambda ps: optim.NAdam(ps, lr=0.1), 1e-25),                         # 2.9e-31
    ('RAdam', lambda ps: optim.RAdam(ps, lr=0.02, betas=(0.9, 0.99)), 1e-5),      # 3.6e-6
]


def test_plain_sgd_crawls_along_the_flat_direction_of_the_quadratic():
    loss = minimize(PLAIN_SGD, quadratic, QUADRATIC_START, QUADRATIC_STEPS)
    # the flat coordinate shrinks by (1 - 0.019) per step: ½ (0.981^200)² ≈ 2.3e-4
    assert loss == pytest.approx(0.5 * 0.981 ** 400, rel=1e-6)


@pytest.mark.parametrize('name, make, tolerance', ADAPTIVE, ids=[case[0] for case in ADAPTIVE])
def test_adaptive_optimizers_beat_sgd_on_the_ill_conditioned_quadratic(name, make, tolerance):
    sgd_loss = minimize(PLAIN_SGD, quadratic, QUADRATIC_START, QUADRATIC_STEPS)
    loss = minimize(make, quadratic, QUADRATIC_START, QUADRATIC_STEPS)
    assert loss < tolerance
    assert loss < sgd_loss / 10, f"{name}: {loss:.3g} vs plain SGD {sgd_loss:.3g}"

"""A5 checks: SGD (momentum, dampening, Nesterov), RMSprop and Adam updates; Adam trains an MLP."""
import numpy

from ... import functional as F
from ...autograd.tensor import Tensor
from ...nn import Parameter
from ...optim import SGD, Adam, RMSprop
from ...optim.adam import update_moments
from ..grader import Checklist, expect_close
from ._training import digits, fit, require_accuracy, weight

CHECKS = Checklist()
NO_BIAS_CORRECTION = ("Adam without bias correction: m and v start at 0, so divide them by "
                      "1 - beta1^t and 1 - beta2^t (t = the step count, from 1)")
NO_MOMENTUM = "momentum ignored: the step must use the momentum buffer b = momentum · b + (1 - dampening) · g"
EPS_INSIDE = "eps goes outside the square root: θ ← θ - lr · g / (sqrt(v) + eps)"


class _AdamWithoutBiasCorrection(Adam):
    def update(self, param, grad, state, group):
        _, exp_avg, exp_avg_sq = update_moments(state, param, grad, *group['betas'])
        param -= group['lr'] * exp_avg / (numpy.sqrt(exp_avg_sq) + group['eps'])


class _RMSpropEpsInside(RMSprop):
    def update(self, param, grad, state, group):
        square_avg = state.setdefault('square_avg', numpy.zeros_like(param))
        square_avg *= group['alpha']
        square_avg += (1 - group['alpha']) * grad * grad
        param -= group['lr'] * grad / numpy.sqrt(square_avg + group['eps'])


def _trajectory(optimizer, settings, steps=25):
    """The parameter after each of ``steps`` updates from fixed random gradients, (steps, 3, 4)."""
    rng = numpy.random.default_rng(0)
    param = Parameter(Tensor(rng.standard_normal((3, 4))))
    opt = optimizer([param], **settings)
    path = []
    for _ in range(steps):
        param.grad = Tensor(rng.standard_normal((3, 4)) * 0.01)
        opt.step()
        path.append(param.numpy().copy())
    return numpy.stack(path)


def _compare(name, student, reference, settings, variants=()):
    want = _trajectory(reference, settings)
    expect_close(f"{name}({', '.join(f'{k}={v}' for k, v in settings.items())}) after each of 25 steps",
                 _trajectory(student, settings), want,
                 [(_trajectory(variant, {**settings, **tweak}), hint) for variant, tweak, hint in variants])


@CHECKS('SGD vs reference (plain, momentum, dampening, Nesterov, weight decay)')
def _sgd(s):
    for settings in [dict(lr=0.1), dict(lr=0.1, momentum=0.9), dict(lr=0.1, momentum=0.9, dampening=0.5),
                     dict(lr=0.1, momentum=0.9, nesterov=True), dict(lr=0.1, momentum=0.5, weight_decay=0.1)]:
        variants = [] if settings.get('nesterov') else [(SGD, dict(momentum=0), NO_MOMENTUM)]
        _compare('SGD', s.SGD, SGD, settings, variants)


@CHECKS('RMSprop vs reference (plain, centered, momentum)')
def _rmsprop(s):
    for settings in [dict(lr=0.01, eps=1e-3), dict(lr=0.01, centered=True), dict(lr=0.01, momentum=0.9),
                     dict(lr=0.01, alpha=0.9, weight_decay=0.1)]:
        variants = [(_RMSpropEpsInside, {}, EPS_INSIDE)] if set(settings) == {'lr', 'eps'} else []
        _compare('RMSprop', s.RMSprop, RMSprop, settings, variants)


@CHECKS('Adam vs reference (bias correction, AMSGrad, weight decay, AdamW)')
def _adam(s):
    for settings in [dict(lr=0.01), dict(lr=0.01, betas=(0.8, 0.99)), dict(lr=0.01, amsgrad=True),
                     dict(lr=0.01, weight_decay=0.1), dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)]:
        _compare('Adam', s.Adam, Adam, settings, [(_AdamWithoutBiasCorrection, {}, NO_BIAS_CORRECTION)])


@CHECKS('your Adam trains an MLP to 90% on digits')
def _train(s):
    x, y, x_test, y_test = digits()
    rng = numpy.random.default_rng(0)
    w1, b1, w2, b2 = weight(rng, 32, 64), weight(rng, 32), weight(rng, 10, 32), weight(rng, 10)

    def forward(x):
        return F.relu(x @ w1.T + b1) @ w2.T + b2

    fit(forward, [w1, b1, w2, b2], x, y, steps=300, lr=1e-2, optimizer=s.Adam)
    require_accuracy(forward, x_test, y_test, 0.90, 'MLP trained with your Adam')

"""Trajectories and schedules match PyTorch's (skipped where PyTorch is not installed).

The formula tests stand on their own; this is the second witness that "PyTorch's exact
update formulas and defaults" holds: the same gradients give the same parameters in
float64, and the same schedule gives the same learning rates.
"""
import numpy
import pytest

import minidl
from minidl import optim
from minidl.nn import Parameter
from minidl.optim import lr_scheduler

torch = pytest.importorskip('torch')
pytestmark = pytest.mark.slow          # importing PyTorch takes seconds

START = numpy.array([0.5, -1.5, 2.0, 0.0, 1e-3])
GRADS = numpy.random.default_rng(0).normal(size=(12, 5))

OPTIMIZERS = [
    ('SGD', dict(lr=0.1)),
    ('SGD', dict(lr=0.1, momentum=0.9, dampening=0.2, weight_decay=0.1, maximize=True)),
    ('SGD', dict(lr=0.1, momentum=0.9, nesterov=True)),
    ('RMSprop', dict()),
    ('RMSprop', dict(lr=0.05, alpha=0.9, momentum=0.5, centered=True, weight_decay=0.1)),
    ('Adam', dict()),
    ('Adam', dict(lr=0.1, betas=(0.8, 0.9), amsgrad=True, weight_decay=0.1, maximize=True)),
    ('AdamW', dict()),
    ('AdamW', dict(lr=0.1, weight_decay=0.3, amsgrad=True)),
    ('Adagrad', dict()),
    ('Adagrad', dict(lr=0.1, lr_decay=0.1, initial_accumulator_value=0.5, weight_decay=0.1)),
    ('NAdam', dict()),
    ('NAdam', dict(lr=0.1, weight_decay=0.1, decoupled_weight_decay=True, momentum_decay=0.1)),
    ('RAdam', dict(lr=0.1, betas=(0.8, 0.99))),
    ('RAdam', dict(lr=0.1, betas=(0.8, 0.99), weight_decay=0.1, decoupled_weight_decay=True)),
]


@pytest.fixture
def torch_float64():
    """PyTorch keeps scalar state (step, NAdam's mu_product) in its default dtype: use float64."""
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(previous)


@pytest.mark.parametrize('name, kwargs', OPTIMIZERS, ids=[f'{n}-{k}' for n, k in OPTIMIZERS])
def test_optimizer_trajectory_matches_pytorch(name, kwargs, torch_float64):
    ours = Parameter(minidl.tensor(START, dtype=minidl.float64))
    theirs = torch.tensor(START, dtype=torch.float64, requires_grad=True)
    our_opt, their_opt = getattr(optim, name)([ours], **kwargs), getattr(torch.optim, name)([theirs], **kwargs)
    for grad in GRADS:
        ours.grad = minidl.tensor(grad, dtype=minidl.float64)
        theirs.grad = torch.tensor(grad, dtype=torch.float64)
        our_opt.step()
        their_opt.step()
        numpy.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), rtol=1e-10, atol=1e-13)


SCHEDULES = [
    ('StepLR', dict(step_size=7, gamma=0.5)),
    ('MultiStepLR', dict(milestones=[10, 30, 30, 75], gamma=0.3)),
    ('ExponentialLR', dict(gamma=0.97)),
    ('CosineAnnealingLR', dict(T_max=30, eta_min=0.01)),
    ('CosineAnnealingWarmRestarts', dict(T_0=10, T_mult=2, eta_min=0.001)),
    ('LinearLR', dict()),
    ('LinearLR', dict(start_factor=1.0, end_factor=0.1, total_iters=50)),
    ('OneCycleLR', dict(max_lr=2.0, total_steps=101)),
    ('OneCycleLR', dict(max_lr=2.0, total_steps=101, anneal_strategy='linear', three_phase=True)),
]


@pytest.mark.parametrize('name, kwargs', SCHEDULES, ids=[f'{n}-{k}' for n, k in SCHEDULES])
def test_schedule_matches_pytorch(name, kwargs):
    ours = optim.SGD([Parameter(minidl.zeros(1))], lr=0.5, momentum=0.9)
    theirs = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.5, momentum=0.9)
    our_schedule = getattr(lr_scheduler, name)(ours, **kwargs)
    their_schedule = getattr(torch.optim.lr_scheduler, name)(theirs, **kwargs)
    for _ in range(100):
        assert our_schedule.get_last_lr() == pytest.approx(their_schedule.get_last_lr(), rel=1e-9, abs=1e-15)
        assert ours.param_groups[0]['momentum'] == pytest.approx(theirs.param_groups[0]['momentum'])
        ours.step()
        theirs.step()
        our_schedule.step()
        their_schedule.step()


def test_warmup_then_cosine_and_plateau_match_pytorch():
    ours = optim.SGD([Parameter(minidl.zeros(1))], lr=0.5)
    theirs = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.5)
    chains = []
    for opt, lib in ((ours, lr_scheduler), (theirs, torch.optim.lr_scheduler)):
        chains.append(lib.SequentialLR(opt, [lib.LinearLR(opt, start_factor=0.1, total_iters=10),
                                             lib.CosineAnnealingLR(opt, T_max=90)], milestones=[10]))
    plateaus = [lr_scheduler.ReduceLROnPlateau(optim.SGD([Parameter(minidl.zeros(1))], lr=0.5),
                                               patience=2, cooldown=1, factor=0.5),
                torch.optim.lr_scheduler.ReduceLROnPlateau(
                    torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.5),
                    patience=2, cooldown=1, factor=0.5)]
    metrics = numpy.random.default_rng(1).uniform(size=100).cumsum() / numpy.arange(1, 101)
    for metric in metrics:
        assert chains[0].get_last_lr() == pytest.approx(chains[1].get_last_lr(), rel=1e-9)
        ours.step()
        theirs.step()
        for chain in chains:
            chain.step()
        for plateau in plateaus:
            plateau.step(float(metric))
        assert plateaus[0].get_last_lr() == pytest.approx(plateaus[1].get_last_lr(), rel=1e-12)

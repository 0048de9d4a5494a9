"""Learning-rate schedules: 100 steps of each against its closed form, written out here; state
dicts that resume exactly, and states of other schedulers that are refused."""
import copy
import math

import pytest

import minidl
from minidl import optim
from minidl.nn import Parameter
from minidl.optim import lr_scheduler as sched

BASE_LR = 0.5
STEPS = 100


def sgd(lr=BASE_LR, **kwargs):
    return optim.SGD([Parameter(minidl.zeros(2))], lr=lr, **kwargs)


def lr_sequence(opt, scheduler, steps=STEPS):
    """The lr used by each of ``steps`` optimizer steps (epochs 0 .. steps - 1)."""
    lrs = []
    for _ in range(steps):
        lrs.append(opt.param_groups[0]['lr'])
        assert scheduler.get_last_lr() == [group['lr'] for group in opt.param_groups]
        opt.step()
        scheduler.step()
    return lrs


def assert_schedule(scheduler_factory, closed_form, **optimizer_kwargs):
    opt = sgd(**optimizer_kwargs)
    scheduler = scheduler_factory(opt)
    expected = [closed_form(t) for t in range(STEPS)]
    assert lr_sequence(opt, scheduler) == pytest.approx(expected, rel=1e-12, abs=1e-15)


def test_building_a_scheduler_records_initial_lr_and_counts_as_step_zero():
    opt = sgd()
    scheduler = sched.StepLR(opt, step_size=2)
    assert opt.param_groups[0]['initial_lr'] == BASE_LR and scheduler.last_epoch == 0
    assert scheduler.base_lrs == [BASE_LR] and scheduler.get_last_lr() == [BASE_LR]
    with pytest.raises(KeyError, match="has no 'initial_lr'"):
        sched.StepLR(sgd(), step_size=2, last_epoch=5)


def test_lambda_lr_one_function_per_group():
    a, b = Parameter(minidl.zeros(1)), Parameter(minidl.zeros(1))
    opt = optim.SGD([{'params': [a]}, {'params': [b], 'lr': 0.1}], lr=1.0)
    scheduler = sched.LambdaLR(opt, [lambda t: 0.9 ** t, lambda t: 1 / (t + 1)])
    for t in range(1, STEPS):
        scheduler.step()
        assert scheduler.get_last_lr() == pytest.approx([0.9 ** t, 0.1 / (t + 1)], rel=1e-12)
    with pytest.raises(ValueError, match='expected 2 values of lr_lambda'):
        sched.LambdaLR(opt, [lambda t: 1.0])


CLOSED_FORMS = {
    'LambdaLR': (lambda o: sched.LambdaLR(o, lambda t: 0.95 ** t),
                 lambda t: BASE_LR * 0.95 ** t),
    'StepLR': (lambda o: sched.StepLR(o, step_size=7, gamma=0.5),
               lambda t: BASE_LR * 0.5 ** (t // 7)),
    'MultiStepLR': (lambda o: sched.MultiStepLR(o, milestones=[75, 10, 30, 30], gamma=0.3),
                    lambda t: BASE_LR * 0.3 ** ((t >= 10) + 2 * (t >= 30) + (t >= 75))),
    'ExponentialLR': (lambda o: sched.ExponentialLR(o, gamma=0.97),
                      lambda t: BASE_LR * 0.97 ** t),
    'CosineAnnealingLR': (lambda o: sched.CosineAnnealingLR(o, T_max=30, eta_min=0.01),
                          lambda t: 0.01 + (BASE_LR - 0.01) * (1 + math.cos(math.pi * t / 30)) / 2),
    'LinearLR-defaults': (lambda o: sched.LinearLR(o),
                          lambda t: BASE_LR * (1 / 3 + (2 / 3) * min(t, 5) / 5)),
    'LinearLR-decay': (lambda o: sched.LinearLR(o, start_factor=1.0, end_factor=0.1, total_iters=50),
                       lambda t: BASE_LR * (1.0 - 0.9 * min(t, 50) / 50)),
    'InverseTimeDecay': (lambda o: sched.InverseTimeDecay(o, decay_rate=0.5, decay_steps=10),
                         lambda t: BASE_LR / (1 + 0.5 * t / 10)),
    'InverseTimeDecay-staircase': (
        lambda o: sched.InverseTimeDecay(o, decay_rate=0.5, decay_steps=10, staircase=True),
        lambda t: BASE_LR / (1 + 0.5 * (t // 10))),
    'SequentialLR-warmup-cosine': (
        lambda o: sched.SequentialLR(o, [sched.LinearLR(o, start_factor=0.1, total_iters=10),
                                         sched.CosineAnnealingLR(o, T_max=90)], milestones=[10]),
        lambda t: (BASE_LR * (0.1 + 0.9 * t / 10) if t < 10
                   else BASE_LR * (1 + math.cos(math.pi * (t - 10) / 90)) / 2)),
    'SequentialLR-three': (
        lambda o: sched.SequentialLR(o, [sched.ExponentialLR(o, gamma=0.9), sched.StepLR(o, 20, 0.5),
                                         sched.ExponentialLR(o, gamma=0.99)], milestones=[5, 50]),
        lambda t: BASE_LR * (0.9 ** t if t < 5 else 0.5 ** ((t - 5) // 20) if t < 50 else 0.99 ** (t - 50))),
}


@pytest.mark.parametrize('name', list(CLOSED_FORMS))
def test_schedule_follows_its_closed_form_for_100_steps(name):
    make, closed_form = CLOSED_FORMS[name]
    assert_schedule(make, closed_form)


def warm_restart_lrs(T_0, T_mult, eta_min, steps=STEPS):
    """SGDR the way the paper counts: T_cur += 1 each epoch; at T_i restart, T_i ← T_i · T_mult."""
    T_cur, T_i, lrs = 0, T_0, []
    for _ in range(steps):
        lrs.append(eta_min + (BASE_LR - eta_min) * (1 + math.cos(math.pi * T_cur / T_i)) / 2)
        T_cur += 1
        if T_cur == T_i:
            T_cur, T_i = 0, T_i * T_mult
    return lrs


@pytest.mark.parametrize('T_0, T_mult', [(10, 1), (10, 2), (3, 3), (1, 10)])
def test_cosine_annealing_warm_restarts(T_0, T_mult):
    opt = sgd()
    scheduler = sched.CosineAnnealingWarmRestarts(opt, T_0=T_0, T_mult=T_mult, eta_min=0.001)
    lrs = lr_sequence(opt, scheduler)
    assert lrs == pytest.approx(warm_restart_lrs(T_0, T_mult, 0.001), rel=1e-12)
    if (T_0, T_mult) == (10, 2):                       # restarts at 10, 30, 70
        assert [lrs[t] for t in (0, 10, 30, 70)] == [BASE_LR] * 4 and lrs[29] < lrs[9] < BASE_LR


def test_cosine_annealing_warm_restarts_takes_fractional_epochs():
    opt = sgd()
    scheduler = sched.CosineAnnealingWarmRestarts(opt, T_0=10, T_mult=2)
    scheduler.step(12.5)                                 # 2.5 epochs into the 20-epoch cycle
    assert scheduler.get_last_lr()[0] == pytest.approx(BASE_LR * (1 + math.cos(math.pi * 2.5 / 20)) / 2)


def one_cycle_closed_form(t, max_lr, total, pct_start, anneal, three_phase):
    initial, minimum = max_lr / 25, max_lr / 25 / 1e4
    if anneal == 'cos':
        interp = lambda a, b, x: b + (a - b) * (1 + math.cos(math.pi * x)) / 2    # noqa: E731
    else:
        interp = lambda a, b, x: a + (b - a) * x                                 # noqa: E731
    up = pct_start * total - 1                             # the step at which max_lr is reached
    if t <= up:
        return interp(initial, max_lr, t / up)
    if not three_phase:
        return interp(max_lr, minimum, (t - up) / (total - 1 - up))
    if t <= 2 * up:
        return interp(max_lr, initial, (t - up) / up)
    return interp(initial, minimum, (t - 2 * up) / (total - 1 - 2 * up))


@pytest.mark.parametrize('anneal, three_phase', [('cos', False), ('linear', False), ('cos', True),
                                                 ('linear', True)])
def test_one_cycle_lr(anneal, three_phase):
    opt = sgd(momentum=0.9)
    scheduler = sched.OneCycleLR(opt, max_lr=2.0, epochs=10, steps_per_epoch=10, anneal_strategy=anneal,
                                 three_phase=three_phase)
    momentums = []
    lrs = []
    for _ in range(STEPS):
        lrs.append(opt.param_groups[0]['lr'])
        momentums.append(opt.param_groups[0]['momentum'])
        opt.step()
        if len(lrs) < STEPS:
            scheduler.step()
    expected = [one_cycle_closed_form(t, 2.0, STEPS, 0.3, anneal, three_phase) for t in range(STEPS)]
    assert lrs == pytest.approx(expected, rel=1e-12)
    assert lrs[0] == pytest.approx(2.0 / 25) and max(lrs) == pytest.approx(2.0)
    assert lrs[-1] == pytest.approx(2.0 / 25 / 1e4)
    # momentum moves against the rate: 0.95 at the start, 0.85 at the peak, back to 0.95
    assert momentums[0] == pytest.approx(0.95) and momentums[29] == pytest.approx(0.85)
    assert momentums[-1] == pytest.approx(0.95)
    scheduler.step()                                        # step 100 = total_steps is allowed,
    with pytest.raises(ValueError, match='total_steps=100'):
        scheduler.step()                                    # step 101 is not


def test_one_cycle_lr_cycles_adams_beta1_and_checks_its_arguments():
    opt = optim.Adam([Parameter(minidl.zeros(1))], betas=(0.9, 0.99))
    sched.OneCycleLR(opt, max_lr=0.1, total_steps=10)
    assert opt.param_groups[0]['betas'] == (0.95, 0.99)
    with pytest.raises(ValueError, match='neither momentum nor betas'):
        sched.OneCycleLR(optim.Adagrad([Parameter(minidl.zeros(1))]), max_lr=0.1, total_steps=10)
    with pytest.raises(ValueError, match='total_steps, or both epochs and steps_per_epoch'):
        sched.OneCycleLR(sgd(), max_lr=0.1, epochs=3)


def reductions(step, patience, cooldown):
    """How many times a constant metric has cut the lr after ``step`` calls of step(metric)."""
    first = patience + 2                     # the first call sets best; then patience + 1 bad epochs
    return 0 if step < first else 1 + (step - first) // (cooldown + patience + 1)


@pytest.mark.parametrize('patience, cooldown', [(0, 0), (3, 0), (2, 4), (10, 1)])
def test_reduce_lr_on_plateau_with_a_stalled_metric(patience, cooldown):
    opt = sgd()
    scheduler = sched.ReduceLROnPlateau(opt, factor=0.5, patience=patience, cooldown=cooldown, min_lr=1e-6)
    for step in range(1, STEPS + 1):
        scheduler.step(1.0)
        expected = max(BASE_LR * 0.5 ** reductions(step, patience, cooldown), 1e-6)
        assert scheduler.get_last_lr()[0] == pytest.approx(expected, rel=1e-12), step


def test_reduce_lr_on_plateau_thresholds_and_modes():
    opt = sgd()
    scheduler = sched.ReduceLROnPlateau(opt, mode='max', patience=0, threshold=0.1, threshold_mode='abs')
    for metric in [1.0, 1.2, 1.35, 1.4]:                  # +0.2 and +0.15 improve, +0.05 does not
        scheduler.step(metric)
    assert scheduler.get_last_lr() == pytest.approx([BASE_LR * 0.1]) and scheduler.best == 1.35
    rel = sched.ReduceLROnPlateau(sgd(), patience=0, threshold=0.1)          # mode='min', 'rel'
    for metric in [10.0, 8.9, 8.5]:                       # 8.9 < 10 · 0.9 improves, 8.5 > 8.01 does not
        rel.step(minidl.tensor(metric))
    assert rel.best == pytest.approx(8.9) and rel.get_last_lr() == pytest.approx([BASE_LR * 0.1])
    with pytest.raises(ValueError, match='factor must be in'):
        sched.ReduceLROnPlateau(sgd(), factor=1.0)
    with pytest.raises(ValueError, match="mode must be 'min' or 'max'"):
        sched.ReduceLROnPlateau(sgd(), mode='maximum')


def test_schedulers_reject_bad_arguments():
    for build, message in [(lambda: sched.StepLR(sgd(), step_size=0), 'step_size'),
                           (lambda: sched.CosineAnnealingLR(sgd(), T_max=0), 'T_max'),
                           (lambda: sched.CosineAnnealingWarmRestarts(sgd(), T_0=10, T_mult=0), 'T_mult'),
                           (lambda: sched.LinearLR(sgd(), start_factor=0), 'start_factor'),
                           (lambda: sched.InverseTimeDecay(sgd(), 0.5, decay_steps=0), 'decay_steps'),
                           (lambda: sched.OneCycleLR(sgd(), 1.0, 10, anneal_strategy='exp'), 'anneal'),
                           (lambda: sched.SequentialLR(sgd(), [], milestones=[]), 'at least one')]:
        with pytest.raises(ValueError, match=message):
            build()
    with pytest.raises(TypeError, match='expected an Optimizer'):
        sched.StepLR(object(), step_size=1)


# ----------------------------------------------------------------------------- state dicts
def warmup_then(second):
    return lambda opt: sched.SequentialLR(opt, [sched.LinearLR(opt, total_iters=2), second(opt)],
                                          milestones=[2])


SCHEDULERS = {
    'LambdaLR': lambda opt: sched.LambdaLR(opt, lambda t: 0.9 ** t),
    'StepLR': lambda opt: sched.StepLR(opt, step_size=2, gamma=0.5),
    'MultiStepLR': lambda opt: sched.MultiStepLR(opt, milestones=[1, 4]),
    'ExponentialLR': lambda opt: sched.ExponentialLR(opt, gamma=0.8),
    'CosineAnnealingLR': lambda opt: sched.CosineAnnealingLR(opt, T_max=6),
    'CosineAnnealingWarmRestarts': lambda opt: sched.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=2),
    'LinearLR': lambda opt: sched.LinearLR(opt, start_factor=0.25, total_iters=4),
    'InverseTimeDecay': lambda opt: sched.InverseTimeDecay(opt, decay_rate=0.5, decay_steps=2),
    'OneCycleLR': lambda opt: sched.OneCycleLR(opt, max_lr=1.0, total_steps=12, three_phase=True),
    'SequentialLR': warmup_then(lambda opt: sched.ExponentialLR(opt, gamma=0.8)),
    'ReduceLROnPlateau': lambda opt: sched.ReduceLROnPlateau(opt, patience=1),
}


def run_schedule(opt, scheduler, steps):
    """The lr of each of ``steps`` epochs; ReduceLROnPlateau is given a loss that has stalled."""
    if not isinstance(scheduler, sched.ReduceLROnPlateau):
        return lr_sequence(opt, scheduler, steps)
    lrs = []
    for _ in range(steps):
        lrs.append(opt.param_groups[0]['lr'])
        opt.step()
        scheduler.step(1.0)
    return lrs


def stepped_scheduler(make, steps=3):
    opt = sgd(momentum=0.9)
    scheduler = make(opt)
    run_schedule(opt, scheduler, steps)
    return opt, scheduler


def scheduler_snapshot(scheduler):
    """Every attribute a load could change (the inner schedulers' too) and the optimizer's rates."""
    own = {key: value for key, value in vars(scheduler).items()
           if key not in ('optimizer', '_schedulers', 'lr_lambdas')}
    inner = [scheduler_snapshot(s) for s in getattr(scheduler, '_schedulers', [])]
    rates = [(group['lr'], group.get('momentum')) for group in scheduler.optimizer.param_groups]
    return copy.deepcopy(own), inner, rates


@pytest.mark.parametrize('name', list(SCHEDULERS))
def test_every_schedulers_state_loads_from_a_file_and_continues_exactly(name, tmp_path):
    opt, scheduler = stepped_scheduler(SCHEDULERS[name], steps=5)
    minidl.save({'optimizer': opt.state_dict(), 'scheduler': scheduler.state_dict()}, tmp_path / 's.npz')
    state = minidl.load(tmp_path / 's.npz')
    again, resumed = stepped_scheduler(SCHEDULERS[name], steps=1)
    again.load_state_dict(state['optimizer'])
    resumed.load_state_dict(state['scheduler'])
    assert scheduler_snapshot(resumed) == scheduler_snapshot(scheduler)
    assert run_schedule(again, resumed, 6) == run_schedule(opt, scheduler, 6)


REFUSED = {
    # (the scheduler that wrote the state, the one it is loaded into, the error)
    'StepLR into CosineAnnealingLR': (
        SCHEDULERS['StepLR'], SCHEDULERS['CosineAnnealingLR'],
        r"CosineAnnealingLR.load_state_dict: the state is not a CosineAnnealingLR's \(another scheduler's\?\): "
        r"it has gamma, step_size, which CosineAnnealingLR does not have; it lacks T_max, eta_min"),
    'ExponentialLR into StepLR (a subset of its keys)': (
        SCHEDULERS['ExponentialLR'], SCHEDULERS['StepLR'], r'StepLR.load_state_dict: .*: it lacks step_size$'),
    'ReduceLROnPlateau into LinearLR': (
        SCHEDULERS['ReduceLROnPlateau'], SCHEDULERS['LinearLR'], 'LinearLR.load_state_dict: .*it has best'),
    'one scheduler into a SequentialLR of two': (
        lambda opt: sched.SequentialLR(opt, [sched.LinearLR(opt, total_iters=2)], milestones=[]),
        SCHEDULERS['SequentialLR'], 'this SequentialLR runs 2 schedulers, the state has 1'),
    'a SequentialLR whose second scheduler is another': (
        warmup_then(lambda opt: sched.CosineAnnealingLR(opt, T_max=6)), SCHEDULERS['SequentialLR'],
        r"ExponentialLR.load_state_dict: .*it has T_max, eta_min, which ExponentialLR does not have"),
}


@pytest.mark.parametrize('case', list(REFUSED))
def test_a_state_of_another_scheduler_is_refused_and_changes_nothing(case):
    make_source, make_target, message = REFUSED[case]
    state = stepped_scheduler(make_source, steps=4)[1].state_dict()
    opt, scheduler = stepped_scheduler(make_target)
    twin_opt, twin = stepped_scheduler(make_target)
    before = scheduler_snapshot(scheduler)
    with pytest.raises(ValueError, match=message):
        scheduler.load_state_dict(state)
    assert scheduler_snapshot(scheduler) == before
    assert run_schedule(opt, scheduler, 5) == run_schedule(twin_opt, twin, 5)


def test_loading_something_that_is_not_a_state_dict_is_a_type_error():
    opt, scheduler = stepped_scheduler(SCHEDULERS['SequentialLR'])
    before = scheduler_snapshot(scheduler)
    with pytest.raises(TypeError, match='SequentialLR.load_state_dict: expected the dict of state_dict'):
        scheduler.load_state_dict(None)
    with pytest.raises(ValueError, match="the state's _schedulers is a dict, expected a list"):
        scheduler.load_state_dict({**scheduler.state_dict(), '_schedulers': {}})
    assert scheduler_snapshot(scheduler) == before

"""The Optimizer base: parameter groups, skipping, constraints, zero_grad, closures, errors,
state dicts, and resuming training bit for bit."""
import numpy
import pytest

import minidl
from minidl import optim
from minidl.backend import to_numpy
from minidl.nn import Parameter
from minidl.optim import lr_scheduler


def param(*values):
    return Parameter(minidl.tensor(list(values), dtype=minidl.float64))


def set_grad(p, *values):
    p.grad = minidl.tensor(list(values), dtype=minidl.float64)


# ------------------------------------------------------------------------- groups, step
def test_parameter_groups_have_their_own_hyperparameters_and_get_the_defaults():
    body, head = param(1.0, 2.0), param(3.0)
    opt = optim.SGD([{'params': [body]}, {'params': head, 'lr': 0.5, 'momentum': 0.9}], lr=0.1)
    assert [g['lr'] for g in opt.param_groups] == [0.1, 0.5]
    assert [g['momentum'] for g in opt.param_groups] == [0, 0.9]
    assert opt.param_groups[0]['nesterov'] is False and opt.param_groups[1]['params'] == [head]
    set_grad(body, 1.0, -1.0)
    set_grad(head, 2.0)
    opt.step()
    numpy.testing.assert_allclose(body.numpy(), [0.9, 2.1])
    numpy.testing.assert_allclose(head.numpy(), [2.0])


def test_parameters_without_gradient_are_skipped():
    used, unused = param(1.0), param(5.0)
    opt = optim.Adam([used, unused], lr=0.1)
    set_grad(used, 1.0)
    opt.step()
    assert unused.numpy().tolist() == [5.0] and unused not in opt.state
    assert used.numpy().tolist() != [1.0] and opt.state[used]['step'] == 1


def test_the_constraint_projects_the_parameter_after_every_step():
    w = Parameter(minidl.tensor([0.5, -0.5, 0.0], dtype=minidl.float64),
                  constraint=lambda t: t.clamp(-1.0, 1.0))
    free = param(0.5, -0.5, 0.0)
    opt = optim.SGD([w, free], lr=1.0)
    for p in (w, free):
        set_grad(p, -2.0, 2.0, 0.25)
    opt.step()
    numpy.testing.assert_allclose(w.numpy(), [1.0, -1.0, -0.25])          # clipped to [-1, 1]
    numpy.testing.assert_allclose(free.numpy(), [2.5, -2.5, -0.25])      # no constraint, no clipping


def test_zero_grad_sets_to_none_or_fills_with_zeros():
    p = param(1.0, 2.0)
    opt = optim.SGD([p], lr=0.1)
    set_grad(p, 3.0, 4.0)
    grad = p.grad
    opt.zero_grad(set_to_none=False)
    assert p.grad is grad and p.grad.numpy().tolist() == [0.0, 0.0]
    opt.zero_grad()
    assert p.grad is None


def test_step_with_a_closure_returns_its_loss_and_records_the_graph():
    p = param(3.0)
    opt = optim.SGD([p], lr=0.25)

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    with minidl.no_grad():
        loss = opt.step(closure)
    assert loss.item() == 9.0 and p.numpy().tolist() == [1.5]          # 3 - 0.25 · 2 · 3


def test_add_param_group():
    a, b = param(1.0), param(2.0)
    opt = optim.Adam([a], lr=0.1)
    opt.add_param_group({'params': [b], 'lr': 0.01})
    assert len(opt.param_groups) == 2 and opt.param_groups[1]['betas'] == (0.9, 0.999)
    with pytest.raises(ValueError, match='already in another group'):
        opt.add_param_group({'params': [a]})
    assert len(opt.param_groups) == 2


# ---------------------------------------------------------------------------------- errors
P = Parameter(minidl.zeros(2))
BAD = [
    (lambda: optim.SGD([P], lr=-0.1), ValueError, r'learning rate lr=-0\.1'),
    (lambda: optim.Adam([P], lr=-1), ValueError, 'learning rate'),
    (lambda: optim.Adam([P], betas=(1.0, 0.999)), ValueError, r'betas\[0\]=1\.0'),
    (lambda: optim.AdamW([P], betas=(0.9, -0.1)), ValueError, r'betas\[1\]=-0\.1'),
    (lambda: optim.NAdam([P], betas=(0.9, 1.5)), ValueError, r'betas\[1\]'),
    (lambda: optim.Adam([P], eps=-1e-8), ValueError, 'eps'),
    (lambda: optim.RMSprop([P], weight_decay=-1), ValueError, 'weight_decay'),
    (lambda: optim.SGD([P], momentum=-0.5), ValueError, 'momentum'),
    (lambda: optim.SGD([P], nesterov=True), ValueError, 'Nesterov momentum needs momentum > 0'),
    (lambda: optim.SGD([P], momentum=0.9, dampening=0.1, nesterov=True), ValueError, 'dampening = 0'),
    (lambda: optim.RMSprop([P], alpha=-0.1), ValueError, 'alpha'),
    (lambda: optim.Adagrad([P], lr_decay=-1), ValueError, 'lr_decay'),
    (lambda: optim.NAdam([P], momentum_decay=-1), ValueError, 'momentum_decay'),
    (lambda: optim.SGD([], lr=0.1), ValueError, 'empty parameter list'),
    (lambda: optim.SGD([{'params': []}], lr=0.1), ValueError, 'empty parameter list'),
    (lambda: optim.SGD([P, P], lr=0.1), ValueError, 'appears twice'),
    (lambda: optim.SGD([{'params': [P]}, {'params': [P]}], lr=0.1), ValueError, 'another group'),
    (lambda: optim.SGD([P, numpy.zeros(2)], lr=0.1), TypeError, 'parameter 1 of group 0 is a ndarray'),
    (lambda: optim.SGD(P, lr=0.1), TypeError, 'single Tensor'),
    (lambda: optim.SGD({P}, lr=0.1), TypeError, 'not a set'),
    (lambda: optim.SGD([P * 2], lr=0.1), ValueError, 'non-leaf'),
    (lambda: optim.SGD([{'params': [P], 'lr': -1}], lr=0.1), ValueError, 'learning rate'),
]


@pytest.mark.parametrize('build, error, message', BAD, ids=[case[2] for case in BAD])
def test_bad_hyperparameters_raise_clear_errors(build, error, message):
    with pytest.raises(error, match=message):
        build()


# ----------------------------------------------------------------------------- state dicts
def test_state_dict_names_parameters_by_index_and_copies_the_arrays():
    a, b = param(1.0, 2.0), param(3.0)
    opt = optim.Adam([{'params': [a]}, {'params': [b], 'lr': 0.5}])
    set_grad(a, 1.0, 1.0)
    set_grad(b, 1.0)
    opt.step()
    state = opt.state_dict()
    assert [g['params'] for g in state['param_groups']] == [[0], [1]]
    assert state['param_groups'][1]['lr'] == 0.5 and set(state['state']) == {0, 1}
    saved = state['state'][0]['exp_avg'].copy()
    opt.step()
    numpy.testing.assert_array_equal(to_numpy(state['state'][0]['exp_avg']), to_numpy(saved))  # a copy
    assert state['state'][0]['step'] == 1


def take_steps(params, opt, steps, scheduler=None):
    """``steps`` updates with gradients that change from step to step (so state builds up)."""
    for k in range(steps):
        for p in params:
            set_grad(p, *[0.3 * (k + 1) - 0.2 * j for j in range(p.numel())])
        opt.step()
        if scheduler is not None:
            scheduler.step()


def stepped(make, steps=2):
    """An optimizer built by ``make`` over a (2,) and a (1,) parameter, after ``steps`` steps."""
    params = [param(1.0, 2.0), param(3.0)]
    opt = make(params)
    take_steps(params, opt, steps)
    return params, opt


def snapshot(params, opt):
    """All that a load could change, as plain values: parameters, groups, per-parameter state."""
    groups = [{key: value for key, value in group.items() if key != 'params'} for group in opt.param_groups]
    state = [{key: numpy.asarray(to_numpy(value)).tolist() for key, value in opt.state.get(p, {}).items()}
             for p in params]
    return [p.numpy().tolist() for p in params], groups, state


def adam(params):
    return optim.Adam(params, lr=0.1)


def adam_state(change):
    """The state of another Adam (other lr, other history) after ``change`` was applied to it."""
    state = stepped(lambda ps: optim.Adam(ps, lr=0.7), steps=3)[1].state_dict()
    change(state)
    return state


REFUSED = {
    'another optimizer': (
        lambda: stepped(lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9))[1].state_dict(), ValueError,
        r"Adam.load_state_dict: group 0 of the state dict \(the state of SGD\) does not hold Adam's "
        r"hyperparameters: it has dampening, momentum, nesterov, which Adam does not have; "
        r"it lacks amsgrad, betas, decoupled_weight_decay, eps"),
    'an optimizer with a subset of the hyperparameters': (
        lambda: stepped(optim.RAdam)[1].state_dict(), ValueError, r'\(the state of RAdam\).*: it lacks amsgrad$'),
    'a state array of another shape': (
        lambda: adam_state(lambda s: s['state'][0].update(exp_avg=numpy.zeros(3))), ValueError,
        r"state\[0\]\['exp_avg'\] has shape \(3,\), but parameter 0 has shape \(2,\)"),
    'a state index no parameter has': (
        lambda: adam_state(lambda s: s['state'].update({9: s['state'].pop(1)})), ValueError,
        r'state for parameter 9, but its groups list the parameters \[0, 1\]'),
    'a parameter index listed twice': (
        lambda: adam_state(lambda s: s['param_groups'][0].update(params=[0, 0])), ValueError,
        r'list a parameter index twice: \[\[0, 0\]\]'),
    'a state entry that is not a number': (
        lambda: adam_state(lambda s: s['state'][0].update(step='three')), ValueError,
        r"state\[0\]\['step'\] is a str, expected an array or a number"),
    'more parameter groups': (
        lambda: optim.Adam([{'params': [param(1.0, 2.0)]}, {'params': [param(3.0)]}]).state_dict(),
        ValueError, 'the optimizer has 1 parameter groups, the state dict has 2'),
    'more parameters': (
        lambda: optim.Adam([param(1.0, 2.0), param(3.0), param(4.0)]).state_dict(),
        ValueError, "group 0 has 2 parameters, the state dict's has 3"),
    'no state dict at all': (lambda: None, TypeError, 'expected the dict of state_dict\\(\\), got NoneType'),
}


@pytest.mark.parametrize('case', list(REFUSED))
def test_a_state_that_does_not_fit_is_refused_and_changes_nothing(case):
    make_state, error, message = REFUSED[case]
    params, opt = stepped(adam)
    twin_params, twin = stepped(adam)
    before = snapshot(params, opt)
    with pytest.raises(error, match=message):
        opt.load_state_dict(make_state())
    assert snapshot(params, opt) == before
    take_steps(params, opt, 2)                 # and it goes on as if it had never seen the state
    take_steps(twin_params, twin, 2)
    assert snapshot(params, opt) == snapshot(twin_params, twin)


OWN_OPTIMIZERS = {
    'SGD': lambda ps: optim.SGD(ps, lr=0.1),
    'SGD+momentum': lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, dampening=0.1, weight_decay=0.01,
                                         maximize=True),
    'SGD+nesterov': lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True),
    'Adam': lambda ps: optim.Adam(ps, lr=0.1),
    'Adam+amsgrad': lambda ps: optim.Adam(ps, lr=0.1, amsgrad=True, weight_decay=0.01, maximize=True),
    'AdamW+amsgrad': lambda ps: optim.AdamW(ps, lr=0.1, amsgrad=True),
    'RMSprop': lambda ps: optim.RMSprop(ps, lr=0.01),
    'RMSprop+centered+momentum': lambda ps: optim.RMSprop(ps, lr=0.01, centered=True, momentum=0.5,
                                                          weight_decay=0.01),
    'Adagrad': lambda ps: optim.Adagrad(ps, lr=0.1, lr_decay=0.01, initial_accumulator_value=0.1),
    'NAdam': lambda ps: optim.NAdam(ps, lr=0.1),
    'NAdam+decoupled': lambda ps: optim.NAdam(ps, lr=0.1, weight_decay=0.01, decoupled_weight_decay=True),
    'RAdam': lambda ps: optim.RAdam(ps, lr=0.1),
    'RAdam+decoupled': lambda ps: optim.RAdam(ps, lr=0.1, weight_decay=0.01, decoupled_weight_decay=True),
}


@pytest.mark.parametrize('name', list(OWN_OPTIMIZERS))
def test_every_state_minidls_optimizers_write_loads_from_a_file_and_continues_exactly(name, tmp_path):
    """Also without the scheduler that wrote OneCycleLR's keys into the groups."""
    make = OWN_OPTIMIZERS[name]
    params = [param(1.0, 2.0), param(3.0), param(5.0)]                 # the last one never has a grad
    opt = make(params)
    has_momentum = 'momentum' in opt.defaults or 'betas' in opt.defaults
    scheduler = lr_scheduler.OneCycleLR(opt, max_lr=0.2, total_steps=10, cycle_momentum=has_momentum)
    take_steps(params[:2], opt, 4, scheduler)
    minidl.save(opt.state_dict(), tmp_path / 'opt.npz')

    again = [param(*p.numpy().tolist()) for p in params]
    resumed = make(again)
    resumed.load_state_dict(minidl.load(tmp_path / 'opt.npz'))
    assert snapshot(again, resumed) == snapshot(params, opt)
    take_steps(params[:2], opt, 3)
    take_steps(again[:2], resumed, 3)
    assert snapshot(again, resumed) == snapshot(params, opt)


def linear_regression_problem():
    X = minidl.tensor(minidl.backend.normal((16, 3), dtype=numpy.float64))
    y = X @ minidl.tensor([[1.0], [-2.0], [0.5]], dtype=minidl.float64) + 0.3
    return X, y


def make_params(values=None):
    values = values or [numpy.full((3, 1), 0.1), numpy.zeros(1)]
    return [Parameter(minidl.tensor(v, dtype=minidl.float64)) for v in values]


def train(params, opt, scheduler, data, steps):
    X, y = data
    for _ in range(steps):
        opt.zero_grad()
        loss = ((X @ params[0] + params[1] - y) ** 2).mean()
        loss.backward()
        opt.step()
        if isinstance(scheduler, lr_scheduler.ReduceLROnPlateau):
            scheduler.step(loss.item())
        else:
            scheduler.step()


RESUMES = {
    'SGD+StepLR': (lambda ps: optim.SGD(ps, lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-3),
                   lambda o: lr_scheduler.StepLR(o, step_size=4, gamma=0.5)),
    'Adam+OneCycleLR': (lambda ps: optim.Adam(ps, lr=0.1, amsgrad=True),
                        lambda o: lr_scheduler.OneCycleLR(o, max_lr=0.2, total_steps=20)),
    'RMSprop+WarmRestarts': (lambda ps: optim.RMSprop(ps, lr=0.01, centered=True, momentum=0.5),
                             lambda o: lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2)),
    'AdamW+Sequential': (lambda ps: optim.AdamW(ps, lr=0.05),
                         lambda o: lr_scheduler.SequentialLR(
                             o, [lr_scheduler.LinearLR(o, total_iters=4),
                                 lr_scheduler.CosineAnnealingLR(o, T_max=16)], milestones=[4])),
    'Adagrad+Exponential': (lambda ps: optim.Adagrad(ps, lr=0.3, lr_decay=0.01),
                            lambda o: lr_scheduler.ExponentialLR(o, gamma=0.9)),
    'NAdam+Plateau': (lambda ps: optim.NAdam(ps, lr=0.1),
                      lambda o: lr_scheduler.ReduceLROnPlateau(o, patience=1, threshold=0.2)),
    'RAdam+MultiStep': (lambda ps: optim.RAdam(ps, lr=0.05),
                        lambda o: lr_scheduler.MultiStepLR(o, milestones=[3, 12])),
}


@pytest.mark.parametrize('name', list(RESUMES))
def test_saving_and_loading_in_the_middle_of_training_continues_exactly(name):
    make_optimizer, make_scheduler = RESUMES[name]
    data = linear_regression_problem()

    params = make_params()
    opt = make_optimizer(params)
    scheduler = make_scheduler(opt)
    train(params, opt, scheduler, data, 20)

    first = make_params()
    opt = make_optimizer(first)
    scheduler = make_scheduler(opt)
    train(first, opt, scheduler, data, 10)
    checkpoint = ([p.numpy().copy() for p in first], opt.state_dict(), scheduler.state_dict())
    train(first, opt, scheduler, data, 3)                          # the run goes on; the checkpoint must not

    resumed = make_params(checkpoint[0])
    opt = make_optimizer(resumed)
    scheduler = make_scheduler(opt)
    opt.load_state_dict(checkpoint[1])
    scheduler.load_state_dict(checkpoint[2])
    train(resumed, opt, scheduler, data, 10)

    for straight, again in zip(params, resumed):
        numpy.testing.assert_array_equal(straight.numpy(), again.numpy())
    assert scheduler.get_last_lr() == [opt.param_groups[0]['lr']]


def test_a_module_trains_and_resumes_with_its_parameters():
    from minidl.nn import Linear
    data = linear_regression_problem()

    def run(steps, state=None):
        minidl.manual_seed(0)
        model = Linear(3, 1)
        opt = optim.Adam(model.parameters(), lr=0.05)
        if state:
            model.load_state_dict(state[0])
            opt.load_state_dict(state[1])
        X, y = data
        for _ in range(steps):
            opt.zero_grad()
            ((model(X.float()) - y.float()) ** 2).mean().backward()
            opt.step()
        return model, opt

    straight, _ = run(8)
    half, opt = run(4)
    resumed, _ = run(4, (half.state_dict(), opt.state_dict()))
    for a, b in zip(straight.parameters(), resumed.parameters()):
        numpy.testing.assert_array_equal(a.numpy(), b.numpy())


def test_bad_schedules_and_betas_are_refused_where_they_are_given():
    from minidl.optim import lr_scheduler
    opt = optim.SGD([Parameter(minidl.zeros(1))], lr=1.0)
    plateau = lr_scheduler.ReduceLROnPlateau(opt)
    with pytest.raises(ValueError, match='SequentialLR: scheduler 1 is a ReduceLROnPlateau'):
        lr_scheduler.SequentialLR(opt, [lr_scheduler.LinearLR(opt), plateau], milestones=[2])
    with pytest.raises(ValueError, match='step: expected an epoch >= 0, got -1'):
        lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=2).step(-1)
    with pytest.raises(TypeError, match='ReduceLROnPlateau: expected an Optimizer, got str'):
        lr_scheduler.ReduceLROnPlateau('x')
    with pytest.raises(ValueError, match=r'Adam: invalid betas=\(0.9,\): expected two'):
        optim.Adam([Parameter(minidl.zeros(1))], betas=(0.9,))


def test_a_loaded_state_takes_the_parameters_float_dtype():
    p32 = Parameter(minidl.ones(3))
    opt = optim.Adam([p32], lr=0.1)
    p32.grad = minidl.ones(3)
    opt.step()
    p64 = Parameter(minidl.ones(3, dtype=minidl.float64))
    again = optim.Adam([p64], lr=0.1)
    again.load_state_dict(opt.state_dict())
    state = again.state[p64]
    assert all(v.dtype == numpy.float64 for v in state.values() if hasattr(v, 'dtype') and v.ndim > 0)


def test_a_loaded_state_replaces_the_groups_keys_so_loading_the_old_state_undoes_it():
    params, opt = stepped(adam)
    lr_scheduler.OneCycleLR(opt, max_lr=0.5, total_steps=10)          # adds its keys to the group
    before = snapshot(params, opt)
    undo = opt.state_dict()
    plain = stepped(lambda ps: optim.Adam(ps, lr=0.7), steps=3)[1].state_dict()
    opt.load_state_dict(plain)
    assert sorted(opt.param_groups[0]) == sorted(plain['param_groups'][0])           # no max_lr left
    assert opt.state_dict()['param_groups'] == plain['param_groups']
    opt.load_state_dict(undo)
    assert snapshot(params, opt) == before

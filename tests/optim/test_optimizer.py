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


def test_load_state_dict_checks_the_shape_and_changes_nothing_on_mismatch():
    a, b = param(1.0), param(2.0)
    two_groups = optim.SGD([{'params': [a]}, {'params': [b]}], lr=0.1, momentum=0.9)
    one_group = optim.SGD([a, b], lr=0.3)
    with pytest.raises(ValueError, match='has 1 parameter groups, the state dict has 2'):
        one_group.load_state_dict(two_groups.state_dict())
    with pytest.raises(ValueError, match="group 0 has 2 parameters, the state dict's has 1"):
        optim.SGD([{'params': [a, b]}, {'params': [param(0.0)]}], lr=0.3).load_state_dict(
            two_groups.state_dict())
    assert one_group.param_groups[0]['lr'] == 0.3 and one_group.state == {}


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

"""Checkpoints: exact resume, interrupted writes, damaged or mismatched files."""
import numpy as np
import pytest

import minidl
from minidl import nn, optim, serialization
from minidl.backend import to_numpy
from minidl.optim import lr_scheduler
from minidl.serialization import CheckpointError
from minidl.train import fit, load_checkpoint, save_checkpoint

from .conftest import make_run


def _weights(model):
    return {k: v.numpy().copy() for k, v in model.state_dict().items()}


def test_resume_after_epoch_2_equals_an_uninterrupted_4_epoch_run_bit_for_bit(tmp_path):
    full = make_run(seed=0)
    history_full = fit(**full, epochs=4, scheduler_interval='batch', clip_grad_norm=1.0, verbose=0)

    first = make_run(seed=0)
    path = tmp_path / 'last.npz'
    fit(**first, epochs=2, scheduler_interval='batch', clip_grad_norm=1.0, checkpoint_path=path, verbose=0)
    minidl.manual_seed(999)                            # a new process: other seed, other init
    second = make_run(seed=7)
    history = fit(**second, epochs=4, scheduler_interval='batch', clip_grad_norm=1.0,
                  resume_from=path, verbose=0)

    for key, value in _weights(full['model']).items():
        np.testing.assert_array_equal(_weights(second['model'])[key], value, err_msg=key)
    for key in ('loss', 'accuracy', 'val_loss', 'val_accuracy', 'lr'):
        assert history[key] == history_full[key], key
    assert history.step_lr == history_full.step_lr
    assert second['optimizer'].param_groups[0]['lr'] == full['optimizer'].param_groups[0]['lr']


def test_an_interrupted_checkpoint_write_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    run = make_run()
    path = tmp_path / 'ckpt.npz'
    fit(**run, epochs=1, checkpoint_path=path, verbose=0)
    saved = _weights(run['model'])

    def die_mid_write(file, **arrays):
        file.write(b'PK\x03\x04' + bytes(200))
        raise KeyboardInterrupt('killed while writing')
    monkeypatch.setattr(serialization.numpy, 'savez', die_mid_write)
    with pytest.raises(KeyboardInterrupt):
        fit(**run, epochs=2, resume_from=path, checkpoint_path=path, verbose=0)
    monkeypatch.undo()
    fresh = make_run(seed=3)
    state = load_checkpoint(path, fresh['model'], fresh['optimizer'], fresh['scheduler'])
    assert state['epoch'] == 1 and state['history'].epochs == 1
    for key, value in saved.items():
        np.testing.assert_array_equal(_weights(fresh['model'])[key], value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ['ckpt.npz']


def test_truncated_checkpoint_raises_and_changes_nothing(tmp_path):
    run = make_run()
    path = tmp_path / 'ckpt.npz'
    save_checkpoint(path, run['model'], run['optimizer'], run['scheduler'], epoch=1)
    path.write_bytes(path.read_bytes()[:-300])
    target = make_run(seed=5)
    before, lr = _weights(target['model']), target['optimizer'].param_groups[0]['lr']
    with pytest.raises(CheckpointError, match='truncated'):
        load_checkpoint(path, target['model'], target['optimizer'], target['scheduler'])
    assert all(np.array_equal(v, before[k]) for k, v in _weights(target['model']).items())
    assert target['optimizer'].param_groups[0]['lr'] == lr


def test_mismatched_checkpoint_raises_and_changes_nothing(tmp_path):
    run = make_run()
    fit(**run, epochs=1, verbose=0)
    path = tmp_path / 'ckpt.npz'
    save_checkpoint(path, run['model'], run['optimizer'], run['scheduler'], epoch=1)
    minidl.manual_seed(1)
    wider = nn.Sequential(nn.Linear(2, 64), nn.BatchNorm1d(64), nn.ReLU(), nn.Dropout(0.2), nn.Linear(64, 3))
    before = _weights(wider)
    with pytest.raises(CheckpointError, match=r'(?s)does not fit the given model.*shape mismatches'):
        load_checkpoint(path, wider)
    assert all(np.array_equal(v, before[k]) for k, v in _weights(wider).items())

    # the model fits but the optimizer does not: the model is put back as it was
    target = make_run(seed=2)
    other_opt = optim.AdamW(list(target['model'].parameters())[:2], lr=0.5)
    before = _weights(target['model'])
    rng = minidl.backend.get_rng_state()
    with pytest.raises(CheckpointError, match=r'does not fit the given optimizer \(AdamW\)'):
        load_checkpoint(path, target['model'], other_opt)
    assert all(np.array_equal(v, before[k]) for k, v in _weights(target['model']).items())
    assert other_opt.param_groups[0]['lr'] == 0.5
    assert minidl.backend.get_rng_state() == rng                  # the generators too


def test_a_random_state_of_another_format_raises_and_changes_nothing(tmp_path):
    run = make_run()
    path = tmp_path / 'ckpt.npz'
    save_checkpoint(path, run['model'], run['optimizer'], run['scheduler'], epoch=1)
    state = serialization.load(path)
    state['rng'] = state['rng']['cpu']                  # the CPU generator's state alone
    serialization.save(state, path)
    target = make_run(seed=5)
    before, rng = _weights(target['model']), minidl.backend.get_rng_state()
    with pytest.raises(CheckpointError, match='random-generator state this minidl cannot restore'):
        load_checkpoint(path, target['model'], target['optimizer'], target['scheduler'])
    assert all(np.array_equal(v, before[k]) for k, v in _weights(target['model']).items())
    assert minidl.backend.get_rng_state() == rng
    assert load_checkpoint(path, target['model'], restore_rng=False)['epoch'] == 1


def test_plain_state_file_is_not_a_checkpoint(tmp_path):
    path = tmp_path / 'plain.npz'
    minidl.save({'x': np.ones(2)}, path)
    with pytest.raises(CheckpointError, match='not a training checkpoint'):
        load_checkpoint(path, nn.Linear(1, 1))
    save_checkpoint(path, nn.Linear(1, 1))
    with pytest.raises(CheckpointError, match='no optimizer'):
        load_checkpoint(path, nn.Linear(1, 1), optim.SGD(nn.Linear(1, 1).parameters(), lr=0.1))


# ------------------------------------------------------------------ all or nothing
def _plain(value):
    """``value`` with its arrays and Tensors as nested lists, so that == compares contents."""
    if isinstance(value, minidl.Tensor):
        value = value.data
    if hasattr(value, 'shape'):
        return to_numpy(value).tolist()
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value


def _everything(run):
    """All that load_checkpoint may change: the model, the optimizer (groups, lr, state), the
    scheduler (its counters, its inner schedulers'), minidl's generators, the loader's."""
    return _plain({'model': run['model'].state_dict(), 'optimizer': run['optimizer'].state_dict(),
                   'scheduler': run['scheduler'].state_dict() if run['scheduler'] else None,
                   'rng': minidl.backend.get_rng_state(),
                   'loader': run['train_loader'].generator.bit_generator.state})


def _sgd_state(state):
    sgd = optim.SGD(make_run()['model'].parameters(), lr=0.1, momentum=0.9)
    state['optimizer'] = sgd.state_dict()


def _step_lr_state(state):
    opt = optim.AdamW(make_run()['model'].parameters())
    state['scheduler'] = lr_scheduler.StepLR(opt, step_size=2).state_dict()


def _one_inner_scheduler(state):
    del state['scheduler']['_schedulers'][1]
    state['scheduler']['_milestones'] = []


MISFITS = {
    # name: (how the checkpoint is damaged, what the error says)
    'the optimizer of another kind': (
        _sgd_state, r"does not fit the given optimizer \(AdamW\).*\n.*\(the state of SGD\) does not hold AdamW's"),
    'a state buffer of another shape': (
        lambda state: state['optimizer']['state'][0].update(exp_avg=np.zeros(5)),
        r"does not fit the given optimizer.*\n.*state\[0\]\['exp_avg'\] has shape \(5,\), but parameter 0 "
        r"has shape \(32, 2\)"),
    'a state index no parameter has': (
        lambda state: state['optimizer']['state'].update({99: state['optimizer']['state'].pop(0)}),
        r'does not fit the given optimizer.*\n.*state for parameter 99'),
    'the scheduler of another kind': (
        _step_lr_state, r"does not fit the given scheduler \(SequentialLR\).*\n.*it has base_lrs, gamma, step_size, which SequentialLR"),
    'a SequentialLR of one scheduler': (
        _one_inner_scheduler, r'does not fit the given scheduler.*\n.*runs 2 schedulers, the state has 1'),
    "minidl's generator of another format": (
        lambda state: state.update(rng=state['rng']['cpu']), 'random-generator state this minidl cannot restore'),
    "the loader's generator of another kind": (
        lambda state: state.update(loader_rng=np.random.MT19937(0).state),
        r"shuffling-generator state the loader's PCG64 cannot take; restore_rng=False loads the rest, "
        r"nothing was changed"),
    'a damaged history': (
        lambda state: state.update(history={'history': 5}), 'holds a history that cannot be read'),
    'an entry missing': (
        lambda state: state.pop('loader_rng'), 'is a damaged training checkpoint: it has no loader_rng'),
}


@pytest.mark.parametrize('misfit', list(MISFITS))
def test_a_checkpoint_that_does_not_fit_in_any_part_is_refused_and_changes_nothing(tmp_path, misfit):
    damage, message = MISFITS[misfit]
    run = make_run()
    path = tmp_path / 'ckpt.npz'
    fit(**run, epochs=1, checkpoint_path=path, verbose=0)
    state = serialization.load(path)
    damage(state)
    serialization.save(state, path)
    target = make_run(seed=5)
    fit(**target, epochs=1, verbose=0)                 # a run of its own: state, counters, lr
    minidl.manual_seed(11)
    before = _everything(target)
    with pytest.raises(CheckpointError, match=message):
        load_checkpoint(path, target['model'], target['optimizer'], target['scheduler'],
                        loader=target['train_loader'])
    assert _everything(target) == before


def test_undoing_a_load_also_takes_back_the_schedule_keys_the_groups_gained(tmp_path):
    run = make_run()                                   # AdamW with a schedule: groups have initial_lr
    path = tmp_path / 'ckpt.npz'
    fit(**run, epochs=1, checkpoint_path=path, verbose=0)
    state = serialization.load(path)
    state['loader_rng'] = np.random.MT19937(0).state   # the last part to load does not fit
    serialization.save(state, path)
    target = make_run(seed=5, scheduler=None)
    fit(**target, epochs=1, verbose=0)
    before = _everything(target)
    with pytest.raises(CheckpointError, match='shuffling-generator state'):
        load_checkpoint(path, target['model'], target['optimizer'], loader=target['train_loader'])
    assert _everything(target) == before
    assert 'initial_lr' not in target['optimizer'].param_groups[0]

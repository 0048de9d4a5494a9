"""Checkpoints: exact resume, interrupted writes, damaged or mismatched files."""
import numpy as np
import pytest

import minidl
from minidl import nn, optim, serialization
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

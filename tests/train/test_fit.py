"""fit / evaluate: what is logged, modes, regularization, schedulers, the NaN guard."""
import math

import numpy as np
import pytest

import minidl
from minidl import nn, optim, regularizers
from minidl.train import Callback, NonFiniteLossError, evaluate, fit

from .conftest import make_run


def test_fit_logs_every_epoch_and_learns(run):
    history = fit(**run, epochs=6, scheduler_interval='batch', verbose=0, clip_grad_norm=5.0)
    assert history.epochs == 6
    assert set(history.history) == {'loss', 'accuracy', 'val_loss', 'val_accuracy', 'lr', 'seconds'}
    assert history['loss'][-1] < history['loss'][0]
    assert len(history.step_lr) == 6 * len(run['train_loader'])
    assert history.step_lr[0] == pytest.approx(0.001) and max(history.step_lr) == pytest.approx(0.01)
    assert set(history.grad_norms) == {name for name, _ in run['model'].named_parameters()}
    assert all(len(v) == 6 and all(g > 0 for g in v) for v in history.grad_norms.values())
    # the logged validation values are those of evaluate() on the final model
    final = evaluate(run['model'], run['val_loader'], run['loss_fn'])
    assert final['loss'] == pytest.approx(history['val_loss'][-1])
    assert final['accuracy'] == pytest.approx(history['val_accuracy'][-1])


class _Spy(Callback):
    """Records the model's mode and grad mode at each hook and each forward pass."""

    def __init__(self, model):
        self.events = []
        original = model.forward
        model.forward = lambda x: (self.events.append(('forward', model.training,
                                                      minidl.is_grad_enabled())), original(x))[1]

    def on_train_begin(self, run):
        self.events.append(('train_begin',))

    def on_batch_end(self, run, batch, logs):
        self.events.append(('batch', batch, math.isfinite(logs['loss'])))

    def on_epoch_end(self, run, epoch, logs):
        self.events.append(('epoch', epoch, sorted(logs)))

    def on_train_end(self, run):
        self.events.append(('train_end',))


def test_train_mode_for_training_eval_and_no_grad_for_validation(run):
    spy = _Spy(run['model'])
    fit(**run, epochs=1, callbacks=[spy], verbose=0)
    forwards = [e for e in spy.events if e[0] == 'forward']
    batches = len(run['train_loader'])
    assert forwards[:batches] == [('forward', True, True)] * batches
    assert forwards[batches:] == [('forward', False, False)] * len(run['val_loader'])
    assert spy.events[0] == ('train_begin',) and spy.events[-1] == ('train_end',)
    assert [e for e in spy.events if e[0] == 'batch'] == [('batch', i, True) for i in range(batches)]
    assert run['model'].training     # evaluate() restores the mode it found


def test_regularization_loss_is_added_to_the_objective():
    minidl.manual_seed(0)
    x = np.ones((4, 3), np.float32)
    loader = minidl.data.DataLoader(minidl.data.TensorDataset(x, np.zeros(4, np.int64)), batch_size=4)
    model = nn.Linear(3, 2, weight_regularizer=regularizers.L2(0.5))
    w0, b0 = model.weight.numpy().copy(), model.bias.numpy().copy()
    fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), loader, epochs=1, verbose=0)
    plain = nn.Linear(3, 2)
    plain.load_state_dict({'weight': w0, 'bias': b0})
    fit(plain, nn.CrossEntropyLoss(), optim.SGD(plain.parameters(), lr=0.1), loader, epochs=1, verbose=0)
    # the penalty 0.5 * sum(w^2) adds 0.1 * 2 * 0.5 * w0 to the SGD step of the weight only
    np.testing.assert_allclose(model.weight.numpy(), plain.weight.numpy() - 0.1 * w0, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(model.bias.numpy(), plain.bias.numpy())


def test_reduce_lr_on_plateau_gets_the_validation_loss(monkeypatch):
    run = make_run(scheduler=None)
    plateau = optim.lr_scheduler.ReduceLROnPlateau(run['optimizer'], patience=0)
    seen = []
    original = plateau.step
    monkeypatch.setattr(plateau, 'step', lambda metric: (seen.append(metric), original(metric))[1])
    history = fit(**{**run, 'scheduler': plateau}, epochs=3, verbose=0)
    assert seen == history['val_loss']


def test_epoch_interval_steps_once_per_epoch():
    run = make_run(scheduler=None)
    step = optim.lr_scheduler.StepLR(run['optimizer'], step_size=1, gamma=0.5)
    history = fit(**{**run, 'scheduler': step}, epochs=3, verbose=0)
    assert history['lr'] == pytest.approx([0.01, 0.005, 0.0025])
    with pytest.raises(ValueError, match='scheduler_interval'):
        fit(**run, epochs=1, scheduler_interval='step', verbose=0)


def test_metrics_by_name_and_function(run):
    def worst_case(output, target):
        return 0.25
    history = fit(**run, epochs=1, metrics=('accuracy', 'top2_accuracy', worst_case), verbose=0)
    assert history['worst_case'] == [0.25] and history['val_worst_case'] == [0.25]
    assert history['top2_accuracy'][0] >= history['accuracy'][0]


def test_non_finite_loss_stops_before_the_step_with_epoch_and_batch(run, tmp_path):
    calls, snapshots = [], []
    cross_entropy = run['loss_fn']

    def loss_fn(output, target):                      # NaN on the 3rd batch of epoch 2
        calls.append(1)
        loss = cross_entropy(output, target)
        return loss * float('nan') if len(calls) == len(run['train_loader']) + 3 else loss

    class Snapshot(Callback):
        def on_batch_end(self, run_, batch, logs):
            snapshots.append(run_.model.state_dict())
    path = tmp_path / 'last.npz'
    with pytest.raises(NonFiniteLossError, match=r'loss became nan at epoch 2, batch 3;') as info:
        fit(**{**run, 'loss_fn': loss_fn, 'val_loader': None}, epochs=3, callbacks=[Snapshot()],
            checkpoint_path=path, verbose=0)
    assert info.value.history.epochs == 1
    for key, value in run['model'].named_parameters():          # the last good step's weights
        np.testing.assert_array_equal(value.numpy(), snapshots[-1][key].numpy())
    assert minidl.train.load_checkpoint(path, restore_rng=False)['epoch'] == 1


def test_verbose_prints_one_line_per_epoch_without_a_terminal(run, capsys):
    fit(**run, epochs=2, verbose=2)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2 and lines[1].startswith('epoch 2/2') and 'val_accuracy' in lines[1]
    fit(**run, epochs=1, verbose=0)
    assert capsys.readouterr().out == ''


def test_progress_bar_on_a_terminal_shows_live_loss(run, capsys, monkeypatch):
    from minidl.train import loop
    monkeypatch.setattr(loop, '_use_progress_bar', lambda verbose: verbose == 1)   # as on a TTY
    fit(**run, epochs=1, verbose=1)
    err = capsys.readouterr().err
    assert '| 0/4 [' in err and 'loss=' in err and 'accuracy=' in err
    assert err.rstrip().split('\r')[-1].startswith('epoch 1/1  loss')

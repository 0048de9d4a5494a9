"""EarlyStopping and ModelCheckpoint."""
import re

import numpy as np
import pytest

from minidl.train import Callback, EarlyStopping, ModelCheckpoint, fit, load_checkpoint


class _Scripted(Callback):
    """Overwrites the logged val_loss with a scripted sequence (put it before the callback under test)."""

    def __init__(self, values):
        self.values = list(values)

    def on_epoch_end(self, run, epoch, logs):
        logs['val_loss'] = self.values[epoch]


def test_early_stopping_waits_patience_epochs_after_the_best(run):
    stop = EarlyStopping(monitor='val_loss', patience=2, min_delta=0.05)
    history = fit(**run, epochs=10, callbacks=[_Scripted([1.0, 0.8, 0.79, 0.78, 0.5, 0.6])] + [stop], verbose=0)
    assert history.epochs == 4 and stop.stopped_epoch == 3 and stop.best == 0.8


def test_early_stopping_restores_the_best_weights(run):
    class Remember(Callback):
        weights = []

        def on_epoch_end(self, run_, epoch, logs):
            self.weights.append(run_.model.state_dict())
    remember = Remember()
    stop = EarlyStopping(monitor='val_loss', patience=1, restore_best_weights=True)
    fit(**run, epochs=10, callbacks=[_Scripted([1.0, 0.5, 0.7, 0.9]), remember, stop], verbose=0)
    assert len(remember.weights) == 3
    for key, value in run['model'].state_dict().items():
        np.testing.assert_array_equal(value.numpy(), remember.weights[1][key].numpy())


def test_early_stopping_modes_and_errors(run):
    assert EarlyStopping(monitor='val_accuracy').mode == 'max'
    assert EarlyStopping(monitor='val_mae', mode='min').mode == 'min'
    with pytest.raises(ValueError, match='mode'):
        EarlyStopping(mode='up')
    with pytest.raises(KeyError, match='did you pass a val_loader'):
        fit(**{**run, 'val_loader': None}, epochs=1, callbacks=[EarlyStopping()], verbose=0)


def test_model_checkpoint_best_only_and_every_epoch(run, tmp_path):
    best = ModelCheckpoint(str(tmp_path / 'best.npz'), monitor='val_loss', save_best_only=True)
    every = ModelCheckpoint(str(tmp_path / 'e{epoch:02d}.npz'))
    fit(**run, epochs=4, callbacks=[_Scripted([1.0, 0.5, 0.7, 0.6]), best, every], verbose=0)
    assert load_checkpoint(tmp_path / 'best.npz', restore_rng=False)['epoch'] == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ['best.npz', 'e01.npz', 'e02.npz', 'e03.npz', 'e04.npz']
    assert best.best == 0.5 and every.last_saved.endswith('e04.npz')


def test_a_nan_never_improves_and_does_not_become_the_best(run, tmp_path):
    # best started as the first value: a NaN first epoch stayed the best (nothing compares
    # better than NaN), so EarlyStopping stopped at patience with best=nan and
    # ModelCheckpoint kept the NaN epoch's weights
    nan = float('nan')
    stop = EarlyStopping(monitor='val_loss', patience=3)
    best = ModelCheckpoint(str(tmp_path / 'best.npz'), monitor='val_loss', save_best_only=True)
    history = fit(**run, epochs=5, callbacks=[_Scripted([nan, 0.9, 0.8, nan, 0.85]), stop, best], verbose=0)
    assert history.epochs == 5 and stop.stopped_epoch is None
    assert stop.best == 0.8 and stop.wait == 2 and best.best == 0.8
    assert load_checkpoint(tmp_path / 'best.npz', restore_rng=False)['epoch'] == 3
    all_nan = EarlyStopping(monitor='val_loss', patience=2)
    history = fit(**run, epochs=5, callbacks=[_Scripted([nan] * 5), all_nan], verbose=0)
    assert history.epochs == 2 and all_nan.best == float('inf')


def test_a_resumed_history_with_an_epoch_missing_the_monitor_is_replayed_without_it():
    from minidl.train import History
    from minidl.train.loop import Run
    history = History()
    for logs in ({'val_loss': 1.0}, {'loss': 0.9}, {'val_loss': 0.8}, {'val_loss': 0.9}):
        history.append(logs)
    run_ = Run(None, None, None, None, history, [], None, 0)
    stop = EarlyStopping(monitor='val_loss', patience=3)
    stop.on_train_begin(run_)
    assert (stop.best, stop.wait) == (0.8, 1)
    best = ModelCheckpoint('unused.npz', monitor='val_loss', save_best_only=True)
    best.on_train_begin(run_)
    assert best.best == 0.8


@pytest.mark.parametrize('monitor, mode', [('loss', 'min'), ('val_loss', 'min'), ('accuracy', 'max'),
                                           ('val_accuracy', 'max'), ('val_top3_accuracy', 'max'),
                                           ('top_k_accuracy', 'max')])
def test_auto_mode_follows_keras_for_the_names_it_knows(monitor, mode):
    assert EarlyStopping(monitor=monitor).mode == mode
    assert ModelCheckpoint('unused.npz', monitor=monitor).mode == mode


@pytest.mark.parametrize('monitor', ['val_mae', 'val_worst_case', 'val_reg_loss', 'lr'])
def test_auto_mode_refuses_a_name_whose_direction_it_cannot_tell(monitor):
    # 'val_mae' was maximized (any name without 'loss' was): the worst epoch counted as best
    for callback in (EarlyStopping, lambda **kw: ModelCheckpoint('unused.npz', **kw)):
        with pytest.raises(ValueError, match=f"cannot tell whether '{monitor}'.*pass mode='min' or mode='max'"):
            callback(monitor=monitor)


def test_model_checkpoint_path_fields_by_name_literal_braces_and_errors(run, tmp_path):
    folder = tmp_path / 'run{{1}}'                       # a literal brace is written twice
    saver = ModelCheckpoint(str(folder / 'e{epoch}-{val_loss:.0f}.npz'))
    fit(**run, epochs=1, callbacks=[saver], verbose=0)
    assert saver.last_saved == str(tmp_path / 'run{1}' / 'e1-1.npz')
    assert load_checkpoint(saver.last_saved, restore_rng=False)['epoch'] == 1
    # a positional field raised a bare IndexError after the first epoch
    for path, message in (('run{1}/best.npz', r"positional field\(s\) \{1\}"),
                          ('run{}/best.npz', r"positional field\(s\) \{\}"),
                          ('run{epoch/best.npz', 'not a valid format string')):
        with pytest.raises(ValueError, match=f"ModelCheckpoint: path '{re.escape(path)}' .*{message}.*literal braces"):
            ModelCheckpoint(path)
    with pytest.raises(KeyError, match=r"names 'val_mae', which is neither 'epoch' nor a logged value"):
        fit(**run, epochs=1, callbacks=[ModelCheckpoint(str(tmp_path / '{val_mae}.npz'))], verbose=0)

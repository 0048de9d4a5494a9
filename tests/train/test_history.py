"""History: one entry per epoch for every name, also when a name skips epochs."""
import csv

from minidl.train import Callback, History, fit

from .conftest import make_run


def _rows(path):
    with open(path, newline='') as f:
        return list(csv.DictReader(f))


def test_a_value_missing_for_one_epoch_leaves_a_gap_in_its_own_row(tmp_path):
    history = History()
    history.append({'loss': 1.0, 'val_loss': 2.0})
    history.append({'loss': 0.9})                                 # no validation this epoch
    history.append({'loss': 0.8, 'val_loss': 1.5, 'val_accuracy': 0.5})
    assert history['val_loss'] == [2.0, None, 1.5]                # was [2.0, 1.5]: 1.5 in row 2
    assert history['val_accuracy'] == [None, None, 0.5]
    history.to_csv(tmp_path / 'h.csv')
    rows = _rows(tmp_path / 'h.csv')
    assert [(r['epoch'], r['loss'], r['val_loss'], r['val_accuracy']) for r in rows] == [
        ('1', '1.0', '2.0', ''), ('2', '0.9', '', ''), ('3', '0.8', '1.5', '0.5')]


def test_a_parameter_frozen_for_one_epoch_has_no_gradient_norm_in_that_row(tmp_path):
    class FreezeFirstLayerInEpoch2(Callback):
        def on_epoch_begin(self, run, epoch):
            run.model[0].weight.requires_grad = epoch != 1

    class LastNorms(Callback):
        def __init__(self):
            self.seen = []

        def on_epoch_end(self, run, epoch, logs):
            self.seen.append({name: values[-1] for name, values in run.history.grad_norms.items()})
    run = make_run(scheduler=None)
    norms = LastNorms()
    history = fit(**run, epochs=3, callbacks=[FreezeFirstLayerInEpoch2(), norms], verbose=0)
    weight = history.grad_norms['0.weight']
    assert weight[1] is None and weight[0] > 0 and weight[2] > 0
    assert weight[2] == norms.seen[2]['0.weight']                # epoch 3's norm in epoch 3's row
    assert all(len(values) == 3 for values in history.grad_norms.values())
    history.to_csv(tmp_path / 'h.csv')
    column = [r['grad_norm/0.weight'] for r in _rows(tmp_path / 'h.csv')]
    assert column == [repr(weight[0]), '', repr(weight[2])]

"""`minidl train` / `minidl evaluate` end to end on a very short run, and their errors."""
import csv
import json
import shutil

import numpy as np
import pytest

import minidl
from minidl.cli import main
from minidl.train import ModelCheckpoint, load_checkpoint, loop

from .test_plots import assert_real_png

PLOTS = ('curves.png', 'lr_schedule.png', 'confusion_matrix.png', 'grad_norms.png', 'augmentations.png')
TRAIN = ['train', '--epochs', '4', '--limit', '256', '--batch-size', '64']


@pytest.fixture(scope='module')
def short_run(tmp_path_factory):
    out = tmp_path_factory.mktemp('run')
    code = main(TRAIN + ['--out', str(out)])
    return code, out


@pytest.fixture(scope='module')
def other_run(tmp_path_factory):
    """Another, shorter run, in a folder whose name has braces."""
    out = tmp_path_factory.mktemp('other') / 'e{epoch}-run{1}'
    code = main(['train', '--epochs', '1', '--limit', '64', '--no-augment', '--out', str(out)])
    return code, out


class _Killed(BaseException):
    """Stands for the process being killed: nothing in minidl catches it."""


def _leaves(state, prefix=''):
    """{'history/history/loss/0': value, ...}: the leaves of a checkpoint's state, without the
    wall-clock seconds (the only values two runs of the same settings may differ in)."""
    if isinstance(state, (dict, list, tuple)):
        items = state.items() if isinstance(state, dict) else enumerate(state)
        return {path: leaf for key, value in items if key != 'seconds'
                for path, leaf in _leaves(value, f'{prefix}/{key}').items()}
    return {prefix: state.numpy() if isinstance(state, minidl.Tensor) else state}


def assert_same_run(folder, other, checkpoints=('last.npz', 'best.npz')):
    """The two run folders hold bit-for-bit the same checkpoints, history and test metrics."""
    for name in checkpoints:
        mine, theirs = _leaves(minidl.load(folder / name)), _leaves(minidl.load(other / name))
        assert mine.keys() == theirs.keys(), name
        for key, value in mine.items():
            if isinstance(value, np.ndarray):
                assert value.dtype == theirs[key].dtype and np.array_equal(value, theirs[key]), (name, key)
            else:
                assert value == theirs[key], (name, key)
    rows = [[{k: v for k, v in row.items() if k != 'seconds'} for row in csv.DictReader(open(f / 'history.csv'))]
            for f in (folder, other)]
    assert rows[0] == rows[1]
    metrics = [{k: v for k, v in json.loads((f / 'metrics.json').read_text()).items() if 'seconds' not in k}
               for f in (folder, other)]
    assert metrics[0] == metrics[1]


def test_train_writes_metrics_history_checkpoints_and_plots(short_run):
    code, out = short_run
    assert code == 0
    metrics = json.loads((out / 'metrics.json').read_text())
    assert 0.0 <= metrics['test_accuracy'] <= 1.0 and metrics['epochs'] == 4
    assert metrics['config']['dataset'] == 'digits' and metrics['config']['model'] == 'cnn'
    assert len((out / 'history.csv').read_text().strip().splitlines()) == 5
    assert (out / 'best.npz').exists() and (out / 'last.npz').exists()
    for name in PLOTS:
        assert_real_png(out / name)


def test_evaluate_rebuilds_the_model_and_test_split(short_run, capsys):
    code, out = short_run
    capsys.readouterr()
    assert main(['evaluate', str(out / 'best.npz')]) == 0
    printed = capsys.readouterr().out
    accuracy = json.loads((out / 'metrics.json').read_text())['test_accuracy']
    assert f'accuracy {100 * accuracy:.2f}%' in printed and '270 images' in printed


def test_a_run_killed_mid_way_and_resumed_is_bitwise_the_uninterrupted_run(short_run, tmp_path, capsys,
                                                                          monkeypatch):
    code, straight = short_run
    run = tmp_path / 'run'
    save_checkpoint = loop.save_checkpoint

    def killed_after_epoch_2(path, model, optimizer, scheduler, epoch, *args, **kwargs):
        save_checkpoint(path, model, optimizer, scheduler, epoch, *args, **kwargs)
        if epoch == 2:
            raise _Killed
    with monkeypatch.context() as patch:
        patch.setattr(loop, 'save_checkpoint', killed_after_epoch_2)
        with pytest.raises(_Killed):
            main(TRAIN + ['--out', str(run)])
    assert load_checkpoint(run / 'last.npz', restore_rng=False)['epoch'] == 2
    elsewhere = tmp_path / 'elsewhere'
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)            # a resumed run used to write into runs/... from here
    capsys.readouterr()
    assert main(['train', '--resume', str(run / 'last.npz')]) == 0
    printed = capsys.readouterr().out
    assert 'epoch 2/4' not in printed and 'epoch 3/4' in printed and 'epoch 4/4' in printed
    assert f'files in {run}/' in printed and not (elsewhere / 'runs').exists()
    assert_same_run(run, straight)                      # 4 epochs straight == 2 + 2 resumed
    # its learning-rate schedule was planned for 4 epochs: extending it would restart the cosine
    assert main(['train', '--resume', str(run / 'last.npz'), '--epochs', '5', '--lr', '0.5']) == 2
    err = capsys.readouterr().err
    assert "cannot change --epochs 5 (the run's: 4), --lr 0.5 (the run's: 0.003)" in err


def test_a_crash_before_the_best_checkpoint_is_written_is_redone_on_resume(short_run, tmp_path, monkeypatch):
    # last.npz was written before the callbacks: a crash before ModelCheckpoint wrote best.npz
    # left the epoch done in last.npz, and the resumed run tested an older best.npz
    code, straight = short_run
    best_epoch = json.loads((straight / 'metrics.json').read_text())['best_epoch']
    assert best_epoch > 1                   # (with a checkpoint of the epoch before to resume from)
    run = tmp_path / 'run'
    on_epoch_end = ModelCheckpoint.on_epoch_end

    def crash_at_the_best_epoch(self, run_, epoch, logs):
        if epoch + 1 == best_epoch:
            raise _Killed
        on_epoch_end(self, run_, epoch, logs)
    with monkeypatch.context() as patch:
        patch.setattr(ModelCheckpoint, 'on_epoch_end', crash_at_the_best_epoch)
        with pytest.raises(_Killed):
            main(TRAIN + ['--out', str(run)])
    assert load_checkpoint(run / 'last.npz', restore_rng=False)['epoch'] == best_epoch - 1
    assert main(['train', '--resume', str(run / 'last.npz')]) == 0
    assert load_checkpoint(run / 'best.npz', restore_rng=False)['epoch'] == best_epoch
    assert_same_run(run, straight)


def test_resume_into_another_folder_carries_the_best_checkpoint_over(short_run, other_run, tmp_path):
    # the new folder had no best.npz (the run trained, then failed to test), or it tested the
    # unrelated best.npz it found there
    code, straight = short_run
    new = tmp_path / 'new'
    new.mkdir()
    shutil.copy(other_run[1] / 'best.npz', new / 'best.npz')
    assert main(['train', '--resume', str(straight / 'last.npz'), '--out', str(new)]) == 0
    assert_same_run(new, straight, checkpoints=('best.npz',))
    assert [p.name for p in new.iterdir() if p.name.startswith('.')] == []     # no temporary file left


def test_resume_needs_the_best_checkpoint_beside_it(short_run, tmp_path, capsys):
    code, straight = short_run
    (tmp_path / 'lonely').mkdir()
    shutil.copy(straight / 'last.npz', tmp_path / 'lonely' / 'last.npz')
    capsys.readouterr()
    assert main(['train', '--resume', str(tmp_path / 'lonely' / 'last.npz')]) == 2
    out, err = capsys.readouterr()
    assert 'there is no best.npz beside it' in err and err.count('\n') == 1 and 'epoch' not in out


def test_a_best_checkpoint_of_another_run_is_refused_not_tested(short_run, other_run, tmp_path, capsys):
    code, straight = short_run
    run = tmp_path / 'run'
    shutil.copytree(straight, run)
    shutil.copy(other_run[1] / 'best.npz', run / 'best.npz')
    (run / 'metrics.json').unlink()
    capsys.readouterr()
    assert main(['train', '--resume', str(run / 'last.npz')]) == 1
    out, err = capsys.readouterr()
    assert (f"{run / 'best.npz'} is not this run's checkpoint of its best epoch (4): it was written by a run "
            "with other settings (limit 64, here 256; epochs 1, here 4); nothing was tested") in ' '.join(err.split())
    assert 'test accuracy' not in out and not (run / 'metrics.json').exists()


def test_the_best_checkpoint_must_hold_the_best_epoch_and_this_runs_record(short_run):
    from minidl.train.main import _not_this_runs
    code, straight = short_run
    state, last = (load_checkpoint(straight / name, restore_rng=False) for name in ('best.npz', 'last.npz'))
    history, config = last['history'], last['config']
    assert _not_this_runs(state, 4, history, config) is None
    assert _not_this_runs({**state, 'epoch': 3}, 4, history, config) == 'it holds epoch 3'
    history.history['seconds'][0] += 1.0                    # the same settings, another run
    assert _not_this_runs(state, 4, history, config) == "its record of epochs 1 to 4 is another run's"
    assert _not_this_runs(state, 4, history, {**config, 'seed': 1}).endswith('(seed 0, here 1)')


def test_resume_refuses_every_setting_its_state_fixes(short_run, capsys):
    # a new --batch-size made the per-step cosine overrun the plan counted in the old steps
    # and start again; a new --seed was recorded in metrics.json but never used
    code, out = short_run
    capsys.readouterr()
    argv = ['train', '--resume', str(out / 'last.npz'), '--batch-size', '32', '--limit', '128', '--seed', '3',
            '--dataset', 'mnist5k', '--model', 'mlp', '--no-augment']
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count('\n') == 1 and ("cannot change --dataset mnist5k (the run's: digits), --model mlp (the run's: "
                                     "cnn), --limit 128 (the run's: 256), --batch-size 32 (the run's: 64), --seed 3 "
                                     "(the run's: 0); start a new run") in err


def test_resume_checks_the_config_files_settings_too(short_run, tmp_path, capsys):
    # the config file was ignored on resume: its batch size silently did nothing
    code, out = short_run
    config = tmp_path / 'settings.json'
    config.write_text(json.dumps({'batch-size': 32, 'clip_grad_norm': 1.0}))
    capsys.readouterr()
    assert main(['train', '--resume', str(out / 'last.npz'), '--config', str(config)]) == 2
    assert "cannot change --batch-size 32 (the run's: 64)" in capsys.readouterr().err


def test_an_out_folder_with_braces_is_used_as_it_is(other_run):
    # the folder went through str.format: e{epoch} wrote into e1/, run{1} raised an IndexError
    code, out = other_run
    assert code == 0 and [p.name for p in out.parent.iterdir()] == ['e{epoch}-run{1}']
    assert load_checkpoint(out / 'best.npz', restore_rng=False)['epoch'] == 1
    assert json.loads((out / 'metrics.json').read_text())['best_epoch'] == 1


@pytest.mark.parametrize('argv, message', [
    (['train', '--epochs', '0'], 'epochs must be a positive integer'),
    (['train', '--dataset', 'cifar'], "invalid choice: 'cifar'"),
    (['train', '--dataset', 'spirals', '--model', 'cnn'], 'use --model mlp'),
    (['train', '--lr', 'fast'], "invalid float value: 'fast'"),
    (['train', '--config', 'missing.json'], 'cannot read the config file'),
    (['train', '--lr', 'nan'], 'lr must be a positive number, got nan'),
    (['train', '--weight-decay', '-1'], 'weight_decay must be a number >= 0'),
    (['train', '--seed', '-1'], 'seed must be an integer >= 0'),
    (['train', '--limit', '-5'], 'limit must be an integer >= 1'),
    (['tune', '--seed', '-1'], 'seed must be an integer >= 0'),
])
def test_bad_options_give_one_line_and_exit_code_2(argv, message, capsys):
    try:
        code = main(argv)
    except SystemExit as exit_:                 # argparse's own checks exit directly
        code = exit_.code
    err = capsys.readouterr().err
    assert code == 2 and message in err and err.count('\n') == 1 and 'Traceback' not in err


def test_config_files_json_and_toml_and_unknown_keys(tmp_path, capsys):
    from minidl.train.main import resolve_config
    (tmp_path / 'c.json').write_text('{"epochs": 7, "batch-size": 16, "dataset": "spirals"}')
    (tmp_path / 'c.toml').write_text('epochs = 5\noptimizer = "sgd"\n')
    config = resolve_config({'epochs': 9}, str(tmp_path / 'c.json'))
    assert (config['epochs'], config['batch_size'], config['model']) == (9, 16, 'mlp')
    assert resolve_config({}, str(tmp_path / 'c.toml'))['optimizer'] == 'sgd'
    (tmp_path / 'bad.json').write_text('{"epochz": 3}')
    assert main(['train', '--config', str(tmp_path / 'bad.json')]) == 2
    assert "unknown setting 'epochz'" in capsys.readouterr().err
    for text, message in (('{"augment": "no"}', 'augment must be true or false'),
                          ('{"clip_grad_norm": -1}', 'clip_grad_norm must be a positive number'),
                          ('{"limit": 50.5}', 'limit must be an integer >= 1'),
                          ('[1, 2]', 'must hold settings by name')):
        (tmp_path / 'bad.json').write_text(text)
        assert main(['train', '--config', str(tmp_path / 'bad.json')]) == 2
        assert message in capsys.readouterr().err


def test_evaluate_of_a_damaged_file_is_one_line(tmp_path, capsys):
    (tmp_path / 'x.npz').write_bytes(b'garbage')
    assert main(['evaluate', str(tmp_path / 'x.npz')]) == 1
    err = capsys.readouterr().err
    assert 'truncated, corrupt' in err and err.count('\n') == 1

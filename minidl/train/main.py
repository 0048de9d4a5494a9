"""The main job: ``minidl train`` and ``minidl evaluate CHECKPOINT``.

``train(config)`` loads a dataset, splits it 70/15/15 (train/validation/test, stratified,
always with split seed 0 so every run is tested on the same images), builds the model
(:mod:`~minidl.train.models`), trains it with AdamW, a linear warm-up then cosine decay of
the learning rate (per optimizer step), weight decay, gradient clipping and augmentation, keeps
the checkpoint with the best validation accuracy, tests it, and writes into ``config['out']``:

- ``metrics.json``: test loss/accuracy, best validation accuracy and epoch, times, the config;
- ``history.csv``: one row per epoch (losses, accuracies, lr, seconds, gradient norms);
- ``best.npz`` (best validation accuracy) and ``last.npz`` (after every epoch, for ``--resume``);
- PNG plots: ``curves.png``, ``lr_schedule.png``, ``confusion_matrix.png``,
  ``grad_norms.png`` and, for images, ``augmentations.png``.

Example (the settings, without running anything):
    >>> config = resolve_config({'epochs': 3}, None)
    >>> config['dataset'], config['model'], config['epochs'], config['optimizer']
    ('digits', 'cnn', 3, 'adamw')
"""
import json
import math
import os
import sys
import time

from .. import backend, nn, optim
from ..data import DataLoader, TensorDataset, datasets, transforms
from ..serialization import CheckpointError, load, save
from .callbacks import ModelCheckpoint
from .checkpoint import load_checkpoint
from .loop import evaluate, fit
from .models import build_model

DEFAULTS = {
    'dataset': 'digits',        # digits | mnist5k | spirals
    'model': None,              # cnn | mlp; None: cnn for images, mlp for points
    'epochs': 15,
    'batch_size': 64,
    'optimizer': 'adamw',
    'lr': 3e-3,
    'weight_decay': 0.05,       # decoupled for adamw, L2 in the gradient for the others
    'warmup_epochs': 2,
    'clip_grad_norm': 5.0,
    'augment': True,            # small random rotations and shifts of training images
    'device': 'cpu',
    'seed': 0,
    'limit': None,              # use at most this many training samples (quick checks)
    'out': None,                # default runs/<dataset>-<model>-seed<seed>
    'resume': None,
}
CHOICES = {'dataset': ('digits', 'mnist5k', 'spirals'), 'model': ('cnn', 'mlp', None),
           'device': backend.DEVICES,
           'optimizer': ('adamw', 'adam', 'sgd', 'rmsprop', 'nadam', 'radam', 'adagrad')}
SPLIT_SEED = 0


class ConfigError(ValueError):
    """A bad setting (on the command line or in a config file)."""


# ----------------------------------------------------------------------------- settings
def load_config_file(path):
    """The settings in a JSON file, or a TOML one (Python >= 3.11), as a dict."""
    try:
        with open(path, 'rb') as f:
            raw = f.read()
    except OSError as error:
        raise ConfigError(f"cannot read the config file {path}: {error.strerror}") from None
    try:
        if path.endswith('.toml'):
            try:
                import tomllib
            except ImportError:
                raise ConfigError("TOML config files need Python >= 3.11; use JSON") from None
            return tomllib.loads(raw.decode('utf-8'))
        settings = json.loads(raw)
    except ValueError as error:
        raise ConfigError(f"the config file {path} is not valid {'TOML' if path.endswith('.toml') else 'JSON'}: "
                          f"{error}") from None
    if not isinstance(settings, dict):
        raise ConfigError(f"the config file {path} must hold settings by name (an object), got a "
                          f"{type(settings).__name__}")
    return settings


def resolve_config(overrides, config_file):
    """DEFAULTS, updated by the config file, updated by the command line's ``overrides``."""
    config = dict(DEFAULTS)
    for source in ([load_config_file(config_file)] if config_file else []) + [overrides]:
        for key, value in source.items():
            key = key.replace('-', '_')
            if key not in DEFAULTS:
                raise ConfigError(f"unknown setting {key!r}; known: {', '.join(DEFAULTS)}")
            config[key] = value
    for key, allowed in CHOICES.items():
        if config[key] not in allowed:
            raise ConfigError(f"{key} must be one of {[a for a in allowed if a]}, got {config[key]!r}")
    for key in ('epochs', 'batch_size'):
        if not _is_int(config[key]) or config[key] < 1:
            raise ConfigError(f"{key} must be a positive integer, got {config[key]!r}")
    _check_number(config, 'lr', 'a positive number', lambda v: v > 0)
    _check_number(config, 'weight_decay', 'a number >= 0', lambda v: v >= 0)
    if config['clip_grad_norm'] is not None:
        _check_number(config, 'clip_grad_norm', 'a positive number (or null: no clipping)', lambda v: v > 0)
    for key, least in (('warmup_epochs', 0), ('seed', 0), ('limit', 1)):
        value = config[key]
        if (value is not None or key != 'limit') and (not _is_int(value) or value < least):
            raise ConfigError(f"{key} must be an integer >= {least}{' (or null: all)' if key == 'limit' else ''}, "
                              f"got {value!r}")
    if not isinstance(config['augment'], bool):
        raise ConfigError(f"augment must be true or false, got {config['augment']!r}")
    if config['model'] is None:
        config['model'] = 'mlp' if config['dataset'] == 'spirals' else 'cnn'
    if config['model'] == 'cnn' and config['dataset'] == 'spirals':
        raise ConfigError("the cnn model needs images; spirals are 2-D points: use --model mlp")
    return config


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _check_number(config, key, wanted, valid):
    value = config[key]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or not valid(value):
        raise ConfigError(f"{key} must be {wanted}, got {value!r}")


#: Settings whose effect a resumed run takes from the checkpoint: a resumed run must keep
#: them, or it would record values it does not use, or break the plan it continues.
#: - dataset, model: the weights' shapes, and the data the history's values measure;
#: - limit, batch_size: the steps of an epoch, on which the scheduler's plan is counted (a
#:   new batch size made the cosine overrun its end and start again);
#: - seed: what it seeds (initialization, dropout, augmentation, shuffling) is replaced by
#:   the weights and the generators' states in the checkpoint;
#: - lr, weight_decay, optimizer: the optimizer's state; epochs, warmup_epochs: the plan of
#:   the whole run, in the scheduler's state.
#: Free to change: clip_grad_norm and augment (applied at each step; nothing in the state
#: depends on them), device, out.
FIXED_ON_RESUME = ('dataset', 'model', 'limit', 'batch_size', 'seed', 'epochs', 'lr', 'optimizer',
                   'weight_decay', 'warmup_epochs')


def resumed_settings(path, given):
    """The settings of the run saved at ``path`` (a ``minidl train`` checkpoint), updated by
    the ``given`` ones; by default the run goes on writing into the checkpoint's folder."""
    state = load(path)
    saved = state.get('config') if isinstance(state, dict) else None
    if not isinstance(saved, dict):
        raise ConfigError(f"--resume {path}: not a `minidl train` checkpoint (it holds no settings)")
    changed = [f"--{key.replace('_', '-')} {given[key]} (the run's: {saved[key]})"
               for key in FIXED_ON_RESUME if key in given and key in saved and given[key] != saved[key]]
    if changed:
        raise ConfigError(f"--resume continues a run as it was planned, so it cannot change {', '.join(changed)}; "
                          "start a new run for other settings")
    return {'out': os.path.dirname(path) or '.', **saved, **given}


# ----------------------------------------------------------------------------- building
def load_splits(config):
    """{'train': (x, y), 'val': ..., 'test': ...} NumPy arrays of the configured dataset."""
    if config['dataset'] == 'digits':
        x, y = datasets.load_digits()
    elif config['dataset'] == 'mnist5k':
        x, y = datasets.load_mnist_5k()
    else:
        x, y = datasets.make_spirals(n_samples=900, n_classes=3, seed=SPLIT_SEED)
    parts = dict(zip(('train', 'val', 'test'), datasets.train_val_test_split(x, y, seed=SPLIT_SEED)))
    if config['limit']:
        parts['train'] = tuple(a[:config['limit']] for a in parts['train'])
    return parts


def augmentation(config, input_shape):
    """Small random rotations (±10°) and shifts (±10%) of images, or None."""
    if not config['augment'] or len(input_shape) != 3:
        return None
    return transforms.RandomAffine(degrees=10, translate=(0.1, 0.1))


def build_optimizer(config, model):
    """The configured optimizer; ``weight_decay`` is AdamW's decoupled decay, or L2 otherwise."""
    name = config['optimizer']
    cls = {'adamw': optim.AdamW, 'adam': optim.Adam, 'sgd': optim.SGD, 'rmsprop': optim.RMSprop,
           'nadam': optim.NAdam, 'radam': optim.RAdam, 'adagrad': optim.Adagrad}[name]
    extra = {'momentum': 0.9, 'nesterov': True} if name == 'sgd' else {}
    return cls(model.parameters(), lr=config['lr'], weight_decay=config['weight_decay'], **extra)


def build_scheduler(config, optimizer, steps_per_epoch):
    """Linear warm-up from lr/10 over ``warmup_epochs``, then cosine decay to 0, per step."""
    lr_scheduler = optim.lr_scheduler
    total = config['epochs'] * steps_per_epoch
    warmup = min(config['warmup_epochs'] * steps_per_epoch, total - 1)
    cosine = lr_scheduler.CosineAnnealingLR(optimizer, T_max=max(total - warmup, 1))
    if warmup <= 0:
        return cosine
    linear = lr_scheduler.LinearLR(optimizer, start_factor=0.1, total_iters=warmup)
    return lr_scheduler.SequentialLR(optimizer, [linear, cosine], milestones=[warmup])


def build(config, parts=None):
    """Everything a run needs: splits, loaders, model, loss, optimizer, scheduler.

    ``parts``: the arrays to use instead of :func:`load_splits`' (e.g. the folds of a
    cross-validation), a dict {'train': (x, y), ...} with at least 'train'.
    """
    backend.manual_seed(config['seed'])
    parts = parts or load_splits(config)
    x_train, y_train = parts['train']
    input_shape, num_classes = x_train.shape[1:], int(max(y.max() for _, y in parts.values()) + 1)
    model = build_model(config['model'], input_shape, num_classes)
    optimizer = build_optimizer(config, model)
    transform = augmentation(config, input_shape)
    loaders = {name: DataLoader(TensorDataset(*arrays), batch_size=config['batch_size'],
                                shuffle=name == 'train', seed=config['seed'],
                                transform=transform if name == 'train' else None)
               for name, arrays in parts.items()}
    scheduler = build_scheduler(config, optimizer, len(loaders['train']))
    return {'parts': parts, 'loaders': loaders, 'model': model, 'loss_fn': nn.CrossEntropyLoss(),
            'optimizer': optimizer, 'scheduler': scheduler, 'transform': transform,
            'num_classes': num_classes, 'config': config}


def fit_run(run, **options):
    """Train the model of ``run`` (from :func:`build`) with the main job's recipe: its
    ``epochs``, the learning-rate schedule stepped every batch, gradient-norm clipping and
    accuracy; ``options`` go to :func:`~minidl.train.loop.fit` (``val_loader``, ``verbose`` ...)."""
    config = run['config']
    return fit(run['model'], run['loss_fn'], run['optimizer'], run['loaders']['train'], config['epochs'],
               scheduler=run['scheduler'], scheduler_interval='batch', metrics=('accuracy',),
               clip_grad_norm=config['clip_grad_norm'], **options)


# ----------------------------------------------------------------------------- jobs
def train(config):
    """Run the main job with a resolved ``config`` (see :func:`resolve_config`); returns the
    dict written to ``metrics.json``."""
    started = time.perf_counter()
    backend.set_device(config['device'])
    out = config['out'] or os.path.join('runs', f"{config['dataset']}-{config['model']}-seed{config['seed']}")
    os.makedirs(out, exist_ok=True)
    best = os.path.join(out, 'best.npz')
    if config['resume']:
        _carry_best(config['resume'], best)
    run = build(config)
    saved_config = {k: v for k, v in config.items() if k not in ('out', 'resume', 'device')}
    history = fit_run(run, val_loader=run['loaders']['val'],
                      callbacks=[ModelCheckpoint(_literal(best), monitor='val_accuracy', save_best_only=True)],
                      verbose=1, resume_from=config['resume'], checkpoint_path=os.path.join(out, 'last.npz'),
                      config=saved_config)
    train_seconds = time.perf_counter() - started
    history.to_csv(os.path.join(out, 'history.csv'))
    best_epoch = _load_best(best, run, history, saved_config)
    test, cm = _test(run)
    metrics = {'test_loss': test['loss'], 'test_accuracy': test['accuracy'],
               'test_top3_accuracy': test['top3_accuracy'],
               'best_val_accuracy': history['val_accuracy'][best_epoch - 1], 'best_epoch': best_epoch,
               'epochs': history.epochs, 'train_seconds': round(train_seconds, 2),
               'parameters': run['model'].num_parameters(), 'config': saved_config}
    _plots(out, history, cm, run)
    metrics['total_seconds'] = round(time.perf_counter() - started, 2)
    with open(os.path.join(out, 'metrics.json'), 'w') as f:
        json.dump(metrics, f, indent=2)
    print(f"test accuracy {100 * test['accuracy']:.2f}% (loss {test['loss']:.4f}) with the best "
          f"checkpoint (epoch {metrics['best_epoch']}); {metrics['total_seconds']:.1f}s in all; "
          f"files in {out}/")
    return metrics


def _carry_best(resume, best):
    """Give a resumed run the best checkpoint of the epochs it resumes, in its own folder.

    The best epoch may come before the resume, and a later epoch writes ``best.npz`` only if
    it does better; so when the run goes on in another folder (``--out``), the ``best.npz``
    beside the resumed checkpoint is copied there first, replacing whatever was there. It is
    read and written again with :func:`minidl.save`, which writes atomically: a crash leaves
    the old file or the new one, never half of one.
    """
    source = os.path.join(os.path.dirname(resume), 'best.npz')
    if not os.path.exists(source):
        raise ConfigError(f"--resume {resume}: there is no best.npz beside it (the checkpoint of the run's "
                          f"best epoch so far, which the run tests at the end); resume in the folder that "
                          f"holds both")
    if os.path.realpath(source) != os.path.realpath(best):
        save(load(source), best)


def _load_best(path, run, history, config):
    """Load the checkpoint of the best epoch (by validation accuracy) into the run's model and
    return that epoch, once ``path`` is known to be this run's checkpoint of it: a ``best.npz``
    left by another run in a reused folder, or kept from an earlier epoch, is refused rather
    than tested in its place."""
    val_accuracy = history['val_accuracy']
    epoch = val_accuracy.index(max(val_accuracy)) + 1
    state = load_checkpoint(path, restore_rng=False)
    reason = _not_this_runs(state, epoch, history, config)
    if reason:
        raise CheckpointError(f"{path} is not this run's checkpoint of its best epoch ({epoch}): {reason}; "
                              f"nothing was tested. The run is in last.npz and history.csv beside it.")
    run['model'].load_state_dict(state['model'])
    return epoch


def _not_this_runs(state, epoch, history, config):
    """Why the checkpoint ``state`` is not this run's (``history``, ``config``) checkpoint of
    ``epoch``, or None: its settings, its epoch and its record of epochs 1 to ``epoch`` must
    be this run's (the record holds each epoch's seconds, which no other run repeats)."""
    saved = state['config'] or {}
    changed = [f"{key} {saved.get(key)!r}, here {config[key]!r}" for key in FIXED_ON_RESUME
               if saved.get(key) != config[key]]
    if changed:
        return f"it was written by a run with other settings ({'; '.join(changed)})"
    if state['epoch'] != epoch:
        return f"it holds epoch {state['epoch']}"
    recorded = state['history'].history if state['history'] is not None else {}
    if recorded != {key: values[:epoch] for key, values in history.history.items()}:
        return f"its record of epochs 1 to {epoch} is another run's"
    return None


def _literal(path):
    """``path`` as a format string that gives it back unchanged: ModelCheckpoint fills
    ``{epoch}`` and logged names into its path, so the braces of a folder such as
    ``--out runs/e{epoch}`` are doubled to be taken as they are."""
    return path.replace('{', '{{').replace('}', '}}')


def _test(run):
    test = evaluate(run['model'], run['loaders']['test'], run['loss_fn'],
                    metrics=('accuracy', 'top3_accuracy', 'confusion_matrix'))
    return test, test.pop('confusion_matrix')


def _plots(out, history, cm, run):
    from ..viz import training as plots
    history.plot(os.path.join(out, 'curves.png'))
    plots.plot_lr_schedule(history.step_lr, os.path.join(out, 'lr_schedule.png'))
    plots.plot_confusion_matrix(cm, path=os.path.join(out, 'confusion_matrix.png'))
    plots.plot_grad_norms(history, os.path.join(out, 'grad_norms.png'))
    if run['transform'] is not None:
        from ..viz import show_augmentations
        fig = show_augmentations(run['transform'], run['parts']['train'][0][:8])
        fig.savefig(os.path.join(out, 'augmentations.png'), dpi=110)


def evaluate_checkpoint(path, device='cpu'):
    """Rebuild the model and test split recorded in a ``minidl train`` checkpoint, load its
    weights and return (and print) the test metrics."""
    backend.set_device(device)
    state = load(path)
    config = state.get('config') if isinstance(state, dict) else None
    if not config:
        raise ConfigError(f"{path} does not record how it was trained (no config); "
                          f"only checkpoints written by `minidl train` can be evaluated")
    run = build(resolve_config(config, None))
    load_checkpoint(path, run['model'], restore_rng=False)
    test, cm = _test(run)
    print(f"{config['dataset']} test set ({int(cm.sum())} images), {config['model']} from {path} "
          f"(epoch {state['epoch']}): accuracy {100 * test['accuracy']:.2f}%, "
          f"top-3 {100 * test['top3_accuracy']:.2f}%, loss {test['loss']:.4f}")
    return test


def main_exit_code(job, *args):
    """Run ``job(*args)``; print expected failures as one line on stderr (exit 2 for bad
    settings, 1 otherwise) instead of a traceback."""
    from .loop import NonFiniteLossError
    try:
        job(*args)
        return 0
    except ConfigError as error:
        print(f"minidl: error: {error}", file=sys.stderr)
        return 2
    except (CheckpointError, OSError, NonFiniteLossError, RuntimeError) as error:
        message = ' '.join(str(error).split())
        print(f"minidl: error: {message.removeprefix('minidl: ')}", file=sys.stderr)
        return 1


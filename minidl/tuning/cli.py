"""``minidl tune``: hyperparameter search for the default model of ``minidl train``.

It tunes four settings of the train job's model and recipe (:mod:`minidl.train.main`), each
over the range of ``SPACE``: the peak learning rate and AdamW's weight decay (log scale),
the dropout probability (every Dropout layer of the model: the one before the CNN's
classifier, or those after the spirals MLP's hidden layers), and the batch size (one of 32, 64, 128).
Everything else is the train job's default, except ``--epochs`` (5: short trials rank
configurations well enough and keep a 12-trial search to a minute or two on 2 cores).

A configuration's score is its **validation accuracy**, never a test accuracy: by default
the model is trained on the training split and scored on the validation split; with
``--cv K`` it is the mean accuracy of stratified K-fold cross-validation over the training
and validation splits together (K models per trial). The test split is never used.

Written into ``--out`` (default ``runs/tune-<method>-<dataset>-<val|cvK>-seed<seed>/``):

- ``trials.csv``: one row per trial, appended as each trial ends. Run the same command
  again (``--trials`` may grow) and the search resumes: finished trials are not rerun;
- ``settings.json``: what the search was run with, so that resuming with other settings
  is refused instead of mixing scores that do not compare;
- ``best.json``: the best parameters and validation accuracy, the median over the trials;
- ``best_so_far.png`` and ``parameters.png`` (validation accuracy against each parameter).

``--method grid`` tries every point of a grid of at most ``--trials`` configurations: the
grid counts grow one parameter at a time, in the order of ``SPACE``, while their product
stays within the budget (a ``Choice`` takes all its values at once); a parameter with one
point is held at the middle of its range (in log space for the log-scale ones):

    >>> {name: getattr(value, 'grid', value) for name, value in grid_space(12).items()}
    {'lr': 3, 'weight_decay': 2, 'dropout': 2, 'batch_size': 64}
"""
import functools
import json
import math
import os

import numpy as np

from .. import nn
from ..train.loop import evaluate
from ..train.main import CHOICES, ConfigError, build, fit_run, load_splits, main_exit_code, resolve_config
from . import METHODS, GridSearch, StratifiedKFold, cross_val_score
from .space import Choice, LogUniform, Uniform

SPACE = {'lr': LogUniform(1e-4, 1e-1), 'weight_decay': LogUniform(1e-3, 1.0),
         'dropout': Uniform(0.0, 0.5), 'batch_size': Choice([32, 64, 128])}


def grid_space(max_trials):
    """``SPACE`` with grid counts whose product is at most ``max_trials`` (module docstring)."""
    counts = dict.fromkeys(SPACE, 1)
    grown = True
    while grown:
        grown = False
        for name, dist in SPACE.items():
            more = len(dist.values) if isinstance(dist, Choice) else counts[name] + 1
            if more > counts[name] and math.prod({**counts, name: more}.values()) <= max_trials:
                counts[name], grown = more, True
    return {name: _on_grid(dist, counts[name]) for name, dist in SPACE.items()}


def _on_grid(dist, count):
    if count == 1:
        return dist.values[len(dist.values) // 2] if isinstance(dist, Choice) else dist.decode([0.5])
    return dist if isinstance(dist, Choice) else type(dist)(dist.low, dist.high, grid=count)


def train_and_score(config, train, val):
    """Validation accuracy of the train job's model (every Dropout at ``config['dropout']``) trained
    on the arrays ``train`` = (x, y) with ``config``, measured on ``val``."""
    run = build(config, {'train': train, 'val': val})
    for module in run['model'].modules():
        if isinstance(module, nn.Dropout):
            module.p = config['dropout']
    fit_run(run, verbose=0)
    return evaluate(run['model'], run['loaders']['val'])['accuracy']


def validation_accuracy(params, config, parts, cv=None):
    """The objective: ``params`` on top of ``config``, scored on the validation split of
    ``parts`` (from ``load_splits``), or by stratified ``cv``-fold cross-validation over the
    training and validation splits together."""
    score = functools.partial(train_and_score, {**config, **params})
    if cv is None:
        return score(parts['train'], parts['val'])
    pooled = tuple(np.concatenate(arrays) for arrays in zip(parts['train'], parts['val']))
    folds = StratifiedKFold(cv, shuffle=True, seed=config['seed'])
    return cross_val_score(score, pooled, folds).mean


def register(subparsers):
    """Add the ``tune`` command to a CLI's subparsers."""
    parser = subparsers.add_parser(
        'tune', help='hyperparameter search (lr, weight decay, dropout, batch size) of the train job',
        description='Tune lr and weight decay (log scale), dropout and batch size of the `minidl train` '
                    'model by validation accuracy; writes trials.csv, best.json and plots.')
    add = parser.add_argument
    add('--method', choices=METHODS, default='bayes',
        help='bayes (Gaussian process + expected improvement; default), random, or grid')
    add('--trials', type=int, default=12, metavar='N',
        help='number of trials (default 12); for grid, the most grid points (grid counts grow '
             'in the order lr, weight decay, dropout, batch size)')
    scoring = parser.add_mutually_exclusive_group()
    scoring.add_argument('--cv', type=int, metavar='K', help='score by stratified K-fold cross-validation '
                         'over the train+validation splits (K trainings per trial)')
    scoring.add_argument('--val-split', action='store_true',
                         help='score on the validation split (the default)')
    add('--epochs', type=int, default=5, metavar='E',
        help='epochs per training (default 5: short, cheap trials)')
    add('--seed', type=int, default=0, metavar='S',
        help='seed of the search, the models and the folds (default 0)')
    add('--dataset', choices=CHOICES['dataset'], default='digits', help='default digits')
    add('--limit', type=int, metavar='N',
        help='train on at most this many samples of the training split (quick checks)')
    add('--out', metavar='DIR',
        help='output directory (default runs/tune-<method>-<dataset>-<val|cvK>-seed<seed>/); '
             'the same DIR resumes the search')
    return parser


def run(args):
    """Run ``minidl tune ...``; returns the exit code."""
    return main_exit_code(tune, args)


def tune(args):
    """The job: search, print the trials and the best configuration, write the files."""
    if args.trials < 1 or (args.cv is not None and args.cv < 2):
        raise ConfigError(f"need --trials >= 1 and --cv >= 2, got --trials {args.trials}, --cv {args.cv}")
    config = resolve_config({'dataset': args.dataset, 'epochs': args.epochs, 'seed': args.seed,
                             'limit': args.limit}, None)
    space = grid_space(args.trials) if args.method == 'grid' else SPACE
    scoring = f'cv{args.cv}' if args.cv else 'val'
    out = args.out or os.path.join('runs', f'tune-{args.method}-{args.dataset}-{scoring}-seed{args.seed}')
    settings = {'method': args.method, 'scoring': scoring, 'dataset': args.dataset, 'epochs': args.epochs,
                'seed': args.seed, 'limit': args.limit,
                'space': {name: [repr(v), getattr(v, 'grid', None)] for name, v in space.items()}}
    _check_settings(out, settings)
    search = (GridSearch() if args.method == 'grid'
              else METHODS[args.method](n_trials=args.trials, seed=args.seed))
    objective = functools.partial(validation_accuracy, config=config, parts=load_splits(config), cv=args.cv)
    result = search.run(objective, space, direction='maximize', csv_path=os.path.join(out, 'trials.csv'))
    print(format_table(result))
    metric = f'mean validation accuracy of {args.cv}-fold cross-validation' if args.cv else 'validation accuracy'
    summary = _write_results(out, result, metric, settings)
    if result.best_trial is None:
        raise RuntimeError(f"every trial failed; see {out}/trials.csv")
    params = ', '.join(f'{name}={value:.3g}' for name, value in result.best_params.items())
    print(f"best: {metric} {100 * result.best_value:.2f}% (trial {result.best_trial.number}; median of "
          f"the {len(result) - result.n_failed} finished trials {100 * summary['median_value']:.2f}%) "
          f"with {params}; files in {out}/")
    if result.interrupted:
        print("interrupted: run the same command again to resume")
    return result


def _check_settings(out, settings):
    path = os.path.join(out, 'settings.json')
    if os.path.exists(path):
        with open(path) as f:
            old = json.load(f)
        changed = [key for key in settings if old.get(key) != settings[key]]
        if changed:
            why = ("; for --method grid, --trials sets the grid itself, so a grid search resumes with "
                   "its own --trials only" if changed == ['space'] and settings['method'] == 'grid' else '')
            raise ConfigError(f"{out} holds a search run with other {', '.join(changed)}; run it with "
                              f"the same settings to resume it, or give another --out{why}")
    os.makedirs(out, exist_ok=True)
    with open(path, 'w') as f:
        json.dump(settings, f, indent=2)


def _write_results(out, result, metric, settings):
    values = [t.value for t in result.trials if t.ok]
    summary = {'best_params': result.best_params, 'best_value': result.best_value if values else None,
               'best_trial': result.best_trial.number if values else None,
               'median_value': float(np.median(values)) if values else None,
               'metric': metric, 'trials': len(result), 'failed': result.n_failed, 'settings': settings}
    with open(os.path.join(out, 'best.json'), 'w') as f:
        json.dump(summary, f, indent=2)
    result.plot_best_so_far().savefig(os.path.join(out, 'best_so_far.png'), dpi=110)
    result.plot_parameters().savefig(os.path.join(out, 'parameters.png'), dpi=110)
    return summary


def format_table(result):
    """The trials as aligned text: number, validation accuracy, seconds, parameters, error."""
    names = result.space.names
    rows = [['trial', 'val acc', 'seconds', *names, 'error']]
    rows += [[str(t.number), f'{100 * t.value:.2f}%' if t.ok else 'failed', f'{t.seconds:.1f}',
              *(f'{t.params[name]:.3g}' for name in names), t.error] for t in result.trials]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    return '\n'.join('  '.join([cell.rjust(w) for cell, w in zip(row, widths)] + [row[-1]]).rstrip()
                     for row in rows)

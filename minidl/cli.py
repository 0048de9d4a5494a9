"""The ``minidl`` command (also ``python -m minidl``).

- ``minidl train [options]``: the main job, a CNN on the embedded 8x8 digits by default
  (see :mod:`minidl.train.main`); every option can also be set in ``--config FILE``;
- ``minidl evaluate CHECKPOINT``: test metrics of a checkpoint written by ``minidl train``;
- ``minidl assignment list | start ID | check FILE``: coursework (see :mod:`minidl.coursework`);
- ``minidl tune --method grid|random|bayes --trials N``: hyperparameter search of the train
  job's model (see :mod:`minidl.tuning.cli`);
- ``minidl --info``, ``minidl --version``.

Bad options end with a one-line error and exit code 2, never a traceback.
"""
import argparse
import sys

from .coursework import cli as coursework
from .tuning import cli as tuning


class _Parser(argparse.ArgumentParser):
    """argparse, but errors are one line (no usage dump): ``minidl: error: ...``, exit 2."""

    def error(self, message):
        self.exit(2, f"minidl: error: {message} (see `{self.prog} --help`)\n")


def _add_train_options(parser):
    from .train.main import CHOICES
    add = parser.add_argument
    add('--dataset', choices=CHOICES['dataset'], help='digits (8x8, 1,797 images; default), mnist5k '
        '(28x28, 5,000 images) or spirals (2-D points, 3 classes)')
    add('--model', choices=('cnn', 'mlp'), help='cnn (default for images) or mlp (default for spirals)')
    add('--epochs', type=int, help='number of passes over the training set (default 15)')
    add('--batch-size', type=int, help='samples per optimizer step (default 64)')
    add('--optimizer', choices=CHOICES['optimizer'], help='default adamw')
    add('--lr', type=float, help='peak learning rate, reached after the warm-up (default 3e-3)')
    add('--weight-decay', type=float, help='AdamW decoupled weight decay, L2 for others (default 0.05)')
    add('--no-augment', dest='augment', action='store_false', default=None,
        help='train without random rotations/shifts of the images')
    add('--device', choices=CHOICES['device'], help='cpu (default) or cuda (needs CuPy and a GPU)')
    add('--seed', type=int, help='seed of initialization, dropout, augmentation, shuffling (default 0)')
    add('--limit', type=int, help='train on at most this many samples (quick checks)')
    add('--out', metavar='DIR', help='output directory (default runs/<dataset>-<model>-seed<seed>/)')
    add('--resume', metavar='PATH', help="continue the run saved in this checkpoint (e.g. DIR/last.npz), in the "
        "checkpoint's folder unless --out is given; the settings its state holds stay (dataset, model, limit, "
        "batch size, seed, epochs, lr, optimizer, weight decay, warm-up)")
    add('--config', metavar='FILE', help='settings as JSON, or TOML on Python >= 3.11 '
        '(keys as the options, e.g. {"epochs": 20, "batch_size": 32}); options given here win')


def build_parser():
    from . import __version__
    parser = _Parser(
        prog='minidl',
        description='minidl: a deep-learning framework written from scratch on NumPy '
                    '(CuPy for the GPU), built to be read.')
    parser.add_argument('--version', action='version', version=f'minidl {__version__}')
    parser.add_argument('--info', action='store_true',
                        help='print the versions, the current device and whether CUDA is usable')
    commands = parser.add_subparsers(dest='command', parser_class=_Parser)
    _add_train_options(commands.add_parser(
        'train', help='train a model (default: a CNN on the embedded digits) and write plots'))
    evaluate = commands.add_parser('evaluate', help='test metrics of a `minidl train` checkpoint')
    evaluate.add_argument('checkpoint', help='a checkpoint file, e.g. runs/digits-cnn-seed0/best.npz')
    evaluate.add_argument('--device', choices=('cpu', 'cuda'), default='cpu')
    coursework.register(commands)
    tuning.register(commands)
    return parser


def _train(args):
    from .train.main import load_config_file, resolve_config, resumed_settings, train
    given = {k: v for k, v in vars(args).items() if v is not None and k not in ('command', 'config', 'info')}
    if not args.resume:
        return train(resolve_config(given, args.config))
    # a resumed run takes the checkpoint's settings: the config file's are checked against them
    # as the command line's are (it was ignored), and the command line still wins over the file
    from_file = load_config_file(args.config) if args.config else {}
    given = {**{k.replace('-', '_'): v for k, v in from_file.items()}, **given}
    train(resolve_config(resumed_settings(args.resume, given), None))


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == 'train':
        from .train.main import main_exit_code
        return main_exit_code(_train, args)
    if args.command == 'evaluate':
        from .train.main import evaluate_checkpoint, main_exit_code
        return main_exit_code(evaluate_checkpoint, args.checkpoint, args.device)
    if args.command == 'assignment':
        return coursework.run(args)
    if args.command == 'tune':
        return tuning.run(args)
    if args.info:
        import numpy

        from . import __version__, backend
        print(f"minidl {__version__}, numpy {numpy.__version__}, python {sys.version.split()[0]}")
        print(f"device: {backend.get_device()}; cuda available: {backend.cuda_is_available()}")
        return 0
    parser.print_help()
    return 0


if __name__ == '__main__':
    sys.exit(main())

"""The ``minidl`` command (also ``python -m minidl``)."""
import argparse
import sys


def build_parser():
    from . import __version__
    parser = argparse.ArgumentParser(
        prog='minidl',
        description='minidl: a deep-learning framework written from scratch on NumPy '
                    '(CuPy for the GPU), built to be read.')
    parser.add_argument('--version', action='version', version=f'minidl {__version__}')
    parser.add_argument('--info', action='store_true',
                        help='print the versions, the current device and whether CUDA is usable')
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
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

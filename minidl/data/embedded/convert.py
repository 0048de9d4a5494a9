"""Convert the shared CSV copies of the embedded datasets to compact uint8 ``.npz`` files.

Run once, from the repository root, to (re)build the files that ship inside the package::

    python minidl/data/embedded/convert.py ../shared/data/embedded

Each ``<name>.csv.gz`` row holds the pixels of one image then its label. It becomes
``<name>.npz`` with two arrays, stored with ``numpy.savez_compressed``:

    images  uint8, (N, 1, H, W), pixel values as in the CSV (digits: 0..16, MNIST: 0..255)
    labels  uint8, (N,)

The conversion is deterministic: the same CSV gives the same arrays (row order is kept).
Sources and licences are in ``ATTRIBUTION.md`` next to this file.
"""
import gzip
import os
import sys

import numpy

SIDES = {'digits': 8, 'mnist_5k': 28}       # image side length of each dataset


def convert(csv_path, side, out_path):
    """Read ``csv_path`` (gzipped CSV, pixels then label) and write ``out_path`` (.npz)."""
    with gzip.open(csv_path, 'rt') as f:
        table = numpy.loadtxt(f, delimiter=',', dtype=numpy.int64)
    if table.shape[1] != side * side + 1:
        raise ValueError(f"{csv_path}: expected {side * side + 1} columns, got {table.shape[1]}")
    if table.min() < 0 or table.max() > 255:
        raise ValueError(f"{csv_path}: values outside 0..255")
    images = table[:, :-1].astype(numpy.uint8).reshape(-1, 1, side, side)
    labels = table[:, -1].astype(numpy.uint8)
    numpy.savez_compressed(out_path, images=images, labels=labels)
    return images.shape


def main(source_dir):
    here = os.path.dirname(os.path.abspath(__file__))
    for name, side in SIDES.items():
        shape = convert(os.path.join(source_dir, f'{name}.csv.gz'), side, os.path.join(here, f'{name}.npz'))
        print(f'{name}: images {shape} -> {name}.npz')


if __name__ == '__main__':
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join('..', 'shared', 'data', 'embedded'))

"""Embedded datasets, the IDX reader on the real MNIST test set, splits, synthetic data."""
import gzip
import os

import numpy
import pytest

from minidl.data import (load_digits, load_mnist, load_mnist_5k, make_blobs, make_circles, make_moons,
                         make_spirals, train_val_test_split)
from minidl.data.datasets import read_idx

HERE = os.path.dirname(os.path.abspath(__file__))
CANDIDATES = [os.path.join(HERE, '..', '..', '..', 'shared', 'data', 'mnist-t10k'), '/work/shared/data/mnist-t10k']
MNIST_T10K = next((p for p in CANDIDATES if os.path.isdir(p)), None)
needs_t10k = pytest.mark.skipif(MNIST_T10K is None, reason='shared/data/mnist-t10k is not present')


@pytest.mark.parametrize('loader, shape, count', [(load_digits, (1797, 1, 8, 8), None),
                                                  (load_mnist_5k, (5000, 1, 28, 28), 500)])
def test_embedded(loader, shape, count):
    x, y = loader()
    assert x.shape == shape and x.dtype == numpy.float32 and y.dtype == numpy.int64
    assert x.min() == 0.0 and x.max() == 1.0
    assert set(numpy.unique(y).tolist()) == set(range(10))
    if count:
        assert numpy.bincount(y).tolist() == [count] * 10


@needs_t10k
def test_load_mnist_test_set():
    x, y = load_mnist(MNIST_T10K)
    assert x.shape == (10000, 1, 28, 28) and x.dtype == numpy.float32 and y.dtype == numpy.int64
    assert 0.0 <= x.min() and x.max() == 1.0
    assert numpy.bincount(y).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def _raw(name):
    with gzip.open(os.path.join(MNIST_T10K, name + '.gz'), 'rb') as f:
        return f.read()


@needs_t10k
def test_plain_idx_files_and_errors(tmp_path):
    images, labels = _raw('t10k-images-idx3-ubyte'), _raw('t10k-labels-idx1-ubyte')
    (tmp_path / 't10k-labels-idx1-ubyte').write_bytes(labels)
    (tmp_path / 't10k-images-idx3-ubyte').write_bytes(images[:16 + 784 * 100])      # truncated
    with pytest.raises(ValueError, match=r't10k-images-idx3-ubyte holds 78400 data bytes.*truncated'):
        load_mnist(str(tmp_path))
    (tmp_path / 't10k-images-idx3-ubyte').write_bytes(images)                       # plain, whole
    x, y = load_mnist(str(tmp_path), split='test')
    assert x.shape == (10000, 1, 28, 28) and y[:3].tolist() == [7, 2, 1]
    (tmp_path / 't10k-labels-idx1-ubyte').write_bytes(b'\x00\x00\x08\x03' + labels[4:])  # bad magic
    with pytest.raises(ValueError, match='magic number 2051.*expected 2049'):
        load_mnist(str(tmp_path))
    (tmp_path / 't10k-labels-idx1-ubyte').unlink()
    with pytest.raises(FileNotFoundError, match='t10k-labels-idx1-ubyte'):
        load_mnist(str(tmp_path), split='test')


@needs_t10k
def test_truncated_gzip(tmp_path):
    for name in ('t10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'):
        data = open(os.path.join(MNIST_T10K, name), 'rb').read()
        (tmp_path / name).write_bytes(data[:len(data) // 2] if 'images' in name else data)
    with pytest.raises(ValueError, match='corrupt or truncated gzip'):
        load_mnist(str(tmp_path))


def test_load_mnist_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match='no MNIST files'):
        load_mnist(str(tmp_path))
    for name in ('train-images-idx3-ubyte', 't10k-images-idx3-ubyte'):
        (tmp_path / name).write_bytes(b'')
    with pytest.raises(ValueError, match="split='train' or split='test'"):
        load_mnist(str(tmp_path))
    with pytest.raises(ValueError, match='no IDX header'):
        (tmp_path / 'train-labels-idx1-ubyte').write_bytes(b'')
        load_mnist(str(tmp_path), split='train')


@pytest.mark.parametrize('stratify', [True, False])
def test_train_val_test_split(stratify):
    x, y = load_digits()
    parts = train_val_test_split(x, y, (0.6, 0.2, 0.2), seed=1, stratify=stratify)
    sizes = [len(p[1]) for p in parts]
    assert sum(sizes) == len(y) and abs(sizes[0] - 0.6 * len(y)) <= 10
    flat = numpy.concatenate([p[0].reshape(len(p[0]), -1) for p in parts])
    assert len(numpy.unique(flat, axis=0)) == len(numpy.unique(x.reshape(len(x), -1), axis=0))
    if stratify:                                         # class proportions kept to a sample or two
        for xs, ys in parts:
            share = numpy.bincount(ys, minlength=10) / len(ys)
            assert numpy.abs(share - numpy.bincount(y) / len(y)).max() < 0.01
    again = train_val_test_split(x, y, (0.6, 0.2, 0.2), seed=1, stratify=stratify)
    assert all((a[1] == b[1]).all() for a, b in zip(parts, again))
    with pytest.raises(ValueError, match='fractions'):
        train_val_test_split(x, y, (0.5, 0.5))


@pytest.mark.parametrize('make', [make_spirals, make_moons, make_circles, make_blobs])
def test_synthetic_seeded(make):
    x, y = make(seed=3)
    x2, y2 = make(seed=3)
    assert x.dtype == numpy.float32 and y.dtype == numpy.int64 and x.shape == (len(y), 2)
    numpy.testing.assert_array_equal(x, x2)
    numpy.testing.assert_array_equal(y, y2)
    assert not numpy.array_equal(make(seed=4)[0], x)
    counts = numpy.bincount(y)
    assert counts.max() - counts.min() <= 1


def test_synthetic_geometry():
    x, y = make_moons(100, noise=0.0)
    upper = x[y == 0]
    numpy.testing.assert_allclose(numpy.hypot(upper[:, 0], upper[:, 1]), 1.0, rtol=1e-6)
    x, y = make_spirals(300, n_classes=3, noise=0.0)
    assert numpy.hypot(x[:, 0], x[:, 1]).max() <= 1.0 + 1e-6
    x, y = make_blobs(3000, centers=[[0, 0], [5, 5]], cluster_std=0.5, seed=0)
    numpy.testing.assert_allclose(x[y == 1].mean(0), [5, 5], atol=0.05)
    numpy.testing.assert_allclose(x[y == 1].std(0), [0.5, 0.5], atol=0.05)


def _class_table(parts, n_classes):
    return numpy.stack([numpy.bincount(ys, minlength=n_classes) for _, ys in parts], axis=1)


@pytest.mark.parametrize('fractions, sizes', [((0.7, 0.3, 0.0), [105, 45, 0]),      # 0.7 * 150 = 105, 0.3 * 150 = 45
                                              ((0.7, 0.15, 0.15), [105, 22, 23]),    # 22.5, 22.5: one gets the extra
                                              ((0.6, 0.2, 0.2), [90, 30, 30])])
def test_split_sizes_follow_the_fractions(fractions, sizes):
    """10 classes x 15 samples: the part totals are the largest-remainder rounding of
    fractions * 150 (the old per-class rounding gave [100, 40, 10] and [100, 20, 30]), and
    each class puts floor or ceil of fraction * 15 samples in each part."""
    y = numpy.repeat(numpy.arange(10), 15)
    x = numpy.arange(150.0)
    parts = train_val_test_split(x, y, fractions, seed=3)
    assert [len(ys) for _, ys in parts] == sizes
    table = _class_table(parts, 10)
    ideal = 15 * numpy.array(fractions)
    assert (numpy.floor(ideal) <= table).all() and (table <= numpy.ceil(ideal)).all()
    assert sorted(numpy.concatenate([xs for xs, _ in parts]).tolist()) == x.tolist()
    unstratified = train_val_test_split(x, y, fractions, seed=3, stratify=False)
    assert [len(ys) for _, ys in unstratified] == sizes


def test_split_fixes_each_class_within_one_sample():
    """Uneven classes (7, 12, 20, 34): the totals (ideal 51.1, 14.6, 7.3) are 51, 15, 7 (per-class
    rounding gave 51, 14, 8), and every count is floor or ceil of its ideal share."""
    y = numpy.repeat(numpy.arange(4), [7, 12, 20, 34])
    parts = train_val_test_split(numpy.zeros((73, 2)), y, (0.7, 0.2, 0.1), seed=0)
    assert [len(ys) for _, ys in parts] == [51, 15, 7]
    ideal = numpy.outer([7, 12, 20, 34], [0.7, 0.2, 0.1])
    table = _class_table(parts, 4)
    assert (numpy.abs(table - ideal) < 1).all() and (table.sum(axis=1) == [7, 12, 20, 34]).all()


def test_default_digits_and_mnist5k_splits_are_unchanged():
    """The README's results were measured on these exact splits (sizes and first test indices
    recorded before the largest-remainder repair, which leaves them as they were)."""
    for loader, sizes, first in [(load_digits, [1258, 269, 270], [965, 414, 690, 203, 1003, 601]),
                                 (load_mnist_5k, [3500, 750, 750], [1252, 447, 363, 3548, 422, 2143])]:
        _, y = loader()
        parts = train_val_test_split(numpy.arange(len(y)), y)
        assert [len(ys) for _, ys in parts] == sizes
        assert parts[2][0][:6].tolist() == first


def _idx_labels(count):
    """An IDX label file: magic 2049 (uint8, 1 dim), the count, then ``count`` bytes."""
    return (2049).to_bytes(4, 'big') + count.to_bytes(4, 'big') + bytes(k % 10 for k in range(count))


def test_corrupt_gzip_body(tmp_path):
    """A gzip stream whose first deflate block has the reserved type 3 (header bits 1, 11):
    zlib raised its own zlib.error, now a ValueError naming the file."""
    body = bytearray(gzip.compress(_idx_labels(1000)))
    body[10] = 0b111                                     # byte 10: first deflate block header
    path = tmp_path / 'labels.gz'
    path.write_bytes(bytes(body))
    with pytest.raises(ValueError, match=r'load_mnist: .*labels.gz is a corrupt or truncated gzip file'):
        read_idx(str(path), 2049)
    path.write_bytes(gzip.compress(_idx_labels(1000)))   # the same file intact
    assert read_idx(str(path), 2049)[:12].tolist() == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]


def test_idx_header_sizes_do_not_overflow(tmp_path):
    """A header of 2^21 x 2^21 x 2^22 images says 2^64 bytes: numpy.prod wrapped to 0, so an
    empty body passed the size check and reshape failed with NumPy's own error."""
    path = tmp_path / 'images'
    path.write_bytes((2051).to_bytes(4, 'big') + b''.join(d.to_bytes(4, 'big') for d in (2 ** 21, 2 ** 21, 2 ** 22)))
    with pytest.raises(ValueError, match=rf'holds 0 data bytes, its header .* says {2 ** 64} \(truncated file\)'):
        read_idx(str(path), 2051)

"""Embedded datasets, the IDX reader on the real MNIST test set, splits, synthetic data."""
import gzip
import os

import numpy
import pytest

from minidl.data import (load_digits, load_mnist, load_mnist_5k, make_blobs, make_circles, make_moons,
                         make_spirals, train_val_test_split)

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

"""Real datasets (embedded, or read from IDX files) and seeded synthetic ones.

Every loader returns NumPy arrays (on the CPU; a :class:`~minidl.data.DataLoader` moves each
batch to the current device): images of shape (N, 1, H, W), float32 in [0, 1], and int64
labels of shape (N,).

- :func:`load_digits`: 1,797 UCI handwritten digits, 8x8 (embedded, no download).
- :func:`load_mnist_5k`: 5,000 MNIST training images, 28x28, 500 per class (embedded).
- :func:`load_mnist`: MNIST (or any IDX pair) from the standard files in a directory.
- :func:`train_val_test_split`: a seeded, by default stratified, three-way split.
- :func:`make_spirals`, :func:`make_moons`, :func:`make_circles`, :func:`make_blobs`:
  2-D toy problems (float32 points, int64 labels), repeatable for a given ``seed``.

Sources and licences of the embedded files: ``minidl/data/embedded/ATTRIBUTION.md``.

Example:
    >>> x, y = load_digits()
    >>> x.shape, x.dtype, float(x.max()), y[:5].tolist()
    ((1797, 1, 8, 8), dtype('float32'), 1.0, [0, 1, 2, 3, 4])
"""
import gzip
import math
import os
import zlib

import numpy

from .dataset import make_generator

EMBEDDED_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'embedded')


# ----------------------------------------------------------------------------- embedded
def _load_embedded(name, max_value):
    path = os.path.join(EMBEDDED_DIR, f'{name}.npz')
    if not os.path.exists(path):
        raise FileNotFoundError(f"minidl: embedded dataset file {path} is missing; the package "
                                f"install is incomplete (rebuild it with minidl/data/embedded/convert.py)")
    with numpy.load(path) as archive:
        images, labels = archive['images'], archive['labels']
    return (images.astype(numpy.float32) / numpy.float32(max_value)), labels.astype(numpy.int64)


def load_digits():
    """The UCI optical-recognition digits (Alpaydin & Kaynak, 1998): 1,797 images 8x8.

    Returns NumPy arrays ``(images, labels)``: images (1797, 1, 8, 8) float32 in [0, 1] (the
    stored counts 0..16 divided by 16), labels (1797,) int64 in 0..9.

    Example:
        >>> x, y = load_digits()
        >>> numpy.bincount(y).tolist()[:3]
        [178, 182, 177]
    """
    return _load_embedded('digits', 16)


def load_mnist_5k():
    """5,000 real MNIST training images (LeCun, Cortes & Burges), 500 per class, sorted by class.

    Returns NumPy arrays ``(images, labels)``: images (5000, 1, 28, 28) float32 in [0, 1]
    (bytes / 255), labels (5000,) int64. Rows are sorted by class: shuffle or split before use.

    Example:
        >>> x, y = load_mnist_5k()
        >>> x.shape, int(y[0]), int(y[-1])
        ((5000, 1, 28, 28), 0, 9)
    """
    return _load_embedded('mnist_5k', 255)


# ----------------------------------------------------------------------------- splitting
def train_val_test_split(x, y, fractions=(0.7, 0.15, 0.15), seed=0, stratify=True):
    """Split ``(x, y)`` into ``(x_train, y_train), (x_val, y_val), (x_test, y_test)``.

    The part sizes are the largest-remainder rounding of ``fractions * N`` (Hamilton's
    apportionment: each part gets floor(f N) or ceil(f N), the extra samples going to the
    largest remainders), so a part with fraction 0 is empty. With ``stratify=True`` each
    class c of N_c samples also puts floor(f N_c) or ceil(f N_c) samples into every part
    (:func:`_stratified_counts`), so class proportions are kept in every part. Each class is
    shuffled before it is cut, each part after. The split depends only on ``seed`` (a private
    generator).

    Example:
        >>> x, y = load_digits()
        >>> (xt, yt), (xv, yv), (xs, ys) = train_val_test_split(x, y, seed=0)
        >>> len(yt), len(yv), len(ys)
        (1258, 269, 270)
        >>> [len(part[1]) for part in train_val_test_split(x, y, (0.7, 0.3, 0.0))]
        [1258, 539, 0]
    """
    if len(fractions) != 3 or min(fractions) < 0 or abs(sum(fractions) - 1) > 1e-6:
        raise ValueError(f"train_val_test_split: fractions must be 3 numbers >= 0 summing to 1, got {fractions}")
    if len(x) != len(y):
        raise ValueError(f"train_val_test_split: x has {len(x)} samples, y has {len(y)}")
    gen = make_generator(seed)
    labels = numpy.asarray(y.get() if hasattr(y, 'get') else y)
    groups = [numpy.flatnonzero(labels == c) for c in numpy.unique(labels)] if stratify \
        else [numpy.arange(len(labels))]
    counts = _stratified_counts([len(group) for group in groups], numpy.asarray(fractions) / sum(fractions))
    parts = [[], [], []]
    for group, count in zip(groups, counts):
        chunks = numpy.split(gen.permutation(group), numpy.cumsum(count)[:2])
        for part, chunk in zip(parts, chunks):
            part.append(chunk)
    splits = [gen.permutation(numpy.concatenate(p)) for p in parts]
    return tuple((x[idx], y[idx]) for idx in splits)


def _stratified_counts(sizes, fractions):
    """counts[c, k]: how many of the ``sizes[c]`` samples of class c go to part k, (C, 3) ints.

    Every row sums to its class size, every count is floor or ceil of its ideal share
    q[c, k] = fractions[k] * sizes[c], and the column totals are the largest-remainder
    rounding of fractions * N (a controlled rounding of the table q; Cox & Ernst, 1982).

    1. Round each class on its own: train round(q0), validation round(q1), test the rest,
       kept in [floor q2, ceil q2] (when q0 and q1 both end in .5 and round the same way the
       rest is one off; validation takes up the difference).
    2. The targets: largest-remainder totals, ties going to the parts that step 1 rounds up,
       so step 1's totals stand whenever they are a largest-remainder rounding.
    3. While a part is over its target, move one sample of some class into a part under its
       target, directly or through the third part, never taking a count outside
       [floor q, ceil q] (:func:`_augmenting_move`).

    Example:
        >>> _stratified_counts([15, 15], numpy.array([0.7, 0.3, 0.0])).tolist()
        [[11, 4, 0], [10, 5, 0]]
    """
    ideal = numpy.outer(sizes, fractions)
    low, high = numpy.floor(ideal), numpy.ceil(ideal)
    counts = numpy.zeros((len(sizes), 3), dtype=numpy.int64)
    counts[:, 0] = numpy.rint(ideal[:, 0])
    rest = numpy.asarray(sizes) - counts[:, 0] - numpy.rint(ideal[:, 1])
    counts[:, 2] = numpy.clip(rest, low[:, 2], high[:, 2])
    counts[:, 1] = numpy.asarray(sizes) - counts[:, 0] - counts[:, 2]
    target = _largest_remainder(fractions * sum(sizes), counts.sum(axis=0))
    while (counts.sum(axis=0) != target).any():
        _augmenting_move(counts, low, high, target)
    return counts


def _largest_remainder(ideal, current):
    """Integer sizes floor(ideal) + 1 for the sum(ideal) - sum(floor(ideal)) largest remainders
    (Hamilton's method); among equal remainders the parts that ``current`` rounds up win.

    Example:
        >>> _largest_remainder(numpy.array([1257.9, 269.55, 269.55]), numpy.array([1258, 269, 270])).tolist()
        [1258, 269, 270]
    """
    size = numpy.floor(ideal).astype(numpy.int64)
    missing = int(round(ideal.sum())) - int(size.sum())
    order = numpy.lexsort((size - current, size - ideal))   # largest remainder first, then rounded up
    size[order[:missing]] += 1
    return size


def _augmenting_move(counts, low, high, target):
    """Move samples, in place, along one augmenting path from a part over its target to a part
    under it: part p gives one sample of class c to part q where low[c, p] < counts[c, p] and
    counts[c, q] < high[c, q]; if no class can, p gives to the third part r (class c) and r
    to q (another class c'). Each call brings the totals one sample closer to the target.

    Why a path exists: some table meets the bounds, the class sizes and the target totals
    (with three parts, any totals that are floor or ceil of the ideal ones sum within
    [sum floor q, sum ceil q] over every part and pair of parts, which are the max-flow
    min-cut conditions of this transport problem). Its difference from ``counts`` splits
    into paths from parts over target to parts under it (flow decomposition), and a path
    that repeats no part has at most the two steps tried here.
    """
    excess = counts.sum(axis=0) - target
    over, under = numpy.flatnonzero(excess > 0), numpy.flatnonzero(excess < 0)
    paths = [(p, q) for p in over for q in under]
    paths += [(p, r, q) for p, q in paths for r in range(3) if r not in (p, q)]
    for path in paths:
        steps = list(zip(path, path[1:]))
        movers = [numpy.flatnonzero((counts[:, a] > low[:, a]) & (counts[:, b] < high[:, b])) for a, b in steps]
        if all(len(m) for m in movers):
            for (a, b), m in zip(steps, movers):
                counts[m[0], a] -= 1
                counts[m[0], b] += 1
            return
    raise AssertionError(f"train_val_test_split: no augmenting path for counts {counts.tolist()}, target {target}")


# ----------------------------------------------------------------------------- IDX files
IDX_MAGIC = {2051: 3, 2049: 1}          # MNIST images: uint8, 3 dims; labels: uint8, 1 dim
MNIST_FILES = {'train': ('train-images-idx3-ubyte', 'train-labels-idx1-ubyte'),
               'test': ('t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte')}


def read_idx(path, expected_magic):
    """The array stored in one IDX file (gzipped or not: detected from its first bytes).

    IDX layout (LeCun et al.): a big-endian int32 magic number ``0x0000TTDD`` (TT = 0x08 for
    uint8 data, DD = number of dimensions), then DD big-endian int32 sizes, then the data.
    Raises ValueError naming the file for a wrong magic number, a corrupt gzip stream, or a
    data size that differs from the header's.
    """
    with open(path, 'rb') as f:
        raw = f.read()
    if raw[:2] == b'\x1f\x8b':
        try:
            raw = gzip.decompress(raw)
        except (EOFError, OSError, zlib.error) as error:     # truncated; bad header or CRC; bad deflate body
            raise ValueError(f"load_mnist: {path} is a corrupt or truncated gzip file ({error})") from None
    if len(raw) < 4:
        raise ValueError(f"load_mnist: {path} is truncated: {len(raw)} bytes, no IDX header")
    magic = int.from_bytes(raw[:4], 'big')
    if magic != expected_magic:
        raise ValueError(f"load_mnist: {path} has magic number {magic} (0x{magic:08x}), expected "
                         f"{expected_magic} (0x{expected_magic:08x}); not an IDX file of this kind")
    ndim = IDX_MAGIC[magic]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"load_mnist: {path} is truncated inside its header ({len(raw)} bytes)")
    shape = tuple(int.from_bytes(raw[4 + 4 * k:8 + 4 * k], 'big') for k in range(ndim))
    size = math.prod(shape)             # Python ints: numpy.prod would wrap past 2^63
    if len(raw) != header + size:
        raise ValueError(f"load_mnist: {path} holds {len(raw) - header} data bytes, its header "
                         f"{shape} says {size}" + (" (truncated file)" if len(raw) < header + size else ""))
    return numpy.frombuffer(raw, dtype=numpy.uint8, offset=header).reshape(shape)


def _find(root, name):
    for candidate in (name, name + '.gz'):
        if os.path.exists(os.path.join(root, candidate)):
            return os.path.join(root, candidate)
    return None


def load_mnist(root, split=None):
    """MNIST from the standard IDX files in directory ``root`` (your own download).

    ``split`` is ``'train'`` (``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``) or
    ``'test'`` (``t10k-...``), each file plain or ``.gz``. With ``split=None`` the one split
    present in ``root`` is read (an error if both or neither are there). Returns NumPy arrays:
    images (N, 1, 28, 28) float32 in [0, 1], labels (N,) int64. Never train on the test split.

    Example:
        >>> load_mnist('/nonexistent')  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        FileNotFoundError: load_mnist: no MNIST files in /nonexistent: expected train-images-idx3-ubyte[.gz] ...
    """
    if split is None:
        present = [s for s, names in MNIST_FILES.items() if any(_find(root, n) for n in names)]
        if len(present) > 1:
            raise ValueError(f"load_mnist: {root} holds both the train and the test split; "
                             f"pass split='train' or split='test'")
        if not present:
            expected = ', or '.join(' and '.join(f'{n}[.gz]' for n in names) for names in MNIST_FILES.values())
            raise FileNotFoundError(f"load_mnist: no MNIST files in {root}: expected {expected}")
        split = present[0]
    if split not in MNIST_FILES:
        raise ValueError(f"load_mnist: split must be 'train', 'test' or None, got {split!r}")
    paths = []
    for name in MNIST_FILES[split]:
        path = _find(root, name)
        if path is None:
            raise FileNotFoundError(f"load_mnist: {os.path.join(root, name)}[.gz] not found")
        paths.append(path)
    images, labels = read_idx(paths[0], 2051), read_idx(paths[1], 2049)
    if len(images) != len(labels):
        raise ValueError(f"load_mnist: {paths[0]} has {len(images)} images but {paths[1]} has {len(labels)} labels")
    return images[:, None].astype(numpy.float32) / numpy.float32(255), labels.astype(numpy.int64)


# ----------------------------------------------------------------------------- synthetic
def _noisy(points, labels, noise, gen):
    points = points + noise * gen.standard_normal(points.shape)
    order = gen.permutation(len(labels))
    return points[order].astype(numpy.float32), labels[order].astype(numpy.int64)


def make_spirals(n_samples=300, n_classes=3, noise=0.2, seed=0):
    """Interleaved spiral arms (the CS231n toy problem), ``n_samples // n_classes`` per arm.

    Arm k, point t in [0, 1]: radius r = t, angle a = 4 (k + t) + noise * N(0, 1),
    position (r sin a, r cos a). Returns shuffled float32 points (n, 2) and int64 labels.

    Example:
        >>> x, y = make_spirals(30, n_classes=3, seed=0)
        >>> x.shape, numpy.bincount(y).tolist()
        ((30, 2), [10, 10, 10])
    """
    gen = make_generator(seed)
    per_class = n_samples // n_classes
    t = numpy.tile(numpy.linspace(0.0, 1.0, per_class), n_classes)
    labels = numpy.repeat(numpy.arange(n_classes), per_class)
    angle = 4.0 * (labels + t) + noise * gen.standard_normal(t.shape)
    points = numpy.stack([t * numpy.sin(angle), t * numpy.cos(angle)], axis=1)
    return _noisy(points, labels, 0.0, gen)


def make_moons(n_samples=200, noise=0.1, seed=0):
    """Two interleaving half circles: (cos s, sin s) and (1 - cos s, 0.5 - sin s), s in [0, pi].

    Gaussian noise of std ``noise`` is added to every coordinate. Returns shuffled float32
    points (n, 2) and int64 labels (0 = upper moon, 1 = lower moon).

    Example:
        >>> x, y = make_moons(10, noise=0.0, seed=0)
        >>> x.shape, int(y.sum())
        ((10, 2), 5)
    """
    n_upper = n_samples // 2
    s_upper, s_lower = numpy.linspace(0, numpy.pi, n_upper), numpy.linspace(0, numpy.pi, n_samples - n_upper)
    points = numpy.concatenate([numpy.stack([numpy.cos(s_upper), numpy.sin(s_upper)], 1),
                                numpy.stack([1 - numpy.cos(s_lower), 0.5 - numpy.sin(s_lower)], 1)])
    labels = numpy.repeat([0, 1], [n_upper, n_samples - n_upper])
    return _noisy(points, labels, noise, make_generator(seed))


def make_circles(n_samples=200, noise=0.05, factor=0.5, seed=0):
    """Two concentric circles: radius 1 (label 0) and radius ``factor`` < 1 (label 1).

    Example:
        >>> x, y = make_circles(8, noise=0.0, factor=0.5, seed=0)
        >>> numpy.round(numpy.hypot(x[:, 0], x[:, 1]), 6)[y == 1].tolist()
        [0.5, 0.5, 0.5, 0.5]
    """
    if not 0 < factor < 1:
        raise ValueError(f"make_circles: factor must be in (0, 1), got {factor}")
    n_outer = n_samples // 2
    angles = [numpy.linspace(0, 2 * numpy.pi, n, endpoint=False) for n in (n_outer, n_samples - n_outer)]
    points = numpy.concatenate([r * numpy.stack([numpy.cos(a), numpy.sin(a)], 1)
                                for r, a in zip((1.0, factor), angles)])
    labels = numpy.repeat([0, 1], [n_outer, n_samples - n_outer])
    return _noisy(points, labels, noise, make_generator(seed))


def make_blobs(n_samples=300, centers=3, n_features=2, cluster_std=1.0, center_box=(-10.0, 10.0), seed=0):
    """Isotropic Gaussian clusters: x = center[y] + cluster_std * N(0, I).

    ``centers`` is a number of clusters (centres drawn uniformly in ``center_box``) or an
    array of centres (k, n_features). Samples are spread evenly over the clusters.

    Example:
        >>> x, y = make_blobs(6, centers=[[0, 0], [10, 10]], cluster_std=0.0, seed=0)
        >>> sorted(map(tuple, x.tolist()))
        [(0.0, 0.0), (0.0, 0.0), (0.0, 0.0), (10.0, 10.0), (10.0, 10.0), (10.0, 10.0)]
    """
    gen = make_generator(seed)
    if numpy.ndim(centers) == 0:
        centers = gen.uniform(center_box[0], center_box[1], size=(int(centers), n_features))
    centers = numpy.asarray(centers, dtype=numpy.float64)
    labels = numpy.arange(n_samples) % len(centers)
    return _noisy(centers[labels], labels, cluster_std, gen)

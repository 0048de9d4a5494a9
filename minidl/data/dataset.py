"""Datasets: indexable collections of samples, and ways to split them.

A :class:`Dataset` answers ``len(ds)`` and ``ds[i]`` (one sample, usually a tuple such as
``(image, label)``); so does a plain Python list of samples. An *array-backed* dataset also
answers ``ds.gather(indices)``: a whole batch at once, by one fancy index per array, with no
Python loop over samples. The :class:`~minidl.data.DataLoader` uses ``gather`` whenever it
can (:func:`gather`).

Randomness: a function or loader given an integer ``seed`` draws from its own
``numpy.random.Generator(PCG64(seed))``, so its result does not depend on (and does not
advance) the global generator of :func:`minidl.manual_seed`; with ``seed=None`` it draws from
the global generator instead.

Example:
    >>> import numpy as np
    >>> from minidl.data import TensorDataset, random_split
    >>> ds = TensorDataset(np.arange(10.0).reshape(5, 2), np.array([0, 1, 0, 1, 1]))
    >>> x1, y1 = ds[1]
    >>> len(ds), x1.tolist(), int(y1)
    (5, [2.0, 3.0], 1)
    >>> train, val = random_split(ds, [0.6, 0.4], seed=0)
    >>> len(train), len(val)
    (3, 2)
"""
import numbers

import numpy

from .. import backend
from ..autograd.tensor import Tensor


def make_generator(seed):
    """A NumPy generator: private, ``PCG64(seed)``, for an int; seeded from minidl's global
    generator (so still repeatable under :func:`minidl.manual_seed`) for ``None``."""
    if seed is None:
        seed = int(backend.integers(0, 2 ** 62, (), device='cpu'))
    return numpy.random.Generator(numpy.random.PCG64(seed))


class Dataset:
    """Base class: subclasses define ``__len__`` and ``__getitem__(index)``.

    ``gather(indices)`` returns a batch; this default stacks ``self[i]`` for each index
    (a Python loop). Array-backed datasets override it with one fancy index.
    """

    def __len__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __len__")

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")

    def gather(self, indices):
        """The samples at ``indices`` collated into a batch (see :func:`default_collate`)."""
        return default_collate([self[int(i)] for i in indices])


def gather(dataset, indices):
    """The samples of ``dataset`` at ``indices`` as one batch: ``dataset.gather`` where the
    dataset has it, else :func:`default_collate` of the samples one by one (any object with
    ``__len__`` and ``__getitem__``, a list of tuples included)."""
    if hasattr(dataset, 'gather'):
        return dataset.gather(indices)
    return Dataset.gather(dataset, indices)             # the default: sample by sample


def default_collate(samples):
    """Stack a list of samples into a batch: tuples field by field, dicts key by key, arrays
    and numbers along a new axis 0; strings stay a list (as in PyTorch).

    Example:
        >>> import numpy as np
        >>> x, y = default_collate([(np.zeros(2), 1), (np.ones(2), 0)])
        >>> x.shape, y
        ((2, 2), array([1, 0]))
        >>> default_collate([{'id': 'a', 'y': 1}, {'id': 'b', 'y': 0}])
        {'id': ['a', 'b'], 'y': array([1, 0])}
    """
    first = samples[0]
    if isinstance(first, (tuple, list)):
        return tuple(default_collate([s[k] for s in samples]) for k in range(len(first)))
    if isinstance(first, dict):
        return {key: default_collate([s[key] for s in samples]) for key in first}
    if isinstance(first, str):
        return list(samples)
    if isinstance(first, Tensor):
        samples = [s.data for s in samples]
    xp = backend.get_array_module(*samples)
    return xp.stack([xp.asarray(s) for s in samples])


class TensorDataset(Dataset):
    """Samples are the rows of equally long arrays: ``ds[i] == (a[i], b[i], ...)``.

    Arrays may be NumPy, CuPy or Tensors (stored as their raw arrays, without a copy).
    ``gather`` takes a whole batch with one fancy index per array.

    Example:
        >>> import numpy as np
        >>> ds = TensorDataset(np.zeros((4, 3)), np.arange(4))
        >>> [a.shape for a in ds.gather(np.array([3, 0]))]
        [(2, 3), (2,)]
    """

    def __init__(self, *arrays):
        if not arrays:
            raise ValueError("TensorDataset: needs at least one array")
        self.arrays = tuple(a.data if isinstance(a, Tensor) else a for a in arrays)
        lengths = [len(a) for a in self.arrays]
        if len(set(lengths)) != 1:
            raise ValueError(f"TensorDataset: arrays must have the same length, got lengths {lengths}")

    def __len__(self):
        return len(self.arrays[0])

    def __getitem__(self, index):
        return tuple(a[index] for a in self.arrays)

    def gather(self, indices):
        return tuple(a[backend.get_array_module(a).asarray(indices)] for a in self.arrays)


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order: ``sub[k] == dataset[indices[k]]``.

    Example:
        >>> import numpy as np
        >>> sub = Subset(TensorDataset(np.arange(5) * 10), [4, 1])
        >>> len(sub), int(sub[0][0])
        (2, 40)
    """

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = numpy.asarray(indices, dtype=numpy.int64)

    def __len__(self):
        return len(self.indices)

    def __getitem__(self, index):
        if isinstance(index, list):                   # several samples, as PyTorch's Subset allows
            return self.dataset[[int(i) for i in self.indices[index]]]
        return self.dataset[int(self.indices[index])]

    def gather(self, indices):
        return gather(self.dataset, self.indices[numpy.asarray(indices)])


def _split_lengths(n, lengths, caller):
    """Integer lengths summing to ``n``: given as ints, or as fractions summing to 1 (the
    remainder of flooring goes one by one to the first parts, as in PyTorch)."""
    lengths = list(lengths)
    if all(isinstance(v, numbers.Integral) for v in lengths):
        if sum(lengths) != n:
            raise ValueError(f"{caller}: lengths {lengths} sum to {sum(lengths)}, dataset has {n} samples")
        return lengths
    if abs(sum(lengths) - 1.0) > 1e-6 or min(lengths) < 0:
        raise ValueError(f"{caller}: fractions {lengths} must be >= 0 and sum to 1")
    counts = [int(numpy.floor(n * f)) for f in lengths]
    for k in range(n - sum(counts)):
        counts[k % len(counts)] += 1
    return counts


def random_split(dataset, lengths, seed=None):
    """Split ``dataset`` into non-overlapping random :class:`Subset` s of the given lengths.

    ``lengths`` are sample counts summing to ``len(dataset)``, or fractions summing to 1.

    Example:
        >>> import numpy as np
        >>> a, b = random_split(TensorDataset(np.arange(10)), [7, 3], seed=0)
        >>> sorted(np.concatenate([a.indices, b.indices]).tolist()) == list(range(10))
        True
    """
    counts = _split_lengths(len(dataset), lengths, 'random_split')
    order = make_generator(seed).permutation(len(dataset))
    bounds = numpy.cumsum([0] + counts)
    return [Subset(dataset, order[lo:hi]) for lo, hi in zip(bounds[:-1], bounds[1:])]

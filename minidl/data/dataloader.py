"""``DataLoader``: iterate over a dataset in (shuffled) mini-batches of Tensors.

One epoch visits every sample exactly once: the indices ``0 .. n-1`` (permuted when
``shuffle=True``) are cut into consecutive chunks of ``batch_size``; the last, shorter chunk
is dropped when ``drop_last=True``. So ``len(loader)`` is ``ceil(n / batch_size)``, or
``floor(n / batch_size)`` with ``drop_last``.

A batch is gathered by ``dataset.gather(indices)``: for array-backed datasets
(:class:`TensorDataset`, and :class:`Subset` s of one) that is one fancy index per array, no
Python loop over samples; any other dataset (a list of samples too) is read sample by sample
and collated by :func:`default_collate`. With ``collate_fn`` the loader instead calls
``collate_fn([dataset[i] for i in indices])``. Each array of the batch (each field of a
tuple, each value of a dict) becomes a Tensor on the current device
(:func:`minidl.get_device`); a list of strings stays a list. ``transform`` then acts on the
first field, the inputs (labels are never transformed).

Shuffling: with an integer ``seed`` the loader owns a generator
``numpy.random.Generator(PCG64(seed))``, made once when the loader is built; each epoch draws
a fresh permutation from it, so the sequence of epochs is the same for every loader built
with that seed, whatever else draws random numbers. With ``seed=None`` the generator is
seeded from minidl's global one (:func:`minidl.manual_seed`).

Example:
    >>> import numpy as np
    >>> from minidl.data import DataLoader, TensorDataset
    >>> ds = TensorDataset(np.arange(10.0).reshape(5, 2), np.arange(5))
    >>> loader = DataLoader(ds, batch_size=2, shuffle=True, seed=0)
    >>> len(loader), len(DataLoader(ds, batch_size=2, drop_last=True))
    (3, 2)
    >>> sorted(int(i) for x, y in loader for i in y.numpy())
    [0, 1, 2, 3, 4]
"""
import numbers

import numpy

from .. import backend
from ..autograd.tensor import Tensor
from .dataset import gather, make_generator


class DataLoader:
    """Mini-batches of ``dataset`` as Tensors on the current device (see the module docstring)."""

    def __init__(self, dataset, batch_size=1, shuffle=False, drop_last=False, transform=None,
                 collate_fn=None, seed=None):
        if not isinstance(batch_size, numbers.Integral) or isinstance(batch_size, bool) or batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be a positive integer, got {batch_size!r} "
                             "(minidl's loader always makes batches)")
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.transform = transform
        self.collate_fn = collate_fn
        self.generator = make_generator(seed) if shuffle else None

    def __len__(self):
        n, b = len(self.dataset), self.batch_size
        return n // b if self.drop_last else -(-n // b)

    def __iter__(self):
        n = len(self.dataset)
        order = self.generator.permutation(n) if self.shuffle else numpy.arange(n)
        for k in range(len(self)):
            yield self._batch(order[k * self.batch_size:(k + 1) * self.batch_size])

    def _batch(self, indices):
        if self.collate_fn is not None:
            batch = self.collate_fn([self.dataset[int(i)] for i in indices])
        else:
            batch = gather(self.dataset, indices)
        if isinstance(batch, dict):
            if self.transform is not None:
                raise TypeError("DataLoader: transform acts on the first field of a tuple batch; these "
                                "samples are dicts, so transform them in the dataset or a collate_fn")
            return {key: _to_tensor(field) for key, field in batch.items()}
        single = not isinstance(batch, (tuple, list))
        fields = [_to_tensor(field) for field in ((batch,) if single else batch)]
        if self.transform is not None:
            fields[0] = self.transform(fields[0])
        return fields[0] if single else tuple(fields)


def _to_tensor(field):
    """A Tensor on the current device holding ``field`` (moved there if needed, not copied);
    a list of strings (names, captions) is kept as it is."""
    if isinstance(field, list) and field and isinstance(field[0], str):
        return field
    if isinstance(field, Tensor):
        field = field.data
    if not hasattr(field, 'shape'):
        field = numpy.asarray(field)
    return Tensor(backend.to_device(field, backend.get_device()))

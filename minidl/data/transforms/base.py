"""The ``Transform`` base class, ``Compose``, and the per-sample random draws they share.

A transform takes a batch of images, a Tensor or an xp array of shape (N, C, H, W) with a
floating dtype, and returns a Tensor of the same dtype on the same device. Random transforms
draw their parameters per image, from minidl's seeded generator (:func:`minidl.manual_seed`)
of the batch's device, so the same seed gives the same augmentation. Transforms are not
differentiable operations: they prepare inputs and record no graph.
"""
import math
import numbers

import numpy

from ... import backend
from ...autograd.tensor import Tensor


class Transform:
    """Base class: ``__call__`` checks the batch, then ``apply(array) -> array`` does the work."""

    def __call__(self, images):
        array = images.data if isinstance(images, Tensor) else images
        name = type(self).__name__
        if not hasattr(array, 'ndim') or array.ndim != 4:
            shape = getattr(array, 'shape', type(array).__name__)
            raise ValueError(f"{name}: expected a batch of images of shape (N, C, H, W), got shape {shape}"
                             " (add a batch axis with x[None] or a channel axis with x[:, None])")
        if array.dtype.kind != 'f':
            raise TypeError(f"{name}: expected floating images, got dtype {array.dtype} "
                            f"(e.g. convert uint8 pixels with x.astype('float32') / 255)")
        return Tensor(self.apply(array).astype(array.dtype, copy=False))

    def apply(self, images):
        raise NotImplementedError(f"{type(self).__name__} must define apply(images)")

    def __repr__(self):
        args = ', '.join(f'{k}={v!r}' for k, v in vars(self).items())
        return f'{type(self).__name__}({args})'


class Compose:
    """Apply transforms one after another: ``Compose([f, g])(x) == g(f(x))``.

    Example:
        >>> import numpy as np
        >>> from minidl.data.transforms import Compose, Normalize, RandomHorizontalFlip
        >>> t = Compose([RandomHorizontalFlip(p=1.0), Normalize([0.5], [0.5])])
        >>> t(np.array([[[[0.0, 1.0]]]], dtype=np.float32)).numpy().tolist()
        [[[[1.0, -1.0]]]]
    """

    def __init__(self, transforms):
        self.transforms = list(transforms)

    def __call__(self, images):
        for transform in self.transforms:
            images = transform(images)
        return images

    def __repr__(self):
        return 'Compose([' + ', '.join(map(repr, self.transforms)) + '])'


# ----------------------------------------------------------------------------- parameter helpers
def symmetric_range(value, name, centre=0.0, minimum=None):
    """``value`` as an interval: a number v gives (centre - v, centre + v) (clipped below at
    ``minimum``), a pair is taken as is."""
    if isinstance(value, numbers.Number):
        if value < 0:
            raise ValueError(f"{name}: expected a non-negative number, got {value}")
        low = centre - value if minimum is None else max(minimum, centre - value)
        return (float(low), float(centre + value))
    low, high = value
    if low > high:
        raise ValueError(f"{name}: interval ({low}, {high}) has low > high")
    return (float(low), float(high))


def pair(size, name):
    """An output size (h, w) from an int or a pair."""
    h, w = (size, size) if isinstance(size, numbers.Integral) else size
    if h < 1 or w < 1:
        raise ValueError(f"{name}: size must be positive, got {size}")
    return int(h), int(w)


def uniform(n, interval, like):
    """n float64 samples of U[low, high), on the device of the array ``like``."""
    return backend.uniform((n,), interval[0], interval[1], dtype=numpy.float64, device=backend.device_of(like))


def log_uniform(n, interval, like):
    """n samples whose log is uniform on [log low, log high) (aspect ratios)."""
    xp = backend.get_array_module(like)
    return xp.exp(uniform(n, (math.log(interval[0]), math.log(interval[1])), like))


def coin(n, p, like):
    """n booleans, each True with probability p."""
    return uniform(n, (0.0, 1.0), like) < p


def integers_upto(high, like):
    """One integer uniform on {0, ..., high[k]} for each entry of the int array ``high``."""
    xp = backend.get_array_module(like)
    draw = xp.floor(uniform(len(high), (0.0, 1.0), like) * (high + 1)).astype(xp.int64)
    return xp.minimum(draw, high)

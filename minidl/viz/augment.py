"""A grid of images next to several augmented versions of each, to see what a transform does.

Example:
    >>> import numpy as np
    >>> from minidl.data import transforms as T
    >>> fig = show_augmentations(T.RandomRotation(30), np.random.default_rng(0).random((2, 1, 8, 8)), n_samples=3)
    >>> len(fig.axes)
    8
"""
import numpy
from matplotlib.figure import Figure

from .. import backend
from ..autograd.tensor import Tensor
from .figure import finish


def _to_numpy(images):
    return backend.to_numpy(images.data if isinstance(images, Tensor) else images)


def _draw(ax, image):
    """One (C, H, W) image: grey for one channel, RGB (clipped to [0, 1]) for three."""
    if image.shape[0] == 3:
        ax.imshow(numpy.clip(image.transpose(1, 2, 0), 0, 1))
    else:
        ax.imshow(image[0], cmap='gray')
    ax.set_xticks([])
    ax.set_yticks([])


def show_augmentations(transform, images, n_samples=5, n_images=4, path=None):
    """Draw each of the first ``n_images`` images, then ``n_samples`` augmented versions.

    Row k holds image k (titled "original") and ``transform`` applied to it ``n_samples``
    times (one batch of ``n_images * n_samples`` copies, so each copy gets its own random
    parameters). ``images`` is (N, C, H, W) (array or Tensor); C = 1 is drawn grey, C = 3 as
    RGB, other channel counts by their first channel. Saves to ``path`` when given (a PNG,
    PDF, ... by its suffix, PNG without one; missing folders are created) and returns the
    matplotlib Figure (made without pyplot: nothing stays open).
    """
    images = _to_numpy(images)
    if images.ndim != 4:
        raise ValueError(f"show_augmentations: expected images of shape (N, C, H, W), got {images.shape}")
    if n_samples < 0:
        raise ValueError(f"show_augmentations: n_samples must be >= 0, got {n_samples}")
    originals = images[:n_images]
    if len(originals) == 0:
        raise ValueError(f"show_augmentations: no images to show (images of shape {images.shape}, "
                         f"n_images={n_images})")
    copies = numpy.repeat(originals, n_samples, axis=0)
    augmented = _to_numpy(transform(backend.xp_for().asarray(copies)))
    rows, cols = len(originals), n_samples + 1
    fig = Figure(figsize=(1.6 * cols, 1.6 * rows))
    axes = fig.subplots(rows, cols, squeeze=False)
    for k in range(rows):
        _draw(axes[k, 0], originals[k])
        axes[k, 0].set_title('original', fontsize=8)
        for s in range(n_samples):
            _draw(axes[k, s + 1], augmented[k * n_samples + s])
    fig.suptitle(type(transform).__name__, fontsize=10)
    return finish(fig, path, dpi=100)

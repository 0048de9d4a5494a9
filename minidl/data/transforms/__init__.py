"""Data augmentation on batches of images (N, C, H, W), per-sample random, on NumPy or CuPy.

Every transform maps a batch (Tensor or xp array, floating dtype) to a Tensor of the same
dtype and device; each image draws its own parameters from minidl's seeded generator.
Geometric ones state the coordinate map they use (see :mod:`.warp` for the conventions).

Example:
    >>> import minidl, numpy as np
    >>> from minidl.data import transforms as T
    >>> minidl.manual_seed(0)
    >>> augment = T.Compose([T.RandomHorizontalFlip(), T.RandomCrop(28, padding=2)])
    >>> augment(np.zeros((8, 1, 28, 28), dtype=np.float32)).shape
    (8, 1, 28, 28)
"""
from .base import Compose, Transform
from .color import ColorJitter, GaussianNoise, Normalize, RandomErasing
from .geometric import (CenterCrop, RandomAffine, RandomCrop, RandomHorizontalFlip, RandomResizedCrop,
                        RandomRotation, RandomVerticalFlip)
from .warp import affine_inverse, warp_affine

"""Photometric augmentations and normalization: pixel values change, geometry does not.

Images are (N, C, H, W) floats; ColorJitter assumes values in [0, 1] and clips to it.
"""
import numpy

from ... import backend
from .base import Transform, coin, log_uniform, symmetric_range, uniform

# ITU-R BT.601 luma weights, and the RGB <-> YIQ matrices (used for hue rotation)
LUMA = (0.299, 0.587, 0.114)
RGB_TO_YIQ = numpy.array([[0.299, 0.587, 0.114], [0.596, -0.274, -0.322], [0.211, -0.523, 0.312]])
YIQ_TO_RGB = numpy.linalg.inv(RGB_TO_YIQ)


class ColorJitter(Transform):
    """Random brightness, contrast, saturation and hue, one factor of each per image.

    With factors b ~ U(max(0, 1 - brightness), 1 + brightness), k (contrast) and s
    (saturation) likewise, and a hue shift h ~ U(-hue, hue) of a turn (hue <= 0.5), applied in
    this fixed order and clipped to [0, 1] after each step:

        brightness   x <- b x
        contrast     x <- k (x - m) + m,   m = mean grey level of the image
        saturation   x <- s (x - g) + g,   g = 0.299 R + 0.587 G + 0.114 B per pixel
        hue          rotate the chroma (I, Q) of YIQ by -2 pi h: x <- YIQ^-1 Rot(-2 pi h) YIQ x

    A positive h turns hue the way torchvision's ``adjust_hue`` does, h_HSV <- (h_HSV + h) mod 1:
    red -> yellow -> green -> blue -> magenta -> red, so h = 1/3 takes red to green (in the
    (I, Q) plane, with I towards orange and Q towards purple, that is a clockwise turn).
    (torchvision shifts hue in HSV and randomizes the order; the YIQ rotation is the linear
    version of the same idea, so the hue moves by about, not exactly, h.) Saturation and hue
    need RGB images, C = 3.

    Example:
        >>> import numpy as np
        >>> x = np.full((2, 1, 2, 2), 0.5, dtype=np.float32)
        >>> ColorJitter(brightness=(2.0, 2.0))(x).numpy().max().item()   # 0.5 * 2, clipped to 1
        1.0
    """

    def __init__(self, brightness=0.0, contrast=0.0, saturation=0.0, hue=0.0):
        self.brightness = symmetric_range(brightness, 'ColorJitter(brightness)', 1.0, 0.0)
        self.contrast = symmetric_range(contrast, 'ColorJitter(contrast)', 1.0, 0.0)
        self.saturation = symmetric_range(saturation, 'ColorJitter(saturation)', 1.0, 0.0)
        self.hue = symmetric_range(hue, 'ColorJitter(hue)')
        if not -0.5 <= self.hue[0] <= self.hue[1] <= 0.5:
            raise ValueError(f"ColorJitter: hue must lie in [-0.5, 0.5], got {hue}")

    def apply(self, images):
        xp = backend.get_array_module(images)
        n, channels = images.shape[:2]
        if channels != 3 and (self.saturation != (1.0, 1.0) or self.hue != (0.0, 0.0)):
            raise ValueError(f"ColorJitter: saturation and hue need RGB images (N, 3, H, W), got shape {images.shape}")
        factor = [uniform(n, interval, images).astype(images.dtype)[:, None, None, None]
                  for interval in (self.brightness, self.contrast, self.saturation)]
        x = xp.clip(images * factor[0], 0, 1)
        mean = self._grey(x).mean(axis=(2, 3), keepdims=True)
        x = xp.clip(factor[1] * (x - mean) + mean, 0, 1)
        if channels == 3:
            grey = self._grey(x)
            x = xp.clip(factor[2] * (x - grey) + grey, 0, 1)
            x = xp.clip(self._rotate_hue(x, uniform(n, self.hue, images)), 0, 1)
        return x

    @staticmethod
    def _grey(x):
        """Luma per pixel (N, 1, H, W); the image itself when it has one channel."""
        if x.shape[1] != 3:
            return x.mean(axis=1, keepdims=True)
        return LUMA[0] * x[:, 0:1] + LUMA[1] * x[:, 1:2] + LUMA[2] * x[:, 2:3]

    @staticmethod
    def _rotate_hue(x, turns):
        xp = backend.get_array_module(x)
        cos, sin = xp.cos(2 * numpy.pi * turns), xp.sin(2 * numpy.pi * turns)
        one, zero = xp.ones_like(cos), xp.zeros_like(cos)
        rotation = xp.stack([xp.stack([one, zero, zero], -1), xp.stack([zero, cos, sin], -1),
                             xp.stack([zero, -sin, cos], -1)], -2)
        matrix = (xp.asarray(YIQ_TO_RGB) @ rotation @ xp.asarray(RGB_TO_YIQ)).astype(x.dtype)
        return xp.einsum('nkc,nchw->nkhw', matrix, x)


class GaussianNoise(Transform):
    """Additive noise: x <- x + std * N(0, 1), independently per value (not clipped).

    Example:
        >>> import numpy as np
        >>> float(GaussianNoise(0.0)(np.ones((1, 1, 2, 2))).numpy().sum())
        4.0
    """

    def __init__(self, std=0.1):
        if std < 0:
            raise ValueError(f"GaussianNoise: std must be >= 0, got {std}")
        self.std = std

    def apply(self, images):
        noise = backend.normal(images.shape, 0.0, 1.0, dtype=images.dtype, device=backend.device_of(images))
        return images + images.dtype.type(self.std) * noise


class RandomErasing(Transform):
    """Cutout / random erasing (DeVries & Taylor, 2017; Zhong et al., 2020).

    With probability p per image, a rectangle of area fraction a ~ U(scale) and aspect ratio
    r ~ logU(ratio), h = round(sqrt(a H W r)) rows by w = round(sqrt(a H W / r)) columns (as
    in torchvision, r is height over width: r = 3 gives a tall box; clipped to the image
    where torchvision redraws), at a uniform position where it fits, is set to ``value`` (one
    number for every channel, or one per channel, as in torchvision):
    out[n, c, i, j] = value_c if top <= i < top + h and left <= j < left + w, else in[n, c, i, j].

    Example:
        >>> import numpy as np
        >>> out = RandomErasing(p=1.0, scale=(0.25, 0.25), ratio=(1, 1))(np.ones((1, 1, 4, 4)))
        >>> float(out.numpy().sum())                    # a 2x2 square erased
        12.0
    """

    def __init__(self, p=0.5, scale=(0.02, 0.33), ratio=(0.3, 3.3), value=0.0):
        self.value = numpy.asarray(value, dtype=numpy.float64)
        if self.value.ndim > 1 or self.value.size == 0:
            raise ValueError(f"RandomErasing: value must be a number or one number per channel, got {value!r}")
        self.p = p
        self.scale = symmetric_range(scale, 'RandomErasing(scale)')
        self.ratio = symmetric_range(ratio, 'RandomErasing(ratio)')

    def apply(self, images):
        xp = backend.get_array_module(images)
        n, _, height, width = images.shape
        area = uniform(n, self.scale, images) * height * width
        ratio = log_uniform(n, self.ratio, images)
        h = xp.clip(xp.rint(xp.sqrt(area * ratio)), 1, height)
        w = xp.clip(xp.rint(xp.sqrt(area / ratio)), 1, width)
        top = xp.floor(uniform(n, (0, 1), images) * (height - h + 1))
        left = xp.floor(uniform(n, (0, 1), images) * (width - w + 1))
        rows = xp.arange(height)[None, :, None]
        cols = xp.arange(width)[None, None, :]
        inside = ((rows >= top[:, None, None]) & (rows < (top + h)[:, None, None])
                  & (cols >= left[:, None, None]) & (cols < (left + w)[:, None, None]))
        erase = inside & coin(n, self.p, images)[:, None, None]
        value = xp.asarray(self.value, dtype=images.dtype)
        if value.ndim == 1:                             # one per channel
            if value.size != images.shape[1]:
                raise ValueError(f"RandomErasing: {value.size} values for images of {images.shape[1]} "
                                 f"channels (shape {images.shape})")
            value = value.reshape(1, -1, 1, 1)
        return xp.where(erase[:, None], value, images)


class Normalize(Transform):
    """Per-channel standardization: out[n, c] = (in[n, c] - mean[c]) / std[c].

    Example:
        >>> import numpy as np
        >>> Normalize([0.5, 0.0], [0.5, 2.0])(np.ones((1, 2, 1, 1))).numpy().ravel().tolist()
        [1.0, 0.5]
    """

    def __init__(self, mean, std):
        self.mean = numpy.atleast_1d(numpy.asarray(mean, dtype=numpy.float64))
        self.std = numpy.atleast_1d(numpy.asarray(std, dtype=numpy.float64))
        if self.mean.shape != self.std.shape or (self.std <= 0).any():
            raise ValueError(f"Normalize: mean and std need one entry per channel, std > 0; got {mean}, {std}")

    def apply(self, images):
        xp = backend.get_array_module(images)
        if images.shape[1] != len(self.mean):
            raise ValueError(f"Normalize: {len(self.mean)} channel means for images of shape {images.shape}")
        mean = xp.asarray(self.mean, dtype=images.dtype)[:, None, None]
        std = xp.asarray(self.std, dtype=images.dtype)[:, None, None]
        return (images - mean) / std

"""Geometric augmentations: flips, affine warps (rotation, translation, scale, shear), crops.

Coordinates as in :mod:`~minidl.data.transforms.warp`: pixel (i, j) sits at x = j, y = i,
y pointing down, centre c = ((W - 1) / 2, (H - 1) / 2). Each docstring gives the map from an
output pixel to the input point it reads. Every image of a batch gets its own parameters.
"""
import numbers

from ... import backend
from .base import Transform, coin, integers_upto, log_uniform, pair, symmetric_range, uniform
from .warp import affine_inverse, check_interpolation, warp_affine


class _RandomFlip(Transform):
    """Flip each image along ``axis`` with probability p (the shared body of the two flips)."""
    axis = None

    def __init__(self, p=0.5):
        if not 0 <= p <= 1:
            raise ValueError(f"{type(self).__name__}: p must be in [0, 1], got {p}")
        self.p = p

    def apply(self, images):
        xp = backend.get_array_module(images)
        flip = coin(len(images), self.p, images)[:, None, None, None]
        return xp.where(flip, xp.flip(images, axis=self.axis), images)


class RandomHorizontalFlip(_RandomFlip):
    """Mirror left-right with probability p: out[n, c, i, j] = in[n, c, i, W - 1 - j].

    Example:
        >>> import numpy as np
        >>> RandomHorizontalFlip(p=1.0)(np.array([[[[1.0, 2.0, 3.0]]]])).numpy().ravel().tolist()
        [3.0, 2.0, 1.0]
    """
    axis = -1


class RandomVerticalFlip(_RandomFlip):
    """Mirror top-bottom with probability p: out[n, c, i, j] = in[n, c, H - 1 - i, j].

    Example:
        >>> import numpy as np
        >>> RandomVerticalFlip(p=1.0)(np.array([[[[1.0], [2.0]]]])).numpy().ravel().tolist()
        [2.0, 1.0]
    """
    axis = -2


class RandomAffine(Transform):
    """A random affine warp about the image centre, one inverse warp per image.

    Per image: angle theta ~ U(degrees) (number d: U(-d, d)), counter-clockwise on screen
    for theta > 0; shift t = (tx, ty) with tx ~ U(-a W, a W), ty ~ U(-b H, b H) for
    ``translate=(a, b)`` (right and down); zoom s ~ U(scale) (a number z: U(1 - z, 1 + z));
    shear (phi_x, phi_y) ~ U(shear) (a number or pair: phi_x only; four numbers: ranges of
    phi_x then phi_y), the y-shear y' = y + tan(phi_y) x first (columns right of the centre
    move down), then the x-shear x' = x + tan(phi_x) y (rows below the centre move right),
    x and y taken from the centre. Forward map p_out = c + t + s R(theta) Sh (p_in - c);
    each output pixel reads the input at p_in = c + (s R Sh)^-1 (p_out - c - t) with
    ``interpolation`` 'bilinear' or 'nearest'; points outside the input read ``fill``.
    The matrices are written out in :func:`~minidl.data.transforms.warp.affine_inverse`.

    One convention for both of minidl's warps: this rotation is :class:`RandomRotation`'s,
    which is torchvision's ``RandomRotation`` / ``rotate`` (counter-clockwise). torchvision's
    ``RandomAffine`` / ``affine`` differ: a positive angle turns *clockwise*, and its shears
    are x' = x - tan(sx) y applied first, then y' = y - tan(sy) x. So minidl's
    (theta, phi_x) is torchvision's ``affine`` (angle=-theta, shear=(-phi_x, 0)) when
    phi_y = 0 (the symmetric ranges U(-d, d) draw the same distribution either way); with
    both shears the order differs as well.

    Example:
        >>> import numpy as np
        >>> x = np.zeros((2, 1, 5, 5), dtype=np.float32); x[:, 0, 2, 3] = 1.0
        >>> y = RandomAffine(degrees=(90, 90))(x).numpy()     # the dot at (x=3, y=2) moves up
        >>> [tuple(map(int, np.argwhere(img[0])[0])) for img in y]
        [(1, 2), (1, 2)]
    """

    def __init__(self, degrees=0.0, translate=None, scale=None, shear=None, interpolation='bilinear', fill=0.0):
        name = type(self).__name__
        self.degrees = symmetric_range(degrees, f'{name}(degrees)')
        self.translate = (0.0, 0.0) if translate is None else tuple(float(v) for v in translate)
        if not all(0 <= v <= 1 for v in self.translate) or len(self.translate) != 2:
            raise ValueError(f"{name}: translate must be two fractions in [0, 1], got {translate}")
        self.scale = (1.0, 1.0) if scale is None else symmetric_range(scale, f'{name}(scale)', 1.0)
        if self.scale[0] <= 0:
            raise ValueError(f"{name}: scale must be positive, got {scale}")
        shear = 0.0 if shear is None else shear
        if hasattr(shear, '__len__') and len(shear) == 4:          # ranges of phi_x and phi_y
            shear = ((shear[0], shear[1]), (shear[2], shear[3]))
        else:                                                      # phi_x only
            shear = (shear, 0.0)
        self.shear = tuple(symmetric_range(v, f'{name}(shear)') for v in shear)
        self.interpolation, self.fill = check_interpolation(interpolation, name), fill

    def apply(self, images):
        xp = backend.get_array_module(images)
        n, _, height, width = images.shape
        translate = xp.stack([uniform(n, (-self.translate[0] * width, self.translate[0] * width), images),
                              uniform(n, (-self.translate[1] * height, self.translate[1] * height), images)], 1)
        shear = xp.stack([uniform(n, self.shear[0], images), uniform(n, self.shear[1], images)], 1)
        inverse = affine_inverse(uniform(n, self.degrees, images), translate, uniform(n, self.scale, images),
                                 shear, (height, width))
        return warp_affine(images, inverse, None, self.interpolation, self.fill)


class RandomRotation(RandomAffine):
    """Rotate each image by theta ~ U(degrees) (a number d: U(-d, d)) counter-clockwise about
    its centre: out(p) = in(c + R(theta)^-1 (p - c)), with R as in :class:`RandomAffine`.
    ``degrees=(90, 90)`` reproduces ``numpy.rot90`` exactly. The direction is torchvision's
    ``RandomRotation`` (``rotate``: counter-clockwise), not its ``RandomAffine`` (clockwise).

    Example:
        >>> import numpy as np
        >>> x = np.arange(9.0).reshape(1, 1, 3, 3)
        >>> bool((RandomRotation((90, 90))(x).numpy()[0, 0] == np.rot90(x[0, 0])).all())
        True
    """

    def __init__(self, degrees, interpolation='bilinear', fill=0.0):
        super().__init__(degrees, interpolation=interpolation, fill=fill)


class RandomCrop(Transform):
    """A random (h, w) window of the image padded by ``padding`` pixels of ``fill`` on each side.

    Per image, offsets top ~ U{0..H + 2p - h}, left ~ U{0..W + 2p - w}; then
    out[n, c, i, j] = padded[n, c, top + i, left + j] = in[n, c, top - p + i, left - p + j],
    reading ``fill`` outside the input (so with size (H, W) it is a random integer shift by up
    to p pixels, filling the gap). The windows are read as one fancy index into a strided view
    of all windows (``sliding_window_view``), equal to slicing each image in a loop.

    Example:
        >>> import numpy as np
        >>> RandomCrop(2)(np.ones((3, 1, 4, 4))).shape
        (3, 1, 2, 2)
    """

    def __init__(self, size, padding=0, fill=0.0):
        if not isinstance(padding, numbers.Integral) or padding < 0:
            raise ValueError(f"RandomCrop: padding must be an integer >= 0, got {padding!r}")
        self.size, self.padding, self.fill = pair(size, 'RandomCrop'), int(padding), fill

    def apply(self, images):
        xp = backend.get_array_module(images)
        n, _, height, width = images.shape
        h, w, p = *self.size, self.padding
        if h > height + 2 * p or w > width + 2 * p:
            raise ValueError(f"RandomCrop: crop {self.size} is larger than the padded images "
                             f"({height + 2 * p}, {width + 2 * p}) from shape {images.shape}")
        padded = xp.pad(images, ((0, 0), (0, 0), (p, p), (p, p)), constant_values=self.fill) if p else images
        windows = xp.lib.stride_tricks.sliding_window_view(padded, (h, w), axis=(2, 3))  # (N, C, ., ., h, w)
        top = integers_upto(xp.full(n, height + 2 * p - h), images)
        left = integers_upto(xp.full(n, width + 2 * p - w), images)
        return windows[xp.arange(n), :, top, left]


class CenterCrop(Transform):
    """The central (h, w) window: out[n, c, i, j] = in[n, c, (H - h) // 2 + i, (W - w) // 2 + j].

    For an odd H - h the offset is floored, so the extra row goes below the window (and the
    extra column right of it). torchvision's ``center_crop`` rounds instead,
    int(round((H - h) / 2)), with Python's round-half-to-even: the two agree for
    H - h = 1, 5, 9, ... and torchvision starts one row lower for 3, 7, 11, ... (H - h = 3:
    row 1 here, row 2 there).

    Example:
        >>> import numpy as np
        >>> CenterCrop(2)(np.arange(16.0).reshape(1, 1, 4, 4)).numpy()[0, 0].tolist()
        [[5.0, 6.0], [9.0, 10.0]]
    """

    def __init__(self, size):
        self.size = pair(size, 'CenterCrop')

    def apply(self, images):
        (h, w), (height, width) = self.size, images.shape[-2:]
        if h > height or w > width:
            raise ValueError(f"CenterCrop: crop {self.size} is larger than the images, shape {images.shape}")
        top, left = (height - h) // 2, (width - w) // 2
        return images[:, :, top:top + h, left:left + w].copy()


class RandomResizedCrop(Transform):
    """A random box resized to ``size`` (the Inception crop; Szegedy et al., 2015).

    Per image: area fraction a ~ U(scale) and aspect ratio r ~ logU(ratio) give a box of
    w = sqrt(a H W r), h = sqrt(a H W / r) pixels (clipped to the image, so an extreme draw
    changes the ratio rather than being redrawn as in torchvision), whose left/top edges are
    uniform where the box fits. Output pixel (i, j) of the (Ho, Wo) result reads the input at
    x = left - 0.5 + (j + 0.5) w / Wo, y = top - 0.5 + (i + 0.5) h / Ho (pixel edges aligned),
    and a point beyond the image's outer pixel centres reads the edge pixel, as torch's
    ``interpolate(align_corners=False)`` clamps its source coordinates: a resize never blends
    in a fill value, so a constant image stays constant.

    Example:
        >>> import numpy as np
        >>> RandomResizedCrop(4)(np.ones((2, 3, 8, 8), dtype=np.float32)).numpy().min().item()
        1.0
    """

    def __init__(self, size, scale=(0.08, 1.0), ratio=(3 / 4, 4 / 3), interpolation='bilinear'):
        self.size = pair(size, 'RandomResizedCrop')
        self.scale = symmetric_range(scale, 'RandomResizedCrop(scale)')
        self.ratio = symmetric_range(ratio, 'RandomResizedCrop(ratio)')
        if not 0 < self.scale[0] <= self.scale[1] <= 1 or self.ratio[0] <= 0:
            raise ValueError(f"RandomResizedCrop: need 0 < scale <= 1 and ratio > 0, got {scale}, {ratio}")
        self.interpolation = check_interpolation(interpolation, 'RandomResizedCrop')

    def apply(self, images):
        xp = backend.get_array_module(images)
        n, _, height, width = images.shape
        area = uniform(n, self.scale, images) * height * width
        ratio = log_uniform(n, self.ratio, images)
        w, h = xp.minimum(xp.sqrt(area * ratio), width), xp.minimum(xp.sqrt(area / ratio), height)
        left, top = uniform(n, (0, 1), images) * (width - w), uniform(n, (0, 1), images) * (height - h)
        out_h, out_w = self.size
        zeros = xp.zeros(n)
        inverse = xp.stack([xp.stack([w / out_w, zeros, left - 0.5 + 0.5 * w / out_w], 1),
                            xp.stack([zeros, h / out_h, top - 0.5 + 0.5 * h / out_h], 1)], 1)
        return warp_affine(images, inverse, self.size, self.interpolation, fill=None)

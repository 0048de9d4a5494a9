"""Resampling an image on a warped grid: the core of every geometric transform.

Coordinates: pixel (i, j) of an H x W image (row i, column j) has its centre at x = j,
y = i; y points *down*. The centre of the image is (cx, cy) = ((W - 1) / 2, (H - 1) / 2).

:func:`warp_affine` uses *inverse* mapping (the standard way, see Szeliski, *Computer Vision:
Algorithms and Applications*, 2nd ed. 2022, section 3.6.1): for every output pixel (j, i) it
computes the source point ``(x, y) = M @ (j, i, 1)`` with a 2x3 matrix M per image, and
samples the input there. Every output pixel gets exactly one value, with no holes.

:func:`affine_inverse` builds M from the parameters of a forward transform about the
centre c: ``p_out = c + t + A (p_in - c)`` with ``A = s R(theta) Sh``, so
``p_in = c + A^-1 (p_out - c - t)``.
"""
from ... import backend


INTERPOLATIONS = ('bilinear', 'nearest')


def check_interpolation(interpolation, name):
    """``interpolation`` if it is one of INTERPOLATIONS, else a ValueError naming ``name``."""
    if interpolation not in INTERPOLATIONS:
        raise ValueError(f"{name}: interpolation must be 'bilinear' or 'nearest', got {interpolation!r}")
    return interpolation


def sample(images, rows, cols, fill):
    """``images[n, c, rows[n], cols[n]]`` for integer-valued arrays rows, cols broadcasting to
    (N, Ho, Wo); positions outside the image read ``fill``, or with ``fill=None`` the nearest
    edge pixel (border replication: the indices clamped to the image). One flat gather for
    the batch."""
    xp = backend.get_array_module(images)
    n_images, channels, height, width = images.shape
    r = xp.clip(rows, 0, height - 1).astype(xp.int64)
    c = xp.clip(cols, 0, width - 1).astype(xp.int64)
    plane = (xp.arange(n_images * channels, dtype=xp.int64) * (height * width)).reshape(n_images, channels, 1, 1)
    values = xp.take(xp.ascontiguousarray(images).reshape(-1), plane + (r * width + c)[:, None])
    if fill is None:
        return values
    inside = (rows >= 0) & (rows < height) & (cols >= 0) & (cols < width)
    return xp.where(inside[:, None], values, images.dtype.type(fill))


def _snap(coords, tolerance=1e-6):
    """Round coordinates within ``tolerance`` pixels of an integer to it, so that grid-exact
    warps (90-degree rotations, integer shifts) copy pixels exactly instead of blending in
    1e-16 of a neighbour (cos 90 degrees is 6e-17 in floating point)."""
    xp = backend.get_array_module(coords)
    nearest = xp.rint(coords)
    return xp.where(xp.abs(coords - nearest) < tolerance, nearest, coords)


def warp_affine(images, inverse, out_size=None, interpolation='bilinear', fill=0.0):
    """Resample each image n at ``(x, y) = inverse[n] @ (j, i, 1)`` for every output pixel (i, j).

    images (N, C, H, W) float; inverse (N, 2, 3); out_size (Ho, Wo), default (H, W).
    ``'nearest'`` takes the pixel at (round(y), round(x)). ``'bilinear'`` blends the four
    neighbours: with x0 = floor(x), fx = x - x0 (and likewise y0, fy),
    out = (1-fy)(1-fx) I[y0, x0] + (1-fy) fx I[y0, x0+1] + fy (1-fx) I[y0+1, x0] + fy fx I[y0+1, x0+1],
    where a neighbour outside the image contributes ``fill``, or, with ``fill=None``, the
    nearest edge pixel (border replication, torch's ``grid_sample(padding_mode='border')``:
    for bilinear this equals clamping (x, y) to the image, so a constant image stays constant).

    Example:
        >>> import numpy as np
        >>> img = np.arange(4.0).reshape(1, 1, 2, 2)
        >>> half = np.array([[[1.0, 0, 0.5], [0, 1, 0]]])       # x = j + 0.5, y = i
        >>> warp_affine(img, half)[0, 0].tolist()
        [[0.5, 0.5], [2.5, 1.5]]
    """
    xp = backend.get_array_module(images)
    height, width = out_size or images.shape[-2:]
    inverse = xp.asarray(inverse, dtype=xp.float64)[:, :, :, None, None]
    i = xp.arange(height, dtype=xp.float64)[:, None]
    j = xp.arange(width, dtype=xp.float64)[None, :]
    # BEGIN SOLUTION
    x = _snap(inverse[:, 0, 0] * j + inverse[:, 0, 1] * i + inverse[:, 0, 2])
    y = _snap(inverse[:, 1, 0] * j + inverse[:, 1, 1] * i + inverse[:, 1, 2])
    # END SOLUTION
    if interpolation == 'nearest':
        return sample(images, xp.floor(y + 0.5), xp.floor(x + 0.5), fill)
    check_interpolation(interpolation, 'warp_affine')
    # BEGIN SOLUTION
    x0, y0 = xp.floor(x), xp.floor(y)
    fx, fy = (x - x0).astype(images.dtype)[:, None], (y - y0).astype(images.dtype)[:, None]
    top = (1 - fx) * sample(images, y0, x0, fill) + fx * sample(images, y0, x0 + 1, fill)
    bottom = (1 - fx) * sample(images, y0 + 1, x0, fill) + fx * sample(images, y0 + 1, x0 + 1, fill)
    return (1 - fy) * top + fy * bottom
    # END SOLUTION


def affine_inverse(angle, translate, scale, shear, size):
    """Inverse matrices (N, 2, 3) of forward affine maps about the image centre.

    angle (N,) degrees, counter-clockwise as seen on screen (as torchvision's ``rotate``;
    torchvision's ``affine`` turns clockwise for a positive angle); translate (N, 2) pixels
    (tx right, ty down); scale (N,); shear (N, 2) degrees (phi_x, phi_y); size (H, W). With
    y pointing down, the forward linear part is

        R(theta) = [[cos theta, sin theta], [-sin theta, cos theta]]
        Sh = X Y,   X = [[1, tan phi_x], [0, 1]],   Y = [[1, 0], [tan phi_y, 1]]
        A = s R(theta) Sh,     p_out = c + t + A (p_in - c)

    Y acts first: y' = y + tan(phi_y) x, then X: x' = x + tan(phi_x) y. (torchvision's
    ``affine`` is, in this notation, s R(-angle) SHy(sy) SHx(sx) with SHx: x' = x - tan(sx) y
    acting first and SHy: y' = y - tan(sy) x after it: its rotation and shears point the
    other way, and its two shears compose in the other order.) The returned matrix is
    [A^-1 | c - A^-1 (c + t)].

    Example:
        >>> import numpy as np
        >>> m = affine_inverse(np.array([90.0]), np.zeros((1, 2)), np.ones(1), np.zeros((1, 2)), (3, 3))
        >>> np.round(m[0], 6).tolist()                 # output (x, y) reads input (2 - y, x)
        [[0.0, -1.0, 2.0], [1.0, 0.0, 0.0]]
    """
    xp = backend.get_array_module(angle)
    theta = xp.deg2rad(angle)
    tan_x, tan_y = xp.tan(xp.deg2rad(shear[:, 0])), xp.tan(xp.deg2rad(shear[:, 1]))
    cos, sin = xp.cos(theta), xp.sin(theta)
    shear_matrix = _matrices(1 + tan_x * tan_y, tan_x, tan_y, xp.ones_like(tan_y))
    a = scale[:, None, None] * (_matrices(cos, sin, -sin, cos) @ shear_matrix)
    # BEGIN SOLUTION
    det = (a[:, 0, 0] * a[:, 1, 1] - a[:, 0, 1] * a[:, 1, 0])[:, None, None]
    inv = _matrices(a[:, 1, 1], -a[:, 0, 1], -a[:, 1, 0], a[:, 0, 0]) / det        # 2x2 inverse
    height, width = size
    centre = xp.asarray([(width - 1) / 2.0, (height - 1) / 2.0])
    offset = centre - (inv @ (centre + translate)[:, :, None])[:, :, 0]
    # END SOLUTION
    return xp.concatenate([inv, offset[:, :, None]], axis=2)


def _matrices(a, b, c, d):
    """The batch of 2x2 matrices [[a, b], [c, d]] from arrays of shape (N,): shape (N, 2, 2)."""
    xp = backend.get_array_module(a)
    return xp.stack([xp.stack([a, b], -1), xp.stack([c, d], -1)], -2)

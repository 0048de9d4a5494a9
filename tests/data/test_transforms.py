"""Augmentation transforms: exact geometry on constructed images, dtype/shape/range, seeds."""
import colorsys

import numpy
import pytest

import minidl
from minidl import backend
from minidl.data import DataLoader, TensorDataset
from minidl.data import transforms as T
from minidl.data.transforms import affine_inverse, warp_affine

ALL = [T.RandomHorizontalFlip(), T.RandomVerticalFlip(), T.RandomRotation(30),
       T.RandomAffine(20, translate=(0.1, 0.2), scale=(0.8, 1.2), shear=10), T.RandomCrop(6, padding=2),
       T.CenterCrop(4), T.RandomResizedCrop(5), T.ColorJitter(0.4, 0.4, 0.4, 0.1), T.GaussianNoise(0.1),
       T.RandomErasing(p=1.0), T.Normalize([0.5, 0.4, 0.3], [0.2, 0.2, 0.2])]
SHAPES = {'CenterCrop': (4, 4), 'RandomCrop': (6, 6), 'RandomResizedCrop': (5, 5)}


def _images(n=6, c=1, h=7, w=7, dtype=numpy.float32):
    """Distinct pixel values in (0, 1], on the device under test."""
    x = (numpy.arange(n * c * h * w).reshape(n, c, h, w) + 1) / (n * c * h * w)
    return backend.xp_for().asarray(x.astype(dtype))


def _np(t):
    return t.numpy() if isinstance(t, minidl.Tensor) else backend.to_numpy(t)


def _affine(x, angle=0.0, translate=(0.0, 0.0), scale=1.0, shear=(0.0, 0.0), interpolation='bilinear', fill=0.0):
    xp = backend.get_array_module(x)
    n = len(x)
    inverse = affine_inverse(xp.full(n, float(angle)), xp.tile(xp.asarray([translate], dtype=float), (n, 1)),
                             xp.full(n, float(scale)), xp.tile(xp.asarray([shear], dtype=float), (n, 1)),
                             x.shape[-2:])
    return _np(warp_affine(x, inverse, None, interpolation, fill))


# ----------------------------------------------------------------------------- exact geometry
@pytest.mark.parametrize('flip, axis', [(T.RandomHorizontalFlip, -1), (T.RandomVerticalFlip, -2)])
def test_flips(flip, axis):
    x = _images()
    once = flip(p=1.0)(x)
    numpy.testing.assert_array_equal(_np(once), numpy.flip(_np(x), axis))
    numpy.testing.assert_array_equal(_np(flip(p=1.0)(once)), _np(x))            # twice: identity
    numpy.testing.assert_array_equal(_np(flip(p=0.0)(x)), _np(x))
    half = _np(flip(p=0.5)(_images(n=64)))
    flipped = [bool((half[k] != _np(_images(n=64))[k]).any()) for k in range(64)]
    assert 15 < sum(flipped) < 49                                                # per-sample coin


@pytest.mark.parametrize('interpolation', ['bilinear', 'nearest'])
@pytest.mark.parametrize('shape', [(7, 7), (6, 6)])
def test_rotation_90_is_rot90_counter_clockwise(interpolation, shape):
    x = _images(h=shape[0], w=shape[1])
    for angle, k in [(90, 1), (180, 2), (-90, -1), (270, 3)]:
        out = _np(T.RandomRotation((angle, angle), interpolation=interpolation)(x))
        numpy.testing.assert_array_equal(out, numpy.rot90(_np(x), k, axes=(2, 3)))
    corner = numpy.zeros((1, 1, 3, 3), dtype=numpy.float32)
    corner[0, 0, 0, 2] = 1.0                                                     # top right
    out = _np(T.RandomRotation((90, 90))(backend.xp_for().asarray(corner)))
    assert out[0, 0, 0, 0] == 1.0                                                # -> top left: CCW


@pytest.mark.parametrize('interpolation', ['bilinear', 'nearest'])
def test_integer_translation_is_shift_with_fill(interpolation):
    x = _images(n=2, h=6, w=8)
    out = _affine(x, translate=(3, -2), interpolation=interpolation, fill=-1.0)
    expected = numpy.full(x.shape, -1.0, dtype=numpy.float32)
    expected[:, :, :-2, 3:] = _np(x)[:, :, 2:, :-3]                              # right 3, up 2
    numpy.testing.assert_array_equal(out, expected)


def test_scale_2_about_centre():
    x = _images(n=1, h=9, w=9)
    out, xin = _affine(x, scale=2.0)[0, 0], _np(x)[0, 0]
    # centre c = 4: output q reads input c + (q - c) / 2
    for (i, j), (si, sj) in {(4, 4): (4, 4), (0, 0): (2, 2), (8, 8): (6, 6), (0, 8): (2, 6), (2, 6): (3, 5)}.items():
        assert out[i, j] == xin[si, sj]
    numpy.testing.assert_allclose(out[1, 4], (xin[2, 4] + xin[3, 4]) / 2, rtol=1e-6)    # 2.5: halfway
    numpy.testing.assert_allclose(_affine(x, scale=2.0, interpolation='nearest')[0, 0, 1, 4], xin[3, 4])


def test_bilinear_interpolates_linear_images_exactly():
    ramp = numpy.tile(numpy.arange(9, dtype=numpy.float64), (9, 1))[None, None]     # value = x
    out = _affine(backend.xp_for().asarray(ramp), translate=(0.25, 0.0), angle=0.0)
    numpy.testing.assert_allclose(out[0, 0, :, 1:], ramp[0, 0, :, 1:] - 0.25, atol=1e-12)


def test_shear_moves_rows_by_tan():
    x = _images(n=1, h=5, w=9)
    out = _affine(x, shear=(45.0, 0.0))[0, 0]                                    # x' = x + (y - 2)
    numpy.testing.assert_array_equal(out[3, 1:], _np(x)[0, 0, 3, :-1])           # row below centre: +1
    numpy.testing.assert_array_equal(out[0, :-2], _np(x)[0, 0, 0, 2:])           # top row: -2
    numpy.testing.assert_array_equal(out[2], _np(x)[0, 0, 2])


def _reads(x, out, inverse_linear):
    """Check an integer-exact warp about the centre: each output pixel at offset d from the
    centre holds the input at centre + inverse_linear @ d, or the fill 0 outside the image."""
    xin = _np(x)[0, 0]
    height, width = xin.shape
    cy, cx = (height - 1) // 2, (width - 1) // 2
    for i in range(height):
        for j in range(width):
            sx, sy = numpy.array([cx, cy]) + numpy.asarray(inverse_linear) @ [j - cx, i - cy]
            expected = xin[sy, sx] if 0 <= sy < height and 0 <= sx < width else 0.0
            assert out[i, j] == expected, (i, j)


def test_y_shear_moves_columns_down():
    """phi_y = 45 degrees: y' = y + (x - cx), so column j moves down by j - cx; an output pixel
    at offset (dx, dy) reads the input at (dx, dy - dx)."""
    x = _images(n=1, h=9, w=7)
    out = _affine(x, shear=(0.0, 45.0))[0, 0]
    numpy.testing.assert_array_equal(out[1:, 4], _np(x)[0, 0, :-1, 4])          # right of centre: down 1
    _reads(x, out, [[1, 0], [-1, 1]])


def test_combined_shear_applies_y_first():
    """Sh = X Y with tan = 1: A = [[1, 1], [0, 1]] [[1, 0], [1, 1]] = [[2, 1], [1, 1]], inverse
    [[1, -1], [-1, 2]] (X first, Y X = [[1, 1], [1, 2]], would read (2 dx - dy, dy - dx))."""
    x = _images(n=1, h=9, w=9)
    out = _affine(x, shear=(45.0, 45.0))[0, 0]
    _reads(x, out, [[1, -1], [-1, 2]])
    assert out[4, 5] == _np(x)[0, 0, 3, 5]                                       # (1, 0) reads (1, -1)


def test_random_crop_is_a_shift_with_fill():
    x = _images(n=32, h=6, w=6)
    out = _np(T.RandomCrop(6, padding=2, fill=-1.0)(x))
    padded = numpy.pad(_np(x), ((0, 0), (0, 0), (2, 2), (2, 2)), constant_values=-1.0)
    offsets = set()
    for k in range(32):
        matches = [(a, b) for a in range(5) for b in range(5)
                   if numpy.array_equal(out[k], padded[k, :, a:a + 6, b:b + 6])]
        assert matches
        offsets.add(matches[0])
    assert len(offsets) > 5                                                      # per-sample offsets


def test_center_crop():
    x = _images(h=7, w=8)
    numpy.testing.assert_array_equal(_np(T.CenterCrop((3, 4))(x)), _np(x)[:, :, 2:5, 2:6])
    # odd differences 7 - 4 = 3 and 8 - 3 = 5: offsets floor(3/2) = 1 and floor(5/2) = 2
    numpy.testing.assert_array_equal(_np(T.CenterCrop((4, 3))(x)), _np(x)[:, :, 1:5, 2:5])
    numpy.testing.assert_array_equal(_np(T.CenterCrop((6, 7))(x)), _np(x)[:, :, 0:6, 0:7])   # 1: offset 0
    with pytest.raises(ValueError, match=r'CenterCrop: crop \(9, 9\) is larger'):
        T.CenterCrop(9)(x)


def test_random_resized_crop_full_box_is_identity():
    x = _images(h=6, w=6)
    out = _np(T.RandomResizedCrop(6, scale=(1.0, 1.0), ratio=(1.0, 1.0))(x))
    numpy.testing.assert_allclose(out, _np(x), rtol=1e-6)
    small = _np(T.RandomResizedCrop((3, 5), scale=(0.2, 0.5))(x))
    assert small.shape == (6, 1, 3, 5) and small.min() >= _np(x).min() - 1e-6 and small.max() <= _np(x).max() + 1e-6


def test_random_resized_crop_keeps_constant_images_constant():
    """Upsampling the whole 4x4 image to 8x8 read zeros beyond the outer pixel centres (the
    corners came out 0.75^2 = 0.5625); a resize replicates the edge instead."""
    ones = backend.xp_for().ones((3, 2, 4, 4), dtype='float32')
    for interpolation in ('bilinear', 'nearest'):
        out = _np(T.RandomResizedCrop(8, scale=(1, 1), ratio=(1, 1), interpolation=interpolation)(ones))
        numpy.testing.assert_array_equal(out, 1.0)
    out = _np(T.RandomResizedCrop((9, 5), scale=(0.3, 1.0))(0.25 * ones))
    numpy.testing.assert_allclose(out, 0.25, rtol=1e-6)


def test_random_resized_crop_upsamples_like_interpolate_without_align_corners():
    """The full box resized 4 -> 8: source x = (j + 0.5) 4/8 - 0.5 clamped to [0, 3] (torch's
    interpolate(mode='bilinear', align_corners=False)); bilinear is exact on I = 10 y + x."""
    i, j = numpy.mgrid[0:4, 0:4]
    ramp = backend.xp_for().asarray((10.0 * i + j)[None, None])
    out = _np(T.RandomResizedCrop(8, scale=(1, 1), ratio=(1, 1))(ramp))[0, 0]
    source = numpy.clip((numpy.arange(8) + 0.5) * 4 / 8 - 0.5, 0, 3)      # -0.25 -> 0, ..., 3.25 -> 3
    numpy.testing.assert_allclose(out, 10 * source[:, None] + source[None, :], atol=1e-12)


def test_random_resized_crop_draws_area_uniformly_and_ratio_log_uniformly():
    """Read each box off a resized coordinate ramp (channel 0: x, channel 1: y; bilinear is exact
    on it and a 32 -> 4 downsample never reaches the clamped border): output column j holds
    x = left - 0.5 + (j + 0.5) w / 4, so w = 4 (x_3 - x_0) / 3. With scale (0.1, 0.5) and ratio
    (1/2, 2) no box is clipped: a = w h / 32^2 must be U(0.1, 0.5) and log(w / h) U(-log 2, log 2)."""
    n, size = 2000, 32
    y, x = numpy.mgrid[0:size, 0:size].astype(numpy.float64)
    ramp = backend.xp_for().asarray(numpy.broadcast_to(numpy.stack([x, y]), (n, 2, size, size)).copy())
    minidl.manual_seed(0)
    out = _np(T.RandomResizedCrop(4, scale=(0.1, 0.5), ratio=(0.5, 2.0))(ramp))
    w, h = (out[:, 0, 0, 3] - out[:, 0, 0, 0]) * 4 / 3, (out[:, 1, 3, 0] - out[:, 1, 0, 0]) * 4 / 3
    left, top = out[:, 0, 0, 0] + 0.5 - 0.5 * w / 4, out[:, 1, 0, 0] + 0.5 - 0.5 * h / 4
    assert (left >= -1e-9).all() and (left + w <= size + 1e-9).all() and (top >= -1e-9).all()
    assert (top + h <= size + 1e-9).all()
    area, log_ratio = w * h / size ** 2, numpy.log(w / h) / numpy.log(2)             # log_ratio in [-1, 1]
    assert area.min() >= 0.1 - 1e-9 and area.max() <= 0.5 + 1e-9
    for quarter in range(4):                     # each quarter of either range: 1/4 +- 0.04 (4 sigma)
        assert abs(numpy.mean((area >= 0.1 + 0.1 * quarter) & (area < 0.2 + 0.1 * quarter)) - 0.25) < 0.04
        assert abs(numpy.mean((log_ratio >= -1 + quarter / 2) & (log_ratio < -0.5 + quarter / 2)) - 0.25) < 0.04


# ----------------------------------------------------------------------------- photometric
def test_normalize_and_noise():
    x = _images(c=3)
    out = _np(T.Normalize([0.1, 0.2, 0.3], [0.5, 0.25, 2.0])(x))
    numpy.testing.assert_allclose(out[:, 1], (_np(x)[:, 1] - 0.2) / 0.25, rtol=1e-5)
    noise = _np(T.GaussianNoise(0.5)(backend.xp_for().zeros((64, 1, 16, 16), dtype='float32')))
    assert abs(noise.std() - 0.5) < 0.01 and abs(noise.mean()) < 0.01


def test_color_jitter():
    x = _images(n=8, c=3)
    out = _np(T.ColorJitter(brightness=(0.5, 0.5))(x))
    numpy.testing.assert_allclose(out, _np(x) * 0.5, atol=1e-6)
    grey = _np(T.ColorJitter(saturation=(0.0, 0.0))(x))                          # s = 0: all channels grey
    numpy.testing.assert_allclose(grey[:, 0], grey[:, 2], rtol=1e-5)
    flat = _np(T.ColorJitter(contrast=(0.0, 0.0))(_images(n=2, c=1)))           # k = 0: the mean
    numpy.testing.assert_allclose(flat, _np(_images(n=2, c=1)).mean(axis=(2, 3), keepdims=True) + 0 * flat, rtol=1e-5)
    no_turn = _np(T.ColorJitter(hue=(0.0, 0.0))(x))                             # YIQ round trip
    numpy.testing.assert_allclose(no_turn, _np(x), atol=1e-6)
    jittered = _np(T.ColorJitter(0.5, 0.5, 0.5, 0.2)(x))
    assert jittered.min() >= 0 and jittered.max() <= 1
    with pytest.raises(ValueError, match=r'ColorJitter: saturation and hue need RGB.*\(6, 1, 7, 7\)'):
        T.ColorJitter(saturation=0.5)(_images())


def test_color_jitter_turns_hue_the_way_torchvision_does():
    """torchvision's adjust_hue: h <- (h + hue_factor) mod 1 in HSV, so +1/3 takes red to green,
    green to blue, blue to red (the YIQ rotation turned the other way: red to blue). A small
    positive (negative) factor raises (lowers) the HSV hue of every colour."""
    colours = numpy.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [0.8, 0.4, 0.2], [0.3, 0.5, 0.7]])
    x = backend.xp_for().asarray(colours.reshape(5, 3, 1, 1))
    third = _np(T.ColorJitter(hue=(1 / 3, 1 / 3))(x)).reshape(5, 3)
    assert third[:3].argmax(axis=1).tolist() == [1, 2, 0]                       # red -> green -> blue -> red
    for factor in (0.05, -0.05):
        out = _np(T.ColorJitter(hue=(factor, factor))(x)).reshape(5, 3)
        turn = [(colorsys.rgb_to_hsv(*o)[0] - colorsys.rgb_to_hsv(*c)[0] + 0.5) % 1 - 0.5 for o, c in zip(out, colours)]
        assert all(0.3 * abs(factor) < t * numpy.sign(factor) < 1.5 * abs(factor) for t in turn), turn


def test_random_erasing_rectangle():
    x = backend.xp_for().ones((16, 2, 8, 8), dtype='float32')
    out = _np(T.RandomErasing(p=1.0, scale=(0.25, 0.25), ratio=(1.0, 1.0), value=0.0)(x))
    for img in out:
        rows, cols = numpy.nonzero(img[0] == 0)
        assert len(rows) == 16 and numpy.ptp(rows) == 3 and numpy.ptp(cols) == 3    # a 4x4 square
        numpy.testing.assert_array_equal(img[0], img[1])                            # every channel
    assert len({tuple(numpy.argwhere(img[0] == 0)[0]) for img in out}) > 3
    numpy.testing.assert_array_equal(_np(T.RandomErasing(p=0.0)(x)), _np(x))


def test_random_erasing_ratio_is_height_over_width():
    """torchvision: h = round(sqrt(area r)), w = round(sqrt(area / r)). Area 108 of 32 x 32 and
    r = 3 erase 18 rows by 6 columns (minidl erased 6 rows by 18 columns); r = 1/3 the
    transpose."""
    x = backend.xp_for().ones((8, 1, 32, 32), dtype='float32')
    for ratio, (rows, cols) in [(3.0, (18, 6)), (1 / 3, (6, 18))]:
        out = _np(T.RandomErasing(p=1.0, scale=(108 / 1024, 108 / 1024), ratio=(ratio, ratio))(x))
        for img in out:
            i, j = numpy.nonzero(img[0] == 0)
            assert (numpy.ptp(i) + 1, numpy.ptp(j) + 1, len(i)) == (rows, cols, 108)


# ----------------------------------------------------------------------------- contract
@pytest.mark.parametrize('transform', ALL, ids=lambda t: type(t).__name__)
def test_dtype_shape_seed_and_range(transform):
    name = type(transform).__name__
    for dtype in (numpy.float32, numpy.float64):
        x = _images(n=6, c=3, dtype=dtype)
        minidl.manual_seed(7)
        out = transform(minidl.Tensor(x))
        assert isinstance(out, minidl.Tensor) and out.dtype == dtype and out.device == minidl.get_device()
        assert out.shape == (6, 3) + SHAPES.get(name, (7, 7))
        minidl.manual_seed(7)
        numpy.testing.assert_array_equal(_np(transform(x)), _np(out))            # same seed, same result
    if name not in ('GaussianNoise', 'Normalize'):
        assert 0 <= _np(out).min() and _np(out).max() <= 1                       # range kept
    expected = rf'{name}: expected a batch of images of shape \(N, C, H, W\), got shape \(3, 7, 7\)'
    with pytest.raises(ValueError, match=expected):
        transform(x[0])
    with pytest.raises(TypeError, match=f'{name}: expected floating images, got dtype uint8'):
        transform(backend.xp_for().zeros((1, 3, 7, 7), dtype='uint8'))


@pytest.mark.parametrize('transform', [t for t in ALL if type(t).__name__ not in ('CenterCrop', 'Normalize')],
                         ids=lambda t: type(t).__name__)
def test_each_sample_draws_its_own_parameters(transform):
    copies = backend.xp_for().asarray(numpy.repeat(_np(_images(n=1, c=3)), 16, axis=0))   # 16 equal images
    out = _np(transform(copies))
    assert len({out[k].tobytes() for k in range(16)}) > 1


def test_loader_transform_keeps_labels():
    x, y = numpy.random.default_rng(0).random((20, 1, 8, 8), dtype=numpy.float32), numpy.arange(20)
    augment = T.Compose([T.RandomHorizontalFlip(), T.RandomAffine(15, translate=(0.1, 0.1)), T.RandomErasing()])
    plain, augmented = DataLoader(TensorDataset(x, y), 6), DataLoader(TensorDataset(x, y), 6, transform=augment)
    for (xb, yb), (xa, ya) in zip(plain, augmented):
        numpy.testing.assert_array_equal(yb.numpy(), ya.numpy())
        assert xa.shape == xb.shape and not numpy.array_equal(xa.numpy(), xb.numpy())


def test_argument_errors():
    assert T.RandomAffine(scale=0.25).scale == (0.75, 1.25) and T.RandomAffine(scale=(0.5, 2)).scale == (0.5, 2.0)
    with pytest.raises(ValueError, match='RandomAffine: scale must be positive'):
        T.RandomAffine(scale=(0.0, 1.0))
    with pytest.raises(ValueError, match='interpolation'):
        T.RandomRotation(10, interpolation='cubic')
    with pytest.raises(ValueError, match='p must be in'):
        T.RandomHorizontalFlip(1.5)
    with pytest.raises(ValueError, match='Normalize: 1 channel means'):
        T.Normalize([0.5], [0.5])(_images(c=3))
    with pytest.raises(ValueError, match='RandomCrop: crop'):
        T.RandomCrop(12, padding=2)(_images())


def test_random_erasing_takes_one_value_per_channel():
    images = numpy.zeros((2, 3, 4, 4), dtype=numpy.float32)
    out = T.RandomErasing(p=1.0, scale=(0.25, 0.25), ratio=(1, 1), value=[0.1, 0.2, 0.3])(images).numpy()
    for c, v in enumerate([0.1, 0.2, 0.3]):                       # a 2x2 square of v in channel c
        assert numpy.count_nonzero(out[:, c] == numpy.float32(v)) == 2 * 4 and out[:, c].max() == numpy.float32(v)
    with pytest.raises(ValueError, match='RandomErasing: 2 values for images of 3 channels'):
        T.RandomErasing(p=1.0, value=[0.1, 0.2])(images)
    with pytest.raises(ValueError, match='RandomErasing: value must be a number or one number per channel'):
        T.RandomErasing(value=[[0.1]])


def test_bad_padding_and_interpolation_are_refused_when_the_transform_is_built():
    for bad in (-1, 1.5):
        with pytest.raises(ValueError, match='RandomCrop: padding must be an integer >= 0'):
            T.RandomCrop(3, padding=bad)
    with pytest.raises(ValueError, match="RandomResizedCrop: interpolation must be 'bilinear' or 'nearest'"):
        T.RandomResizedCrop(4, interpolation="bicubic")

"""A6 checks: the inverse affine map and bilinear warping; training on warped digits."""
import numpy

from ...autograd.tensor import Tensor
from ...data.transforms.warp import affine_inverse, sample, warp_affine
from ..grader import Checklist, expect_close
from ._training import digits, fit, require_accuracy, weight

CHECKS = Checklist()
FORWARD_MAP = ("you returned the FORWARD map: each output pixel must read the input at the inverse-mapped "
               "point p_in = c + A⁻¹ (p_out - c - t)")
TRANSLATION = "translation sign: p_out = c + t + A (p_in - c), so the inverse subtracts t: c + A⁻¹ (p_out - c - t)"
WEIGHTS_SWAPPED = ("bilinear weights swapped: the neighbour at x0 gets weight (1 - fx), the one at x0 + 1 "
                   "gets fx (fx = x - x0); likewise in y")
AXES_SWAPPED = "x is the column j and y the row i: the source point is (x, y) = M @ (j, i, 1)"


def _parameters(rng, n):
    return (rng.uniform(-40, 40, n), rng.uniform(-2, 2, (n, 2)), rng.uniform(0.8, 1.2, n),
            rng.uniform(-15, 15, (n, 2)))


def _forward_matrix(angle, translate, scale, shear, size):
    """The inverse's formula with A in place of A⁻¹: [A | c - A (c + t)]."""
    a = numpy.linalg.inv(affine_inverse(angle, translate, scale, shear, size)[:, :, :2])
    centre = numpy.array([(size[1] - 1) / 2.0, (size[0] - 1) / 2.0])
    return numpy.concatenate([a, (centre - (a @ (centre + translate)[:, :, None])[:, :, 0])[:, :, None]], axis=2)


@CHECKS('affine_inverse vs reference (rotation, shift, scale, shear)')
def _affine_inverse(s):
    rng = numpy.random.default_rng(0)
    for size in [(5, 7), (8, 8), (1, 3)]:
        params = _parameters(rng, 4)
        angle, translate, scale, shear = params
        expect_close(f"affine_inverse for size {size}", s.affine_inverse(*params, size), affine_inverse(*params, size),
                     [(_forward_matrix(*params, size), FORWARD_MAP),
                      (affine_inverse(angle, -translate, scale, shear, size), TRANSLATION)])


def _swapped(images, inverse, out_size, swap_x, swap_y):
    """The reference warp with the bilinear weights of x and/or y swapped (a classic mistake)."""
    height, width = out_size or images.shape[-2:]
    i, j = numpy.arange(height)[:, None], numpy.arange(width)[None, :]
    m = numpy.asarray(inverse)[:, :, :, None, None]
    x, y = m[:, 0, 0] * j + m[:, 0, 1] * i + m[:, 0, 2], m[:, 1, 0] * j + m[:, 1, 1] * i + m[:, 1, 2]
    x0, y0 = numpy.floor(x), numpy.floor(y)
    fx, fy = (x - x0)[:, None], (y - y0)[:, None]
    fx, fy = (1 - fx if swap_x else fx), (1 - fy if swap_y else fy)
    top = (1 - fx) * sample(images, y0, x0, 0.0) + fx * sample(images, y0, x0 + 1, 0.0)
    bottom = (1 - fx) * sample(images, y0 + 1, x0, 0.0) + fx * sample(images, y0 + 1, x0 + 1, 0.0)
    return (1 - fy) * top + fy * bottom


@CHECKS('warp_affine vs reference (identity, quarter turn, random warps, out_size)')
def _warp(s):
    rng = numpy.random.default_rng(1)
    for shape, out_size in [((3, 2, 6, 9), None), ((1, 1, 8, 8), None), ((2, 3, 5, 7), (4, 6))]:
        images = rng.random(shape)
        n, _, h, w = shape
        identity = numpy.tile([[[1.0, 0, 0], [0, 1, 0]]], (n, 1, 1))
        quarter = affine_inverse(numpy.full(n, 90.0), numpy.zeros((n, 2)), numpy.ones(n), numpy.zeros((n, 2)), (h, w))
        random = affine_inverse(*_parameters(rng, n), (h, w))
        for name, inverse in [('identity', identity), ('90 degrees', quarter), ('random', random)]:
            transposed = inverse[:, ::-1, [1, 0, 2]]
            expect_close(f"warp_affine ({name}) of {shape}, out_size {out_size}", s.warp_affine(images, inverse, out_size),
                         warp_affine(images, inverse, out_size),
                         [(_swapped(images, inverse, out_size, *swap), WEIGHTS_SWAPPED)
                          for swap in [(True, True), (True, False), (False, True)]]
                         + ([(warp_affine(images, transposed, out_size), AXES_SWAPPED)] if out_size is None else []))


@CHECKS('MLP trained on digits warped by your code reaches 85%')
def _train(s):
    x, y, x_test, y_test = digits(flat=False)
    rng = numpy.random.default_rng(0)
    w1, b1, w2, b2 = weight(rng, 32, 64), weight(rng, 32), weight(rng, 10, 32), weight(rng, 10)
    warp_rng = numpy.random.default_rng(1)

    def augment(images):                    # small random rotations and shifts, by the student's warp
        n = len(images)
        inverse = s.affine_inverse(warp_rng.uniform(-10, 10, n), warp_rng.uniform(-0.5, 0.5, (n, 2)),
                                   numpy.ones(n), numpy.zeros((n, 2)), (8, 8))
        return s.warp_affine(images, inverse)

    def forward(x, train=True):
        images = Tensor(augment(x.numpy())) if train else x
        h = (images.reshape(images.shape[0], -1) @ w1.T + b1).relu()
        return h @ w2.T + b2

    fit(forward, [w1, b1, w2, b2], x, y, steps=300, lr=1e-2)
    require_accuracy(lambda x: forward(x, train=False), x_test, y_test, 0.85, 'MLP on warped digits')

import itertools

import numpy
import pytest

import minidl
import minidl.nn.functional as F
from minidl.functional import col2im, im2col
from minidl.functional import conv as conv_module
from tests.gradcases import WINDOW_SWEEPS, Case, check, t


@pytest.fixture(autouse=True, params=WINDOW_SWEEPS)
def window_sweep(request, monkeypatch):
    """Every test here runs with each sweep of im2col and col2im that the current device's
    library runs (each device uses one of them by default: see conv.WINDOW_SWEEP)."""
    monkeypatch.setitem(conv_module.WINDOW_SWEEP, minidl.backend.xp_for().__name__, request.param)
    return request.param


def conv2d_reference(x, w, b, stride, padding, dilation):
    """The definition, as plain loops: y[n,o,p,q] = b[o] + Σ_c Σ_i Σ_j w[o,c,i,j] x_pad[n,c,p·s+i·d,q·s+j·d]."""
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    n_batch, channels, height, width = x.shape
    out_channels, _, kh, kw = w.shape
    x_pad = numpy.zeros((n_batch, channels, height + 2 * ph, width + 2 * pw))
    x_pad[:, :, ph:ph + height, pw:pw + width] = x
    out_h = (height + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    out_w = (width + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    y = numpy.zeros((n_batch, out_channels, out_h, out_w))
    for n in range(n_batch):
        for o in range(out_channels):
            for p in range(out_h):
                for q in range(out_w):
                    total = 0.0 if b is None else b[o]
                    for c in range(channels):
                        for i in range(kh):
                            for j in range(kw):
                                total += w[o, c, i, j] * x_pad[n, c, p * sh + i * dh, q * sw + j * dw]
                    y[n, o, p, q] = total
    return y


# (N, C, H, W), (O, kh, kw), stride, padding, dilation
GRID = [
    ((2, 3, 5, 5), (4, 3, 3), (1, 1), (0, 0), (1, 1)),
    ((1, 2, 7, 6), (3, 3, 2), (2, 1), (1, 0), (1, 1)),       # non-square kernel, odd input, mixed stride
    ((2, 1, 9, 8), (2, 3, 3), (2, 2), (1, 1), (2, 2)),       # dilation
    ((1, 2, 6, 7), (2, 1, 4), (1, 3), (0, 2), (1, 1)),
    ((3, 2, 4, 4), (5, 4, 4), (1, 1), (0, 0), (1, 1)),       # kernel = input: one output pixel
    ((1, 1, 8, 8), (1, 2, 2), (3, 3), (2, 1), (3, 2)),
    ((2, 3, 11, 5), (2, 5, 3), (2, 1), (2, 1), (1, 2)),
    ((1, 4, 3, 3), (2, 1, 1), (1, 1), (1, 1), (1, 1)),       # 1x1 conv with padding
]


@pytest.mark.parametrize('x_shape,w_shape,stride,padding,dilation', GRID)
def test_conv2d_matches_nested_loop_reference(x_shape, w_shape, stride, padding, dilation):
    rng = numpy.random.default_rng(0)
    x = rng.normal(size=x_shape)
    w = rng.normal(size=(w_shape[0], x_shape[1]) + w_shape[1:])
    b = rng.normal(size=w_shape[0])
    ours = F.conv2d(minidl.tensor(x), minidl.tensor(w), minidl.tensor(b), stride, padding, dilation)
    numpy.testing.assert_allclose(ours.numpy(), conv2d_reference(x, w, b, stride, padding, dilation),
                                  rtol=1e-10, atol=1e-12)
    no_bias = F.conv2d(minidl.tensor(x), minidl.tensor(w), None, stride, padding, dilation)
    numpy.testing.assert_allclose(no_bias.numpy(), conv2d_reference(x, w, None, stride, padding, dilation),
                                  rtol=1e-10, atol=1e-12)


def test_conv2d_float32_stays_float32():
    x, w = minidl.randn(2, 3, 6, 6), minidl.randn(4, 3, 3, 3)
    y = F.conv2d(x, w, padding=1)
    assert y.dtype == numpy.float32 and y.shape == (2, 4, 6, 6)
    ref = conv2d_reference(x.numpy().astype(float), w.numpy().astype(float), None, (1, 1), (1, 1), (1, 1))
    numpy.testing.assert_allclose(y.numpy(), ref, rtol=1e-4, atol=1e-4)


def conv(stride=1, padding=0, dilation=1):
    return lambda x, w, b: F.conv2d(x, w, b, stride, padding, dilation)


CASES = [
    Case('conv2d', conv(), lambda: [t(2, 2, 5, 5), t(3, 2, 3, 3, seed=1), t(3, seed=2)]),
    Case('conv2d stride padding', conv(2, 1), lambda: [t(2, 2, 5, 5), t(2, 2, 3, 2, seed=1), t(2, seed=2)]),
    Case('conv2d dilation', conv((1, 2), (1, 0), 2), lambda: [t(1, 2, 6, 5), t(2, 2, 2, 2, seed=1), t(2, seed=2)]),
    Case("conv2d padding='same', even kernel", conv(1, 'same', (2, 1)),
         lambda: [t(1, 2, 5, 4), t(2, 2, 3, 2, seed=1), t(2, seed=2)]),
    Case('im2col', lambda x: im2col(x, (2, 3), stride=(1, 2), padding=1), lambda: [t(2, 2, 4, 5)]),
    Case('col2im', lambda c: col2im(c, (2, 1, 4, 4), 2, stride=1, padding=1), lambda: [t(4, 50)]),
    Case('im2col with the bias row of ones',
         lambda x: conv_module.Im2Col(conv_module.SlidingWindow(2, padding=1), ones_row=True)(x),
         lambda: [t(2, 2, 3, 4)]),
]


@pytest.mark.parametrize('case', CASES, ids=repr)
def test_gradients(case):
    check(case)


def test_im2col_entries_follow_the_documented_formula():
    """cols[(c, i, j), (p, q, n)] = x_pad[n, c, p·s_h + i·d_h, q·s_w + j·d_w], entry by entry."""
    rng = numpy.random.default_rng(2)
    x = rng.normal(size=(3, 2, 6, 7))
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = (2, 3), (2, 1), (1, 0), (1, 2)
    cols = im2col(minidl.tensor(x), (kh, kw), stride=(sh, sw), padding=(ph, pw), dilation=(dh, dw)).numpy()
    x_pad = numpy.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    out_h, out_w = (6 + 2 * ph - dh * (kh - 1) - 1) // sh + 1, (7 + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    assert cols.shape == (2 * kh * kw, out_h * out_w * 3)
    for c, i, j, p, q, n in itertools.product(range(2), range(kh), range(kw), range(out_h), range(out_w), range(3)):
        row, column = (c * kh + i) * kw + j, (p * out_w + q) * 3 + n
        assert cols[row, column] == x_pad[n, c, p * sh + i * dh, q * sw + j * dw]


def test_im2col_ones_row_is_the_columns_and_a_last_row_of_ones():
    """ones_row=True (a convolution's bias input): the same columns, then one row of ones."""
    x = minidl.randn(2, 3, 5, 4)
    window = conv_module.SlidingWindow(3, stride=(1, 2), padding=1)
    plain = conv_module.Im2Col(window)(x).numpy()
    with_ones = conv_module.Im2Col(window, ones_row=True)(x).numpy()
    assert with_ones.shape == (plain.shape[0] + 1, plain.shape[1])
    numpy.testing.assert_array_equal(with_ones[:-1], plain)
    numpy.testing.assert_array_equal(with_ones[-1], numpy.ones(plain.shape[1], numpy.float32))


def test_col2im_is_the_adjoint_of_im2col():
    """<im2col(x), c> = <x, col2im(c)> for every x and c: the defining property of the adjoint."""
    rng = numpy.random.default_rng(1)
    x = rng.normal(size=(2, 3, 7, 6))
    cols = im2col(minidl.tensor(x), (3, 2), stride=2, padding=1, dilation=(1, 2))
    c = rng.normal(size=cols.shape)
    back = col2im(minidl.tensor(c), x.shape, (3, 2), stride=2, padding=1, dilation=(1, 2))
    assert float((cols.numpy() * c).sum()) == pytest.approx(float((x * back.numpy()).sum()), rel=1e-12)


@pytest.mark.parametrize('kernel,padding,dilation', [(3, 1, 1), ((2, 3), (0, 1), 1), (3, 2, 2), ((3, 2), 0, (2, 1))])
def test_col2im_sweeps_agree_with_stride_1(kernel, padding, dilation):
    """With stride 1 the 'view' sweep is a sum over one strided view of the padded columns
    (and on CuPy the 'kernel' sweep a gather of each pixel's entries); each must give what
    the slice-by-slice sweep gives (up to the order of the additions)."""
    key, shape = minidl.backend.xp_for().__name__, (2, 3, 6, 7)
    cols = numpy.random.default_rng(5).normal(size=im2col(minidl.zeros(*shape), kernel, 1, padding, dilation).shape)
    results = []
    for sweep in WINDOW_SWEEPS:
        conv_module.WINDOW_SWEEP[key] = sweep
        results.append(col2im(minidl.tensor(cols), shape, kernel, 1, padding, dilation).numpy())
    for result in results[1:]:
        numpy.testing.assert_allclose(result, results[0], rtol=1e-12, atol=1e-12)


def test_conv2d_errors_name_the_shapes():
    with pytest.raises(ValueError, match=r"input of shape \(8, 1, 28, 28\) has 1 channels, but the weight of "
                                         r"shape \(16, 3, 3, 3\) expects 3"):
        F.conv2d(minidl.zeros(8, 1, 28, 28), minidl.zeros(16, 3, 3, 3))
    with pytest.raises(ValueError, match=r"\(N, C, H, W\), got shape \(28, 28\)"):
        F.conv2d(minidl.zeros(28, 28), minidl.zeros(16, 3, 3, 3))
    with pytest.raises(ValueError, match='does not fit an input of size 2x2'):
        F.conv2d(minidl.zeros(1, 1, 2, 2), minidl.zeros(1, 1, 3, 3))
    with pytest.raises(ValueError, match='stride must be an int or a pair'):
        F.conv2d(minidl.zeros(1, 1, 4, 4), minidl.zeros(1, 1, 3, 3), stride=(1, 2, 3))
    with pytest.raises(ValueError, match=r"expected a bias of shape \(16,\), one per output channel, got \(3,\)"):
        F.conv2d(minidl.zeros(1, 3, 4, 4), minidl.zeros(16, 3, 3, 3), minidl.zeros(3))


def test_named_padding_as_pytorch():
    """'same' keeps the size: d (k - 1) in all, half each side, the odd one below and right
    (PyTorch's placement); 'valid' is none."""
    rng = numpy.random.default_rng(6)
    x, w = rng.normal(size=(2, 3, 5, 6)), rng.normal(size=(4, 3, 2, 3))
    got = F.conv2d(minidl.tensor(x), minidl.tensor(w), padding='same', dilation=(1, 2)).numpy()
    # kernel (2, 3) with dilation (1, 2) spans 2 x 5 pixels: 1 row (below) and 2 + 2 columns
    padded = numpy.pad(x, ((0, 0), (0, 0), (0, 1), (2, 2)))
    want = conv2d_reference(padded, w, numpy.zeros(4), (1, 1), (0, 0), (1, 2))
    assert got.shape == (2, 4, 5, 6)
    numpy.testing.assert_allclose(got, want, rtol=1e-10)
    valid = F.conv2d(minidl.tensor(x), minidl.tensor(w), padding='valid').numpy()
    numpy.testing.assert_allclose(valid, conv2d_reference(x, w, numpy.zeros(4), (1, 1), (0, 0), (1, 1)), rtol=1e-10)
    with pytest.raises(ValueError, match=r"conv2d: padding='same' needs stride 1 .* got stride \(2, 2\)"):
        F.conv2d(minidl.zeros(1, 1, 4, 4), minidl.zeros(1, 1, 3, 3), stride=2, padding='same')
    with pytest.raises(ValueError, match="conv2d: padding must be an int, a pair of ints, 'valid' or 'same', got 'full'"):
        F.conv2d(minidl.zeros(1, 1, 4, 4), minidl.zeros(1, 1, 3, 3), padding='full')
    layer = minidl.nn.Conv2d(3, 8, 4, padding='same')
    assert layer(minidl.zeros(2, 3, 7, 7)).shape == (2, 8, 7, 7) and "padding='same'" in repr(layer)
    with pytest.raises(ValueError, match="padding='same' needs stride 1"):
        minidl.nn.Conv2d(3, 8, 3, stride=2, padding='same')


def test_conv2d_is_one_node_whose_weight_gradient_owns_its_memory():
    """The fused Convolution: one node in the graph, and a dL/dw that backward can hand to
    .grad without a copy (its own array, not a view of the product in (O, C·kh·kw) shape)."""
    from minidl.functional.conv import Convolution
    x, w, b = minidl.randn(2, 3, 5, 5), minidl.randn(4, 3, 3, 3, requires_grad=True), minidl.randn(4, requires_grad=True)
    y = F.conv2d(x, w, b, padding=1)
    assert type(y.grad_fn) is Convolution
    with minidl.no_grad():                              # as in a backward without create_graph
        gx, gw, gb = y.grad_fn.backward(minidl.ones(*y.shape))
    assert gx is None and gw.data.base is None and gw.shape == (4, 3, 3, 3)
    numpy.testing.assert_allclose(gb.numpy(), numpy.full(4, 2 * 5 * 5))


# ---------------------------------------------------------------------- memory layout
def test_memory_order_and_arrays_laid_out_in_an_order():
    from minidl.functional.conv import CHWN, filled_in_order, in_memory_order, memory_order
    x = numpy.arange(2 * 3 * 4 * 5, dtype=numpy.float32).reshape(2, 3, 4, 5)
    channel_major = x.transpose(1, 0, 2, 3)                    # (3, 2, 4, 5) view
    assert memory_order(x) == (0, 1, 2, 3)
    assert memory_order(channel_major) == (1, 0, 2, 3)
    z = filled_in_order((2, 3, 4, 5), x, order=(1, 0, 2, 3), value=-1.5)
    assert z.shape == (2, 3, 4, 5) and memory_order(z) == (1, 0, 2, 3) and (z == -1.5).all()
    assert z.transpose(1, 0, 2, 3).flags['C_CONTIGUOUS']
    same = in_memory_order(x, (0, 1, 2, 3))
    assert same is x
    moved = in_memory_order(x, (1, 0, 2, 3))
    assert memory_order(moved) == (1, 0, 2, 3) and numpy.array_equal(moved, x)
    batch_last = in_memory_order(x, CHWN)
    assert memory_order(batch_last) == (1, 2, 3, 0) and numpy.array_equal(batch_last, x)
    assert batch_last.transpose(1, 2, 3, 0).flags['C_CONTIGUOUS']
    one_image = x[:1]                  # C order and CHWN are the same addresses for a batch of one
    assert in_memory_order(one_image, CHWN) is one_image


def test_conv_relu_pool_gradients_stay_batch_innermost_and_equal_c_order_results():
    """The convolution's output lies in memory as (C, H, W, N); ReLU, pooling, padding and col2im
    keep that layout in both passes (no copy back and forth), and the values are those of
    plain C-order arrays."""
    from minidl.functional.conv import memory_order
    rng = numpy.random.default_rng(0)
    x = minidl.tensor(rng.standard_normal((4, 3, 10, 10)), dtype=minidl.float64, requires_grad=True)
    w1 = minidl.tensor(rng.standard_normal((5, 3, 3, 3)), dtype=minidl.float64, requires_grad=True)
    w2 = minidl.tensor(rng.standard_normal((6, 5, 3, 3)), dtype=minidl.float64, requires_grad=True)
    h = F.conv2d(x, w1, padding=1)
    assert memory_order(h.data) == (1, 2, 3, 0)
    p = F.max_pool2d(F.relu(h), 2)
    on_numpy = h.device == 'cpu'         # CuPy's elementwise kernels write C order, whatever the inputs'
    assert memory_order(p.data) == ((1, 2, 3, 0) if on_numpy else (0, 1, 2, 3))
    y = F.conv2d(p, w2, padding=1)
    y.retain_grad()
    (y * y).sum().backward()
    grads = [g.grad.numpy().copy() for g in (x, w1, w2)]
    # the same computation on C-order copies of every intermediate, through the reference loops
    xr, w1r, w2r = (a.detach().numpy() for a in (x, w1, w2))
    hr = numpy.ascontiguousarray(conv2d_reference(xr, w1r, None, (1, 1), (1, 1), (1, 1)))
    numpy.testing.assert_allclose(h.detach().numpy(), hr, rtol=1e-12, atol=1e-12)
    for g, leaf in zip(grads, (x, w1, w2)):
        assert g.shape == leaf.shape and numpy.isfinite(g).all()
    # finite differences on one weight entry confirm the gradient that came through the layouts
    eps = 1e-6
    def loss(w2_value):
        with minidl.no_grad():
            out = F.conv2d(F.max_pool2d(F.relu(F.conv2d(x, w1, padding=1)), 2), minidl.tensor(w2_value), padding=1)
            return float((out * out).sum())
    bumped = w2r.copy()
    bumped[1, 2, 0, 1] += eps
    lowered = w2r.copy()
    lowered[1, 2, 0, 1] -= eps
    numeric = (loss(bumped) - loss(lowered)) / (2 * eps)
    assert abs(numeric - grads[2][1, 2, 0, 1]) < 1e-5 * max(1.0, abs(numeric))


def test_disjoint_windows():
    from minidl.functional.conv import SlidingWindow
    assert SlidingWindow(2, stride=2).disjoint()
    assert SlidingWindow(3, stride=3, padding=1).disjoint()
    assert not SlidingWindow(3, stride=2).disjoint()
    assert not SlidingWindow(2, stride=3, dilation=3).disjoint()     # extent 4 > stride 3
    assert SlidingWindow(2, stride=4, dilation=3).disjoint()


CHUNK = conv_module.SPLIT_K_CHUNK


@pytest.mark.parametrize('m, k, n, split', [
    (16, 2 * CHUNK + 37, 9, True),          # split-K, with a last part under one chunk
    (16, 3 * CHUNK, 9, True),               # split-K, whole chunks
    (16, 2 * CHUNK - 1, 9, False),          # too short an inner dimension to split
    (32, 3 * CHUNK, 144, False),            # too large a result to split: the longer side as rows
    (40, 300, 7, False),                    # the plain product
])
def test_weight_gradient_product_forms_equal_the_plain_product(m, k, n, split, monkeypatch):
    """_product_in_shape (a convolution's dL/dW) gives a @ b in each of its forms, in a new
    array of the asked shape that owns its memory; split-K runs where its rule says (NumPy
    only: a GPU's BLAS splits by itself)."""
    xp = minidl.backend.xp_for()
    rng = numpy.random.default_rng(0)
    a, b_t = rng.standard_normal((m, k)), rng.standard_normal((n, k))
    calls = []

    def spy(*args):
        calls.append(args)
        return split_k(*args)
    split_k = conv_module._split_k_product
    monkeypatch.setattr(conv_module, '_split_k_product', spy)
    product = conv_module._product_in_shape(xp.asarray(a), xp.asarray(b_t).T, (m, n, 1))
    assert product.shape == (m, n, 1) and product.base is None
    numpy.testing.assert_allclose(minidl.backend.to_numpy(product)[..., 0], a @ b_t.T, rtol=1e-12, atol=1e-10)
    assert bool(calls) == (split and xp.__name__ == 'numpy')


@pytest.mark.parametrize('image, out_channels, kernel, stride, padding, dilation', [
    ((3, 2, 7, 6), 4, 3, 1, 1, 1),                  # the usual 3x3, padding 1
    ((2, 3, 9, 8), 5, (2, 3), 1, (0, 2), (2, 1)),   # rectangular kernel, uneven padding, dilation
    ((1, 4, 5, 5), 2, 1, 1, 0, 1),                  # a 1x1 kernel, a batch of one
    ((2, 2, 5, 4), 3, 3, 1, 0, 1),                  # no padding
    ((2, 2, 8, 8), 3, 3, 2, 1, 1),                  # stride 2: product + col2im
])
def test_input_gradient_without_columns_equals_col2im_of_the_product(image, out_channels, kernel, stride,
                                                                     padding, dilation, monkeypatch):
    """_col2im_of_product (a convolution's dL/dx) gives col2im(a @ b), and on NumPy with stride
    1 computes it as one BLAS product per kernel offset added into the padded image."""
    xp = minidl.backend.xp_for()
    window = conv_module.SlidingWindow(kernel, stride, padding, dilation)
    col2im_op = conv_module.Col2Im(window, image)
    (kh, kw), (out_h, out_w) = window.kernel, window.output_size(*image[2:])
    rng = numpy.random.default_rng(0)
    weight = xp.asarray(rng.standard_normal((out_channels, image[1] * kh * kw)))
    gy = xp.asarray(rng.standard_normal((out_channels, out_h * out_w * image[0])))
    products = []

    def spy(c, a, b):
        products.append(a.shape)
        return matmul_add(c, a, b)
    matmul_add = conv_module.blas.matmul_add_
    monkeypatch.setattr(conv_module.blas, 'matmul_add_', spy)
    got = conv_module._col2im_of_product(col2im_op, weight.T, gy)
    expected = col2im_op.forward(weight.T @ gy)
    assert got.shape == image
    numpy.testing.assert_allclose(minidl.backend.to_numpy(got), minidl.backend.to_numpy(expected),
                                  rtol=1e-12, atol=1e-12)
    by_blas = xp.__name__ == 'numpy' and stride == 1 and numpy.dtype('float64') in conv_module.blas.GEMM
    assert products == ([(image[1], out_channels)] * (kh * kw) if by_blas else [])

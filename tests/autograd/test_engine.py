import gc
import weakref

import numpy
import pytest

import minidl
from minidl.autograd import Function
from minidl.functional.activation import Hardtanh
from minidl.functional.arithmetic import Mul


def test_gradients_accumulate_across_backward_calls():
    x = minidl.tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    (x * 3).sum().backward()
    assert x.grad.tolist() == [5.0, 7.0]


def test_a_tensor_used_twice_gets_the_sum_of_both_paths():
    x = minidl.tensor(3.0, requires_grad=True)
    y = x * x + x.exp() * x          # dy/dx = 2x + e^x (1 + x)
    y.backward()
    assert x.grad.item() == pytest.approx(6 + numpy.exp(3) * 4, rel=1e-6)


def test_chain_of_10000_ops_has_no_recursion_error():
    x = minidl.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(10000):
        y = y * 1.0001
    y.backward()
    assert x.grad.item() == pytest.approx(1.0001 ** 10000, rel=1e-3)


def test_graph_is_freed_after_backward():
    x = minidl.tensor(numpy.ones(5), requires_grad=True)
    y = x.exp()                      # Exp saves its output
    saved = weakref.ref(y.grad_fn._saved[0])
    z = y.sum()
    del y
    gc.collect()
    assert saved() is not None      # kept while the graph may still be used
    z.backward()
    gc.collect()
    assert saved() is None          # freed by backward


def test_an_output_nobody_saved_is_freed_before_backward():
    """A node keeps what backward needs, not its outputs: ReLU saves a mask, not its input, so
    the product's result goes as soon as the code drops it, graph or no graph."""
    x = minidl.tensor(numpy.ones((2, 3)), requires_grad=True)
    h = x * 2.0
    product = weakref.ref(h.data)
    z = h.relu().sum()
    del h
    gc.collect()
    assert product() is None
    z.backward()
    assert x.grad.tolist() == [[2.0] * 3] * 2


class _SplitHalves(Function):
    """(first half, second half) of a 1-d x: two outputs; dL/dx is their gradients joined."""

    def forward(self, x):
        half = len(x) // 2
        return x[:half].copy(), x[half:].astype(numpy.float32)

    def backward(self, g_first, g_second):
        return minidl.cat([g_first, g_second.to(g_first.dtype)])


def test_an_output_nobody_used_gets_a_zero_gradient_of_its_shape_and_dtype():
    x = minidl.tensor(numpy.arange(5.0), requires_grad=True)       # float64: halves of 2 and 3
    first, second = _SplitHalves()(x)
    assert second.dtype == numpy.float32
    (second * 3).sum().backward(retain_graph=True)     # the first half is never used
    assert x.grad.tolist() == [0.0, 0.0, 3.0, 3.0, 3.0] and x.grad.dtype == numpy.float64
    x.grad = None
    (first * 2).sum().backward()               # now only the first one
    assert x.grad.tolist() == [2.0, 2.0, 0.0, 0.0, 0.0]


def test_second_backward_raises_unless_graph_retained():
    x = minidl.tensor([1.0, 2.0], requires_grad=True)
    y = (x.exp() * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    numpy.testing.assert_allclose(x.grad.numpy(), 2 * numpy.exp([1.0, 2.0]) * (1 + numpy.array([1.0, 2.0])),
                                  rtol=1e-6)
    with pytest.raises(RuntimeError, match='a second time.*retain_graph=True'):
        y.backward()


def test_a_node_runs_only_after_all_its_consumers_long_and_short_paths():
    """h feeds y through a long chain and a short one: h's backward must wait for both, even
    though the short path reaches it first in a search from y."""
    x = minidl.tensor(0.3, dtype=minidl.float64, requires_grad=True)
    h = x * x
    long = h
    for _ in range(6):
        long = long.sin()
    y = long + h * 5.0
    y.backward()
    value, slope = 0.09, 1.0                      # d(sin^6)(h)/dh by the chain rule, by hand
    for _ in range(6):
        slope *= numpy.cos(value)
        value = numpy.sin(value)
    assert x.grad.item() == pytest.approx((slope + 5.0) * 2 * 0.3, rel=1e-12)


def test_backward_into_a_freed_part_of_the_graph_raises_and_leaves_grads_alone():
    x = minidl.tensor([1.0, 2.0], requires_grad=True)
    y = x.exp()
    (y * 2).sum().backward()                     # frees the Exp node
    before = x.grad.numpy().copy()
    with pytest.raises(RuntimeError, match='a second time.*retain_graph=True'):
        (y * 3).sum().backward()
    numpy.testing.assert_array_equal(x.grad.numpy(), before)


def test_backward_on_non_scalar_needs_gradient():
    x = minidl.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match=r'single-element output, got shape \(2,\)'):
        y.backward()
    y.backward(gradient=minidl.tensor([1.0, 10.0]))
    assert x.grad.tolist() == [2.0, 20.0]


def test_backward_of_tensor_without_grad_is_a_clear_error():
    with pytest.raises(RuntimeError, match='does not require grad'):
        minidl.tensor([1.0]).sum().backward()


def test_autograd_grad_returns_without_touching_dot_grad():
    x = minidl.tensor([1.0, 2.0], requires_grad=True)
    h = x * x
    y = (h * x).sum()
    gx, gh = minidl.autograd.grad(y, [x, h])
    assert x.grad is None
    assert gx.tolist() == [3.0, 12.0] and gh.tolist() == [1.0, 2.0]


def test_unused_input_needs_allow_unused():
    x = minidl.tensor([1.0], requires_grad=True)
    z = minidl.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match='was not used'):
        minidl.autograd.grad((x * 2).sum(), [x, z])
    assert minidl.autograd.grad((x * 2).sum(), [x, z], allow_unused=True)[1] is None


def test_hessian_vector_product_of_a_small_mlp():
    """HVP through matmul, tanh, sum — compared with a finite difference of gradients."""
    rng = numpy.random.default_rng(0)
    W1 = minidl.tensor(rng.normal(size=(3, 4)), requires_grad=True)
    W2 = minidl.tensor(rng.normal(size=(4, 1)), requires_grad=True)
    x = minidl.tensor(rng.normal(size=(5, 3)))
    v1, v2 = minidl.tensor(rng.normal(size=(3, 4))), minidl.tensor(rng.normal(size=(4, 1)))

    def loss():
        return (((x @ W1).tanh() @ W2) ** 2).mean()

    g1, g2 = minidl.autograd.grad(loss(), [W1, W2], create_graph=True)
    dot = (g1 * v1).sum() + (g2 * v2).sum()
    h1, h2 = minidl.autograd.grad(dot, [W1, W2])

    def grads_at(eps):
        W1.data += eps * v1.data
        W2.data += eps * v2.data
        g = minidl.autograd.grad(loss(), [W1, W2])
        W1.data -= eps * v1.data
        W2.data -= eps * v2.data
        return [t.numpy() for t in g]
    plus, minus = grads_at(1e-6), grads_at(-1e-6)
    numpy.testing.assert_allclose(h1.numpy(), (plus[0] - minus[0]) / 2e-6, rtol=1e-5, atol=1e-8)
    numpy.testing.assert_allclose(h2.numpy(), (plus[1] - minus[1]) / 2e-6, rtol=1e-5, atol=1e-8)


def test_create_graph_gives_second_derivative():
    x = minidl.tensor(2.0, requires_grad=True)
    y = x ** 3
    y.backward(create_graph=True)
    assert x.grad.item() == 12.0 and x.grad.requires_grad
    g = x.grad
    x.grad = None
    g.backward()
    assert x.grad.item() == 12.0         # d²(x³)/dx² = 6x


class _SavesEverything(Function):
    """y = Σ x·w·c with a constant c; saves an input from an earlier node (x), a leaf (w),
    the output (a 0-d result, which NumPy hands back as a scalar) and the constant."""
    seen = []

    def forward(self, x, w):
        c = numpy.full_like(x, 2.0)
        y = (x * w * c).sum()
        self.save_for_backward(x, w, y, c)
        return y

    def backward(self, gy):
        x, w, y, c = self.saved_tensors
        self.seen.append((x, w, y, c))
        return gy * w * c, gy * x * c


def test_saved_tensors_sit_on_the_graph_when_backward_is_recorded():
    leaf = minidl.tensor([1.0, 2.0], requires_grad=True)
    w = minidl.tensor([3.0, 4.0], requires_grad=True)
    h = leaf * 1.0
    y = _SavesEverything()(h, w)
    _SavesEverything.seen.clear()
    minidl.autograd.grad(y, [leaf, w], create_graph=True)
    x_s, w_s, y_s, c_s = _SavesEverything.seen[0]
    assert x_s.grad_fn is h.grad_fn and w_s is w
    assert y_s.grad_fn is y.grad_fn and y_s.shape == () and y_s.item() == 22.0
    assert c_s.grad_fn is None and not c_s.requires_grad and c_s.tolist() == [2.0, 2.0]
    gw, = minidl.autograd.grad(y, w, create_graph=True)             # 2x, through h to leaf
    gleaf, = minidl.autograd.grad(gw.sum(), leaf)
    assert gleaf.tolist() == [2.0, 2.0]


def test_saved_tensors_are_plain_values_when_backward_is_not_recorded():
    leaf = minidl.tensor([1.0, 2.0], requires_grad=True)
    w = minidl.tensor([3.0, 4.0], requires_grad=True)
    y = _SavesEverything()(leaf * 1.0, w)
    _SavesEverything.seen.clear()
    y.backward()
    saved = _SavesEverything.seen[0]
    assert [t.tolist() for t in saved] == [[1.0, 2.0], [3.0, 4.0], 22.0, [2.0, 2.0]]
    assert not any(t.requires_grad for t in saved)
    assert w.grad.tolist() == [2.0, 4.0] and leaf.grad.tolist() == [6.0, 8.0]


class _Scale(Function):
    """y = x · s (s a saved constant array), recording what its backward was given."""
    seen = []

    def forward(self, x, s):
        self.save_for_backward(s)
        return x * s

    def backward(self, gy):
        s, = self.saved_tensors
        _Scale.seen.append((type(gy), type(s)))
        return gy * s, None


class _ScaleOnArrays(_Scale):
    backward_on_arrays = True


@pytest.mark.parametrize('op, plain', [(_Scale, minidl.Tensor), (_ScaleOnArrays, numpy.ndarray)])
def test_backward_gets_arrays_only_if_it_asks_and_never_under_create_graph(op, plain):
    x = minidl.tensor([1.0, 2.0], requires_grad=True)
    s = numpy.array([3.0, 4.0], dtype=numpy.float32)
    _Scale.seen.clear()
    (op()(x, s) * x).sum().backward()            # d/dx Σ s·x² = 2 s x
    minidl.autograd.grad((op()(x, s) * x).sum(), x, create_graph=True)
    assert _Scale.seen == [(plain, plain), (minidl.Tensor, minidl.Tensor)]
    assert x.grad.tolist() == [6.0, 16.0] and type(x.grad.data) is numpy.ndarray


def test_a_backward_on_arrays_may_return_a_numpy_scalar_for_a_0d_input():
    x = minidl.tensor(2.0, requires_grad=True)
    y = _ScaleOnArrays()(x, numpy.array(3.0, dtype=numpy.float32))   # gy * s: two 0-d arrays
    (y * y).backward()                                               # a scalar, from NumPy
    assert x.grad.shape == () and type(x.grad.data) is numpy.ndarray and x.grad.item() == 36.0


def test_a_backward_that_did_not_ask_for_arrays_must_return_tensors():
    class ReturnsArray(Function):
        def forward(self, x):
            return x * 2

        def backward(self, gy):
            return gy.data * 2

    x = minidl.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match='ReturnsArray.backward must return Tensors .or None., got ndarray'):
        ReturnsArray()(x).sum().backward()


def test_the_coursework_copies_of_mul_div_and_relu_keep_tensors_in_backward():
    """The flag is set on minidl's own classes outside their bodies, so A1's and A2's copies lack it."""
    from minidl.coursework.assignments import starter
    from minidl.functional.activation import ReLU
    from minidl.functional.arithmetic import Div, Mul
    assert Mul.backward_on_arrays and Div.backward_on_arrays and ReLU.backward_on_arrays
    assert 'backward_on_arrays' not in starter('A1') + starter('A2')


class _Cube(Function):
    def forward(self, x):
        self.save_for_backward(x)
        return x ** 3

    def backward(self, gy):
        x, = self.saved_tensors
        return gy * 3 * x * x


class _MulWithOwnBackward(Mul):
    """A user's subclass of a flagged op whose own backward uses Tensor methods."""

    def backward(self, gy):
        a, b = self.saved_tensors
        return gy * b.detach(), gy * a.detach()


def test_a_subclass_that_writes_its_own_backward_gets_tensors():
    assert not _MulWithOwnBackward.backward_on_arrays
    assert Hardtanh.backward_on_arrays              # Clamp's backward, inherited
    x = minidl.tensor([1.0, 2.0], requires_grad=True)
    w = minidl.tensor([3.0, 4.0], requires_grad=True)
    _MulWithOwnBackward()(x, w).sum().backward()
    assert x.grad.tolist() == [3.0, 4.0] and w.grad.tolist() == [1.0, 2.0]


def test_under_create_graph_a_sum_with_a_tensor_subclass_gradient_stays_on_the_graph():
    x = minidl.tensor([1.0, 2.0], requires_grad=True)
    v = minidl.nn.Parameter(minidl.tensor([1.0, 1.0]))
    g, = minidl.autograd.grad(x + x, x, grad_outputs=v, create_graph=True)
    assert isinstance(g, minidl.Tensor) and g.grad_fn is not None and g.tolist() == [2.0, 2.0]
    (x + x).backward(v, create_graph=True)
    assert isinstance(x.grad, minidl.Tensor) and x.grad.tolist() == [2.0, 2.0]


def test_an_unrecorded_call_of_a_function_keeps_what_its_recorded_call_saved():
    cube = _Cube()
    x = minidl.tensor([1.0, 2.0], requires_grad=True)
    y = cube(x)
    with minidl.no_grad():
        cube(minidl.tensor([10.0, 10.0]))
    y.sum().backward()
    assert x.grad.tolist() == [3.0, 12.0]


def test_backward_of_no_tensors_does_nothing():
    x = minidl.tensor([1.0], requires_grad=True)
    minidl.autograd.backward([])
    assert minidl.autograd.grad([], [x], allow_unused=True) == (None,) and x.grad is None


def test_leaf_grads_do_not_share_memory():
    """Add passes one gradient array to both inputs; each leaf must own its .grad."""
    a = minidl.tensor([1.0, 2.0], requires_grad=True)
    b = minidl.tensor([1.0, 2.0], requires_grad=True)
    (a + b).sum().backward()
    a.grad.data *= 10
    assert b.grad.tolist() == [1.0, 1.0]


def test_backward_returning_wrong_shape_names_the_function():
    class Broken(Function):
        def forward(self, x):
            return x * 2

        def backward(self, gy):
            return gy.sum()

    x = minidl.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r'Broken.backward returned a gradient of shape \(\) for input 0, '
                                           r'which has shape \(2,\)'):
        Broken()(x).sum().backward()


class _FakeGPUArray(numpy.ndarray):
    """An ndarray that minidl's backend takes for a CuPy array (its module is cupy.*)."""
    __module__ = 'cupy.fake'


def test_mixing_devices_names_both():
    a = minidl.ones(2, device='cpu')
    b = minidl.autograd.Tensor(numpy.ones(2, dtype=numpy.float32).view(_FakeGPUArray))
    assert b.device == 'cuda'
    with pytest.raises(RuntimeError, match=r'Add: expected all tensors on one device, but found tensors '
                                           r'on cpu and cuda'):
        a + b


def test_a_detached_copy_saved_by_an_op_stays_a_constant_in_second_derivatives():
    # d/dx of x^c with c = x.detach() held constant is c·x^(c-1); its derivative is
    # c(c-1)·x^(c-2) = [0, 2] at x = [1, 2] (c treated as a constant throughout)
    x = minidl.tensor([1.0, 2.0], dtype=minidl.float64, requires_grad=True)
    g, = minidl.autograd.grad((x ** x.detach()).sum(), x, create_graph=True)
    h, = minidl.autograd.grad(g.sum(), x)
    numpy.testing.assert_allclose(h.numpy(), [0.0, 2.0])
    g, = minidl.autograd.grad((x * x.detach()).sum(), x, create_graph=True)
    assert not g.requires_grad                              # d(x·c)/dx = c, a constant
    assert numpy.shares_memory(x.detach().data, x.data)


def test_retain_grad_sums_over_backward_calls_and_backward_takes_intermediate_inputs():
    x = minidl.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * x
    y.retain_grad()
    z = (y * y).sum()                                       # dz/dy = 2y = [2, 8, 18]
    z.backward(retain_graph=True)
    z.backward()
    assert y.grad.tolist() == [4.0, 16.0, 36.0]            # summed, as a leaf's .grad
    y = x * 2
    x.grad = None
    (y * y).sum().backward(inputs=[y])                      # dL/dy = 2y; x is not asked for
    assert y.grad.tolist() == [4.0, 8.0, 12.0] and x.grad is None


def test_a_leaf_root_gets_its_own_dtype_and_integer_outputs_are_leaves():
    x = minidl.tensor([1.0, 0.0, 2.0], dtype=minidl.float64, requires_grad=True)
    x.backward(minidl.tensor([1.0, 0.0, 2.0]))              # a float32 gradient for a float64 leaf
    assert x.grad.dtype == numpy.float64
    rounded = x.long()
    assert rounded.is_leaf and rounded.grad_fn is None and not rounded.requires_grad


def test_a_root_gradient_takes_the_roots_dtype():
    """As in PyTorch's engine: the first backward formula sees its output's dtype (a GPU
    kernel needs it: CuPy refuses to mix dtypes in one)."""
    seen = []

    class Record(minidl.autograd.Function):
        def forward(self, x):
            return x * 2

        def backward(self, gy):
            seen.append(gy.dtype)
            return gy * 2

    x = minidl.tensor([1.0, 2.0], dtype=minidl.float64, requires_grad=True)
    Record()(x).backward(minidl.tensor([1.0, 3.0]))           # a float32 gradient for a float64 output
    assert seen == [numpy.float64] and x.grad.dtype == numpy.float64 and x.grad.tolist() == [2.0, 6.0]


def test_backward_refuses_a_saved_tensor_changed_in_place_since_forward():
    x = minidl.tensor([1.0, 2.0, 3.0], requires_grad=True)
    w = minidl.tensor([1.0, 1.0, 1.0])
    y = (x * w).sum()                                       # Mul saved x and w
    w[0] = 10.0                                             # x.grad would read 10 silently
    with pytest.raises(RuntimeError, match=r'mul \(\*\): a tensor that forward saved for backward was changed'):
        y.backward()
    layer = minidl.nn.Linear(3, 1)
    opt = minidl.optim.SGD(layer.parameters(), lr=0.1)
    layer(minidl.ones(2, 3)).sum().backward()
    loss = layer(minidl.ones(2, 3)).sum()
    opt.step()                                              # the step before this loss's backward
    with pytest.raises(RuntimeError, match='was changed in place since'):
        loss.backward()
    d = x.detach()                                          # a detached view shares the count
    y = (x * x).sum()
    with minidl.no_grad():
        d += 1
    with pytest.raises(RuntimeError, match='was changed in place since'):
        y.backward()


def test_a_change_in_place_that_no_backward_needs_is_allowed():
    a, b = minidl.tensor([1.0, 2.0], requires_grad=True), minidl.tensor([3.0, 4.0], requires_grad=True)
    total = (a + b).sum()                                   # Add saves nothing
    with minidl.no_grad():
        a -= 1
    total.backward()
    assert a.grad.tolist() == [1.0, 1.0] and a.tolist() == [0.0, 1.0]
    product = (a * b).sum()
    product.backward()                                      # after backward, changes are free
    with minidl.no_grad():
        b *= 2
    assert b.tolist() == [6.0, 8.0]

import math

import numpy
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minidl
from tests.gradcases import Case, check, t

CASES = [
    Case('add broadcast', lambda a, b: a + b, lambda: [t(3, 4), t(4)]),
    Case('add scalar', lambda a: 2.5 + a, lambda: [t(2, 3)]),
    Case('sub broadcast', lambda a, b: a - b, lambda: [t(3, 1), t(1, 4)]),
    Case('rsub', lambda a: 1.0 - a, lambda: [t(5)]),
    Case('mul broadcast', lambda a, b: a * b, lambda: [t(2, 3, 4), t(3, 1)]),
    Case('div', lambda a, b: a / b, lambda: [t(3, 4), t(3, 4, low=0.5, high=2.0)]),
    Case('rdiv', lambda a: 1.0 / a, lambda: [t(4, low=0.5, high=2.0)]),
    Case('pow tensor exponent', lambda a, b: a ** b, lambda: [t(3, 2, low=0.5, high=2.0), t(2)]),
    Case('pow scalar exponent', lambda a: a ** 3, lambda: [t(2, 3)]),
    Case('rpow', lambda a: 2.0 ** a, lambda: [t(4)]),
    Case('neg', lambda a: -a, lambda: [t(3)]),
    Case('abs', lambda a: a.abs(), lambda: [t(3, 4, away_from=0.0)]),
    Case('exp', lambda a: a.exp(), lambda: [t(3, 4)]),
    Case('log', lambda a: a.log(), lambda: [t(3, 4, low=0.5, high=3.0)]),
    Case('sqrt', lambda a: a.sqrt(), lambda: [t(3, 4, low=0.5, high=3.0)]),
    Case('sin', lambda a: a.sin(), lambda: [t(3, 4)]),
    Case('cos', lambda a: a.cos(), lambda: [t(3, 4)]),
    Case('clamp', lambda a: a.clamp(-0.5, 0.7), lambda: [t(4, 5, away_from=0.1)]),
    Case('clamp min only', lambda a: a.clamp(min=0.3), lambda: [t(4, 5, away_from=0.3)]),
    Case('maximum', lambda a, b: minidl.maximum(a, b), lambda: [t(3, 4, seed=1), t(4, seed=2)]),
    Case('minimum', lambda a, b: minidl.minimum(a, b), lambda: [t(3, 4, seed=1), t(3, 1, seed=2)]),
    Case('where', lambda a, b: minidl.where(a > 0, a, b), lambda: [t(3, 4, away_from=0.0), t(4)]),
]


@pytest.mark.parametrize('case', CASES, ids=repr)
def test_gradients(case):
    check(case)


UNARY = [('exp', numpy.exp), ('log', numpy.log), ('sqrt', numpy.sqrt), ('sin', numpy.sin),
         ('cos', numpy.cos), ('abs', numpy.abs), ('neg', numpy.negative)]


@pytest.mark.parametrize('name,reference', UNARY)
def test_unary_forward_matches_numpy(name, reference):
    x = numpy.random.default_rng(0).uniform(0.1, 3.0, size=(4, 5)).astype(numpy.float32)
    y = getattr(minidl.tensor(x), name)()
    assert y.dtype == numpy.float32
    numpy.testing.assert_allclose(y.numpy(), reference(x), rtol=1e-6)
    numpy.testing.assert_allclose(getattr(minidl, name)(minidl.tensor(x)).numpy(), reference(x), rtol=1e-6)


BINARY = [(lambda a, b: a + b, numpy.add), (lambda a, b: a - b, numpy.subtract),
          (lambda a, b: a * b, numpy.multiply), (lambda a, b: a / b, numpy.divide),
          (minidl.maximum, numpy.maximum), (minidl.minimum, numpy.minimum)]


@settings(max_examples=30, deadline=None)
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=4, max_side=4),
       op=st.sampled_from(range(len(BINARY))))
def test_binary_broadcasting_values_and_gradient_shapes(shapes, op):
    """Forward equals NumPy for any broadcastable pair; each gradient has its input's shape
    and equals dL/dy summed over the broadcast axes (here dL/dy = 1, y = a + b)."""
    rng = numpy.random.default_rng(0)
    a_np = rng.uniform(0.5, 2, size=shapes.input_shapes[0])
    b_np = rng.uniform(0.5, 2, size=shapes.input_shapes[1])
    ours, reference = BINARY[op]
    a = minidl.tensor(a_np, requires_grad=True)
    b = minidl.tensor(b_np, requires_grad=True)
    y = ours(a, b)
    numpy.testing.assert_allclose(y.numpy(), reference(a_np, b_np), rtol=1e-12)
    y.sum().backward()
    assert a.grad.shape == a.shape and b.grad.shape == b.shape
    if op == 0:                       # d(a + b)/da summed over broadcast copies = copies per element
        copies = numpy.prod(shapes.result_shape) / max(a_np.size, 1)
        numpy.testing.assert_allclose(a.grad.numpy(), numpy.full(a.shape, copies))


def test_scalars_and_numpy_arrays_mix_on_either_side():
    x = minidl.tensor([1.0, 2.0])
    array = numpy.array([10.0, 20.0], dtype=numpy.float32)
    assert (2 - x).tolist() == [1.0, 0.0]
    assert (x / 2).tolist() == [0.5, 1.0]
    if x.device == 'cuda':              # a NumPy array is a CPU array: mixing it in names both devices
        with pytest.raises(RuntimeError, match='Mul: got an array on cpu and a tensor on cuda'):
            array * x
        array = minidl.backend.to_device(array, 'cuda')
    assert (x + array).tolist() == [11.0, 22.0]
    assert isinstance(x * array, minidl.Tensor)
    assert (x ** 2).tolist() == [1.0, 4.0] and (2 ** x).tolist() == [2.0, 4.0]


def test_dtype_promotion_of_python_scalars():
    assert (minidl.tensor([1.0]) * 2).dtype == numpy.float32          # int scalar keeps float32
    assert (minidl.tensor([1]) * 2).dtype == numpy.int64
    assert (minidl.tensor([1]) * 2.5).dtype == numpy.float32          # float scalar -> default float
    assert (minidl.tensor([1.0], dtype=minidl.float64) + 1.5).dtype == numpy.float64


def test_binary_shape_mismatch_names_op_and_shapes():
    with pytest.raises(ValueError, match=r"add \(\+\): shapes \(2, 3\) and \(4,\) cannot be broadcast"):
        minidl.ones(2, 3) + minidl.ones(4)


def test_maximum_splits_gradient_on_ties():
    a = minidl.tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = minidl.tensor([1.0, 5.0, 0.0], requires_grad=True)
    minidl.maximum(a, b).sum().backward()
    assert a.grad.tolist() == [0.5, 0.0, 1.0] and b.grad.tolist() == [0.5, 1.0, 0.0]


def test_clamp_values_and_gradient_mask():
    x = minidl.tensor([-2.0, 0.0, 0.5, 3.0], requires_grad=True)
    y = x.clamp(-1.0, 1.0)
    assert y.tolist() == [-1.0, 0.0, 0.5, 1.0]
    y.sum().backward()
    assert x.grad.tolist() == [0.0, 1.0, 1.0, 0.0]
    with pytest.raises(ValueError, match='clamp'):
        x.clamp()


def test_where_forward():
    a, b = minidl.tensor([1.0, 2.0, 3.0]), minidl.tensor([-1.0, -2.0, -3.0])
    assert minidl.where(a > 1.5, a, b).tolist() == [-1.0, 2.0, 3.0]
    assert minidl.where(a > 1.5, a, 0.0).tolist() == [0.0, 2.0, 3.0]


def test_comparisons_return_bool_tensors_and_name_bad_shapes():
    a = minidl.tensor([1.0, 2.0, 3.0], requires_grad=True)
    assert (a > 1.5).tolist() == [False, True, True] and (a <= 2).tolist() == [True, True, False]
    assert (a == a).dtype == numpy.bool_ and not (a != 2.0).requires_grad
    with pytest.raises(ValueError, match=r'lt \(<\): shapes \(2, 3\) and \(4,\) cannot be broadcast'):
        minidl.ones(2, 3) < minidl.ones(4)


SHORTCUT_OPERANDS = [
    (numpy.float32, (3, 4), numpy.float32, (4,)),
    (numpy.float64, (2, 1), numpy.float64, (1, 3)),
    (numpy.int8, (3,), numpy.int8, (3,)),
    (numpy.float32, (3,), numpy.float32, ()),               # a 0-d operand of the same dtype
    (numpy.bool_, (2, 2), numpy.bool_, (2, 2)),            # bool + bool is logical or, as in NumPy
]                                                           # (mixed dtypes take the op: promoted)


@pytest.mark.parametrize('dtype_a, shape_a, dtype_b, shape_b, op', [
    operands + (op,) for operands in SHORTCUT_OPERANDS for op in ('__add__', '__sub__', '__mul__')
    if not (op == '__sub__' and operands[0] is numpy.bool_)])       # bool subtraction is refused
def test_operators_without_a_graph_take_the_array_shortcut_with_the_same_result(
        dtype_a, shape_a, dtype_b, shape_b, op, monkeypatch):
    """Under no_grad, + - * on two Tensors are their array operation: the same values, dtype
    and shape as through the Function (which is not called), and nothing recorded."""
    rng = numpy.random.default_rng(0)
    a = minidl.tensor((rng.normal(size=shape_a) * 3).astype(dtype_a))
    b = minidl.tensor((rng.normal(size=shape_b) * 3).astype(dtype_b))
    through_function = getattr(a, op)(b)
    calls = []
    for name in ('Add', 'Sub', 'Mul'):
        cls = getattr(minidl.functional.arithmetic, name)
        monkeypatch.setattr(cls, 'forward', lambda self, *arrays, cls=cls, forward=cls.forward:
                            calls.append(cls) or forward(self, *arrays))
    with minidl.no_grad():
        shortcut = getattr(a, op)(b)
    assert calls == []
    assert shortcut.grad_fn is None and not shortcut.requires_grad
    assert shortcut.dtype == through_function.dtype and shortcut.shape == through_function.shape
    numpy.testing.assert_array_equal(shortcut.numpy(), through_function.numpy())


def test_operators_without_a_graph_keep_the_full_path_where_it_matters():
    """The shortcut hands over to the op for what only the op does: name the op and shapes
    that do not broadcast, keep 0-d results 0-d arrays, take Python numbers, check for
    non-finite results under anomaly detection, keep float32 where NumPy would widen it."""
    with minidl.no_grad():
        mixed = minidl.tensor([1, 2]) * minidl.tensor([0.5, 0.25])       # NumPy: float64
        assert mixed.dtype == numpy.float32 and mixed.tolist() == [0.5, 0.5]
        with pytest.raises(ValueError, match=r"mul \(\*\): shapes \(2, 3\) and \(4,\)"):
            minidl.ones(2, 3) * minidl.ones(4)
        product = minidl.tensor(2.0) * minidl.tensor(3.0)
        assert product.shape == () and product.dtype == numpy.float32 and product.item() == 6.0
        assert (minidl.tensor([1.0, 2.0]) + 1).tolist() == [2.0, 3.0]
        with minidl.autograd.detect_anomaly(), numpy.errstate(invalid='ignore'):
            with pytest.raises(FloatingPointError, match="Mul produced nan"):
                minidl.tensor([math.inf]) * minidl.tensor([0.0])


def test_pow_gradients_at_a_zero_base_are_zero_where_the_derivative_is():
    # d(a⁰)/da = 0 (a constant), though b · a^(b-1) = 0 · 0⁻¹ = 0 · ∞ at a = 0; and
    # d(0^b)/db = 0 for b > 0 (0^b = 0 there), though y · ln 0 = 0 · -∞
    a = minidl.tensor([0.0, 2.0], dtype=minidl.float64, requires_grad=True)
    (a ** 0).sum().backward()
    numpy.testing.assert_array_equal(a.grad.numpy(), [0.0, 0.0])
    b = minidl.tensor([2.0, 2.0], dtype=minidl.float64, requires_grad=True)
    (minidl.tensor([0.0, 2.0], dtype=minidl.float64) ** b).sum().backward()
    numpy.testing.assert_allclose(b.grad.numpy(), [0.0, 4 * math.log(2)])
    a.grad = None
    (a ** 3).sum().backward()                                  # elsewhere the formula as before: 3a²
    numpy.testing.assert_array_equal(a.grad.numpy(), [0.0, 12.0])


@pytest.mark.parametrize('op', ['__add__', '__sub__', '__mul__', '__truediv__', '__pow__', 'maximum', 'minimum'])
def test_integers_meeting_floats_take_the_float_dtype_as_in_pytorch(op):
    ints, floats = minidl.tensor([1, 2, 3]), minidl.tensor([0.5, 2.0, 1.5])
    for a, b in ((ints, floats), (floats, ints)):
        y = getattr(minidl, op)(a, b) if op in ('maximum', 'minimum') else getattr(a, op)(b)
        expected = getattr(numpy, op)(a.numpy(), b.numpy()) if op in ('maximum', 'minimum') \
            else getattr(a.numpy().astype(numpy.float64), op)(b.numpy())
        assert y.dtype == numpy.float32                            # NumPy gives float64
        numpy.testing.assert_allclose(y.numpy(), expected, rtol=1e-6)
    assert (ints / ints).dtype == numpy.float32 and (ints / ints).tolist() == [1.0, 1.0, 1.0]
    assert minidl.where(ints > 1, ints, floats).dtype == numpy.float32
    assert (ints * minidl.tensor([1.0], dtype=minidl.float64)).dtype == numpy.float64

"""PyTorch parity of dtypes and of the ops whose answer depends on them: logical and bitwise
ops, type promotion with 0-d tensors, max/min gradients at NaN, matmul's dtypes, and the
ops PyTorch refuses for bools. The expected values are PyTorch's (2.x), written out."""
import math

import numpy
import pytest

import minidl
import minidl.functional as F
from tests.gradcases import Case, check

nan = math.nan


# ---------------------------------------------------------------- logical and bitwise ops
def test_logical_ops_ask_whether_values_are_nonzero_in_any_dtype():
    assert F.logical_and(minidl.tensor([1, 2]), minidl.tensor([2, 1])).tolist() == [True, True]
    assert F.logical_and(minidl.tensor([1, 2]), minidl.tensor([2, 1])).dtype == numpy.bool_
    assert F.logical_not(minidl.tensor([0, 1, 2])).tolist() == [True, False, False]
    assert F.logical_or(minidl.tensor([0.0, 1.0]), minidl.tensor([0.0, 0.0])).tolist() == [False, True]
    assert F.logical_and(minidl.tensor([0.5, 0.0]), minidl.tensor([1, 1])).tolist() == [True, False]
    assert F.logical_not(minidl.tensor([0.0, -0.5])).tolist() == [True, False]


def test_operators_and_or_invert_stay_bitwise_on_integers_and_logical_on_bools():
    assert (minidl.tensor([1, 2]) & minidl.tensor([3, 1])).tolist() == [1, 0]
    assert (minidl.tensor([1, 2]) | minidl.tensor([3, 1])).tolist() == [3, 3]
    assert (~minidl.tensor([0, 1, 2])).tolist() == [-1, -2, -3]
    assert (minidl.tensor([3, 2]) & 1).tolist() == [1, 0]
    mask = minidl.tensor([True, False])
    assert (mask & minidl.tensor([True, True])).tolist() == [True, False]
    assert (mask | minidl.tensor([False, False])).tolist() == [True, False]
    assert (~mask).tolist() == [False, True] and (~mask).dtype == numpy.bool_


def test_bitwise_operators_on_floats_name_the_op_and_dtypes():
    with pytest.raises(TypeError, match=r"bitwise_and \(&\): not supported for dtypes float32 and float32"):
        minidl.tensor([1.0]) & minidl.tensor([1.0])
    with pytest.raises(TypeError, match=r"bitwise_not \(~\): expected a bool or integer tensor, got float32"):
        ~minidl.tensor([1.0])


# ---------------------------------------------------------------- 0-d tensors in promotion
# (dimensioned dtype, 0-d dtype, op, result dtype): a 0-d tensor decides only when its category
# (bool < integer < floating) is higher than the dimensioned tensor's
ZERO_DIM = [
    (numpy.float32, numpy.float64, '__add__', numpy.float32),
    (numpy.float32, numpy.float64, '__sub__', numpy.float32),
    (numpy.float32, numpy.float64, '__mul__', numpy.float32),
    (numpy.float32, numpy.float64, '__truediv__', numpy.float32),
    (numpy.float32, numpy.float64, '__pow__', numpy.float32),
    (numpy.float32, numpy.float64, 'maximum', numpy.float32),
    (numpy.float32, numpy.float64, 'minimum', numpy.float32),
    (numpy.float16, numpy.float32, '__add__', numpy.float16),
    (numpy.int32, numpy.int64, '__mul__', numpy.int32),
    (numpy.uint8, numpy.int8, '__add__', numpy.uint8),
    (numpy.int64, numpy.float64, '__add__', numpy.float64),      # higher category: the 0-d's dtype
    (numpy.int64, numpy.float32, '__add__', numpy.float32),
    (numpy.bool_, numpy.int32, '__add__', numpy.int32),
]


def _apply(op, a, b):
    return getattr(minidl, op)(a, b) if op in ('maximum', 'minimum') else getattr(a, op)(b)


@pytest.mark.parametrize('dimensioned, zero_dim, op, expected', ZERO_DIM)
def test_a_zero_dim_tensor_sets_the_dtype_only_if_its_category_is_higher(dimensioned, zero_dim, op, expected):
    a = minidl.tensor(numpy.array([1, 2], dtype=dimensioned))
    s = minidl.tensor(numpy.array(1, dtype=zero_dim))
    assert _apply(op, a, s).dtype == expected and _apply(op, s, a).dtype == expected
    with minidl.no_grad():                          # the operators' no-grad shortcut agrees
        assert _apply(op, a, s).dtype == expected and _apply(op, s, a).dtype == expected


def test_zero_dim_promotion_values_comparisons_and_where():
    a, s = minidl.tensor([0.1, 0.2]), minidl.tensor(numpy.float64(0.1))
    assert (a == s).tolist() == [True, False]                  # compared in float32
    assert (a != s).tolist() == [False, True] and (s >= a).tolist() == [True, False]
    small = minidl.tensor(numpy.array([0, 2], dtype=numpy.uint8))
    difference = small - minidl.tensor(1)
    assert difference.dtype == numpy.uint8 and difference.tolist() == [255, 1]
    assert (small < minidl.tensor(-1)).tolist() == [True, True]     # -1 is 255 as uint8
    assert minidl.where(a > 0.15, a, s).dtype == numpy.float32
    assert minidl.where(a > 0.15, s, a).dtype == numpy.float32
    both_zero_dim = minidl.tensor(1.0) + s                      # two 0-d tensors: the ordinary rule
    assert both_zero_dim.dtype == numpy.float64


def test_zero_dim_promotion_with_gradients():
    a = minidl.tensor([1.0, 2.0], requires_grad=True)
    s = minidl.tensor(3.0, dtype=minidl.float64, requires_grad=True)
    y = a * s
    assert y.dtype == numpy.float32 and y.tolist() == [3.0, 6.0]
    y.sum().backward()
    assert a.grad.dtype == numpy.float32 and a.grad.tolist() == [3.0, 3.0]
    assert s.grad.dtype == numpy.float64 and s.grad.item() == 3.0


# ---------------------------------------------------------------- maximum, minimum at ties and NaN
# At a tie the central difference (max(a + h, b) - max(a - h, b)) / 2h is h / 2h: the half share.
# The gradient itself jumps there, so these cases skip gradgradcheck (test_arithmetic's cases,
# away from ties, run it).
EXTREMA = [
    Case('maximum with ties', lambda a, b: minidl.maximum(a, b),
         lambda: [minidl.tensor([1.0, 2.0, 3.0], dtype=minidl.float64, requires_grad=True),
                  minidl.tensor([1.0, 5.0, 0.0], dtype=minidl.float64, requires_grad=True)],
         second_order=False),
    Case('minimum with ties, broadcast', lambda a, b: minidl.minimum(a, b),
         lambda: [minidl.tensor([[0.5, 2.0], [-1.0, 0.5]], dtype=minidl.float64, requires_grad=True),
                  minidl.tensor([0.5, 0.0], dtype=minidl.float64, requires_grad=True)],
         second_order=False),
]


@pytest.mark.parametrize('case', EXTREMA, ids=repr)
def test_maximum_minimum_gradients(case):
    check(case)


@pytest.mark.parametrize('op, grad_a, grad_b', [
    ('maximum', [1.0, 1.0, 0.5, 1.0, 0.0], [1.0, 1.0, 0.5, 0.0, 1.0]),
    ('minimum', [1.0, 1.0, 0.5, 0.0, 1.0], [1.0, 1.0, 0.5, 1.0, 0.0]),
])
@pytest.mark.parametrize('create_graph', [False, True])
def test_maximum_minimum_send_the_gradient_to_both_inputs_where_one_is_nan(op, grad_a, grad_b, create_graph):
    a = minidl.tensor([nan, 2.0, 2.0, 3.0, 1.0], requires_grad=True)
    b = minidl.tensor([1.0, nan, 2.0, 1.0, 3.0], requires_grad=True)
    y = getattr(minidl, op)(a, b)
    assert numpy.isnan(y.numpy()[:2]).all()
    y.sum().backward(create_graph=create_graph)
    assert a.grad.tolist() == grad_a and b.grad.tolist() == grad_b


# ---------------------------------------------------------------- matmul
def test_matmul_refuses_mixed_dtypes_naming_both():
    with pytest.raises(TypeError, match="matmul: expected both operands to have the same dtype, got "
                                        "float32 and float64"):
        minidl.ones(2, 3) @ minidl.ones(3, 2, dtype=minidl.float64)
    with pytest.raises(TypeError, match="matmul: .* got int64 and float32"):
        minidl.matmul(minidl.ones(2, 3, dtype=minidl.int64), minidl.ones(3, 2))
    with pytest.raises(TypeError, match="matmul: .* got float32 and float64"):
        minidl.ones(3) @ minidl.ones(3, dtype=minidl.float64)
    product = minidl.tensor([[1, 2]]) @ minidl.tensor([[3], [4]])        # one dtype: fine
    assert product.dtype == numpy.int64 and product.tolist() == [[11]]


# ---------------------------------------------------------------- bools: sub, abs
@pytest.mark.parametrize('a, b', [([True], [1.0]), ([1.0], [True]), ([True], [True]), ([True], [1])])
@pytest.mark.parametrize('grad_enabled', [True, False])
def test_subtraction_with_a_bool_tensor_is_refused(a, b, grad_enabled):
    with minidl.set_grad_enabled(grad_enabled):
        with pytest.raises(TypeError, match=r"sub \(-\): subtraction with a bool tensor is not supported"):
            minidl.tensor(a) - minidl.tensor(b)
    with pytest.raises(TypeError, match=r"sub \(-\): .* use ~mask"):
        minidl.sub(minidl.tensor(a), minidl.tensor(b))


def test_abs_of_a_bool_tensor_is_refused():
    with pytest.raises(TypeError, match="abs: not supported for a bool tensor"):
        minidl.tensor([True, False]).abs()
    assert minidl.tensor([-2, 0, 3]).abs().tolist() == [2, 0, 3]


@pytest.mark.parametrize('product', ['linear', 'conv2d'])
def test_linear_and_conv2d_refuse_an_input_of_another_dtype_than_the_weight(product):
    weight = minidl.ones(2, 3) if product == 'linear' else minidl.ones(2, 3, 1, 1)
    x = minidl.ones(4, 3, dtype=minidl.float64) if product == 'linear' else minidl.ones(1, 3, 2, 2, dtype=minidl.float64)
    with pytest.raises(TypeError, match=f"{product}: expected the input and the weight to have the same "
                                        "dtype, got float64 and float32"):
        getattr(F, product)(x, weight)
    assert getattr(F, product)(x.float(), weight).dtype == numpy.float32


def test_negating_a_bool_tensor_is_refused():
    with pytest.raises(TypeError, match=r"neg \(-\): not supported for a bool tensor; to invert a mask use ~mask"):
        -minidl.tensor([True, False])
    assert (-minidl.tensor([1, -2])).tolist() == [-1, 2]

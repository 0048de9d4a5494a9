"""PyTorch parity of dtypes and of the ops whose answer depends on them: logical and bitwise
ops, type promotion with 0-d tensors, max/min gradients at NaN, matmul's dtypes, and the
ops PyTorch refuses for bools. The expected values are PyTorch's (2.x), written out."""
import numpy
import pytest

import minidl
import minidl.functional as F


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

"""Anomaly mode: NaN (not inf) is an error, named with the op and where it was created."""
import math

import numpy
import pytest

import minidl
import minidl.functional as F
from minidl.autograd import Function, detect_anomaly, set_detect_anomaly


class FailingBackward(Function):
    """y = x; the backward raises, to see what anomaly mode adds to the report."""

    def forward(self, x):
        return x.copy()

    def backward(self, gy):
        raise RuntimeError("Some error in backward")


def test_nan_in_forward_names_the_op():
    x = minidl.tensor([-1.0, 1.0], requires_grad=True)
    with detect_anomaly():
        with pytest.raises(FloatingPointError, match=r'Function Log produced nan in its forward output 0 '
                                                      r'\(shape \(2,\)\)'):
            x.log()


def test_nan_in_backward_names_the_op_and_the_forward_line():
    x = minidl.tensor([0.0, 1.0], requires_grad=True)
    with detect_anomaly():
        y = x.sqrt()                                  # the infinite slope at 0 ...
        z = (y * 0).sum()                             # ... times 0 is NaN in Sqrt's backward
        with pytest.raises(FloatingPointError) as info:
            z.backward()
    first, second, *stack = str(info.value).splitlines()
    assert first == 'Function Sqrt produced nan in its backward, gradient for input 0 (shape (2,))'
    assert second == 'The operation was created here (forward):'
    assert any('test_anomaly.py' in line for line in stack) and any('x.sqrt()' in line for line in stack)


def test_inf_is_not_an_anomaly_as_in_pytorch():
    # a -inf mask before softmax (attention, padding) and sqrt's infinite slope at 0
    x = minidl.tensor([1.0, 2.0, 0.5], requires_grad=True)
    mask = minidl.tensor([0.0, 0.0, -math.inf])
    with detect_anomaly():
        y = F.softmax(x + mask, dim=0)
        (y * minidl.tensor([1.0, 2.0, 3.0])).sum().backward()
        r = minidl.tensor([0.0, 4.0], requires_grad=True)
        r.sqrt().sum().backward()
    p = 1 / (1 + math.exp(-1))                        # softmax of [1, 2] is [1 - p, p]
    numpy.testing.assert_allclose(y.numpy(), [1 - p, p, 0.0], rtol=1e-6)
    numpy.testing.assert_allclose(x.grad.numpy(), [-p * (1 - p), p * (1 - p), 0.0], rtol=1e-5)
    assert r.grad.tolist() == [math.inf, 0.25]


def test_an_op_recorded_outside_anomaly_mode_is_reported_without_its_forward():
    x = minidl.tensor([-1.0, 1.0], requires_grad=True)
    y = x.sqrt().sum()                                # recorded outside: no creation stack
    with detect_anomaly(), pytest.raises(FloatingPointError) as info:
        y.backward()
    assert str(info.value).splitlines()[1] == (
        "No forward pass information available: the operation was recorded outside anomaly mode. "
        "Enable detect anomaly during the forward pass for more information.")


def test_check_nan_false_records_where_ops_were_made_but_raises_on_no_nan():
    x = minidl.tensor([-1.0, 1.0], requires_grad=True)
    with detect_anomaly(check_nan=False):
        assert minidl.autograd.is_anomaly_enabled() and not minidl.autograd.is_anomaly_check_nan_enabled()
        y = x.log()                                   # NaN in forward and in backward: no error
        y.sum().backward()
        assert numpy.isnan(y.numpy()[0]) and x.grad.tolist() == [-1.0, 1.0]
        with pytest.warns(UserWarning, match=r'(?s)Error detected in FailingBackward\. The operation was '
                                             r'created here \(forward\):\n.*test_anomaly\.py'):
            with pytest.raises(RuntimeError, match='Some error in backward'):
                FailingBackward()(x).sum().backward()
    assert not minidl.autograd.is_anomaly_enabled() and minidl.autograd.is_anomaly_check_nan_enabled()


def test_detect_anomaly_nests_restores_after_errors_and_decorates():
    enabled = minidl.autograd.is_anomaly_enabled
    with detect_anomaly():
        with detect_anomaly(check_nan=False):
            pass
        assert enabled() and minidl.autograd.is_anomaly_check_nan_enabled()
    with pytest.raises(KeyError), detect_anomaly():
        raise KeyError
    assert not enabled()

    @detect_anomaly()
    def inside():
        return enabled()
    assert inside() and not enabled()


def test_set_detect_anomaly_as_a_function_and_as_a_context_manager():
    with set_detect_anomaly(True, check_nan=False):
        assert minidl.autograd.is_anomaly_enabled() and not minidl.autograd.is_anomaly_check_nan_enabled()
    assert not minidl.autograd.is_anomaly_enabled() and minidl.autograd.is_anomaly_check_nan_enabled()
    set_detect_anomaly(True)
    try:
        assert minidl.autograd.is_anomaly_enabled()
        with set_detect_anomaly(False):
            minidl.tensor([-1.0]).log()               # off inside the block: no error
        with pytest.raises(FloatingPointError):
            minidl.tensor([-1.0]).log()               # and on again after it
    finally:
        set_detect_anomaly(False)
    assert not minidl.autograd.is_anomaly_enabled()

import numpy
import pytest

import minidl
from minidl.autograd import Function, GradcheckError
from minidl.autograd.gradcheck import grade


class Square(Function):
    """y = x²; a correct backward."""

    def forward(self, x):
        self.save_for_backward(x)
        return x * x

    def backward(self, gy):
        x, = self.saved_tensors
        return gy * 2 * x


class SquareForgotTwo(Function):
    """A planted bug: dL/dx = dL/dy · x (the factor 2 is missing)."""

    def forward(self, x):
        self.save_for_backward(x)
        return x * x

    def backward(self, gy):
        x, = self.saved_tensors
        return gy * x


class SquareConstantBackward(Function):
    """A planted second-order bug: the backward uses x as a constant array, so its own
    derivative with respect to x is lost (first order is right, second order is wrong)."""

    def forward(self, x):
        self.x = x
        return x * x

    def backward(self, gy):
        return gy * 2 * self.x


def test_correct_backward_passes_fast_and_full():
    x = minidl.randn(3, 4, requires_grad=True)
    assert minidl.gradcheck(Square(), [x])
    assert minidl.gradcheck(Square(), [x], full=True)
    assert minidl.gradgradcheck(Square(), [x], full=True)


def test_planted_bug_fails_with_a_table():
    x = minidl.tensor([[0.5, -1.0, 2.0]], requires_grad=True)
    with pytest.raises(GradcheckError) as info:
        minidl.gradcheck(SquareForgotTwo(), [x])
    message = str(info.value)
    assert 'gradcheck failed' in message
    for column in ('input', 'shape', 'worst index', 'analytic', 'numeric', 'rel. error', 'grade'):
        assert column in message
    row, = info.value.report
    assert row['input'] == 0 and row['shape'] == (1, 3) and len(row['index']) == 2
    assert row['numeric'] == pytest.approx(2 * row['analytic'], rel=1e-6)   # the missing factor 2
    assert row['relative_error'] == pytest.approx(0.5, rel=1e-6)
    assert row['grade'] == 'wrong' and '<- FAILED' in message


def test_second_order_bug_is_caught_only_by_gradgradcheck():
    x = minidl.tensor([0.5, -1.0, 2.0], requires_grad=True)
    assert minidl.gradcheck(SquareConstantBackward(), [x])
    with pytest.raises(GradcheckError):
        minidl.gradgradcheck(SquareConstantBackward(), [x])


def test_kink_is_detected_and_named():
    x = minidl.tensor([0.0, 1.0, -1.0], requires_grad=True)
    with pytest.raises(GradcheckError, match='kink') as info:
        minidl.gradcheck(lambda t: t.relu(), [x])
    assert info.value.report[0]['index'] == (0,)


def test_inputs_are_upcast_for_the_check_and_restored():
    x = minidl.tensor([1.0, 2.0], requires_grad=True)
    original = x.data
    seen = []

    def fn(t):
        seen.append(t.dtype)
        return t * t
    minidl.gradcheck(fn, [x])
    assert set(seen) == {numpy.dtype(numpy.float64)}
    assert x.data is original and x.dtype == numpy.float32 and x.grad is None


def test_closure_over_parameters_and_several_outputs():
    w = minidl.tensor([[1.0, -2.0], [0.5, 3.0]], requires_grad=True)
    x = minidl.tensor([0.3, -0.7], requires_grad=True)
    # fn receives every input; it may still reach w through the closure (the same object)
    assert minidl.gradcheck(lambda x, _: ((w @ x).tanh(), (w * x).sum(dim=0)), [x, w], full=True)


def test_grades():
    assert [grade(e) for e in (1e-9, 1e-5, 1e-3, 0.5)] == ['fine', 'look closer', 'suspicious', 'wrong']


def test_nothing_to_check_is_an_error():
    with pytest.raises(ValueError, match='none of the inputs has requires_grad=True'):
        minidl.gradcheck(lambda t: t * 2, [minidl.ones(2)])

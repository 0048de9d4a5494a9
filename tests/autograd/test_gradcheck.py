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


class SquareOneElementOff(Function):
    """A planted bug in one element: dL/dx₀ is 1% too large (the others are right)."""

    def forward(self, x):
        self.save_for_backward(x)
        return x * x

    def backward(self, gy):
        x, = self.saved_tensors
        g = (gy * 2 * x).numpy().copy()
        g[0] *= 1.01
        return minidl.tensor(g, dtype=g.dtype)


class TwoOutputsSecondWrong(Function):
    """y₀ = 2x, y₁ = 3x; the backward says 3.3 for y₁ (the first output's part is right)."""

    def forward(self, x):
        return x * 2, x * 3

    def backward(self, g0, g1):
        return g0 * 2 + g1 * 3.3


def test_correct_backward_passes_fast_and_full():
    x = minidl.randn(3, 4, requires_grad=True)
    assert minidl.gradcheck(Square(), [x])
    assert minidl.gradcheck(Square(), [x], fast_mode=True)
    assert minidl.gradgradcheck(Square(), [x])
    assert minidl.gradgradcheck(Square(), [x], fast_mode=True)


def test_default_checks_every_element_as_pytorch_does():
    # one wrong element of a thousand: the full check finds it, one random direction does not
    x = minidl.tensor(numpy.random.default_rng(0).standard_normal(1000), dtype=minidl.float64,
                      requires_grad=True)
    with pytest.raises(GradcheckError) as info:
        minidl.gradcheck(SquareOneElementOff(), [x])
    row, = info.value.report
    assert row['index'] == (0,) and not row['passed']
    assert row['analytic'] == pytest.approx(1.01 * row['numeric'], rel=1e-6)
    assert row['relative_error'] == pytest.approx(0.01 / 1.01, rel=1e-4)
    assert minidl.gradcheck(SquareOneElementOff(), [x], fast_mode=True)


def test_full_is_kept_as_the_older_spelling_of_fast_mode():
    x = minidl.tensor(numpy.random.default_rng(0).standard_normal(1000), dtype=minidl.float64,
                      requires_grad=True)
    with pytest.raises(GradcheckError):
        minidl.gradcheck(SquareOneElementOff(), [x], full=True)
    assert minidl.gradcheck(SquareOneElementOff(), [x], full=False)        # = fast_mode=True
    with pytest.raises(ValueError, match='not both'):
        minidl.gradcheck(Square(), [x], fast_mode=True, full=True)


def test_works_under_no_grad():
    # the analytic pass records its graph even where the caller switched recording off
    x = minidl.tensor([0.5, -1.0, 2.0], requires_grad=True)
    with minidl.no_grad():
        assert minidl.gradcheck(Square(), [x])
        assert minidl.gradcheck(Square(), [x], fast_mode=True)
        with pytest.raises(GradcheckError) as info:
            minidl.gradcheck(SquareForgotTwo(), [x])
    row, = info.value.report
    assert row['numeric'] == pytest.approx(2 * row['analytic'], rel=1e-6) and row['analytic'] != 0


def test_several_outputs_name_the_failing_output():
    x = minidl.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(GradcheckError) as info:
        minidl.gradcheck(TwoOutputsSecondWrong(), [x])
    assert 'for output 1 with respect to input 0.' in str(info.value)
    first, second = info.value.report
    assert (first['output'], first['input'], first['passed']) == (0, 0, True)
    assert (second['output'], second['input'], second['passed']) == (1, 0, False)
    assert second['analytic'] == pytest.approx(1.1 * second['numeric'], rel=1e-6)   # 3.3 against 3
    assert second['relative_error'] == pytest.approx(0.3 / 3.3, rel=1e-6)


def test_complex_tensors_are_refused_by_name():
    z = minidl.autograd.Tensor(numpy.array([1 + 1j, 2j]), requires_grad=True)
    with pytest.raises(TypeError, match=r'input 0 is complex \(complex128\)'):
        minidl.gradcheck(lambda t: t * t, [z])
    x = minidl.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match=r"fn's output 1 is complex"):
        minidl.gradcheck(lambda t: (t * 2, minidl.autograd.Tensor(t.numpy() * 1j)), [x])


def test_an_output_that_is_not_a_floating_tensor_is_named():
    x = minidl.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(ValueError, match=r'no floating point Tensor \(got a Tensor of dtype int64\)'):
        minidl.gradcheck(lambda t: t.argmax(), [x])


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
    assert minidl.gradcheck(lambda x, _: ((w @ x).tanh(), (w * x).sum(dim=0)), [x, w])


def test_grades():
    assert [grade(e) for e in (1e-9, 1e-5, 1e-3, 0.5)] == ['fine', 'look closer', 'suspicious', 'wrong']


def test_nothing_to_check_is_an_error():
    with pytest.raises(ValueError, match='none of the inputs has requires_grad=True'):
        minidl.gradcheck(lambda t: t * 2, [minidl.ones(2)])

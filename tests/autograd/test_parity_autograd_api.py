"""PyTorch parity of the autograd API: in-place changes of saved outputs, reused Function
instances, autograd.grad with a repeated input, grad-mode decorators on generators, argument
checks of backward/grad/set_grad_enabled. Expected values are PyTorch's (torch 2.13)."""
import numpy as np
import pytest

import minidl
from minidl import autograd
from minidl.autograd import Function


def close(tensor, expected):
    np.testing.assert_allclose(tensor.numpy(), expected, rtol=1e-5)


# ---------------------------------------------------------------------- saved outputs changed in place
@pytest.mark.parametrize('op', ['exp', 'sigmoid', 'tanh', 'sqrt'])
def test_saved_output_changed_in_place_raises(op):
    x = minidl.tensor([1.0, 2.0], requires_grad=True)
    y = getattr(x, op)()
    z = y.sum()
    with minidl.no_grad():
        y += 1
    with pytest.raises(RuntimeError, match=rf"^{op}: a tensor that forward saved for backward was changed in place .*\(the tensor is output 0 of {op}\)"):
        z.backward()


def test_saved_output_changed_through_detach_raises():
    x = minidl.tensor([1.0, 2.0], requires_grad=True)
    y = x.exp()
    z = y.sum()
    detached = y.detach()                   # shares y's data and its version
    detached *= 2
    with pytest.raises(RuntimeError, match=r"the tensor is output 0 of exp"):
        z.backward()


# ---------------------------------------------------------------------- one recorded call per instance
class Exp(Function):
    def forward(self, x):
        y = np.exp(x)
        self.save_for_backward(y)
        return y

    def backward(self, gy):
        y, = self.saved_tensors
        return gy * y


def test_second_recorded_call_of_an_instance_is_refused():
    x = minidl.tensor([1.0, 2.0], requires_grad=True)
    f = Exp()
    f(x)
    with pytest.raises(RuntimeError, match=r"exp: this Exp instance was already called with gradients recorded.*"
                                           r"Exp\(\)\(x\) or Exp\.apply\(x\)"):
        f(x * 2)


def test_a_refused_instance_keeps_its_first_gradient_and_allows_unrecorded_calls():
    x = minidl.tensor([1.0, 2.0], requires_grad=True)
    f = Exp()
    a = f(x)
    with pytest.raises(RuntimeError):
        f(x * 2)
    with minidl.no_grad():                                  # unrecorded calls stay allowed
        close(f(x), [2.7182817, 7.389056])
    close(f(minidl.tensor([0.0])), [1.0])                   # (no input requires grad)
    a.sum().backward()
    close(x.grad, [2.7182817, 7.389056])


# ---------------------------------------------------------------------- a repeated input
def test_grad_returns_a_repeated_non_leaf_input_at_every_position():
    x = minidl.tensor([1.0, 2.0], requires_grad=True)
    h = x * 3
    gh1, gh2 = autograd.grad((h * h).sum(), [h, h])
    close(gh1, [6.0, 12.0])
    close(gh2, [6.0, 12.0])
    h = x * 3
    (h * h).sum().backward(inputs=[h, h])                   # backward adds it once
    close(h.grad, [6.0, 12.0])
    assert x.grad is None


# ---------------------------------------------------------------------- argument checks
def test_backward_refuses_empty_inputs():
    x = minidl.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"backward: the `inputs` argument cannot be empty"):
        (x * x).sum().backward(inputs=[])


def test_grad_refuses_empty_inputs():
    x = minidl.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"autograd.grad: the `inputs` argument cannot be empty"):
        autograd.grad((x * 2).sum(), [])


def test_backward_refuses_an_input_that_does_not_require_grad():
    x = minidl.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"backward: .*requires_grad=True; input 0 is a tensor of shape "
                                           r"\(2,\) that does not require grad"):
        (x * 2).sum().backward(inputs=[minidl.ones(2)])


@pytest.mark.parametrize('gradient', [np.ones(2), [1.0, 1.0]])
def test_grad_refuses_gradients_that_are_not_tensors(gradient):
    x = minidl.ones(2, requires_grad=True)
    with pytest.raises(TypeError, match=r"autograd.grad: gradients must be Tensors or None"):
        autograd.grad(x * 2, [x], grad_outputs=gradient)


def test_backward_returning_a_list_is_told_to_return_a_tuple():
    class Both(Function):
        def forward(self, a, b):
            return a * b

        def backward(self, gy):
            return [gy, gy]

    a, b = minidl.ones(2, requires_grad=True), minidl.ones(2, requires_grad=True)
    with pytest.raises(TypeError, match=r"Both.backward returned a list; return the gradients as a tuple"):
        Both()(a, b).sum().backward()


# ---------------------------------------------------------------------- mode switches
@pytest.mark.parametrize('switch, inside', [(minidl.no_grad, False), (minidl.enable_grad, True),
                                            (lambda: minidl.set_grad_enabled(False), False)])
def test_a_decorated_generator_runs_each_step_in_the_mode_and_the_caller_in_its_own(switch, inside):
    outside = not inside
    minidl.set_grad_enabled(outside)
    try:
        @switch()
        def steps():
            received = yield minidl.is_grad_enabled()
            yield received, minidl.is_grad_enabled()

        generator = steps()
        assert next(generator) is inside
        assert minidl.is_grad_enabled() is outside
        assert generator.send(5) == (5, inside)
        assert minidl.is_grad_enabled() is outside
    finally:
        minidl.set_grad_enabled(True)


def test_a_decorated_generator_returns_its_value_and_gets_what_is_thrown_in():
    @minidl.no_grad()
    def steps():
        try:
            yield 1
        except KeyError:
            yield minidl.is_grad_enabled()
        return 'done'

    generator = steps()
    assert next(generator) == 1
    assert generator.throw(KeyError('k')) is False
    with pytest.raises(StopIteration) as stop:
        next(generator)
    assert stop.value.value == 'done'
    assert minidl.is_grad_enabled()


def test_detect_anomaly_on_a_generator_is_on_only_inside_it():
    @autograd.detect_anomaly()
    def steps():
        yield autograd.is_anomaly_enabled()

    assert list(steps()) == [True]
    assert not autograd.is_anomaly_enabled()


def test_set_grad_enabled_refuses_a_mode_that_is_not_a_bool():
    with pytest.raises(TypeError, match=r"set_grad_enabled: mode must be a bool \(True or False\), got str"):
        minidl.set_grad_enabled("no")
    assert minidl.is_grad_enabled()


def test_set_grad_enabled_sets_its_mode_again_when_entered():
    s = minidl.set_grad_enabled(False)
    minidl.set_grad_enabled(True)
    with s:
        assert not minidl.is_grad_enabled()
    assert minidl.is_grad_enabled()

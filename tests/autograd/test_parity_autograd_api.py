"""PyTorch parity of the autograd API: in-place changes of saved outputs, reused Function
instances, autograd.grad with a repeated input, grad-mode decorators on generators, argument
checks of backward/grad/set_grad_enabled. Expected values are PyTorch's (torch 2.13)."""
import numpy as np
import pytest

import minidl


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


def test_output_replaced_outside_no_grad_keeps_the_gradient():
    x = minidl.tensor([1.0, 2.0], requires_grad=True)
    y = x.exp()
    z = y.sum()
    y += 1                                  # recorded: a new tensor, the saved one is unchanged
    z.backward()
    close(x.grad, [2.7182817, 7.389056])

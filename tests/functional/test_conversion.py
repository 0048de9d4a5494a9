import numpy
import pytest

import minidl
from minidl.functional.conversion import ToDevice
from tests.gradcases import Case, check, t

CASES = [
    Case('cast to float32 and back', lambda a: (a.float() * 3).double(), lambda: [t(3)], second_order=False),
    # only one device is sure to exist, so the op is applied directly (a copy to itself)
    Case('to device', lambda a: ToDevice(a.device)(a) * a, lambda: [t(3)]),
    Case('clone', lambda a: a.clone() * a, lambda: [t(3)]),
]


def test_cast_gradients():
    # a float32 value in the middle: the step must be far above float32 resolution (1e-7)
    assert minidl.gradcheck(CASES[0].fn, CASES[0].make_inputs(), eps=1e-2, atol=1e-4, rtol=1e-4, full=True)
    check(CASES[1])


def test_cast_gradient_has_the_input_dtype():
    x = minidl.tensor([1.0, 2.0], dtype=minidl.float64, requires_grad=True)
    (x.float() * 2).sum().backward()
    assert x.grad.dtype == numpy.float64 and x.grad.tolist() == [2.0, 2.0]


def test_to_parses_device_and_dtype():
    x = minidl.tensor([1.0])
    assert x.to(minidl.float64).dtype == numpy.float64
    assert x.to(dtype='float16').dtype == numpy.float16
    assert x.to('cpu' if x.device == 'cpu' else 'cuda') is x
    with pytest.raises(ValueError, match='neither a dtype nor a known device'):
        x.to('tpu')

import numpy
import pytest

import minidl
from tests.gradcases import Case, check, t

CASES = [
    Case('relu', lambda a: a.relu(), lambda: [t(3, 4, away_from=0.0)]),
    Case('sigmoid', lambda a: a.sigmoid(), lambda: [t(3, 4, low=-5, high=5)]),
    Case('tanh', lambda a: a.tanh(), lambda: [t(3, 4)]),
]


@pytest.mark.parametrize('case', CASES, ids=repr)
def test_gradients(case):
    check(case)


def test_values():
    x_np = numpy.linspace(-3, 3, 13).astype(numpy.float32)
    x = minidl.tensor(x_np)
    numpy.testing.assert_allclose(x.relu().numpy(), numpy.maximum(x_np, 0))
    numpy.testing.assert_allclose(x.sigmoid().numpy(), 1 / (1 + numpy.exp(-x_np)), rtol=1e-6)
    numpy.testing.assert_allclose(minidl.tanh(x).numpy(), numpy.tanh(x_np), rtol=1e-6)


def test_sigmoid_is_finite_for_huge_inputs():
    x = minidl.tensor([-1e4, -100.0, 0.0, 100.0, 1e4], requires_grad=True)
    y = x.sigmoid()
    assert bool(minidl.isfinite(y).all())
    assert y.tolist() == [0.0, pytest.approx(3.7e-44, abs=1e-40), 0.5, 1.0, 1.0]
    y.sum().backward()
    assert bool(minidl.isfinite(x.grad).all())

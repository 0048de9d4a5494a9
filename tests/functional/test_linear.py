import numpy
import pytest

import minidl
import minidl.functional as F
from tests.gradcases import Case, check, t

CASES = [
    Case('linear with bias', lambda x, w, b: F.linear(x, w, b), lambda: [t(4, 3), t(2, 3, seed=1), t(2, seed=2)]),
    Case('linear without bias', lambda x, w: F.linear(x, w), lambda: [t(4, 3), t(2, 3, seed=1)]),
    Case('linear, extra batch axes', lambda x, w, b: F.linear(x, w, b),
         lambda: [t(2, 3, 3), t(2, 3, seed=1), t(2, seed=2)]),
]


@pytest.mark.parametrize('case', CASES, ids=repr)
def test_gradients(case):
    check(case)


def test_equals_matmul_plus_bias_and_its_gradients():
    rng = numpy.random.default_rng(0)
    x_np, w_np, b_np = rng.normal(size=(5, 3)), rng.normal(size=(4, 3)), rng.normal(size=4)
    fused = [minidl.tensor(a, requires_grad=True) for a in (x_np, w_np, b_np)]
    plain = [minidl.tensor(a, requires_grad=True) for a in (x_np, w_np, b_np)]
    gy = minidl.tensor(rng.normal(size=(5, 4)))
    (F.linear(*fused) * gy).sum().backward()
    ((plain[0] @ plain[1].T + plain[2]) * gy).sum().backward()
    numpy.testing.assert_allclose(F.linear(*fused).numpy(), x_np @ w_np.T + b_np, rtol=1e-12)
    for a, b in zip(fused, plain):
        numpy.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-12)
    assert fused[1].grad.data.flags['C_CONTIGUOUS']          # dL/dW comes out in W's own layout


def test_shape_mismatch_is_named():
    with pytest.raises(ValueError, match=r'linear: input of shape \(2, 5\) does not fit a weight of shape \(3, 4\)'):
        F.linear(minidl.ones(2, 5), minidl.ones(3, 4))


def test_linear_refuses_a_bias_that_is_not_one_per_output():
    x, w = minidl.ones(4, 3), minidl.ones(2, 3)
    expected = r'linear: bias of shape \(4, 2\) for a weight of shape \(2, 3\): expected \(2,\)'
    with pytest.raises(ValueError, match=expected):
        minidl.nn.functional.linear(x, w, minidl.ones(4, 2))     # its forward ran, its backward failed

import numpy
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minidl
from tests.gradcases import Case, check, t

CASES = [
    Case('reshape', lambda a: a.reshape(4, -1) * a.reshape(4, -1), lambda: [t(2, 6)]),
    Case('view', lambda a: a.view(3, 4).sin(), lambda: [t(12)]),
    Case('permute', lambda a: a.permute(2, 0, 1) ** 2, lambda: [t(2, 3, 4)]),
    Case('transpose', lambda a: a.transpose(0, 1).exp(), lambda: [t(2, 3)]),
    Case('T', lambda a: a.T @ a, lambda: [t(3, 2)]),
    Case('expand', lambda a: a.expand(3, 4) * minidl.arange(12.0).reshape(3, 4).double(), lambda: [t(3, 1)]),
    Case('flatten', lambda a: a.flatten(1).sin(), lambda: [t(2, 2, 3)]),
    Case('squeeze/unsqueeze', lambda a: a.squeeze(1).unsqueeze(0).sin(), lambda: [t(3, 1, 2)]),
    Case('cat', lambda a, b: minidl.cat([a, b, a], dim=1).sin(), lambda: [t(2, 3), t(2, 1)]),
    Case('stack', lambda a, b: minidl.stack([a, b], dim=-1).sin(), lambda: [t(2, 3), t(2, 3, seed=3)]),
    Case('pad', lambda a: minidl.pad(a, (1, 2, 0, 1), value=0.5).sin(), lambda: [t(2, 3)]),
]


@pytest.mark.parametrize('case', CASES, ids=repr)
def test_gradients(case):
    check(case)


def test_forward_matches_numpy():
    x_np = numpy.arange(24.0, dtype=numpy.float32).reshape(2, 3, 4)
    x = minidl.tensor(x_np)
    assert numpy.array_equal(x.reshape(4, -1).numpy(), x_np.reshape(4, -1))
    assert numpy.array_equal(x.permute(2, 0, 1).numpy(), x_np.transpose(2, 0, 1))
    assert numpy.array_equal(x.transpose(0, 2).numpy(), x_np.swapaxes(0, 2))
    assert numpy.array_equal(x.T.numpy(), x_np.T)
    assert x.flatten().shape == (24,) and x.flatten(1).shape == (2, 12) and x.flatten(0, 1).shape == (6, 4)
    assert x.unsqueeze(1).shape == (2, 1, 3, 4) and x.unsqueeze(-1).shape == (2, 3, 4, 1)
    assert minidl.zeros(1, 3, 1).squeeze().shape == (3,) and minidl.zeros(1, 3, 1).squeeze(0).shape == (3, 1)
    assert numpy.array_equal(minidl.cat([x, x], dim=1).numpy(), numpy.concatenate([x_np, x_np], 1))
    assert numpy.array_equal(minidl.stack([x, x], dim=1).numpy(), numpy.stack([x_np, x_np], 1))
    assert numpy.array_equal(minidl.pad(x, (1, 0)).numpy(), numpy.pad(x_np, ((0, 0), (0, 0), (1, 0))))
    assert x[0].expand(2, 3, 4).shape == (2, 3, 4) and x[:, :1].expand(-1, 3, -1).shape == (2, 3, 4)


def test_shape_errors_are_clear():
    x = minidl.ones(2, 3)
    with pytest.raises(ValueError, match=r'reshape: cannot reshape a tensor of shape \(2, 3\) \(6 elements\)'):
        x.reshape(4, 2)
    with pytest.raises(ValueError, match='expand: cannot expand shape'):
        x.expand(4, 3)
    with pytest.raises(ValueError, match="cat: tensor 1 has shape"):
        minidl.cat([x, minidl.ones(3, 3)], dim=1)
    with pytest.raises(ValueError, match='permute'):
        x.permute(0, 0)
    for dims in [(0, 3), (-3, 1), (1, 0, 2)]:          # out of range, or too many: never wrapped
        with pytest.raises(ValueError, match=r'permute: dims .* are not a permutation of the 2 axes'):
            x.permute(*dims)
    assert x.permute(-1, -2).shape == (3, 2)


@settings(max_examples=40, deadline=None)
@given(shape=hnp.array_shapes(min_dims=1, max_dims=4, max_side=4), data=st.data())
def test_permute_and_reshape_on_generated_shapes(shape, data):
    """A random permutation and its gradient: moving values around moves gradients back."""
    dims = data.draw(st.permutations(range(len(shape))))
    x_np = numpy.random.default_rng(0).normal(size=shape)
    x = minidl.tensor(x_np, requires_grad=True)
    y = x.permute(*dims).reshape(-1)
    assert numpy.array_equal(y.numpy(), x_np.transpose(dims).reshape(-1))
    weights = numpy.arange(y.shape[0], dtype=numpy.float64)
    (y * minidl.tensor(weights)).sum().backward()
    assert numpy.array_equal(x.grad.numpy().transpose(dims).reshape(-1), weights)


def test_squeeze_takes_a_tuple_of_dims_and_keeps_those_that_are_not_1():
    x = minidl.zeros(1, 3, 1)
    assert x.squeeze((0, 2)).shape == (3,) and x.squeeze((0, 1)).shape == (3, 1)
    assert minidl.tensor(2.0).squeeze(0).shape == ()                  # a 0-d tensor's dim 0 is itself


def test_expand_refuses_minus_one_for_a_new_dimension():
    with pytest.raises(ValueError, match=r'expand: -1 keeps an existing dimension, but \(-1, 3, 4\)'):
        minidl.ones(3, 1).expand(-1, 3, 4)                           # it used to give shape (1, 3, 4)
    assert minidl.ones(3, 1).expand(2, -1, 4).shape == (2, 3, 4)

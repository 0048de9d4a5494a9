import warnings

import numpy
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minidl
from tests.gradcases import Case, check, t

CASES = [
    Case('sum all', lambda a: a.sum(), lambda: [t(3, 4)]),
    Case('sum dim', lambda a: a.sum(dim=1), lambda: [t(2, 3, 4)]),
    Case('sum dims keepdim', lambda a: a.sum(dim=(0, 2), keepdim=True), lambda: [t(2, 3, 4)]),
    Case('mean dim', lambda a: a.mean(dim=-1), lambda: [t(3, 4)]),
    Case('mean all', lambda a: a.mean(), lambda: [t(2, 5)]),
    Case('var unbiased', lambda a: a.var(dim=1), lambda: [t(3, 4)]),
    Case('var biased keepdim', lambda a: a.var(dim=0, unbiased=False, keepdim=True), lambda: [t(4, 3)]),
    Case('std', lambda a: a.std(), lambda: [t(3, 4)]),
    Case('std over a dim, biased', lambda a: a.std(dim=1, unbiased=False, keepdim=True), lambda: [t(3, 4)]),
    Case('max all', lambda a: a.max(), lambda: [t(3, 4)]),
    Case('max dim', lambda a: a.max(dim=1).values, lambda: [t(3, 4)]),
    Case('min dim keepdim', lambda a: a.min(dim=0, keepdim=True).values, lambda: [t(3, 4)]),
    Case('amax dims', lambda a: a.amax(dim=(1, 2)), lambda: [t(2, 3, 4)]),
    Case('amin', lambda a: a.amin(), lambda: [t(5)]),
    Case('logsumexp', lambda a: a.logsumexp(dim=1), lambda: [t(3, 4)]),
    Case('logsumexp all keepdim', lambda a: a.logsumexp(keepdim=True), lambda: [t(2, 3)]),
]


@pytest.mark.parametrize('case', CASES, ids=repr)
def test_gradients(case):
    check(case)


X = numpy.random.default_rng(0).normal(size=(3, 4, 5)).astype(numpy.float32)


@pytest.mark.parametrize('dim', [None, 0, 1, -1, (0, 2)])
@pytest.mark.parametrize('keepdim', [False, True])
def test_forward_matches_numpy(dim, keepdim):
    x = minidl.tensor(X)
    axis = dim
    for ours, reference in [('sum', numpy.sum), ('mean', numpy.mean), ('amax', numpy.amax),
                            ('amin', numpy.amin)]:
        numpy.testing.assert_allclose(getattr(x, ours)(dim=dim, keepdim=keepdim).numpy(),
                                      reference(X, axis=axis, keepdims=keepdim), rtol=1e-5, atol=1e-6)
    numpy.testing.assert_allclose(x.var(dim=dim, keepdim=keepdim).numpy(),
                                  numpy.var(X, axis=axis, ddof=1, keepdims=keepdim), rtol=1e-5)
    numpy.testing.assert_allclose(x.var(dim=dim, unbiased=False, keepdim=keepdim).numpy(),
                                  numpy.var(X, axis=axis, keepdims=keepdim), rtol=1e-5)
    m = numpy.max(X, axis=axis, keepdims=True)
    lse = m + numpy.log(numpy.exp(X - m).sum(axis=axis, keepdims=True))
    if not keepdim:
        lse = lse.squeeze(axis=axis) if axis is not None else lse.reshape(())
    numpy.testing.assert_allclose(x.logsumexp(dim=dim, keepdim=keepdim).numpy(), lse, rtol=1e-5)


def test_logsumexp_is_stable_for_huge_values():
    x = minidl.tensor([[1e4, 1e4], [-1e4, 0.0]])
    numpy.testing.assert_allclose(x.logsumexp(dim=1).numpy(), [1e4 + numpy.log(2), 0.0], rtol=1e-6)
    assert bool(minidl.isfinite(minidl.tensor([-numpy.inf, -numpy.inf]).logsumexp()).all()) is False


def test_max_with_dim_returns_values_and_indices():
    x = minidl.tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 7.0]])
    values, indices = x.max(dim=1)
    assert values.tolist() == [5.0, 7.0] and indices.tolist() == [1, 0]
    assert x.argmax().item() == 3 and x.argmin(dim=1).tolist() == [0, 1]
    assert indices.dtype == numpy.int64 and not indices.requires_grad


def test_max_shares_gradient_among_ties():
    x = minidl.tensor([3.0, 1.0, 3.0], requires_grad=True)
    x.max().backward()
    assert x.grad.tolist() == [0.5, 0.0, 0.5]
    x.grad = None
    x.amax(dim=0).backward()
    assert x.grad.tolist() == [0.5, 0.0, 0.5]


def test_max_and_min_over_a_dim_send_the_gradient_to_the_index_they_return():
    x = minidl.tensor([[1.0, 3.0, 3.0], [2.0, 0.0, 0.0]], requires_grad=True)
    values, indices = x.max(dim=1)
    assert indices.tolist() == [1, 0]
    (values * minidl.tensor([1.0, 10.0])).sum().backward()
    assert x.grad.tolist() == [[0.0, 1.0, 0.0], [10.0, 0.0, 0.0]]
    x.grad = None
    values, indices = x.min(dim=0, keepdim=True)
    assert indices.tolist() == [[0, 1, 1]]
    values.sum().backward()
    assert x.grad.tolist() == [[1.0, 0.0, 0.0], [0.0, 1.0, 1.0]]


def test_bad_dim_names_the_op():
    with pytest.raises(IndexError, match='sum: dim 2 is out of range for a tensor with 2 dimensions'):
        minidl.ones(2, 3).sum(dim=2)


@st.composite
def _array_and_dims(draw):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=4))
    dims = draw(st.lists(st.integers(0, len(shape) - 1), unique=True, min_size=1, max_size=len(shape)))
    return shape, tuple(dims), draw(st.booleans())


@settings(max_examples=40, deadline=None)
@given(_array_and_dims())
def test_reductions_on_generated_shapes(case):
    """sum/mean/amax match NumPy for any shape and set of dims; the gradient of the mean is
    1/n at every element, where n is the number of elements reduced together."""
    shape, dims, keepdim = case
    x_np = numpy.random.default_rng(0).normal(size=shape)
    x = minidl.tensor(x_np, requires_grad=True)
    numpy.testing.assert_allclose(x.sum(dim=dims, keepdim=keepdim).numpy(),
                                  x_np.sum(axis=dims, keepdims=keepdim), rtol=1e-12)
    numpy.testing.assert_allclose(x.amax(dim=dims, keepdim=keepdim).numpy(),
                                  x_np.max(axis=dims, keepdims=keepdim))
    mean = x.mean(dim=dims, keepdim=keepdim)
    numpy.testing.assert_allclose(mean.numpy(), x_np.mean(axis=dims, keepdims=keepdim), rtol=1e-12)
    mean.sum().backward()
    n = numpy.prod([shape[d] for d in dims])
    numpy.testing.assert_allclose(x.grad.numpy(), numpy.full(shape, 1.0 / n))


def test_std_gradient_is_zero_where_every_value_is_equal():
    # dL/dx = (x - x̄) / ((n - 1) std): 0/0 for a constant row, taken as 0 (as in PyTorch)
    x = minidl.tensor([[1.0, 2.0, 4.0], [3.0, 3.0, 3.0]], dtype=minidl.float64, requires_grad=True)
    x.std(dim=1).sum().backward()
    row = numpy.array([1.0, 2.0, 4.0])
    expected = (row - row.mean()) / (2 * row.std(ddof=1))
    numpy.testing.assert_allclose(x.grad.numpy(), [expected, [0.0, 0.0, 0.0]])


def test_unbiased_variance_of_one_value_is_nan_with_nan_gradients():
    x = minidl.tensor([[1.0, 2.0, 4.0]], dtype=minidl.float64, requires_grad=True)
    with numpy.errstate(invalid='ignore', divide='ignore'), warnings.catch_warnings():
        warnings.simplefilter('ignore', RuntimeWarning)    # NumPy warns of 0 degrees of freedom, CuPy not
        y = x.var(dim=0)                                   # n - 1 = 0 values to divide by
        y.sum().backward()
    assert numpy.isnan(y.numpy()).all() and numpy.isnan(x.grad.numpy()).all()


def test_argmax_keepdim_without_dim_and_reductions_of_a_0d_tensor_over_its_dim():
    x = minidl.tensor([[1.0, 7.0, 3.0], [4.0, 0.0, 2.0]])
    index = minidl.argmax(x, keepdim=True)
    assert index.shape == (1, 1) and index.item() == 1
    scalar = minidl.tensor(3.0, requires_grad=True)
    assert scalar.argmax(0).item() == 0 and scalar.argmin(-1).item() == 0
    values, indices = scalar.max(0)
    values.backward()
    assert values.item() == 3.0 and indices.item() == 0 and scalar.grad.item() == 1.0
    with pytest.raises(IndexError, match='argmax: dim 1 is out of range'):
        scalar.argmax(1)


def test_max_and_min_of_two_tensors_are_elementwise():
    a, b = minidl.tensor([1.0, 5.0]), minidl.tensor([3.0, 2.0])
    assert minidl.max(a, b).tolist() == [3.0, 5.0] and minidl.min(a, b).tolist() == [1.0, 2.0]

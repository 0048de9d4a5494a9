"""PyTorch parity of reductions and shape ops at their edges: an empty ``dim``, NumPy integer
dims, zero-size tensors, 0-d tensors, integer inputs and inputs of mixed dtypes."""
import math

import numpy
import pytest

import minidl
from tests.gradcases import Case, check, t

X = numpy.arange(6.0).reshape(2, 3)          # sum 15, mean 2.5, unbiased variance 3.5


# ---------------------------------------------------------------------- an empty dim
@pytest.mark.parametrize('dim', [(), []], ids=['tuple', 'list'])
def test_an_empty_dim_reduces_every_dim(dim):
    x = minidl.tensor(X)
    expected = {'sum': 15.0, 'mean': 2.5, 'var': 3.5, 'std': math.sqrt(3.5), 'amax': 5.0,
                'amin': 0.0, 'logsumexp': math.log(numpy.exp(X).sum())}
    for op, value in expected.items():
        y = getattr(x, op)(dim=dim)
        assert y.shape == () and y.item() == pytest.approx(value, rel=1e-12), op
        assert getattr(x, op)(dim=dim, keepdim=True).shape == (1, 1), op
    assert x.max(dim=dim).item() == 5.0 and x.min(dim=dim).item() == 0.0     # a tuple: values only


def test_an_empty_dim_still_means_no_dim_for_squeeze_all_and_any():
    x = minidl.ones(1, 3, 1)
    assert x.squeeze(()).shape == (1, 3, 1)
    assert minidl.tensor(X).all(dim=()).tolist() == [[False, True, True], [True, True, True]]
    assert minidl.tensor(X).any(dim=()).shape == (2, 3)


EMPTY_DIM_CASES = [
    Case('sum over ()', lambda a: a.sum(dim=()), lambda: [t(3, 4)]),
    Case('mean over []', lambda a: a.mean(dim=[]), lambda: [t(3, 4)]),
    Case('var over ()', lambda a: a.var(dim=()), lambda: [t(3, 4)]),
    Case('std over ()', lambda a: a.std(dim=()), lambda: [t(3, 4)]),
    Case('amax over ()', lambda a: a.amax(dim=()), lambda: [t(3, 4)]),
    Case('logsumexp over ()', lambda a: a.logsumexp(dim=()), lambda: [t(3, 4)]),
]


@pytest.mark.parametrize('case', EMPTY_DIM_CASES, ids=repr)
def test_gradients_of_reductions_over_an_empty_dim(case):
    assert case.fn(*case.make_inputs()).shape == ()
    check(case)


# ---------------------------------------------------------------------- NumPy integer dims
NUMPY_DIM_OPS = {
    'sum': lambda x, d: x.sum(dim=d), 'mean': lambda x, d: x.mean(d), 'var': lambda x, d: x.var(d),
    'std': lambda x, d: x.std(dim=d), 'amax': lambda x, d: x.amax(d), 'logsumexp': lambda x, d: x.logsumexp(d),
    'max': lambda x, d: x.max(d).values, 'max indices': lambda x, d: x.max(d).indices,
    'min': lambda x, d: x.min(dim=d).values, 'argmax': lambda x, d: x.argmax(dim=d),
    'transpose': lambda x, d: x.transpose(d, 2), 'flatten': lambda x, d: x.flatten(d),
    'squeeze': lambda x, d: x[:, :1].squeeze(d), 'unsqueeze': lambda x, d: x.unsqueeze(d),
    'cat': lambda x, d: minidl.cat([x, x], d), 'stack': lambda x, d: minidl.stack([x, x], d),
}


@pytest.mark.parametrize('op', NUMPY_DIM_OPS)
def test_numpy_integer_dims_are_ints(op):
    x = minidl.tensor(numpy.random.default_rng(0).normal(size=(2, 3, 4)))
    expected = NUMPY_DIM_OPS[op](x, 1)
    for dim in [numpy.int64(1), numpy.int32(1), numpy.array(1)]:
        y = NUMPY_DIM_OPS[op](x, dim)
        assert y.shape == expected.shape and y.dtype == expected.dtype
        numpy.testing.assert_array_equal(y.numpy(), expected.numpy())
    assert x.sum(dim=(numpy.int64(0), numpy.int32(-1))).shape == (3,)

"""PyTorch parity of reductions and shape ops at their edges: an empty ``dim``, NumPy integer
dims, zero-size tensors, 0-d tensors, integer inputs and inputs of mixed dtypes."""
import math

import numpy
import pytest

import minidl
import minidl.functional as F
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


# ---------------------------------------------------------------------- dtypes
def test_logsumexp_of_integers_and_bools_is_the_default_float():
    y = minidl.tensor([1, 2, 3]).logsumexp(0)
    assert y.dtype == numpy.float32 and y.item() == pytest.approx(math.log(math.e + math.e**2 + math.e**3))
    y = minidl.tensor([True, False]).logsumexp(0)
    assert y.dtype == numpy.float32 and y.item() == pytest.approx(math.log(math.e + 1))


@pytest.mark.parametrize('op', ['var', 'std'])
@pytest.mark.parametrize('values', [[1, 2, 4], [True, False]], ids=['int64', 'bool'])
def test_var_and_std_refuse_integer_and_bool_tensors(op, values):
    x = minidl.tensor(values)
    with pytest.raises(TypeError, match=f"{op}: expected a floating point tensor, got dtype {x.dtype}"):
        getattr(x, op)()


@pytest.mark.parametrize('join', [minidl.cat, minidl.stack], ids=['cat', 'stack'])
def test_cat_and_stack_promote_as_pytorch_does(join):
    def joined(*arrays):
        return join([minidl.tensor(numpy.array(a)) for a in arrays])
    i64, f32, f64 = numpy.int64, numpy.float32, numpy.float64
    y = joined(numpy.array([1, 2], i64), numpy.array([0.5, 1.5], f32))
    assert y.dtype == numpy.float32 and y.numpy().ravel().tolist() == [1.0, 2.0, 0.5, 1.5]
    assert joined(numpy.array([True, False]), numpy.array([0.5, 1.5], f32)).dtype == numpy.float32
    assert joined(numpy.array([1, 2], numpy.int16), numpy.array([0.5, 1.5], numpy.float16)).dtype == numpy.float16
    assert joined(numpy.array([1, 2], i64), numpy.array([1, 2], f32), numpy.array([1, 2], f64)).dtype == numpy.float64
    assert joined(numpy.array([1, 2], numpy.int32), numpy.array([1, 2], i64)).dtype == numpy.int64
    # the integers go straight to the common float32, not through float16 (2049 is not a float16)
    y = joined(numpy.array([0.5, 1.5], numpy.float16), numpy.array([2049, 1], numpy.int16),
               numpy.array([0.5, 1.5], f32))
    assert y.dtype == numpy.float32 and 2049.0 in y.numpy()


# ---------------------------------------------------------------------- zero-size tensors
def test_max_and_min_over_a_nonempty_dim_of_a_zero_size_tensor_are_empty():
    assert minidl.zeros(0, 3).amax(1).shape == (0,) and minidl.zeros(0, 3).amin(1).shape == (0,)
    x = minidl.zeros(2, 0, dtype=minidl.float64, requires_grad=True)
    values, indices = x.max(0)
    assert values.shape == (0,) and indices.shape == (0,) and indices.dtype == numpy.int64
    assert x.min(0, keepdim=True).values.shape == (1, 0)
    values.sum().backward()
    assert x.grad.shape == (2, 0)
    assert minidl.zeros(0, 3).argmax(1).shape == (0,)


@pytest.mark.parametrize('reduce, op', [
    (lambda x: x.amax(0), 'max'), (lambda x: x.min(0), 'min'), (lambda x: x.max(), 'max'),
    (lambda x: x.amin(dim=(0, 1)), 'min'), (lambda x: x.argmax(0), 'argmax'), (lambda x: x.argmin(), 'argmin')])
def test_an_extremum_over_a_dim_of_size_0_names_the_op(reduce, op):
    with pytest.raises(IndexError, match=rf"{op}: cannot reduce over dim 0, which has size 0 in a tensor "
                                         r"of shape \(0, 3\)"):
        reduce(minidl.zeros(0, 3))


def test_argmax_of_an_empty_vector_names_the_op():
    with pytest.raises(IndexError, match=r"argmax: cannot reduce over dim 0, which has size 0"):
        minidl.zeros(0).argmax()


def test_logsumexp_over_an_empty_dim_is_minus_infinity():
    x = minidl.zeros(0, 3, dtype=minidl.float64, requires_grad=True)
    y = x.logsumexp(0)
    assert y.shape == (3,) and y.tolist() == [-math.inf] * 3
    y.sum().backward()
    assert x.grad.shape == (0, 3)
    assert x.logsumexp(1).shape == (0,) and x.logsumexp(0, keepdim=True).shape == (1, 3)
    assert minidl.zeros(0).logsumexp(0).item() == -math.inf


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


@pytest.mark.parametrize('call, message', [
    (lambda x: x.sum(dim=1.0), 'sum: dim must be an int or a tuple of ints, got 1.0'),
    (lambda x: x.mean(dim=(0, 1.0)), r'mean: dim must be an int or a tuple of ints, got \(0, 1.0\)'),
    (lambda x: x.max(1.0), 'max: dim must be an int'),
    (lambda x: x.argmax(1.0), 'argmax: dim must be an int'),
    (lambda x: x.transpose(1.0, 0), 'transpose: dim must be an int'),
    (lambda x: minidl.cat([x, x], 0.0), 'cat: dim must be an int'),
    (lambda x: x.unsqueeze(1.0), 'unsqueeze: dim must be an int'),
    (lambda x: F.pad(x, (1.5, 1)), r'pad: pad sizes must be integers, got \(1.5, 1\)'),
    (lambda x: x.reshape(3.0, 2), r'reshape: sizes must be integers, got \(3.0, 2\)'),
])
def test_a_dim_or_size_that_is_not_an_integer_names_the_op(call, message):
    with pytest.raises(TypeError, match=message):
        call(minidl.ones(2, 3))


# ---------------------------------------------------------------------- 0-d tensors
def test_transpose_of_a_0d_tensor_is_the_tensor():
    x = minidl.tensor(2.0)
    assert x.transpose(0, 0).shape == () and x.transpose(-1, 0).item() == 2.0
    with pytest.raises(IndexError, match='transpose: dim 1 is out of range for a tensor with 0 dimensions'):
        x.transpose(1, 0)


def test_gradient_of_transposing_a_0d_tensor():
    check(Case('transpose 0-d', lambda a: a.transpose(0, -1) * 3.0, lambda: [t()]))


def test_cat_refuses_0d_tensors_by_name():
    with pytest.raises(ValueError, match='cat: tensor 0 is zero-dimensional, which cannot be concatenated'):
        minidl.cat([minidl.tensor(1.0), minidl.tensor(2.0)])
    with pytest.raises(ValueError, match='cat: tensor 1 is zero-dimensional'):
        minidl.cat([minidl.tensor([1.0]), minidl.tensor(2.0)])


def test_flatten_of_a_0d_tensor_checks_its_dims():
    x = minidl.tensor(1.0)
    assert minidl.flatten(x, -1, 0).shape == (1,)
    for start, end in [(3, 5), (0, 1)]:
        with pytest.raises(IndexError, match='flatten: dim . is out of range for a tensor with 0 dimensions'):
            minidl.flatten(x, start, end)


# ---------------------------------------------------------------------- shape errors
def test_reshape_refuses_sizes_below_minus_one():
    for shape in [(-2, -3), (-2, -1)]:
        with pytest.raises(ValueError, match=r'reshape: sizes must be >= 0, or -1 for one unknown size, '
                                             rf'got \({shape[0]}, {shape[1]}\) for a tensor of shape \(6,\)'):
            minidl.ones(6).reshape(*shape)


def test_stack_names_itself_for_a_dim_out_of_range():
    with pytest.raises(IndexError, match='stack: dim 5 out of range for a result with 2 dimensions'):
        minidl.stack([minidl.ones(2)] * 2, 5)
    with pytest.raises(IndexError, match='unsqueeze: dim 3 out of range for a result with 3 dimensions'):
        minidl.ones(2, 3).unsqueeze(3)
    assert minidl.stack([minidl.ones(2)] * 2, -2).shape == (2, 2)


@pytest.mark.parametrize('call', [
    lambda x: x.argmax(dim=(0, 1)), lambda x: x.transpose((0, 1), 1), lambda x: x.unsqueeze((0, 1)),
    lambda x: minidl.cat([x, x], dim=(0,)), lambda x: minidl.flatten(x, (0,), 1), lambda x: x.argmin(dim=True),
], ids=['argmax', 'transpose', 'unsqueeze', 'cat', 'flatten', 'argmin'])
def test_ops_of_one_dim_refuse_a_tuple_or_a_bool_by_name(call):
    with pytest.raises(TypeError, match=r'\w+: dim must be an int, got (\(0, 1\)|\(0,\)|True)'):
        call(minidl.ones(2, 3))


def test_reductions_refuse_a_bool_dim_as_pytorch_does():
    for op in ['sum', 'max']:
        for dim in [True, (0, False)]:
            with pytest.raises(TypeError, match=f'{op}: dim must be an int or a tuple of ints, got'):
                getattr(minidl.ones(2, 3), op)(dim=dim)

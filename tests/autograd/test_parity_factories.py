"""The tensor factories (tensor, full, arange, rand, randn, randint, ...) against PyTorch's
behaviour: the dtypes they infer, the values they refuse, and the errors they give."""
import numpy
import pytest

import minidl


def values(t):
    return t.numpy().tolist()


# ------------------------------------------------------------------ arange
@pytest.mark.parametrize('args, expected', [
    ((minidl.tensor(0.5), 3), [0.5, 1.5, 2.5]),                      # a 0-d float tensor bound
    ((0, 5, numpy.float32(1.5)), [0.0, 1.5, 3.0, 4.5]),               # a NumPy float step
    ((numpy.float32(2.5),), [0.0, 1.0, 2.0]),
])
def test_arange_with_a_numpy_or_tensor_float_is_the_default_float(args, expected):
    t = minidl.arange(*args)
    assert t.dtype == numpy.float32 and values(t) == expected


def test_arange_truncates_to_an_integer_dtype_first():
    assert values(minidl.arange(0, 5, 1.5, dtype=minidl.int64)) == [0, 1, 2, 3, 4]
    with pytest.raises(ValueError, match='minidl.arange: step must be nonzero'):
        minidl.arange(0, 5, 0.5, dtype=minidl.int64)


@pytest.mark.parametrize('args', [(5, 0), (0, 5, -1), (1, 0, 1)])
def test_arange_refuses_a_step_away_from_the_end(args):
    with pytest.raises(ValueError, match='arange: upper bound and lower bound inconsistent with step sign'):
        minidl.arange(*args)


@pytest.mark.parametrize('args, error, message', [
    ((None,), TypeError, 'arange: start, end and step must be real numbers, got NoneType'),
    ((0, float('inf')), ValueError, 'arange: unsupported range 0 -> inf'),
    ((0, 1, 0.0), ValueError, 'arange: step must be nonzero'),
])
def test_arange_bad_arguments(args, error, message):
    with pytest.raises(error, match=message):
        minidl.arange(*args)


# ------------------------------------------------------------------ rand / randn
def test_rand_float16_stays_below_one():
    minidl.manual_seed(0)
    x = minidl.rand(200_000, dtype=minidl.float16).numpy()
    assert x.max() < 1 and x.min() >= 0
    assert numpy.all(x * 2048 == numpy.floor(x * 2048))          # a multiple of 2**-11, as in PyTorch


@pytest.mark.parametrize('name', ['rand', 'randn'])
@pytest.mark.parametrize('dtype', [minidl.int64, minidl.int32, minidl.bool_])
def test_rand_and_randn_refuse_non_floating_dtypes(name, dtype):
    with pytest.raises(TypeError, match=f'minidl.{name}: random samples need a floating dtype'):
        getattr(minidl, name)(3, dtype=dtype)


# ------------------------------------------------------------------ overflow
@pytest.mark.parametrize('make, message', [
    (lambda: minidl.tensor(2 ** 63), 'tensor: the value 9223372036854775808 does not fit in int64'),
    (lambda: minidl.tensor([2 ** 63]), 'tensor: the value 9223372036854775808 does not fit in int64'),
    (lambda: minidl.tensor([300], dtype=numpy.uint8), 'tensor: the value 300 does not fit in uint8'),
    (lambda: minidl.tensor(float('nan'), dtype=minidl.int64), 'tensor: the value nan does not fit in int64'),
    (lambda: minidl.tensor([1e30], dtype=minidl.int64), 'tensor: the value 1e\\+30 does not fit in int64'),
    (lambda: minidl.full((2,), float('inf'), dtype=minidl.int64), 'full: the value inf does not fit in int64'),
    (lambda: minidl.full((2,), 300, dtype=numpy.uint8), 'full: the value 300 does not fit in uint8'),
    (lambda: minidl.full((2,), 2 ** 63), 'full: the value 9223372036854775808 does not fit in int64'),
])
def test_python_values_that_do_not_fit_the_dtype_raise(make, message):
    with pytest.raises(OverflowError, match=message):
        make()


# ------------------------------------------------------------------ non-numeric dtypes
@pytest.mark.parametrize('make, message', [
    (lambda: minidl.tensor(numpy.array(['a', 'b'])), 'tensor: cannot make a tensor from ndarray of dtype <U1'),
    (lambda: minidl.tensor(numpy.array([1, 'a'], dtype=object)),
     'tensor: cannot make a tensor from ndarray of dtype object'),
    (lambda: minidl.tensor(numpy.array(['2020-01-01'], dtype='datetime64[D]')),
     r'tensor: cannot make a tensor from ndarray of dtype datetime64\[D\]'),
    (lambda: minidl.tensor([1, None]), 'tensor: cannot make a tensor from list of dtype object'),
    (lambda: minidl.zeros(2, dtype=object), 'zeros: cannot make a tensor of dtype object'),
    (lambda: minidl.tensor([1], dtype='U3'), 'tensor: cannot make a tensor of dtype <U3'),
    (lambda: minidl.ones(2, dtype='foo'), "ones: 'foo' is not a dtype"),
])
def test_only_numeric_dtypes_make_tensors(make, message):
    with pytest.raises(TypeError, match=message):
        make()


# ------------------------------------------------------------------ full
@pytest.mark.parametrize('fill, dtype, expected', [
    (minidl.tensor(3), numpy.int64, [3, 3]),                          # a 0-d tensor lends its dtype
    (minidl.tensor(1.5, dtype=minidl.float64), numpy.float64, [1.5, 1.5]),
    (1 + 2j, numpy.complex64, [1 + 2j, 1 + 2j]),
])
def test_full_takes_its_dtype_from_the_fill(fill, dtype, expected):
    t = minidl.full((2,), fill)
    assert t.dtype == dtype and values(t) == expected


@pytest.mark.parametrize('fill, error, message', [
    (None, TypeError, 'full: fill_value must be a number, got NoneType'),
    ([1, 2], TypeError, 'full: fill_value must be a number, got list'),
    ('a', TypeError, 'full: fill_value must be a number, got str'),
    (minidl.tensor([1.0]), TypeError, 'full: fill_value must be a number, got Tensor'),
])
def test_full_refuses_fills_that_are_not_numbers(fill, error, message):
    with pytest.raises(error, match=message):
        minidl.full((2,), fill)


def test_full_refuses_to_drop_an_imaginary_part():
    with pytest.raises(TypeError, match='full: cannot convert complex values to float32'):
        minidl.full((2,), 1 + 2j, dtype=minidl.float32)


# ------------------------------------------------------------------ tensor's dtype inference
@pytest.mark.parametrize('data, dtype', [
    ([numpy.float64(1), 2.0], numpy.float64),
    ([minidl.tensor(1.0, dtype=minidl.float64), minidl.tensor(2.0, dtype=minidl.float64)], numpy.float64),
    ([[minidl.tensor(1.0, dtype=minidl.float64)], [2.0]], numpy.float64),
    ([1 + 2j], numpy.complex64),
    ([numpy.int32(1), numpy.int32(2)], numpy.int32),
    ([numpy.float16(1), numpy.int64(2)], numpy.float16),
])
def test_tensor_infers_dtypes_like_pytorch(data, dtype):
    assert minidl.tensor(data).dtype == dtype


def test_numpy_numbers_keep_their_dtype_and_complex_follows_the_default():
    minidl.set_default_dtype(minidl.float64)
    try:
        assert minidl.tensor([numpy.float32(1), numpy.float32(2)]).dtype == numpy.float32
        assert minidl.full((1,), 1j).dtype == numpy.complex128
    finally:
        minidl.set_default_dtype(minidl.float32)


def test_tensor_refuses_a_list_of_non_scalar_tensors():
    with pytest.raises(ValueError, match=r'tensor: only 0-d tensors .* got one of shape \(2,\)'):
        minidl.tensor([minidl.tensor([1.0, 2.0]), minidl.tensor([2.0, 3.0])])


def test_tensor_refuses_complex_values_as_real():
    with pytest.raises(TypeError, match='tensor: cannot convert complex values to float32'):
        minidl.tensor([1 + 2j], dtype=minidl.float32)


# ------------------------------------------------------------------ randint, eye, *_like errors
def test_randint_two_argument_form_dtype_and_requires_grad():
    minidl.manual_seed(0)
    t = minidl.randint(10, (2, 3))
    assert t.shape == (2, 3) and t.dtype == numpy.int64 and 0 <= t.numpy().min() <= t.numpy().max() < 10
    t = minidl.randint(0, 3, (4,), dtype=minidl.float32, requires_grad=True)
    assert t.dtype == numpy.float32 and t.requires_grad
    assert minidl.randint(0, 3, [2, 2], dtype=minidl.int32).dtype == numpy.int32


@pytest.mark.parametrize('make, error, message', [
    (lambda: minidl.randint(0, 10, 3), TypeError, 'randint: size must be a tuple of ints, got int'),
    (lambda: minidl.randint(5, 5, (2,)), ValueError, 'randint: low must be less than high, got low=5, high=5'),
    (lambda: minidl.randint(0, 10, (-1,)), ValueError, r'randint: a tensor\'s shape must be integers >= 0'),
    (lambda: minidl.randint(0.5, 3.7, (3,)), TypeError, 'randint: low and high must be integers, got float'),
    (lambda: minidl.randint(0, 300, (2,), dtype=numpy.uint8), OverflowError, 'randint: the value 299 does not fit'),
    (lambda: minidl.randint(0, 3, (2,), requires_grad=True), RuntimeError, 'only floating point tensors'),
    (lambda: minidl.eye(-1), ValueError, r"eye: a tensor's shape must be integers >= 0, got \(-1, -1\)"),
    (lambda: minidl.zeros_like([1, 2]), TypeError, 'zeros_like: expected a Tensor, got list'),
    (lambda: minidl.ones_like(None), TypeError, 'ones_like: expected a Tensor, got NoneType'),
    (lambda: minidl.full_like(3.0, 1), TypeError, 'full_like: expected a Tensor, got float'),
    (lambda: minidl.zeros(-1), ValueError, 'minidl.zeros: a tensor'),
    (lambda: minidl.rand(2, -1), ValueError, 'minidl.rand: a tensor'),
])
def test_factory_errors_name_the_factory(make, error, message):
    with pytest.raises(error, match=message):
        make()

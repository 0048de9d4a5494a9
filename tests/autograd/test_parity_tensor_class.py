"""The Tensor class behaves as PyTorch's where a student would notice: NumPy conversion,
``in``, ``.grad`` assignment, the repr of empty tensors, ``size(dim)``, ``to(dtype)`` and the
small in-place and dtype methods (expected values checked against torch 2.13)."""
import numpy
import pytest

import minidl


# ---------------------------------------------------------------- numpy.array / numpy.asarray
def test_numpy_array_copies_and_asarray_shares_memory_as_pytorch():
    t = minidl.tensor([1.0, 2.0], device='cpu')
    numpy.array(t)[0] = 99
    numpy.array(t, copy=True)[1] = 99
    assert t.tolist() == [1.0, 2.0]
    numpy.asarray(t)[0] = 99
    numpy.array(t, copy=False)[1] = 7
    assert t.tolist() == [99.0, 7.0]


def test_numpy_array_without_copy_refuses_a_dtype_change():
    t = minidl.tensor([1.0, 2.0])
    with pytest.raises(ValueError, match=r"Tensor.__array__: cannot give a float32 tensor .* dtype float64"):
        numpy.array(t, dtype=numpy.float64, copy=False)
    converted = numpy.asarray(t, dtype=numpy.float64)
    assert converted.dtype == numpy.float64 and converted.tolist() == [1.0, 2.0]


# ---------------------------------------------------------------- .grad assignment
@pytest.mark.parametrize('grad, error, message', [
    (lambda: minidl.zeros(3, 1), RuntimeError, r"Tensor.grad: assigned grad has shape \(3, 1\), but the tensor has shape \(3,\)"),
    (lambda: minidl.zeros(3, dtype=minidl.float64), RuntimeError, "assigned grad has dtype float64, but the tensor has dtype float32"),
    (lambda: minidl.zeros(3, dtype=minidl.int64), RuntimeError, "assigned grad has dtype int64, but the tensor has dtype float32"),
    (lambda: numpy.zeros(3, numpy.float32), TypeError, "Tensor.grad: assigned grad expected to be a Tensor or None, got ndarray"),
    (lambda: [0.0, 0.0, 0.0], TypeError, "Tensor.grad: assigned grad expected to be a Tensor or None, got list"),
])
def test_grad_assignment_is_checked_as_pytorch(grad, error, message):
    x = minidl.tensor([1.0, 2.0, 3.0], requires_grad=True)
    with pytest.raises(error, match=message):
        x.grad = grad()
    assert x.grad is None


def test_an_assigned_grad_is_accumulated_into():
    x = minidl.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x.grad = minidl.ones(3)
    (x * 2).sum().backward()
    assert x.grad.shape == (3,) and x.grad.tolist() == [3.0, 3.0, 3.0]
    with pytest.raises(RuntimeError, match="assigned grad has shape"):
        x.grad = minidl.zeros(3, 1)
    assert x.grad.tolist() == [3.0, 3.0, 3.0]
    x.grad = None
    assert x.grad is None


# ---------------------------------------------------------------- in
def test_in_looks_for_an_element_as_pytorch():
    matrix = minidl.tensor([[1, 2], [3, 4]])
    assert 2 in matrix and 2.0 in matrix and 5 not in matrix
    assert 1 in minidl.tensor(1)
    assert minidl.tensor([1, 2]) in matrix and minidl.tensor([2, 1]) not in matrix


@pytest.mark.parametrize('element, name', [('a', 'str'), ([1, 2], 'list'), (numpy.array(1), 'ndarray')])
def test_in_refuses_what_is_neither_a_number_nor_a_tensor(element, name):
    with pytest.raises(TypeError, match=f"Tensor.__contains__: expected a Tensor or a number, got {name}"):
        element in minidl.tensor([1, 2])


# ---------------------------------------------------------------- repr of an empty tensor
@pytest.mark.parametrize('make, expected', [
    (lambda: minidl.zeros(0, 3), "tensor([], size=(0, 3))"),
    (lambda: minidl.zeros(2, 0), "tensor([], size=(2, 0))"),
    (lambda: minidl.zeros(3, 0, 2), "tensor([], size=(3, 0, 2))"),
    (lambda: minidl.zeros(0, 3, dtype=minidl.float64), "tensor([], size=(0, 3), dtype=float64)"),
    (lambda: minidl.zeros(0, 3, requires_grad=True), "tensor([], size=(0, 3), requires_grad=True)"),
    (lambda: minidl.zeros(0, 3, dtype=minidl.int64), "tensor([], size=(0, 3), dtype=int64)"),
    (lambda: minidl.zeros(0, dtype=minidl.bool_), "tensor([], dtype=bool)"),      # 1-D: no size
])
def test_repr_of_an_empty_tensor_keeps_its_shape_and_dtype(make, expected):
    assert repr(make().to('cpu')) == expected


# ---------------------------------------------------------------- size(dim)
@pytest.mark.parametrize('shape, dim, error, message', [
    ((2, 3), 5, IndexError, "Tensor.size: dim 5 is out of range for a tensor with 2 dimensions"),
    ((2, 3), -3, IndexError, "Tensor.size: dim -3 is out of range for a tensor with 2 dimensions"),
    ((), 0, IndexError, "Tensor.size: dim 0 is out of range for a tensor with 0 dimensions"),
    ((2, 3), True, TypeError, "Tensor.size: dim must be an int, got True"),
    ((2, 3), 1.0, TypeError, "Tensor.size: dim must be an int, got 1.0"),
])
def test_size_refuses_a_dim_out_of_range_or_not_an_int(shape, dim, error, message):
    with pytest.raises(error, match=message):
        minidl.zeros(shape).size(dim)
    x = minidl.zeros(2, 3)
    assert x.size() == (2, 3) and x.size(1) == 3 and x.size(-2) == 2 and x.size(numpy.int64(1)) == 3


# ---------------------------------------------------------------- to(dtype)
@pytest.mark.parametrize('dtype, name', [(object, 'object'), ('U3', '<U3'), ('datetime64[s]', r'datetime64\[s\]')])
def test_to_refuses_a_dtype_that_is_not_a_number_type(dtype, name):
    with pytest.raises(TypeError, match=f"Tensor.to: {name} is not a dtype a tensor can have"):
        minidl.zeros(2).to(dtype)
    x = minidl.tensor([1.0, 0.0])
    assert [x.to(d).tolist() for d in ('bool', 'uint8', 'int32', 'float16', 'complex64')] == [
        [True, False], [1, 0], [1, 0], [1.0, 0.0], [1 + 0j, 0j]]


# ---------------------------------------------------------------- zero_, fill_, detach_, int(), bool(), half()
def test_zero_and_fill_change_the_tensor_in_place():
    t = minidl.tensor([1.0, 2.0])
    assert t.fill_(3) is t and t.tolist() == [3.0, 3.0]
    assert t.fill_(minidl.tensor(4.0)).tolist() == [4.0, 4.0]
    assert t.zero_() is t and t.tolist() == [0.0, 0.0]
    assert minidl.tensor([1, 2]).fill_(2.7).tolist() == [2, 2]      # cast to the tensor's dtype, as PyTorch


def test_zero_counts_as_a_change_in_place():
    a, b = minidl.tensor([1.0, 2.0], requires_grad=True), minidl.tensor([3.0, 4.0])
    y = (a * b).sum()
    b.zero_()
    with pytest.raises(RuntimeError, match="was changed in place since"):
        y.backward()


def test_zero_and_fill_refuse_a_leaf_that_requires_grad_unless_under_no_grad():
    w = minidl.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="zero_: in-place assignment into a tensor, or of a value, that requires grad"):
        w.zero_()
    with pytest.raises(RuntimeError, match="fill_: in-place assignment into a tensor, or of a value, that requires grad"):
        w.fill_(1)
    with minidl.no_grad():
        w.fill_(5)
    assert w.tolist() == [5.0, 5.0] and w.requires_grad


@pytest.mark.parametrize('value, what', [(minidl.tensor([4.0]), r'a Tensor of shape \(1,\)'), ('a', 'str')])
def test_fill_takes_a_number_or_a_0d_tensor(value, what):
    with pytest.raises(TypeError, match=f"fill_: expected a number or a 0-d Tensor, got {what}"):
        minidl.zeros(2).fill_(value)


def test_detach_in_place_makes_a_leaf():
    x = minidl.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    assert y.detach_() is y
    assert y.is_leaf and not y.requires_grad and y.grad_fn is None and y.tolist() == [2.0, 4.0]


def test_dtype_shorthands_as_pytorch():
    x = minidl.tensor([1.5, 0.0])
    assert (x.int().dtype, x.int().tolist()) == (numpy.int32, [1, 0])
    assert (x.bool().dtype, x.bool().tolist()) == (numpy.bool_, [True, False])
    assert (x.half().dtype, x.half().tolist()) == (numpy.float16, [1.5, 0.0])
    assert (x.float().dtype, x.double().dtype, x.long().dtype) == (numpy.float32, numpy.float64, numpy.int64)

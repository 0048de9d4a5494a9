import numpy
import pytest

import minidl
from minidl.autograd.tensor import Tensor


def test_dtype_rule_follows_pytorch():
    assert minidl.tensor(1.5).dtype == numpy.float32
    assert minidl.tensor([1, 2.5]).dtype == numpy.float32
    assert minidl.tensor([1, 2]).dtype == numpy.int64
    assert minidl.tensor([True, False]).dtype == numpy.bool_
    assert minidl.tensor(numpy.zeros(2, dtype=numpy.float64)).dtype == numpy.float64
    assert minidl.tensor(numpy.zeros(2, dtype=numpy.int32)).dtype == numpy.int32
    assert minidl.tensor([1, 2], dtype=minidl.float64).dtype == numpy.float64


def test_tensor_copies_its_data():
    array = numpy.zeros(3, dtype=numpy.float32)
    x = minidl.tensor(array)
    array[0] = 5
    assert x.tolist() == [0.0, 0.0, 0.0]


def test_factories():
    assert minidl.zeros(2, 3).shape == (2, 3) and minidl.zeros((2, 3)).tolist() == [[0.0] * 3] * 2
    assert minidl.ones(4).dtype == numpy.float32 and minidl.ones(4).tolist() == [1.0] * 4
    assert minidl.full((2,), 7).dtype == numpy.int64 and minidl.full((2,), 7.0).tolist() == [7.0, 7.0]
    assert minidl.arange(4).tolist() == [0, 1, 2, 3] and minidl.arange(0, 1, 0.5).dtype == numpy.float32
    assert minidl.zeros_like(minidl.ones(2, dtype=minidl.float64)).dtype == numpy.float64
    assert minidl.ones_like(minidl.zeros(3)).tolist() == [1.0] * 3
    assert minidl.empty(2, 2).shape == (2, 2)
    assert minidl.eye(2).tolist() == [[1.0, 0.0], [0.0, 1.0]]
    assert minidl.linspace(0, 1, 3).tolist() == [0.0, 0.5, 1.0]
    r = minidl.rand(1000)
    assert r.dtype == numpy.float32 and 0 <= float(r.min()) and float(r.max()) < 1
    n = minidl.randn(10000)
    assert abs(float(n.mean())) < 0.05 and abs(float(n.std()) - 1) < 0.05
    assert minidl.randn(3, requires_grad=True).requires_grad


def test_random_factories_repeat_for_a_seed():
    minidl.manual_seed(7)
    a = minidl.randn(5).numpy()
    minidl.manual_seed(7)
    assert numpy.array_equal(a, minidl.randn(5).numpy())


def test_attributes_and_conversions():
    x = minidl.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    assert x.shape == (2, 2) and x.ndim == 2 and x.size() == (2, 2) and x.size(1) == 2
    assert x.numel() == 4 and x.is_leaf and x.grad is None and x.grad_fn is None
    assert x.device == minidl.get_device()
    assert isinstance(x.numpy(), numpy.ndarray) and x.numpy().dtype == numpy.float32
    assert x[0, 1].item() == 2.0 and float(x[1, 1]) == 4.0
    y = x * 2
    assert not y.is_leaf and y.grad_fn is not None and y.requires_grad
    d = y.detach()
    assert d.is_leaf and not d.requires_grad and numpy.shares_memory(d.data, y.data)
    with pytest.raises(ValueError, match='only one-element tensors'):
        x.item()
    with pytest.raises(RuntimeError, match='only floating point tensors'):
        minidl.tensor([1, 2], requires_grad=True)


def test_data_can_be_reassigned_and_written_in_place():
    p = minidl.tensor([1.0, 2.0], requires_grad=True)
    p.data = p.data.astype(numpy.float64)
    assert p.dtype == numpy.float64
    p.data[0] = 10.0
    (p * p).sum().backward()
    assert p.grad.tolist() == [20.0, 4.0]


def test_requires_grad_and_retain_grad():
    x = minidl.tensor([1.0, 2.0]).requires_grad_()
    h = x * 3
    h.retain_grad()
    (h * h).sum().backward()
    assert h.grad.tolist() == [6.0, 12.0] and x.grad.tolist() == [18.0, 36.0]


def test_repr_is_readable():
    on = ", device='cuda'" if minidl.get_device() == 'cuda' else ''      # as PyTorch writes it
    assert repr(minidl.tensor([1.0, 2.0])) == f'tensor([1., 2.]{on})'
    assert repr(minidl.tensor([1.0], requires_grad=True)) == f'tensor([1.]{on}, requires_grad=True)'
    assert 'grad_fn=<MulBackward>' in repr(minidl.tensor([1.0], requires_grad=True) * 2)
    assert 'dtype=float64' in repr(minidl.tensor([1.0], dtype=minidl.float64))


def test_no_grad_as_context_and_decorator():
    x = minidl.tensor([1.0], requires_grad=True)
    with minidl.no_grad():
        assert not (x * 2).requires_grad
        with minidl.enable_grad():
            assert (x * 2).requires_grad
    assert (x * 2).requires_grad

    @minidl.no_grad()
    def f(t):
        return t * 2
    assert not f(x).requires_grad and minidl.is_grad_enabled()

    @minidl.no_grad                                 # without the parentheses, as PyTorch allows
    def g(t):
        return t * 2
    assert not g(x).requires_grad and minidl.is_grad_enabled()


def test_set_grad_enabled_called_as_a_function_switches_at_once():
    x = minidl.tensor([1.0], requires_grad=True)
    try:
        minidl.set_grad_enabled(False)
        assert not minidl.is_grad_enabled() and not (x * 2).requires_grad
    finally:
        minidl.set_grad_enabled(True)
    assert (x * 2).requires_grad
    with minidl.no_grad():
        with minidl.set_grad_enabled(True):
            assert (x * 2).requires_grad
        assert not minidl.is_grad_enabled()

    @minidl.set_grad_enabled(False)
    def f(t):
        return t * 2
    assert minidl.is_grad_enabled() and not f(x).requires_grad and minidl.is_grad_enabled()


def test_in_place_operators_change_the_tensor_where_no_graph_is_involved():
    w = minidl.tensor([1.0, 2.0], requires_grad=True)
    params = [w]
    (w * w).sum().backward()                              # grad 2w = [2, 4]
    with minidl.no_grad():
        for p in params:
            p -= 0.1 * p.grad                             # the hand-written SGD step
    assert params[0] is w and w.requires_grad and w.is_leaf
    numpy.testing.assert_allclose(w.numpy(), [0.8, 1.6], rtol=1e-6)
    counts = minidl.tensor([1, 2])
    alias = counts
    counts += 1
    counts *= 3
    assert alias.tolist() == [6, 9] and alias is counts
    with pytest.raises(RuntimeError, match=r'leaf tensor that requires grad is used in an in-place operation \(\+=\)'):
        w += 1
    with pytest.raises(TypeError, match=r'\+= in place: the int64 tensor of shape \(2,\) cannot hold'):
        counts += 1.5
    with pytest.raises(ValueError, match=r'\*= in place: the float32 tensor of shape \(2,\)'):
        w.detach().__imul__(minidl.ones(3, 2))
    y = w * 2                                             # inside a graph: a new tensor, as x = x + 1
    before = y
    y += 1
    assert y is not before
    numpy.testing.assert_allclose(y.numpy(), [2.6, 4.2], rtol=1e-6)
    numpy.testing.assert_allclose(before.numpy(), [1.6, 3.2], rtol=1e-6)


def test_an_expanded_view_refuses_writes_and_its_clone_takes_them():
    """An expanded view's elements share memory: a write to one would change them all (NumPy
    marks it read-only, CuPy does not), so writes are refused, as in PyTorch."""
    row = minidl.tensor([[1.0, 2.0, 3.0]])
    wide = row.expand(4, 3)
    for write in (lambda: wide.__iadd__(1), lambda: wide.__setitem__(0, 5.0)):
        with pytest.raises(RuntimeError, match=r"more than one element of the tensor of shape \(4, 3\) refers "
                                               r"to a single memory location .* t.clone\(\)"):
            write()
    copy = wide.clone()
    copy += 1
    copy[0] = 0.0
    assert copy.tolist() == [[0.0, 0.0, 0.0]] + [[2.0, 3.0, 4.0]] * 3 and row.tolist() == [[1.0, 2.0, 3.0]]


def test_clone_is_a_copy_the_gradient_flows_through():
    x = minidl.tensor([1.0, 2.0], requires_grad=True)
    y = x.clone()
    assert y.grad_fn is not None and not numpy.shares_memory(y.data, x.data)
    (y * y).sum().backward()
    assert x.grad.tolist() == [2.0, 4.0]


def test_setitem_and_in_place_take_lists_and_arrays():
    t = minidl.zeros(2, 2)
    t[0] = [1, 2]
    t[1] = numpy.array([3.0, 4.0])
    t += [[1.0, 1.0], [1.0, 1.0]]
    t -= numpy.ones((2, 2))
    assert t.tolist() == [[1.0, 2.0], [3.0, 4.0]] and t.dtype == numpy.float32


def test_integer_tensors_never_get_grads():
    x = minidl.tensor([1.0, 2.0], requires_grad=True)
    i = x.argmax()
    assert i.dtype == numpy.int64 and not i.requires_grad
    assert not (x > 1).requires_grad


def test_iteration_and_len():
    x = minidl.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert len(x) == 2 and [row.tolist() for row in x] == [[1.0, 2.0], [3.0, 4.0]]


def test_numpy_array_interop():
    x = minidl.tensor([1.0, 2.0])
    assert numpy.asarray(x).tolist() == [1.0, 2.0]
    if x.device == 'cuda':              # a NumPy array is a CPU array: mixing it in names both devices
        with pytest.raises(RuntimeError, match='Add: got an array on cpu and a tensor on cuda'):
            numpy.ones(2) + x
        return
    assert isinstance(numpy.ones(2) + x, Tensor)


@pytest.mark.parametrize('make, error, message', [
    (lambda: minidl.tensor('abc'), TypeError, 'minidl.tensor: cannot make a tensor from str'),
    (lambda: minidl.tensor([[1, 2], [3]]), ValueError, 'nested lists have different lengths'),
    (lambda: minidl.arange(0, 5, 0), ValueError, 'arange: step must be nonzero'),
    (lambda: minidl.zeros(-1), ValueError, r"shape must be integers >= 0, got \(-1,\)"),
    (lambda: minidl.ones(3, 4).transpose(0, 5), IndexError, 'transpose: dim 5 is out of range'),
    (lambda: minidl.ones(3).mT, IndexError, 'transpose: dim -2 is out of range'),
    (lambda: minidl.where(minidl.ones(2), minidl.ones(2), minidl.zeros(2)), TypeError,
     'where: the condition must be a bool tensor'),
])
def test_bad_input_to_factories_and_shape_ops_names_the_op(make, error, message):
    # each of these used to end in a NumPy or Python error that named neither the op nor the input
    with pytest.raises(error, match=message):
        make()

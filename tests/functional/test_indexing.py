import numpy
import pytest

import minidl
from minidl.functional.indexing import IndexAdd
from tests.gradcases import Case, check, t

CASES = [
    Case('int', lambda a: a[1], lambda: [t(3, 4)]),
    Case('slice', lambda a: a[1:, ::2], lambda: [t(3, 4)]),
    Case('negative step', lambda a: a[::-1, 1], lambda: [t(3, 4)]),
    Case('None and Ellipsis', lambda a: a[None, ..., 0], lambda: [t(2, 3, 4)]),
    Case('bool mask', lambda a: a[a.detach() > 0], lambda: [t(3, 4, away_from=0.0)]),
    Case('int array, repeated', lambda a: a[[0, 2, 0, 0]], lambda: [t(3, 2)]),
    Case('int tensor pair', lambda a: a[minidl.tensor([0, 1, 1]), minidl.tensor([2, 0, 2])],
         lambda: [t(2, 3)]),
    Case('int array with slice', lambda a: a[:, numpy.array([1, 1, 0])], lambda: [t(2, 3)]),
    Case('index add', lambda a: IndexAdd((numpy.array([0, 2, 0]),), (4, 2))(a), lambda: [t(3, 2)]),
]


@pytest.mark.parametrize('case', CASES, ids=repr)
def test_gradients(case):
    check(case)


def test_forward_matches_numpy():
    x_np = numpy.arange(12.0, dtype=numpy.float32).reshape(3, 4)
    x = minidl.tensor(x_np)
    for key in [1, (slice(1, None), slice(None, None, 2)), (None, Ellipsis, 0), x_np > 5,
                [0, 2, 0], (numpy.array([0, 1]), numpy.array([3, 3]))]:
        assert numpy.array_equal(x[key].numpy(), x_np[key])


def test_repeated_indices_accumulate_gradient():
    x = minidl.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x[[0, 0, 2, 0]].sum().backward()
    assert x.grad.tolist() == [3.0, 0.0, 1.0]


def test_out_of_range_index_names_the_shape():
    with pytest.raises(IndexError, match=r'indexing a tensor of shape \(3,\)'):
        minidl.ones(3)[5]


def test_setitem_on_tensor_without_grad_and_refused_with_grad():
    x = minidl.zeros(4)
    x[x == 0] = 2.0
    x[1] = minidl.tensor(5.0)
    assert x.tolist() == [2.0, 5.0, 2.0, 2.0]
    with pytest.raises(RuntimeError, match='in-place assignment'):
        minidl.zeros(2, requires_grad=True)[0] = 1.0


def test_setitem_under_no_grad_and_of_a_value_that_requires_grad():
    w = minidl.zeros(3, requires_grad=True)
    with minidl.no_grad():
        w[0] = 1.0                                         # initializing a weight by hand
    assert w.tolist() == [1.0, 0.0, 0.0] and w.requires_grad
    out = minidl.zeros(3)
    with pytest.raises(RuntimeError, match='of a value, that requires grad would break the gradient'):
        out[0:2] = w[:2] * 3                               # the graph would be lost silently
    with pytest.raises(ValueError, match=r'setitem: cannot assign a value of shape \(2,\) into the selected'):
        minidl.zeros(3, 4)[0] = minidl.ones(2)

"""Gradient checks and forward values of batch_norm, layer_norm and group_norm."""
import numpy
import pytest

import minidl
import minidl.functional as F
from tests.gradcases import Case, check, t


def _bn_train(x, w, b):
    return F.batch_norm(x, None, None, w, b, training=True)


def _bn_eval(x, w, b):
    running_mean = minidl.tensor([0.5, -1.0, 2.0], dtype=numpy.float64)
    running_var = minidl.tensor([1.5, 0.25, 4.0], dtype=numpy.float64)
    return F.batch_norm(x, running_mean, running_var, w, b, training=False)


CASES = [
    Case('batch_norm train (N, C) affine', _bn_train, lambda: [t(5, 3), t(3, seed=1), t(3, seed=2)]),
    Case('batch_norm train (N, C, L) affine', _bn_train, lambda: [t(2, 3, 4), t(3, seed=1), t(3, seed=2)]),
    Case('batch_norm train (N, C, H, W) affine', _bn_train,
         lambda: [t(2, 3, 2, 3), t(3, seed=1), t(3, seed=2)]),
    Case('batch_norm train no affine', lambda x: F.batch_norm(x, None, None, training=True),
         lambda: [t(4, 2, 3)]),
    Case('batch_norm eval (running stats)', _bn_eval, lambda: [t(4, 3, 2), t(3, seed=1), t(3, seed=2)]),
    Case('layer_norm last axis affine', lambda x, w, b: F.layer_norm(x, (5,), w, b),
         lambda: [t(3, 5), t(5, seed=1), t(5, seed=2)]),
    Case('layer_norm last two axes affine', lambda x, w, b: F.layer_norm(x, (3, 4), w, b),
         lambda: [t(2, 3, 4), t(3, 4, seed=1), t(3, 4, seed=2)]),
    Case('layer_norm no affine', lambda x: F.layer_norm(x, 4), lambda: [t(3, 4)]),
    Case('group_norm affine', lambda x, w, b: F.group_norm(x, 2, w, b),
         lambda: [t(2, 4, 3), t(4, seed=1), t(4, seed=2)]),
    Case('group_norm (N, C, H, W) one group', lambda x: F.group_norm(x, 1), lambda: [t(2, 2, 2, 3)]),
]


@pytest.mark.parametrize('case', CASES, ids=repr)
def test_gradients(case):
    check(case)


def _reference(x, axes, eps, w=None, b=None, param_shape=None):
    """(x - μ) / √(σ² + ε) · γ + β in NumPy, statistics over ``axes``."""
    mean = x.mean(axis=axes, keepdims=True)
    var = x.var(axis=axes, keepdims=True)
    y = (x - mean) / numpy.sqrt(var + eps)
    if w is not None:
        y = y * w.reshape(param_shape) + b.reshape(param_shape)
    return y


RNG = numpy.random.default_rng(3)
X = RNG.normal(2.0, 3.0, size=(4, 6, 3, 5))
W, B = RNG.normal(size=6), RNG.normal(size=6)


def _tensors(*arrays):
    return [minidl.tensor(a, dtype=numpy.float64) for a in arrays]


def test_batch_norm_matches_formula():
    x, w, b = _tensors(X, W, B)
    y = F.batch_norm(x, None, None, w, b, training=True, eps=1e-3)
    numpy.testing.assert_allclose(y.numpy(), _reference(X, (0, 2, 3), 1e-3, W, B, (1, 6, 1, 1)), rtol=1e-12)


def test_layer_norm_matches_formula():
    w_ln, b_ln = RNG.normal(size=(3, 5)), RNG.normal(size=(3, 5))
    x, w, b = _tensors(X, w_ln, b_ln)
    y = F.layer_norm(x, (3, 5), w, b)
    numpy.testing.assert_allclose(y.numpy(), _reference(X, (2, 3), 1e-5, w_ln, b_ln, (3, 5)), rtol=1e-12)


def test_group_norm_matches_formula():
    x, w, b = _tensors(X, W, B)
    y = F.group_norm(x, 3, w, b)
    grouped = _reference(X.reshape(4, 3, -1), (2,), 1e-5).reshape(X.shape)
    numpy.testing.assert_allclose(y.numpy(), grouped * W.reshape(1, 6, 1, 1) + B.reshape(1, 6, 1, 1),
                                  rtol=1e-12)


def test_outputs_are_standardized_in_float32():
    y = F.batch_norm(minidl.tensor(X.astype(numpy.float32)), None, None, training=True).numpy()
    assert y.dtype == numpy.float32
    numpy.testing.assert_allclose(y.mean(axis=(0, 2, 3)), 0, atol=1e-6)
    numpy.testing.assert_allclose(y.var(axis=(0, 2, 3)), 1, atol=1e-4)


def test_second_backward_without_create_graph_matches():
    """backward reuses forward's x̂ and s without create_graph, rebuilds them with it: same values."""
    grads = []
    for create_graph in (False, True):
        x = minidl.tensor(X, dtype=numpy.float64, requires_grad=True)
        y = F.group_norm(x, 2)
        g, = minidl.autograd.grad((y * y * y).sum(), [x], create_graph=create_graph)
        grads.append(g.numpy())
    numpy.testing.assert_allclose(grads[0], grads[1], rtol=1e-12)


@pytest.mark.parametrize('shape', [(1, 3), (1, 3, 1)])
def test_batch_of_one_value_per_channel_raises(shape):
    with pytest.raises(ValueError, match='Expected more than 1 value per channel when training'):
        F.batch_norm(minidl.zeros(*shape), None, None, training=True)


def test_shape_errors_name_the_op_and_shapes():
    with pytest.raises(ValueError, match=r'batch_norm.*\(3,\)'):
        F.batch_norm(minidl.zeros(3), None, None, training=True)
    with pytest.raises(ValueError, match=r'layer_norm: normalized_shape=\(4,\).*\(2, 3\)'):
        F.layer_norm(minidl.zeros(2, 3), 4)
    with pytest.raises(ValueError, match=r'group_norm.*num_groups=4.*\(2, 6\)'):
        F.group_norm(minidl.zeros(2, 6), 4)
    with pytest.raises(TypeError, match='floating point'):
        F.layer_norm(minidl.tensor([[1, 2]]), 2)
